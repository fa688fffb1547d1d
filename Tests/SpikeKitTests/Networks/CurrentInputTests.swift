import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
import SpikeKit

/// Real-valued input (issue #11 item 5): float currents x[n] enter the first layer as I[n+1] = λ_s I[n] + W x[n]
/// (+ V S[n] + b). The surrogate gradients are checked against PyTorch by the `l-analog-*` verify cases; these tests
/// check finite differences, closed forms, the equivalence with spike input for 0/1 currents, and determinism.
@Suite struct CurrentInputTests {
    static let spike = try! SpikeFunction(escape: .step, surrogate: .superspike(beta: 10))

    func draw(_ shape: [Int], _ s: Double, _ g: inout PhiloxGenerator) -> Tensor {
        try! Tensor(shape: shape, scalars: (0 ..< shape.reduce(1, *)).map { _ in Float(g.normal() * s) })
    }

    func parameters(_ a: NetworkArchitecture, seed: UInt64, gain: Double = 3) -> NetworkParameters {
        var g = PhiloxGenerator(seed: seed)
        return NetworkParameters(feedForward: a.layers.map { draw($0.feedForward.weightShape, gain, &g) },
                                 recurrent: a.layers.map { $0.recurrent.map { draw($0.weightShape, 0.5, &g) } },
                                 biases: a.layers.map { $0.hasBias ? draw($0.biasShape, 0.5, &g) : nil })
    }

    /// A readout alone is differentiable: every weight's gradient (the matrix-product path) matches central
    /// finite differences, with and without a bias, for several batch sizes (remainder rows of the 8-row tiles).
    @Test(arguments: [1, 3, 9])
    func readoutWeightGradientMatchesFiniteDifferences(batch: Int) throws {
        let d = NetworkDescription(dt: 1e-3, input: InputDescription(shape: [7], kind: .current), layers: [
            LayerDescription(kind: .readout, units: 3, tauMem: 0.01, tauSyn: 0.005, bias: "b"),
        ])
        let a = try NetworkArchitecture(d)
        #expect(a.realValuedInput)
        let p = parameters(a, seed: 3, gain: 1)
        var g = PhiloxGenerator(seed: 5)
        let x = draw([batch, 11, 7], 1, &g)
        let labels = (0 ..< batch).map { $0 % 3 }
        // A smooth loss (the max over time would switch steps under the perturbation).
        let loss = LossFunction.sumOverTimeCrossEntropy(activityRegularizer: nil)
        let sim = Simulator(architecture: a, threads: 2)
        try sim.load(p)
        let r = try sim.run(currents: x, loss: loss, targets: .labels(labels), gradients: true)
        let grad = r.gradients!
        func lossAt(_ q: NetworkParameters) throws -> Double {
            try sim.load(q)
            return try sim.run(currents: x, loss: loss, targets: .labels(labels)).loss
        }
        var checked = 0
        for k in stride(from: 0, to: 21, by: 2) {
            var plus = p, minus = p
            let h: Float = 1e-2
            plus.feedForward[0].scalars[k] += h
            minus.feedForward[0].scalars[k] -= h
            let fd = (try lossAt(plus) - lossAt(minus)) / Double(2 * h)
            #expect(abs(fd - Double(grad.feedForward[0].scalars[k])) < 2e-3 * max(1, abs(fd)), "weight \(k)")
            checked += 1
        }
        for k in 0 ..< 3 {
            var plus = p, minus = p
            let h: Float = 1e-2
            plus.biases[0]!.scalars[k] += h
            minus.biases[0]!.scalars[k] -= h
            let fd = (try lossAt(plus) - lossAt(minus)) / Double(2 * h)
            #expect(abs(fd - Double(grad.biases[0]!.scalars[k])) < 2e-3 * max(1, abs(fd)), "bias \(k)")
        }
        #expect(checked == 11)
        #expect(grad.feedForward[0].scalars.contains { $0 != 0 })
    }

