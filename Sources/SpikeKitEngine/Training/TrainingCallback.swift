import SpikeKitFormats
import SpikeKitKernels
import Foundation

/// What a callback asks for at the end of an epoch.
public enum TrainingDecision: Sendable, Equatable {
    case proceed
    /// End the run (the reason is recorded in the checkpoint's position, so a resumed run stays finished).
    case stop(reason: String)
}

/// Hooks into `Trainer.fit`: called before the first batch, after every batch, after every epoch's evaluation
/// and at the end. Every method has an empty default.
public protocol TrainingCallback {
    mutating func trainingWillStart(_ trainer: Trainer) throws
    mutating func batchEnded(_ trainer: Trainer, result: BatchResult) throws
    mutating func epochEnded(_ trainer: Trainer, metrics: EpochMetrics) throws -> TrainingDecision
    mutating func trainingEnded(_ trainer: Trainer) throws
}

extension TrainingCallback {
    public mutating func trainingWillStart(_ trainer: Trainer) throws {}
    public mutating func batchEnded(_ trainer: Trainer, result: BatchResult) throws {}
    public mutating func epochEnded(_ trainer: Trainer, metrics: EpochMetrics) throws -> TrainingDecision { .proceed }
    public mutating func trainingEnded(_ trainer: Trainer) throws {}
}

extension Trainer {
    /// Trains until every epoch is done or a callback stops the run; returns the history.
    @discardableResult
    public mutating func fit(callbacks: [any TrainingCallback] = []) throws -> [EpochMetrics] {
        var callbacks = callbacks
        for i in callbacks.indices { try callbacks[i].trainingWillStart(self) }
        while !isFinished {
            if epochBatchesDone {
                let m = try finishEpoch()
                for i in callbacks.indices {
                    if case .stop(let reason) = try callbacks[i].epochEnded(self, metrics: m), position.stopped == nil {
                        stop(reason: reason)
                    }
                }
            } else {
                let r = try trainBatch()
                for i in callbacks.indices { try callbacks[i].batchEnded(self, result: r) }
            }
        }
        for i in callbacks.indices { try callbacks[i].trainingEnded(self) }
        return history
    }
}

/// Shows progress with a `ProgressReporter`: the running loss (and accuracy) of the epoch after every batch, the
/// epoch's validation and test figures at its end. Lines start with `name`.
public struct ProgressCallback: TrainingCallback {
    public var name: String
    public var lineInterval: ProgressReporter.LineInterval
    public var style: ProgressReporter.Style
    private var reporter: ProgressReporter?

    public init(name: String = "train", style: ProgressReporter.Style = .automatic,
                lineInterval: ProgressReporter.LineInterval = .seconds(30)) {
        self.name = name
        self.style = style
        self.lineInterval = lineInterval
    }

    public mutating func trainingWillStart(_ trainer: Trainer) throws {
        reporter = ProgressReporter(totalEpochs: trainer.configuration.epochs, batchesPerEpoch: trainer.schedule.batchesPerEpoch,
                                    style: style, lineInterval: lineInterval)
        reporter!.log("\(name): \(trainer.architecture.layers.count) layers, \(trainer.training.count) training samples, "
            + "\(trainer.schedule.batchesPerEpoch) batches per epoch, loss \(trainer.loss.name), seed \(trainer.configuration.seed)")
    }

    public mutating func batchEnded(_ trainer: Trainer, result: BatchResult) throws {
        let p = trainer.position
        var shown: [(name: String, value: Double)] = [("\(name) \(trainer.loss.name)", p.lossSum / Double(max(p.seen, 1)))]
        if result.accuracy != nil { shown.append(("acc", Double(p.correct) / Double(max(p.seen, 1)))) }
        reporter?.update(epoch: p.epoch + 1, batch: p.batch, metrics: shown)
    }

