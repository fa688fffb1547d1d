import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine
/// Training runs of spike-train matching with checkpoints: a run can stop after any checkpoint and resume from it
/// with exactly the result of an uninterrupted run (the input is regenerated from the seed and the noise of each
/// epoch is addressed by the epoch number).
extension SpikeTrainMatching {
    /// Everything a run carries from epoch to epoch.
    public struct TrainingState: Sendable {
        public var parameters: NetworkParameters
        public var optimizer: any Optimizer
        /// Epochs completed.
        public var epoch: Int
        /// Metrics of every completed epoch.
        public var history: [EpochMetrics]
    }

    /// The state before the first epoch.
    public func initialState() throws -> TrainingState {
        TrainingState(parameters: try initialParameters(), optimizer: GradientDescent(learningRate: Float(configuration.learningRate)),
                      epoch: 0, history: [])
    }

    /// The learning rate of each layer (hidden, output): BPTT's `hiddenLearningRate` (else `learningRate`) and
    /// `learningRate`, or the online rule's two rates.
    public var layerLearningRates: [Double] {
        switch configuration.rule {
        case .bptt: return [configuration.hiddenLearningRate ?? configuration.learningRate, configuration.learningRate]
        case .online: return [configuration.onlineHiddenLearningRate, configuration.onlineOutputLearningRate]
        }
    }

    /// The checkpoint of a state: model, weights, optimizer state, seed, epoch, and the configuration, history, loss
    /// (`trainer.loss`) and per-layer learning rates (`trainer.learning_rates`) as JSON metadata.
    public func checkpoint(_ state: TrainingState) throws -> Checkpoint {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]  // the same bytes for the same state, in any process
        return Checkpoint(
            model: description, parameters: state.parameters, optimizer: state.optimizer, seed: configuration.seed,
            epoch: state.epoch,
            metadata: ["experiment": "spike-train-matching", "variant": stochastic ? "stoch" : "det",
                       "configuration": String(decoding: try encoder.encode(configuration), as: UTF8.self),
                       "history": String(decoding: try encoder.encode(state.history), as: UTF8.self),
                       Trainer.MetadataKey.loss: String(decoding: try encoder.encode(LossFunction.l2Spikes), as: UTF8.self),
                       Trainer.MetadataKey.learningRates: String(decoding: try encoder.encode(layerLearningRates), as: UTF8.self)])
    }

    /// The state saved in a checkpoint of this experiment.
    /// - Throws: `SpikeKitError.invalidConfiguration` when the checkpoint belongs to another network, variant,
    ///   seed or configuration; the checkpoint reader's errors for a damaged file.
    public func resume(from path: String) throws -> TrainingState {
        let ck = try Checkpoint.load(path: path)
        func bad(_ m: String) -> SpikeKitError { .invalidConfiguration("\(path): \(m)") }
        guard ck.metadata["experiment"] == "spike-train-matching" else { throw bad("not a spike-train-matching checkpoint") }
        guard ck.metadata["variant"] == (stochastic ? "stoch" : "det") else {
            throw bad("holds the \(ck.metadata["variant"] ?? "?") network, not the \(stochastic ? "stoch" : "det") one")
        }
        guard ck.model == description else { throw bad("holds another network than these options describe") }
        guard ck.seed == configuration.seed else { throw bad("was written with seed \(ck.seed), not \(configuration.seed)") }
        if let c = ck.metadata["configuration"], let saved = try? JSONDecoder().decode(Configuration.self, from: Data(c.utf8)) {
            var a = saved, b = configuration
            a.epochs = 0
            b.epochs = 0
            a.statisticsEvery = b.statisticsEvery  // measurement only: training is the same
            guard a == b else { throw bad("was written with other training options") }
        }
        var history: [EpochMetrics] = []
        if let h = ck.metadata["history"] {
            do { history = try JSONDecoder().decode([EpochMetrics].self, from: Data(h.utf8)) } catch {
                throw bad("its metrics history is not readable")
            }
        }
        guard history.count == ck.epoch else { throw bad("its history has \(history.count) epochs, the checkpoint says \(ck.epoch)") }
        let optimizer = try ck.restoredOptimizer() ?? GradientDescent(learningRate: Float(configuration.learningRate))
        return TrainingState(parameters: ck.parameters, optimizer: optimizer, epoch: ck.epoch, history: history)
    }

    /// Trains from `state.epoch` up to `epochs`, writing a checkpoint to `checkpointPath` (when given) every
    /// `checkpointEvery` epochs, whenever `checkpointSeconds` (when given) have passed since the last one, and at
    /// the end. `onEpoch` sees each epoch's metrics. When a checkpoint is written does not change the result: a
    /// run resumed from any of them ends with the same weights as an uninterrupted one.
    public func train(_ state: inout TrainingState, until epochs: Int, simulator: Simulator, checkpointEvery: Int = 100,
                      checkpointSeconds: Double? = nil, checkpointPath: String? = nil,
                      onEpoch: (EpochMetrics) -> Void = { _ in }) throws {
        guard checkpointEvery >= 1 else { throw SpikeKitError.invalidConfiguration("checkpointEvery must be at least 1") }
        if let checkpointSeconds, !(checkpointSeconds > 0) {
            throw SpikeKitError.invalidConfiguration("checkpointSeconds must be positive")
        }
        var lastSave = ContinuousClock.now
        while state.epoch < epochs {
            let (m, _) = try trainEpoch(state.epoch, simulator: simulator, parameters: &state.parameters, optimizer: &state.optimizer)
            state.history.append(m)
            state.epoch += 1
            onEpoch(m)
            guard let checkpointPath else { continue }
            let due = checkpointSeconds.map { lastSave.duration(to: .now) >= .seconds($0) } ?? false
            if due || state.epoch % checkpointEvery == 0 || state.epoch == epochs {
                try checkpoint(state).save(to: checkpointPath)
                lastSave = .now
            }
        }
    }
}

import Foundation
