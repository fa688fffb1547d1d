import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine
import Foundation

/// The metrics of one classification epoch.
public struct ClassificationEpochMetrics: Codable, Equatable, Sendable {
    /// The epoch, 1-based.
    public var epoch: Int
    /// Running mean of the training batches' loss and accuracy (noise on, weights changing during the epoch).
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var validation: ClassificationExperiment.Evaluation
    public var test: ClassificationExperiment.Evaluation
    /// Mean firing rate (Hz) of every spiking layer during the epoch's training.
    public var trainRates: [Double]
    /// Fano factor of every spiking layer on one test sample over `fanoTrials` trials (nil when not measured or
    /// undefined).
    public var fano: [Double?]
    /// Seconds spent on the epoch's training batches (not counting evaluation).
    public var trainingSeconds: Double
    /// Seconds spent on evaluation and monitors.
    public var evaluationSeconds: Double
}

/// Where a run stands: enough, with the weights and the optimizer state, to continue bit-identically.
public struct ClassificationTrainingState: Codable, Equatable, Sendable {
    /// Completed epochs.
    public var epoch = 0
    /// Completed batches of the current epoch.
    public var batch = 0
    /// Running sums of the current epoch.
    public var lossSum = 0.0
    public var correct = 0
    public var seen = 0
    public var spikeCounts: [Int] = []
    public var trainingSeconds = 0.0
    /// Metrics of every completed epoch.
    public var history: [ClassificationEpochMetrics] = []

    public init() {}
}

/// Trains a `ClassificationExperiment` batch by batch on the engine's general `Trainer` (same batches, noise
/// addressing and evaluation, so the results are those of the trainer for the experiment's network, loss and data);
/// `checkpoint(metadata:)` captures the whole state, and `init(experiment:checkpoint:)` continues from it exactly
/// (the same shuffles, the same noise, the same weights as an uninterrupted run). The Fano factor is measured by
/// the experiment (`ClassificationExperiment.fano`, for either variant) when due.
public struct ClassificationTrainer: Sendable {
    /// Metadata keys of a classification checkpoint.
    public enum MetadataKey {
        public static let experiment = "experiment"
        public static let configuration = "classification.configuration"
        public static let state = "classification.state"
        public static let variant = "classification.variant"
        public static let classes = "classification.classes"
    }

    public let experiment: ClassificationExperiment
    /// The general trainer doing the work (Fano factor off: the experiment measures it).
    public private(set) var trainer: Trainer
    /// The classification metrics of every completed epoch.
    private var history: [ClassificationEpochMetrics] = []

    public var parameters: NetworkParameters { trainer.parameters }
    public var optimizer: any Optimizer { trainer.optimizer }

    /// Where the run stands, with the metrics history.
    public var state: ClassificationTrainingState {
        var s = ClassificationTrainingState()
        let p = trainer.position
        s.epoch = p.epoch
        s.batch = p.batch
        s.lossSum = p.lossSum
        s.correct = p.correct
        s.seen = p.seen
        s.spikeCounts = p.spikeCounts
        s.trainingSeconds = p.trainingSeconds
        s.history = history
        return s
    }

    /// The experiment's training, validation and test sets as engine data sets.
    static func datasets(_ e: ClassificationExperiment) throws -> (SpikeTrainDataset, SpikeTrainDataset, SpikeTrainDataset) {
        func set(_ d: ClassificationData) throws -> SpikeTrainDataset {
            try SpikeTrainDataset(samples: d.samples, labels: d.labels, steps: d.steps, units: d.units, dt: d.dt, classNames: d.classNames)
        }
        return (try set(e.training), try set(e.validation), try set(e.test))
    }

    /// The trainer configuration of the experiment's configuration.
    static func trainerConfiguration(_ c: ClassificationExperiment.Configuration) -> TrainerConfiguration {
        TrainerConfiguration(epochs: c.epochs, batchSize: c.batchSize, evaluationBatchSize: c.evaluationBatchSize, seed: c.seed,
                             shuffle: true, fanoTrials: 0)
    }