    /// The readout's membrane follows the closed form of the equations with x in place of the input spikes.
    @Test func aReadoutIntegratesTheCurrentsThroughItsWeights() throws {
        let d = NetworkDescription(dt: 1e-3, input: InputDescription(shape: [2], kind: .current), layers: [
            LayerDescription(kind: .readout, units: 1, tauMem: 0.02, tauSyn: 0.005),
        ])
        let sim = Simulator(architecture: try NetworkArchitecture(d), threads: 1)
        let w: [Double] = [0.75, -2]
        try sim.load(NetworkParameters(feedForward: [try Tensor(shape: [1, 2], scalars: w.map(Float.init))], recurrent: [nil]))
        let xs = (0 ..< 30).flatMap { n in [Float(sin(Double(n) * 0.3)), Float(n % 4) * 0.5] }
        let u = try sim.run(currents: try Tensor(shape: [1, 30, 2], scalars: xs), recordOutput: true).output!.scalars
        let lm = exp(-1e-3 / 0.02), ls = exp(-1e-3 / 0.005)
        var uu = 0.0, ii = 0.0
        for n in 0 ..< 30 {
            #expect(abs(Double(u[n]) - uu) < 1e-5, "step \(n)")
            let drive = w[0] * Double(xs[2 * n]) + w[1] * Double(xs[2 * n + 1])
            (uu, ii) = (lm * uu + (1 - lm) * ii, ls * ii + drive)
        }
    }

    func spikingNetwork(recurrent: Bool, stochastic: Bool, conv: Bool = false) -> NetworkDescription {
        let spike = stochastic ? try! SpikeFunction(escape: .sigmoid(beta: 5), surrogate: .superspike(beta: 10)) : Self.spike
        let first = conv
            ? LayerDescription(kind: .convLIF, channels: 3, kernel: 3, stride: 1, padding: 1, tauMem: 0.01, tauSyn: 0.005,
                               recurrent: recurrent ? RecurrentDescription(kind: .conv, kernel: 3, padding: 1) : nil, spike: spike)
            : LayerDescription(kind: .lif, units: 6, tauMem: 0.01, tauSyn: 0.005,
                               recurrent: recurrent ? RecurrentDescription(kind: .dense) : nil, spike: spike, bias: "b")
        return NetworkDescription(dt: 1e-3, input: InputDescription(shape: conv ? [2, 5] : [10], kind: .current), layers: [
            first, LayerDescription(kind: .readout, units: 3, tauMem: 0.02, tauSyn: 0.005),
        ])
    }

