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

/// Trains a `ClassificationExperiment` batch by batch; `checkpoint(metadata:)` captures the whole state, and
/// `init(experiment:checkpoint:)` continues from it exactly (the same shuffles, the same noise, the same weights as
/// an uninterrupted run).
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
    public private(set) var parameters: NetworkParameters
    public private(set) var optimizer: any Optimizer
    public private(set) var state: ClassificationTrainingState
    private var order: (epoch: Int, indices: [Int])?

    /// A fresh run from the initial weights.
    public init(experiment: ClassificationExperiment) throws {
        self.experiment = experiment
        parameters = try experiment.initialParameters()
        optimizer = experiment.configuration.makeOptimizer()
        state = ClassificationTrainingState()
        state.spikeCounts = Array(repeating: 0, count: experiment.architecture.layers.count)
    }

    /// Continues the run saved in `checkpoint`.
    /// - Throws: `SpikeKitError.invalidConfiguration` when the checkpoint holds another network, seed,
    ///   configuration or no training state.
    public init(experiment: ClassificationExperiment, checkpoint: Checkpoint) throws {
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
        self.experiment = experiment
        parameters = checkpoint.parameters
        optimizer = try checkpoint.restoredOptimizer() ?? experiment.configuration.makeOptimizer()
        state = try Self.decoder.decode(ClassificationTrainingState.self, from: Data(s.utf8))
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
    public var isFinished: Bool { state.epoch >= experiment.configuration.epochs }

    /// Whether the current epoch's batches are done (its evaluation, `finishEpoch`, is next).
    public var epochBatchesDone: Bool { state.batch >= experiment.batchesPerEpoch }

    /// Trains the next batch of the current epoch: forward, BPTT, optimizer step; returns the batch's loss and
    /// accuracy.
    public mutating func trainBatch(simulator: Simulator) throws -> (loss: Double, accuracy: Double) {
        let e = experiment, c = e.configuration
        precondition(!isFinished && !epochBatchesDone, "no batch left in this epoch")
        let start = Date()
        if order?.epoch != state.epoch { order = (state.epoch, e.trainingOrder(epoch: state.epoch)) }
        let b = state.batch
        let idx = Array(order!.indices[b * c.batchSize ..< min(e.training.count, (b + 1) * c.batchSize)])
        let labels = idx.map { e.training.labels[$0] }
        let iteration = UInt32(truncatingIfNeeded: state.epoch * e.batchesPerEpoch + b)
        try simulator.load(parameters)
        let r = try simulator.run(inputs: idx.map { e.training.samples[$0] }, loss: c.loss, targets: .labels(labels),
                                  noise: .philox(seed: c.seed, iteration: iteration), gradients: true, recordOutput: true)
        optimizer.step(parameters: &parameters, gradients: r.gradients!)
        let correct = zip(ClassificationExperiment.predictions(output: r.output!), labels).filter { $0 == $1 }.count
        state.lossSum += r.sampleLosses.reduce(0, +)
        state.correct += correct
        state.seen += idx.count
        for (l, k) in r.spikeCounts.enumerated() { state.spikeCounts[l] += k }
        state.batch += 1
        state.trainingSeconds += Date().timeIntervalSince(start)
        return (r.loss, Double(correct) / Double(idx.count))
    }

    /// Ends the current epoch: evaluates validation and test (noise on), the firing rates and (when due) the Fano
    /// factors, appends the metrics to the history and moves to the next epoch.
    @discardableResult
    public mutating func finishEpoch(simulator: Simulator) throws -> ClassificationEpochMetrics {
        precondition(epochBatchesDone, "the epoch's batches are not done")
        let e = experiment, c = e.configuration
        let start = Date()
        let valid = try e.evaluate(parameters, on: e.validation, simulator: simulator)
        let test = try e.evaluate(parameters, on: e.test, simulator: simulator)
        let epoch = state.epoch + 1
        let due = e.stochastic && c.fanoTrials >= 2 && ((c.fanoEvery > 0 && epoch % c.fanoEvery == 0) || epoch == c.epochs)
        var fano: [Double?] = Array(repeating: nil, count: e.architecture.layers.filter(\.isSpiking).count)
        if due, let f = try? e.fano(parameters, simulator: simulator) { fano = f.fano }
        let m = ClassificationEpochMetrics(
            epoch: epoch, trainLoss: state.lossSum / Double(max(state.seen, 1)),
            trainAccuracy: Double(state.correct) / Double(max(state.seen, 1)), validation: valid, test: test,
            trainRates: e.rates(spikeCounts: state.spikeCounts, samples: state.seen), fano: fano,
            trainingSeconds: state.trainingSeconds, evaluationSeconds: Date().timeIntervalSince(start))
        state.history.append(m)
        state.epoch = epoch
        state.batch = 0
        state.lossSum = 0
        state.correct = 0
        state.seen = 0
        state.spikeCounts = Array(repeating: 0, count: e.architecture.layers.count)
        state.trainingSeconds = 0
        return m
    }

    /// The run's state as a checkpoint: weights, optimizer and its state, seed, completed epochs, and in the
    /// metadata the configuration, the training state (with the metrics history) and the variant, plus `extra`.
    public func checkpoint(metadata extra: [String: String] = [:]) throws -> Checkpoint {
        var meta = extra
        meta[MetadataKey.experiment] = "classification"
        meta[MetadataKey.configuration] = String(decoding: try Self.encoder.encode(experiment.configuration), as: UTF8.self)
        meta[MetadataKey.state] = String(decoding: try Self.encoder.encode(state), as: UTF8.self)
        meta[MetadataKey.variant] = experiment.stochastic ? "stoch" : "det"
        meta[MetadataKey.classes] = String(experiment.classes)
        return Checkpoint(model: experiment.description, parameters: parameters, optimizer: optimizer,
                          seed: experiment.configuration.seed, epoch: state.epoch, metadata: meta)
    }
}