    /// A fresh run from the initial weights.
    public init(experiment: ClassificationExperiment, threads: Int? = nil) throws {
        self.experiment = experiment
        let c = experiment.configuration
        let (train, valid, test) = try Self.datasets(experiment)
        trainer = try Trainer(network: experiment.description, parameters: experiment.initialParameters(), loss: c.loss,
                              optimizer: c.makeOptimizer(), training: train, validation: valid, test: test,
                              configuration: Self.trainerConfiguration(c), threads: threads)
    }

    /// Continues the run saved in `checkpoint`.
    /// - Throws: `SpikeKitError.invalidConfiguration` when the checkpoint holds another network, seed,
    ///   configuration or no training state.
    public init(experiment: ClassificationExperiment, checkpoint: Checkpoint, threads: Int? = nil) throws {
        guard checkpoint.model == experiment.description else {
            throw SpikeKitError.invalidConfiguration("the checkpoint holds another network than the one these options describe")
        }
        guard checkpoint.seed == experiment.configuration.seed else {
            throw SpikeKitError.invalidConfiguration("the checkpoint was written with seed \(checkpoint.seed), not \(experiment.configuration.seed)")
        }
        let saved = try Self.configuration(of: checkpoint)
        var mine = experiment.configuration, theirs = saved
        mine.epochs = 0; theirs.epochs = 0
        guard mine == theirs else {
            throw SpikeKitError.invalidConfiguration("the checkpoint was written with other training options (only --epochs may change on resume)")
        }
        guard let s = checkpoint.metadata[MetadataKey.state] else {
            throw SpikeKitError.invalidConfiguration("the checkpoint has no classification training state")
        }
        let state = try Self.decoder.decode(ClassificationTrainingState.self, from: Data(s.utf8))
        let c = experiment.configuration
        let (train, valid, test) = try Self.datasets(experiment)
        var t = try Trainer(network: experiment.description, parameters: checkpoint.parameters, loss: c.loss,
                            optimizer: checkpoint.restoredOptimizer() ?? c.makeOptimizer(), training: train, validation: valid,
                            test: test, configuration: Self.trainerConfiguration(c), threads: threads)
        guard state.spikeCounts.count == experiment.architecture.layers.count, state.batch <= experiment.batchesPerEpoch else {
            throw SpikeKitError.invalidConfiguration("the checkpoint's training state does not fit this experiment")
        }
        var p = TrainingPosition()
        p.epoch = state.epoch
        p.batch = state.batch
        p.lossSum = state.lossSum
        p.correct = state.correct
        p.seen = state.seen
        p.spikeCounts = state.spikeCounts
        p.trainingSeconds = state.trainingSeconds
        t.restore(position: p, history: state.history.map(Self.engineMetrics))
        self.experiment = experiment
        trainer = t
        history = state.history
    }

    /// The configuration saved in a classification checkpoint.
    public static func configuration(of checkpoint: Checkpoint) throws -> ClassificationExperiment.Configuration {
        guard let c = checkpoint.metadata[MetadataKey.configuration] else {
            throw SpikeKitError.invalidConfiguration("not a classification checkpoint (no '\(MetadataKey.configuration)')")
        }
        return try decoder.decode(ClassificationExperiment.Configuration.self, from: Data(c.utf8))
    }

    /// The training state saved in a classification checkpoint.
    public static func state(of checkpoint: Checkpoint) throws -> ClassificationTrainingState {
        guard let s = checkpoint.metadata[MetadataKey.state] else {
            throw SpikeKitError.invalidConfiguration("not a classification checkpoint (no '\(MetadataKey.state)')")
        }
        return try decoder.decode(ClassificationTrainingState.self, from: Data(s.utf8))
    }

