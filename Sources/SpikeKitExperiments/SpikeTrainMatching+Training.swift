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

    /// The checkpoint of a state: model, weights, optimizer state, seed, epoch, and the configuration and history
    /// as JSON metadata.
    public func checkpoint(_ state: TrainingState) throws -> Checkpoint {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]  // the same bytes for the same state, in any process
        return Checkpoint(
            model: description, parameters: state.parameters, optimizer: state.optimizer, seed: configuration.seed,
            epoch: state.epoch,
            metadata: ["experiment": "spike-train-matching", "variant": stochastic ? "stoch" : "det",
                       "configuration": String(decoding: try encoder.encode(configuration), as: UTF8.self),
                       "history": String(decoding: try encoder.encode(state.history), as: UTF8.self)])
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
    /// `checkpointEvery` epochs and at the end. `onEpoch` sees each epoch's metrics.
    public func train(_ state: inout TrainingState, until epochs: Int, simulator: Simulator, checkpointEvery: Int = 100,
                      checkpointPath: String? = nil, onEpoch: (EpochMetrics) -> Void = { _ in }) throws {
        guard checkpointEvery >= 1 else { throw SpikeKitError.invalidConfiguration("checkpointEvery must be at least 1") }
        while state.epoch < epochs {
            let (m, _) = try trainEpoch(state.epoch, simulator: simulator, parameters: &state.parameters, optimizer: &state.optimizer)
            state.history.append(m)
            state.epoch += 1
            onEpoch(m)
            if let checkpointPath, state.epoch % checkpointEvery == 0 || state.epoch == epochs {
                try checkpoint(state).save(to: checkpointPath)
            }
        }
    }
}

import Foundation
