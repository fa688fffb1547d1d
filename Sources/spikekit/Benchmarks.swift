import Foundation
import SpikeKit
import SpikeKitKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One workload's measurements (seconds; memory in MiB).
struct BenchmarkResult: Codable {
    var median_s: Double
    var min_s: Double
    var max_s: Double
    var forward_median_s: Double?
    var backward_median_s: Double?
    var update_median_s: Double?
    var epoch_s: Double?
    /// Forward-only inference throughput (samples per second).
    var forward_samples_per_s: Double?
    var peak_rss_mib: Double
    var batch: Int
    var rates_hz: [Double]
    /// Timed repetitions behind the median.
    var runs: Int
    /// Command-epoch workloads: the median of the bare training step measured in the same repetitions.
    var train_step_median_s: Double? = nil
}

/// The benchmark workloads: the paper's networks with Gaussian weights scaled to the activity of
/// ../shared/peerbench (SHD hidden layers about 10-30 Hz on 1.5 % input density; spike-train matching about
/// 20 Hz hidden), and synthetic Poisson inputs.
enum Benchmarks {
    /// The CPU and the code path, for the table's header: model name and vector extensions from /proc/cpuinfo
    /// (Linux), and the register tiles the kernels were compiled with.
    static var simdDescription: String {
        #if arch(x86_64)
        var cpu = ""
        if let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) {
            let lines = info.split(separator: "\n")
            if let m = lines.first(where: { $0.hasPrefix("model name") })?.split(separator: ":", maxSplits: 1).last {
                cpu = m.trimmingCharacters(in: .whitespaces)
            }
            let flags = Set(lines.first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
            let isa = flags.contains("avx512f") ? "AVX-512" : flags.contains("avx2") ? "AVX2" : "SSE"
            cpu += (cpu.isEmpty ? "" : ", ") + isa + (flags.contains("fma") ? " + FMA" : "")
        }
        return "x86_64\(cpu.isEmpty ? "" : " (\(cpu))"), SIMD16<Float> kernels, dense row tiles \(VectorKernels.rowTiles)"
        #elseif arch(arm64)
        return "arm64 (SIMD16<Float> kernels)"
        #else
        return "generic"
        #endif
    }

    /// Spike density of the paper's dithered target picture, the default of the stm workloads' random target.
    static let paperTargetDensity = 0.274

