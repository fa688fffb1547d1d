import Foundation
import SpikeKit

/// `shd-epoch-det` / `shd-epoch-stoch`: an epoch of `spikekit shd` as the command's trainer runs it
/// (`ClassificationTrainer`: shuffled batches of 32 with forward, BPTT and SMORMS3, then the evaluation of the
/// validation and test sets with the noise on, rates and metrics, and the checkpoint, metrics CSV and curves the
/// command writes after every epoch), scaled to a tenth: 320 training samples
/// (10 batches) and 36 validation + 98 test samples, the evaluation share of the SHD protocol (816 + 2264 evaluated
/// per 7340 trained). Synthetic SHD-sized inputs (700 channels, 350 steps of 2 ms, 1.5 % density). The Fano
/// factor (400 trials of one sample every 10 epochs, about 0.2 % of an epoch's work) is left out. Reported beside
/// it, from the same repetitions, the bare training steps of the epoch (`train_step_median_s`): the ratio is what
/// the command spends per epoch beyond its training steps.
extension Benchmarks {
    static func shdEpoch(stochastic: Bool, repetitions: Int, warmup: Int, threads: Int, seed: UInt64) throws -> BenchmarkResult {
        let T = 350, units = 700, dt = 2e-3
        var g = PhiloxGenerator(seed: seed, stream: 11)
        func set(_ n: Int) throws -> ClassificationData {
            let samples = try (0 ..< n).map { _ in
                try SpikeTrains(raster: ArraySlice((0 ..< T * units).map { _ in g.uniform() < 0.015 ? Float(1) : 0 }), steps: T, units: units)
            }
            return try ClassificationData(samples: samples, labels: (0 ..< n).map { _ in Int(g.next32() % 20) },
                                          classNames: (0 ..< 20).map { "class \($0)" }, steps: T, units: units, dt: dt)
        }
        var c = ClassificationExperiment.Configuration()
        c.batchSize = 32
        c.epochs = warmup + repetitions
        c.seed = seed
        c.fanoTrials = 0
        let exp = try ClassificationExperiment(configuration: c, stochastic: stochastic, training: try set(320),
                                               validation: try set(36), test: try set(98), classes: 20)
        var trainer = try ClassificationTrainer(experiment: exp, threads: threads)
        let sim = Simulator(architecture: exp.architecture, threads: threads)
        let folder = NSTemporaryDirectory() + "spikekit-bench-shd-epoch-\(ProcessInfo.processInfo.processIdentifier)"
        try AtomicFile.createFolder(folder)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var epochs: [Double] = [], steps: [Double] = []
        var rates: [Double] = []
        for rep in 0 ..< warmup + repetitions {
            var stepTime = 0.0
            let t0 = DispatchTime.now().uptimeNanoseconds
            while !trainer.epochBatchesDone {
                let s0 = DispatchTime.now().uptimeNanoseconds
                _ = try trainer.trainBatch(simulator: sim)
                stepTime += Double(DispatchTime.now().uptimeNanoseconds - s0) / 1e9
            }
            let m = try trainer.finishEpoch(simulator: sim)
            // What the command writes after every epoch: checkpoint, metrics, curves.
            try trainer.checkpoint().save(to: folder + "/checkpoint.safetensors")
            try ClassificationRunner.writeMetrics(trainer.state.history, to: folder + "/metrics.csv")
            try ClassificationPictures(folder: folder, name: "bench").curves(trainer.state.history)
            let t1 = DispatchTime.now().uptimeNanoseconds
            if rep >= warmup {
                epochs.append(Double(t1 - t0) / 1e9)
                steps.append(stepTime)
            }
            if rep == 0 { rates = m.trainRates }
        }
        let med = median(epochs)
        return BenchmarkResult(median_s: med, min_s: epochs.min()!, max_s: epochs.max()!, forward_median_s: nil,
                               backward_median_s: nil, update_median_s: nil, epoch_s: med, forward_samples_per_s: nil,
                               peak_rss_mib: peakRSSMiB(), batch: 32, rates_hz: rates, runs: epochs.count,
                               train_step_median_s: median(steps))
    }
}