    static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    static var decoder: JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }

    /// Whether every epoch of the configuration is done.
    public var isFinished: Bool { trainer.isFinished }

    /// Whether the current epoch's batches are done (its evaluation, `finishEpoch`, is next).
    public var epochBatchesDone: Bool { trainer.epochBatchesDone }

    /// Trains the next batch of the current epoch: forward, BPTT, optimizer step; returns the batch's loss and
    /// accuracy. `simulator` runs it (any thread count gives the same result).
    public mutating func trainBatch(simulator: Simulator) throws -> (loss: Double, accuracy: Double) {
        precondition(!isFinished && !epochBatchesDone, "no batch left in this epoch")
        trainer.use(simulator)
        let r = try trainer.trainBatch()
        return (r.loss, r.accuracy ?? .nan)
    }

    /// Ends the current epoch: evaluates validation and test (noise on), the firing rates and (when due) the Fano
    /// factors, appends the metrics to the history and moves to the next epoch.
    @discardableResult
    public mutating func finishEpoch(simulator: Simulator) throws -> ClassificationEpochMetrics {
        precondition(epochBatchesDone, "the epoch's batches are not done")
        let e = experiment, c = e.configuration
        trainer.use(simulator)
        let m = try trainer.finishEpoch()
        let start = Date()
        let due = e.stochastic && c.fanoTrials >= 2 && ((c.fanoEvery > 0 && m.epoch % c.fanoEvery == 0) || m.epoch == c.epochs)
        var fano: [Double?] = Array(repeating: nil, count: e.architecture.layers.filter(\.isSpiking).count)
        if due, let f = try? e.fano(trainer.parameters, simulator: simulator) { fano = f.fano }
        let empty = ClassificationExperiment.Evaluation(loss: .nan, accuracy: .nan, rates: [], samples: 0)
        func evaluation(_ v: Evaluation?) -> ClassificationExperiment.Evaluation {
            v.map { .init(loss: $0.loss, accuracy: $0.accuracy ?? .nan, rates: $0.rates, samples: $0.samples) } ?? empty
        }
        let metrics = ClassificationEpochMetrics(
            epoch: m.epoch, trainLoss: m.trainLoss, trainAccuracy: m.trainAccuracy ?? .nan, validation: evaluation(m.validation),
            test: evaluation(m.test), trainRates: m.trainRates, fano: fano, trainingSeconds: m.trainingSeconds,
            evaluationSeconds: m.evaluationSeconds + Date().timeIntervalSince(start))
        history.append(metrics)
        return metrics
    }

    /// The engine's form of a classification epoch's metrics.
    static func engineMetrics(_ m: ClassificationEpochMetrics) -> EpochMetrics {
        func evaluation(_ v: ClassificationExperiment.Evaluation) -> Evaluation? {
            v.samples == 0 ? nil : Evaluation(loss: v.loss, accuracy: v.accuracy, rates: v.rates, samples: v.samples)
        }
        return EpochMetrics(epoch: m.epoch, trainLoss: m.trainLoss, trainAccuracy: m.trainAccuracy, trainRates: m.trainRates,
                            validation: evaluation(m.validation), test: evaluation(m.test), fano: m.fano,
                            trainingSeconds: m.trainingSeconds, evaluationSeconds: m.evaluationSeconds)
    }

    /// The run's state as a checkpoint: weights, optimizer and its state, seed, completed epochs, and in the
    /// metadata the configuration, the training state (with the metrics history), the variant, the loss and the
    /// learning rate of every layer (`trainer.loss`, `trainer.learning_rates`), plus `extra`.
    public func checkpoint(metadata extra: [String: String] = [:]) throws -> Checkpoint {
        var meta = extra
        meta[MetadataKey.experiment] = "classification"
        meta[MetadataKey.configuration] = String(decoding: try Self.encoder.encode(experiment.configuration), as: UTF8.self)
        meta[MetadataKey.state] = String(decoding: try Self.encoder.encode(state), as: UTF8.self)
        meta[MetadataKey.variant] = experiment.stochastic ? "stoch" : "det"
        meta[MetadataKey.classes] = String(experiment.classes)
        meta[Trainer.MetadataKey.loss] = String(decoding: try Self.encoder.encode(trainer.loss), as: UTF8.self)
        meta[Trainer.MetadataKey.learningRates] = String(decoding: try Self.encoder.encode(trainer.layerLearningRates), as: UTF8.self)
        return Checkpoint(model: experiment.description, parameters: parameters, optimizer: optimizer,
                          seed: experiment.configuration.seed, epoch: state.epoch, metadata: meta)
    }
}