    public mutating func epochEnded(_ trainer: Trainer, metrics m: EpochMetrics) throws -> TrainingDecision {
        var shown: [(name: String, value: Double)] = [("\(name) \(trainer.loss.name)", m.trainLoss)]
        if let a = m.trainAccuracy { shown.append(("acc", a)) }
        if let v = m.validation { shown.append(("valid \(trainer.loss.name)", v.loss)); if let a = v.accuracy { shown.append(("valid acc", a)) } }
        if let t = m.test { if let a = t.accuracy { shown.append(("test acc", a)) } else { shown.append(("test \(trainer.loss.name)", t.loss)) } }
        if let f = m.fano.last, let f { shown.append(("fano", f)) }
        reporter?.finishEpoch(m.epoch, metrics: shown)
        return .proceed
    }

    public mutating func trainingEnded(_ trainer: Trainer) throws { reporter?.finish() }
}

/// Saves the trainer's checkpoint to `path` (atomically) after every epoch, every `everyBatches` batches and
/// whenever `everySeconds` have passed since the last save, and at the end.
public struct CheckpointCallback: TrainingCallback {
    public var path: String
    public var everyBatches: Int?
    public var everySeconds: Double?
    /// Extra metadata saved with every checkpoint.
    public var metadata: [String: String]
    private var lastSave = Date()

    public init(path: String, everyBatches: Int? = nil, everySeconds: Double? = nil, metadata: [String: String] = [:]) {
        self.path = path
        self.everyBatches = everyBatches
        self.everySeconds = everySeconds
        self.metadata = metadata
    }

    public mutating func trainingWillStart(_ trainer: Trainer) throws { lastSave = Date() }

    public mutating func batchEnded(_ trainer: Trainer, result: BatchResult) throws {
        let byCount = everyBatches.map { $0 > 0 && trainer.position.batch % $0 == 0 } ?? false
        let byTime = everySeconds.map { Date().timeIntervalSince(lastSave) >= $0 } ?? false
        if byCount || byTime { try save(trainer) }
    }

    public mutating func epochEnded(_ trainer: Trainer, metrics: EpochMetrics) throws -> TrainingDecision {
        try save(trainer)
        return .proceed
    }

    public mutating func trainingEnded(_ trainer: Trainer) throws { try save(trainer) }

    private mutating func save(_ trainer: Trainer) throws {
        try trainer.checkpoint(metadata: metadata).save(to: path)
        lastSave = Date()
    }
}

/// Stops the run when the monitored validation figure has not improved by more than `minDelta` for `patience`
/// epochs. It reads the trainer's history and keeps no state of its own, so a resumed run decides the same.
public struct EarlyStopping: TrainingCallback {
    public enum Monitor: String, Sendable, CaseIterable {
        /// Validation loss, lower is better.
        case validationLoss = "valid-loss"
        /// Validation accuracy, higher is better.
        case validationAccuracy = "valid-accuracy"
    }

    public var monitor: Monitor
    public var patience: Int
    public var minDelta: Double

    public init(monitor: Monitor = .validationLoss, patience: Int = 5, minDelta: Double = 0) {
        self.monitor = monitor
        self.patience = patience
        self.minDelta = minDelta
    }

    /// The epoch (1-based) of the best value so far and the epochs since, from a history.
    public func best(in history: [EpochMetrics]) -> (epoch: Int, value: Double, since: Int)? {
        var best: (epoch: Int, value: Double)?
        for m in history {
            let v: Double?
            switch monitor {
            case .validationLoss: v = m.validation.map { -$0.loss }
            case .validationAccuracy: v = m.validation?.accuracy
            }
            guard let v, v.isFinite else { continue }
            if best == nil || v > best!.value + minDelta { best = (m.epoch, v) }
        }
        guard let best, let last = history.last else { return nil }
        return (best.epoch, monitor == .validationLoss ? -best.value : best.value, last.epoch - best.epoch)
    }

    public mutating func epochEnded(_ trainer: Trainer, metrics: EpochMetrics) throws -> TrainingDecision {
        guard patience >= 1, let b = best(in: trainer.history), b.since >= patience else { return .proceed }
        return .stop(reason: "early stopping: \(monitor.rawValue) best \(b.value) at epoch \(b.epoch), no improvement for \(b.since) epochs")
    }
}
