import Foundation
import SpikeKit

/// `randman-rec`: one epoch of stork's Randman example with a recurrent hidden layer
/// (`Examples/models/stork-randman-rec.json`: 20 inputs → 128 recurrent LIF → 10 readouts, 100 steps of 2 ms, stork's
/// timing d = 2, SuperSpike(20)) as `spikekit train` runs it: 8000 Randman training samples in 32 shuffled batches of
/// 250 (forward, BPTT, stork's two activity regularizers, SMORMS3 lr 5e-3), then the evaluation of 1000 validation
/// samples, the work of one epoch of stork's `fit_validate`. "train step" is the whole epoch; "forward" the
/// validation pass; the training part alone is reported as `train_step_median_s`.
extension Benchmarks {
    /// The network of `Examples/models/stork-randman-rec.json` (a test checks that they agree).
    static func storkRandmanRecurrent() throws -> NetworkDescription {
        let spike = try SpikeFunction(escape: .step, surrogate: .superspike(beta: 20))
        return NetworkDescription(dt: 0.002, input: InputDescription(shape: [20]), layers: [
            LayerDescription(kind: .lif, units: 128, tauMem: 0.02, tauSyn: 0.01, reset: .nextStep,
                             recurrent: RecurrentDescription(kind: .dense, delay: 2), spike: spike, delay: 2),
            LayerDescription(kind: .readout, units: 10, tauMem: 0.2, tauSyn: 0.01, initialMem: -0.01, delay: 2),
        ])
    }

    static func randmanEpoch(repetitions: Int, warmup: Int, threads: Int, seed: UInt64) throws -> BenchmarkResult {
        var rc = Randman.Configuration()
        rc.seed = 1
        let all = try RandmanDataset.generate(rc)
        let train = all.subset(Array(0 ..< 8000)), valid = all.subset(Array(8000 ..< 9000))
        let regularizer = ActivityRegularizer(threshold: 4, strength: 0.1, lowerThreshold: 1e-3, lowerStrength: 100)
        let config = TrainerConfiguration(epochs: warmup + repetitions, batchSize: 250, seed: seed,
                                          initialization: FluctuationDrivenInit(sigmaU: 1, nu: 5, readout: .fluctuationDriven))
        var trainer = try Trainer(network: try storkRandmanRecurrent(), loss: .maxOverTimeCrossEntropy(activityRegularizer: regularizer),
                                  optimizer: SMORMS3(learningRate: 5e-3), training: train, validation: valid,
                                  configuration: config, threads: threads)
        var epochs: [Double] = [], trainings: [Double] = [], evaluations: [Double] = []
        var rates: [Double] = []
        for rep in 0 ..< warmup + repetitions {
            let t0 = DispatchTime.now().uptimeNanoseconds
            while !trainer.epochBatchesDone { try trainer.trainBatch() }
            let t1 = DispatchTime.now().uptimeNanoseconds
            let m = try trainer.finishEpoch()
            let t2 = DispatchTime.now().uptimeNanoseconds
            if rep >= warmup {
                epochs.append(Double(t2 - t0) / 1e9)
                trainings.append(Double(t1 - t0) / 1e9)
                evaluations.append(Double(t2 - t1) / 1e9)
            }
            if rep == 0 { rates = m.trainRates }
        }
        let med = median(epochs), eval = median(evaluations)
        return BenchmarkResult(median_s: med, min_s: epochs.min()!, max_s: epochs.max()!, forward_median_s: eval,
                               backward_median_s: nil, update_median_s: nil, epoch_s: med,
                               forward_samples_per_s: Double(valid.count) / eval, peak_rss_mib: peakRSSMiB(), batch: 250,
                               rates_hz: rates, runs: epochs.count, train_step_median_s: median(trainings))
    }
}