    static func run(workload: String, repetitions: Int, warmup: Int, threads: Int, seed: UInt64,
                    stmSteps: Int = 189, stmTargetDensity: Double = paperTargetDensity) throws -> BenchmarkResult {
        if workload.hasPrefix("onb-"), let n = Int(workload.dropFirst(4)) {
            return try onb(n: n, repetitions: repetitions, warmup: warmup, threads: threads, seed: seed)
        }
        if workload.hasPrefix("shd-epoch-") {
            return try shdEpoch(stochastic: workload == "shd-epoch-stoch", repetitions: repetitions, warmup: warmup,
                                threads: threads, seed: seed)
        }
        if workload == "randman-rec" {
            return try randmanEpoch(repetitions: repetitions, warmup: warmup, threads: threads, seed: seed)
        }
        if workload.hasPrefix("match-") {
            return try matchEpoch(stochastic: workload == "match-stoch", repetitions: repetitions, warmup: warmup,
                                  threads: threads, seed: seed, steps: stmSteps)
        }
        let stm = workload.hasPrefix("stm")
        let stochastic = workload.contains("stoch")
        let batch = stm ? (stochastic ? 10 : 1) : (workload.hasSuffix("b400") ? 400 : 32)
        // The spike-train-matching networks as `spikekit match` trains them (and as the PyTorch baseline runs
        // them): SuperSpike(10) surrogate in both variants.
        let description = stm ? try PaperNetworks.spikeTrainMatching(stochastic: stochastic, stochasticSurrogate: .superspike(beta: 10))
                              : try PaperNetworks.shdCSNN(stochastic: stochastic)
        let arch = try NetworkArchitecture(description)
        var g = PhiloxGenerator(seed: seed, stream: 1)
        // Weight scales: gain / sqrt(fan-in) per connection.
        let ffGain: [Double] = stm ? [3.0, 3.0] : [6.6, 6.6, 7.6, 1.0]
        let recGain: [Double] = [1.5, 1.5, 1.5]
        func draw(_ geometry: ConnectionGeometry, _ gain: Double) throws -> Tensor {
            let s = gain / Double(geometry.fanIn).squareRoot()
            return try Tensor(shape: geometry.weightShape,
                              scalars: (0 ..< geometry.weightShape.reduce(1, *)).map { _ in Float(g.normal() * s) })
        }
        let params = NetworkParameters(
            feedForward: try arch.layers.enumerated().map { try draw($0.element.feedForward, ffGain[$0.offset]) },
            recurrent: try arch.layers.enumerated().map { i, l in try l.recurrent.map { try draw($0, recGain[i]) } })
        let T = stm ? stmSteps : 350
        let density = stm ? 0.05 : 0.015
        let units = arch.input.count
        let frozen = try (0 ..< (stm ? 1 : batch)).map { _ in
            try SpikeTrains(raster: ArraySlice((0 ..< T * units).map { _ in g.uniform() < density ? Float(1) : 0 }),
                            steps: T, units: units)
        }
        let inputs = stm ? [SpikeTrains](repeating: frozen[0], count: batch) : frozen
        let loss: LossFunction
        let targets: Targets
        if stm {
            let target = (0 ..< T * 200).map { _ in g.uniform() < stmTargetDensity ? Float(1) : 0 }
            loss = .l2Spikes
            targets = .spikes([[Float]](repeating: target, count: batch))
        } else {
            loss = .maxOverTimeCrossEntropy(activityRegularizer: ActivityRegularizer(threshold: 7, strength: 0.01))
            targets = .labels((0 ..< batch).map { _ in Int(g.next32() % 20) })
        }
        let sim = Simulator(architecture: arch, threads: threads)
        var p = params
        try sim.load(p)
        var optimizer: any Optimizer = stm ? GradientDescent(learningRate: 1e-6) : SMORMS3(learningRate: 1e-6)
        var steps: [Double] = [], forwards: [Double] = [], updates: [Double] = []
        var rates: [Double] = []
        // Timed repetitions: at least `repetitions`, and for short steps as many more as fill one second (at most
        // 1000), so that a brief burst of load on the machine cannot move the median.
        let begin = DispatchTime.now().uptimeNanoseconds
        var rep = 0
        while rep < warmup + repetitions
            || (steps.count < 1000 && DispatchTime.now().uptimeNanoseconds - begin < 1_000_000_000) {
            defer { rep += 1 }
            let t0 = DispatchTime.now().uptimeNanoseconds
            let r = try sim.run(inputs: inputs, loss: loss, targets: targets, noise: .philox(seed: seed, iteration: UInt32(rep)),
                                gradients: true)
            let t1 = DispatchTime.now().uptimeNanoseconds
            // Optimizer update (gradient descent for spike-train matching as in the paper, SMORMS3 for SHD) and
            // reload of the packed weights.
            optimizer.step(parameters: &p, gradients: r.gradients!)
            try sim.load(p)
            let t2 = DispatchTime.now().uptimeNanoseconds
            _ = try sim.run(inputs: inputs, noise: .philox(seed: seed, iteration: UInt32(rep)))
            let t3 = DispatchTime.now().uptimeNanoseconds
            if rep >= warmup {
                steps.append(Double(t2 - t0) / 1e9)
                updates.append(Double(t2 - t1) / 1e9)
                forwards.append(Double(t3 - t2) / 1e9)
            }
            if rep == 0 {
                let spiking = arch.layers.filter(\.isSpiking)
                rates = zip(r.spikeCounts, spiking).map { Double($0) / Double($1.shape.count * T * batch) / arch.dt }
            }
        }
        let med = median(steps)
        let fwd = median(forwards)
        return BenchmarkResult(
            median_s: med, min_s: steps.min()!, max_s: steps.max()!, forward_median_s: fwd,
            backward_median_s: max(0, med - fwd - median(updates)), update_median_s: median(updates),
            epoch_s: stm ? nil : med * Double((8156 + batch - 1) / batch), forward_samples_per_s: Double(batch) / fwd,
            peak_rss_mib: peakRSSMiB(), batch: batch,
            rates_hz: rates, runs: steps.count)
    }

