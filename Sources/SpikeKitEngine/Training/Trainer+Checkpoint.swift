import SpikeKitFormats
import SpikeKitKernels
import Foundation

/// A trainer's checkpoint: the `Checkpoint` file (model, weights, optimizer and its state, seed, completed epochs)
/// with these free-form metadata entries (each a JSON string; see docs/Training.md):
///
/// | key | value |
/// |---|---|
/// | `trainer.format` | `trainer-1` |
/// | `trainer.loss` | the loss, `{"kind": "cross-entropy", "regularizer": {...}}` or `{"kind": "l2-spikes"}` |
/// | `trainer.learning_rates` | the learning rate of every layer, η · factor, `[0.01, 0.01]` |
/// | `trainer.configuration` | the `TrainerConfiguration` |
/// | `trainer.position` | the `TrainingPosition` (epoch, batch, running sums of the current epoch) |
/// | `trainer.history` | the metrics of every completed epoch, column-wise (`TrainingHistory`) |
extension Trainer {
    /// Metadata keys of a trainer checkpoint.
    public enum MetadataKey {
        public static let format = "trainer.format"
        public static let loss = "trainer.loss"
        public static let learningRates = "trainer.learning_rates"
        public static let configuration = "trainer.configuration"
        public static let position = "trainer.position"
        public static let history = "trainer.history"
    }

    /// The value of `trainer.format` this version writes and reads.
    public static let checkpointFormat = "trainer-1"

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

    /// The run's state as a checkpoint, with `extra` metadata added (data set, command line ...).
    public func checkpoint(metadata extra: [String: String] = [:]) throws -> Checkpoint {
        func json(_ v: some Encodable) throws -> String { String(decoding: try Self.encoder.encode(v), as: UTF8.self) }
        var meta = extra
        meta[MetadataKey.format] = Self.checkpointFormat
        meta[MetadataKey.loss] = try json(loss)
        meta[MetadataKey.learningRates] = try json(layerLearningRates)
        meta[MetadataKey.configuration] = try json(configuration)
        meta[MetadataKey.position] = try json(position)
        meta[MetadataKey.history] = try json(TrainingHistory(history))
        return Checkpoint(model: network, parameters: parameters, optimizer: optimizer, seed: configuration.seed,
                          epoch: position.epoch, metadata: meta)
    }

    /// Continues the run saved in `checkpoint` on the same data: the same shuffles, the same noise, the same weights
    /// and optimizer state as the uninterrupted run.
    /// - Parameters:
    ///   - epochs: a new total number of epochs (nil: the saved one). A cosine schedule whose period is the run's
    ///     epochs (`cosineEpochs == nil`) cannot change them: the rates already used would not be the new run's.
    ///   - loss: the loss to continue with instead of the saved one; required for a user loss (`.user`), which a
    ///     checkpoint records by name only. Its name must be the saved loss's.
    /// - Throws: `SpikeKitError.invalidConfiguration` when the checkpoint is not a trainer checkpoint, has no
    ///   optimizer, the data do not fit the network, or `epochs` would change a cosine schedule.
    public init(resuming checkpoint: Checkpoint, training: any Dataset, validation: (any Dataset)? = nil,
                test: (any Dataset)? = nil, epochs: Int? = nil, threads: Int? = nil, loss givenLoss: LossFunction? = nil) throws {
        let meta = checkpoint.metadata
        func bad(_ m: String) -> SpikeKitError { .invalidConfiguration("checkpoint: \(m)") }
        guard meta[MetadataKey.format] == Self.checkpointFormat else {
            throw bad("not a trainer checkpoint (no '\(MetadataKey.format)' = '\(Self.checkpointFormat)')")
        }
        func decode<T: Decodable>(_ type: T.Type, _ key: String) throws -> T {
            guard let s = meta[key] else { throw bad("'\(key)' is missing") }
            do { return try Self.decoder.decode(T.self, from: Data(s.utf8)) } catch { throw bad("'\(key)' is not readable (\(error))") }
        }
        var configuration = try decode(TrainerConfiguration.self, MetadataKey.configuration)
        guard configuration.seed == checkpoint.seed else { throw bad("its configuration's seed differs from spikekit.seed") }
        if let epochs, epochs != configuration.epochs {
            if let s = configuration.learningRateSchedule, s.kind == .cosine, s.cosineEpochs == nil {
                throw bad("its cosine learning-rate schedule spans the run's \(configuration.epochs) epochs; resuming with \(epochs) "
                    + "would change the rates already used (give the schedule a fixed period, cosineEpochs)")
            }
            configuration.epochs = epochs
        }
        let loss: LossFunction
        if let givenLoss {
            struct Named: Decodable { var kind: String; var name: String? }
            let saved = try decode(Named.self, MetadataKey.loss)
            guard (saved.kind == "user" ? saved.name : saved.kind) == givenLoss.name else {
                throw bad("it was trained with the loss '\(saved.name ?? saved.kind)', not '\(givenLoss.name)'")
            }
            loss = givenLoss
        } else {
            loss = try decode(LossFunction.self, MetadataKey.loss)
        }
        let position = try decode(TrainingPosition.self, MetadataKey.position)
        let history = try decode(TrainingHistory.self, MetadataKey.history).metrics()
        guard let optimizer = try checkpoint.restoredOptimizer() else { throw bad("it holds no optimizer") }
        guard history.count == position.epoch, position.epoch == checkpoint.epoch else {
            throw bad("its history has \(history.count) epochs, its position \(position.epoch), spikekit.epoch \(checkpoint.epoch)")
        }
        try self.init(network: checkpoint.model, parameters: checkpoint.parameters, loss: loss, optimizer: optimizer,
                      training: training, validation: validation, test: test, configuration: configuration, threads: threads)
        guard position.spikeCounts.count == architecture.layers.count, position.batch <= schedule.batchesPerEpoch,
              position.seen <= training.count else {
            throw bad("its position (batch \(position.batch), \(position.seen) samples seen) does not fit this training set")
        }
        self.position = position
        self.history = history
    }
}