    /// 0/1 currents are spikes: the real-valued path gives the spike path's spikes, loss and gradients (up to the
    /// summation order of the matrix product), for dense and conv first layers, recurrent, stochastic.
    @Test(arguments: [(false, false, false), (true, false, false), (true, true, false), (false, false, true), (true, true, true)])
    func binaryCurrentsMatchTheSpikePath(recurrent: Bool, stochastic: Bool, conv: Bool) throws {
        let a = try NetworkArchitecture(spikingNetwork(recurrent: recurrent, stochastic: stochastic, conv: conv))
        let p = parameters(a, seed: 7)
        var g = PhiloxGenerator(seed: 11)
        let B = 5, T = 40, units = a.input.count
        let raster = (0 ..< B * T * units).map { _ in g.uniform() < 0.2 ? Float(1) : 0 }
        let trains = try (0 ..< B).map { try SpikeTrains(raster: raster[$0 * T * units ..< ($0 + 1) * T * units], steps: T, units: units) }
        let sim = Simulator(architecture: a, threads: 2)
        try sim.load(p)
        let loss = LossFunction.maxOverTimeCrossEntropy(activityRegularizer: nil)
        let labels = Targets.labels([0, 1, 2, 0, 1])
        let noise = NoiseSource.philox(seed: 3, iteration: 1)
        let s = try sim.run(inputs: trains, loss: loss, targets: labels, noise: noise, gradients: true, record: true)
        let c = try sim.run(currents: try Tensor(shape: [B, T] + a.input.dimensions, scalars: raster), loss: loss, targets: labels,
                            noise: noise, gradients: true, record: true)
        #expect(s.spikeCounts[0] > 0)
        #expect(c.spikes! == s.spikes!)
        #expect(abs(c.loss - s.loss) < 1e-5)
        let gs = s.gradients!, gc = c.gradients!
        let fs = gs.named.flatMap(\.tensor.scalars), fc = gc.named.flatMap(\.tensor.scalars)
        #expect(fs.count == fc.count)
        for (x, y) in zip(fs, fc) { #expect(abs(x - y) < 1e-4 * max(1, abs(x))) }
    }

    /// Real-valued runs are bit-identical for any thread count.
    @Test func currentsAreBitIdenticalForAnyThreadCount() throws {
        let a = try NetworkArchitecture(spikingNetwork(recurrent: true, stochastic: true))
        let p = parameters(a, seed: 2)
        var g = PhiloxGenerator(seed: 1)
        let x = draw([13, 30, 10], 1, &g)
        var results: [SimulationResult] = []
        for threads in [1, 2, 3] {
            let sim = Simulator(architecture: a, threads: threads)
            try sim.load(p)
            results.append(try sim.run(currents: x, loss: .maxOverTimeCrossEntropy(activityRegularizer: nil),
                                       targets: .labels((0 ..< 13).map { $0 % 3 }), noise: .philox(seed: 4, iteration: 0),
                                       gradients: true, record: true))
        }
        #expect(results[0].spikeCounts[0] > 0)
        for r in results.dropFirst() {
            #expect(r.loss == results[0].loss)
            #expect(r.spikes! == results[0].spikes!)
            #expect(r.gradients! == results[0].gradients!)
        }
    }

    /// The readout behind a spiking layer fed by currents: its weight gradient matches finite differences while
    /// the spikes stay the same.
    @Test func readoutBehindCurrentsMatchesFiniteDifferences() throws {
        let a = try NetworkArchitecture(spikingNetwork(recurrent: true, stochastic: false))
        let p = parameters(a, seed: 5)
        var g = PhiloxGenerator(seed: 8)
        let x = draw([2, 30, 10], 1, &g)
        let loss = LossFunction.maxOverTimeCrossEntropy(activityRegularizer: nil)
        let sim = Simulator(architecture: a, threads: 1)
        try sim.load(p)
        let r = try sim.run(currents: x, loss: loss, targets: .labels([0, 2]), gradients: true, record: true)
        #expect(r.spikeCounts[0] > 0)
        for k in 0 ..< 6 {
            var plus = p, minus = p
            let h: Float = 1e-2
            plus.feedForward[1].scalars[k] += h
            minus.feedForward[1].scalars[k] -= h
            try sim.load(plus)
            let rp = try sim.run(currents: x, loss: loss, targets: .labels([0, 2]), record: true)
            try sim.load(minus)
            let rm = try sim.run(currents: x, loss: loss, targets: .labels([0, 2]), record: true)
            #expect(rp.spikes! == r.spikes! && rm.spikes! == r.spikes!)
            let fd = (rp.loss - rm.loss) / Double(2 * h)
            #expect(abs(fd - Double(r.gradients!.feedForward[1].scalars[k])) < 2e-3, "readout weight \(k)")
        }
    }

    @Test func badCurrentsAreRejected() throws {
        let a = try NetworkArchitecture(spikingNetwork(recurrent: false, stochastic: false))
        let sim = Simulator(architecture: a, threads: 1)
        try sim.load(parameters(a, seed: 1))
        #expect(throws: SpikeKitError.shapeMismatch("currents have shape [2, 5, 9], expected [batch, steps] + [10]")) {
            try sim.run(currents: Tensor(zeros: [2, 5, 9]))
        }
        var bad = Tensor(zeros: [1, 5, 10])
        bad.scalars[3] = .nan
        #expect(throws: SpikeKitError.nonFiniteValues("the input currents hold NaN or infinite values")) { try sim.run(currents: bad) }
    }