    /// `match-det` / `match-stoch`: whole epochs of `spikekit match` as the command runs them (the default
    /// configuration on the built-in picture of 200 neurons × `steps`: simulation of the trials with recording,
    /// BPTT, update, and the epoch's metrics: loss, van Rossum distance, rates, Fano factors), and in the same
    /// repetitions the bare training step (simulation with gradients, update, reload) of the same network.
    static func matchEpoch(stochastic: Bool, repetitions: Int, warmup: Int, threads: Int, seed: UInt64,
                           steps: Int) throws -> BenchmarkResult {
        var config = SpikeTrainMatching.Configuration()
        config.seed = seed
        let target = try SpikeRasterTarget.builtIn(neurons: 200, steps: steps)
        let exp = try SpikeTrainMatching(configuration: config, stochastic: stochastic, target: target.spikes,
                                         neurons: target.neurons, steps: target.steps)
        let sim = Simulator(architecture: exp.architecture, threads: threads)
        var state = try exp.initialState()
        var bare = state
        let B = exp.trialsPerEpoch
        let inputs = [SpikeTrains](repeating: exp.input, count: B)
        let targets = Targets.spikes([[Float]](repeating: exp.target, count: B))
        var epochs: [Double] = [], trainSteps: [Double] = []
        var rates: [Double] = []
        let begin = DispatchTime.now().uptimeNanoseconds
        var rep = 0
        while rep < warmup + repetitions
            || (epochs.count < 1000 && DispatchTime.now().uptimeNanoseconds - begin < 1_000_000_000) {
            defer { rep += 1 }
            let t0 = DispatchTime.now().uptimeNanoseconds
            let (m, _) = try exp.trainEpoch(state.epoch, simulator: sim, parameters: &state.parameters, optimizer: &state.optimizer)
            state.history.append(m)
            state.epoch += 1
            let t1 = DispatchTime.now().uptimeNanoseconds
            try sim.load(bare.parameters)
            let r = try sim.run(inputs: inputs, loss: .l2Spikes, targets: targets,
                                noise: .philox(seed: seed, iteration: UInt32(truncatingIfNeeded: rep)), gradients: true)
            bare.optimizer.step(parameters: &bare.parameters, gradients: r.gradients!)
            try sim.load(bare.parameters)
            let t2 = DispatchTime.now().uptimeNanoseconds
            if rep >= warmup {
                epochs.append(Double(t1 - t0) / 1e9)
                trainSteps.append(Double(t2 - t1) / 1e9)
            }
            if rep == 0 { rates = [m.hiddenRate, m.outputRate] }
        }
        let med = median(epochs)
        return BenchmarkResult(median_s: med, min_s: epochs.min()!, max_s: epochs.max()!, forward_median_s: nil,
                               backward_median_s: nil, update_median_s: nil, epoch_s: med,
                               forward_samples_per_s: nil, peak_rss_mib: peakRSSMiB(), batch: B, rates_hz: rates,
                               runs: epochs.count, train_step_median_s: median(trainSteps))
    }

    /// The median of timed repetitions (the mean of the middle two for an even count).
    static func median(_ a: [Double]) -> Double {
        let s = a.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// The process's peak resident set size in MiB.
    static func peakRSSMiB() -> Double {
        var u = rusage()
        #if canImport(Glibc)
        getrusage(RUSAGE_SELF.rawValue, &u)
        #else
        getrusage(RUSAGE_SELF, &u)
        #endif
        #if canImport(Darwin)
        return Double(u.ru_maxrss) / 1_048_576
        #else
        return Double(u.ru_maxrss) / 1024
        #endif
    }

    static func table(_ rows: [(String, BenchmarkResult)]) -> String {
        func ms(_ s: Double) -> String { s.isFinite ? (s < 1 ? String(format: "%.2f ms", s * 1000) : String(format: "%.3f s", s)) : "-" }
        var lines = ["| workload | batch | runs | train step (or command epoch) median (min / max) | forward (no grad) | backward | update | epoch (8156; match: command epoch vs training step) | inference samples/s | peak RSS | rates (Hz) |",
                     "|---|---|---|---|---|---|---|---|---|---|---|"]
        for (name, r) in rows {
            var epoch = r.epoch_s.map { String(format: "%.1f s", $0) } ?? "-"
            if let step = r.train_step_median_s {
                epoch = "\(ms(r.median_s)) = \(String(format: "%.2f", r.median_s / step)) × step \(ms(step))"
            }
            func ms(_ s: Double) -> String { s.isFinite ? (s < 1 ? String(format: "%.2f ms", s * 1000) : String(format: "%.3f s", s)) : "-" }
            let rates = r.rates_hz.map { String(format: "%.1f", $0) }.joined(separator: ", ")
            lines.append("| \(name) | \(r.batch) | \(r.runs) | \(ms(r.median_s)) (\(ms(r.min_s)) / \(ms(r.max_s))) | \(ms(r.forward_median_s ?? .nan)) | "
                + "\(ms(r.backward_median_s ?? .nan)) | \(ms(r.update_median_s ?? .nan)) | \(epoch) | \((r.forward_samples_per_s.map { String(format: "%.0f", $0) } ?? "-")) | "
                + "\(String(format: "%.0f MiB", r.peak_rss_mib)) | \(rates) |")
        }
        return lines.joined(separator: "\n")
    }
}