    /// The trainer feeds a `CurrentDataset` to a network with real-valued input and learns it; mismatched data
    /// kinds are rejected with one clear error.
    @Test func trainerLearnsFromCurrents() throws {
        // Two classes: class c drives units 0-3 (c = 0) or 4-7 (c = 1) with a current of mean 1, noise everywhere.
        var g = PhiloxGenerator(seed: 21)
        let T = 20, units = 8
        var values: [[Float]] = [], labels: [SampleTarget] = []
        for i in 0 ..< 32 {
            let c = i % 2
            values.append((0 ..< T * units).map { k in Float((k % units) / 4 == c ? 1 : 0) + Float(g.normal() * 0.5) })
            labels.append(.label(c))
        }
        let data = try CurrentDataset(values: values, targets: labels, steps: T, units: units, dt: 1e-3)
        let d = NetworkDescription(dt: 1e-3, input: InputDescription(shape: [units], kind: .current), layers: [
            LayerDescription(kind: .lif, units: 12, tauMem: 0.01, tauSyn: 0.005, spike: Self.spike),
            LayerDescription(kind: .readout, units: 2, tauMem: 0.02, tauSyn: 0.005),
        ])
        var trainer = try Trainer(network: d, loss: .maxOverTimeCrossEntropy(activityRegularizer: nil), optimizer: Adam(learningRate: 2e-2),
                                  training: data, configuration: TrainerConfiguration(epochs: 15, batchSize: 8, seed: 1))
        let before = try trainer.evaluate(on: data)!
        _ = try trainer.fit()
        let after = try trainer.evaluate(on: data)!
        #expect(after.loss < before.loss)
        #expect(after.accuracy! >= 0.9)
        #expect(try data.currentBatch([1, 0]).shape == [2, T, units])
        // A spike data set for a real-valued network, and the reverse.
        let spikes = try SpikeTrainDataset(samples: [SpikeTrains(steps: T, units: units, events: [])], labels: [0], steps: T,
                                           units: units, dt: 1e-3)
        #expect(throws: SpikeKitError.invalidConfiguration("the network's input is real-valued (input.kind current) but the training set holds spikes")) {
            try Trainer(network: d, loss: .maxOverTimeCrossEntropy(activityRegularizer: nil), optimizer: Adam(learningRate: 1e-2),
                        training: spikes, configuration: TrainerConfiguration(epochs: 1, batchSize: 1))
        }
        var spikeNet = d
        spikeNet.input.kind = nil
        #expect(throws: SpikeKitError.invalidConfiguration("the training set holds real values; the network's input needs input.kind current")) {
            try Trainer(network: spikeNet, loss: .maxOverTimeCrossEntropy(activityRegularizer: nil), optimizer: Adam(learningRate: 1e-2),
                        training: data, configuration: TrainerConfiguration(epochs: 1, batchSize: 1))
        }
    }

    @Test func currentDatasetsLoadFromNpy() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spikekit-currents-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let x = (0 ..< 3 * 4 * 2).map { Float($0) * 0.25 - 1 }
        try NpyArray(try Tensor(shape: [3, 4, 2], scalars: x)).write(path: dir + "/x.npy")
        try NpyArray(try Tensor(shape: [3], scalars: [0, 2, 1])).write(path: dir + "/y.npy")
        let d = try CurrentDataset.load(inputs: dir + "/x.npy", labels: dir + "/y.npy", dt: 1e-3)
        #expect(d.count == 3 && d.steps == 4 && d.units == 2)
        #expect(d.currents(1) == Array(x[8 ..< 16]))
        #expect(d.target(1) == .label(2))
        #expect(d.subset([2]).currents(0) == Array(x[16 ..< 24]))
        try NpyArray(try Tensor(shape: [2], scalars: [0, 1])).write(path: dir + "/short.npy")
        #expect(throws: SpikeKitError.shapeMismatch("\(dir)/short.npy: 2 targets for 3 samples in \(dir)/x.npy")) {
            try CurrentDataset.load(inputs: dir + "/x.npy", labels: dir + "/short.npy", dt: 1e-3)
        }
        // Target spikes [samples, steps, outputs] for the spike-train losses; anything but 0/1 is refused.
        let spikes = (0 ..< 3 * 4 * 5).map { Float(($0 * 7) % 3 == 0 ? 1 : 0) }
        try NpyArray(try Tensor(shape: [3, 4, 5], scalars: spikes)).write(path: dir + "/s.npy")
        let s = try CurrentDataset.load(inputs: dir + "/x.npy", labels: dir + "/s.npy", dt: 1e-3)
        #expect(s.target(2) == .spikes(Array(spikes[40 ..< 60])))
        try NpyArray(try Tensor(shape: [3, 4, 5], scalars: spikes.map { $0 * 0.5 })).write(path: dir + "/half.npy")
        #expect(throws: SpikeKitError.invalidConfiguration("\(dir)/half.npy: target spikes must be 0 or 1, element 0 is 0.5")) {
            try CurrentDataset.load(inputs: dir + "/x.npy", labels: dir + "/half.npy", dt: 1e-3)
        }
    }
}
