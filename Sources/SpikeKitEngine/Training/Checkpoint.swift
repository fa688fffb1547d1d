import SpikeKitFormats
import SpikeKitKernels
import Foundation

/// A training run's state in one safetensors file: the model description, the weights, the optimizer and its
/// state, the seed, the epoch and free-form metadata, enough to evaluate the network or to continue training
/// exactly where it stopped.
///
/// File layout (see docs/Training.md):
/// - tensors `layer<i>.weight` and `layer<i>.recurrent` (Float32, PyTorch layout: dense `(out, in)`, conv
///   `(out_channels, in_channels, kernel)`), and the optimizer state `optimizer.<state name>` (for example
///   `optimizer.layer0.weight.g2`, `optimizer.step`);
/// - `__metadata__` strings: `spikekit.format` = `"checkpoint-1"`, `spikekit.model` = the `NetworkDescription` as
///   JSON, `spikekit.optimizer` = the `OptimizerConfiguration` as JSON (absent without an optimizer),
///   `spikekit.seed` and `spikekit.epoch` as decimal integers, `spikekit.metadata` = a JSON object of the
///   free-form strings.
public struct Checkpoint: Equatable, Sendable {
    /// The value of `spikekit.format` this version writes and reads.
    public static let formatVersion = "checkpoint-1"

    /// The model description.
    public var model: NetworkDescription
    /// The weights.
    public var parameters: NetworkParameters
    /// The optimizer's kind and hyperparameters, if the run used one.
    public var optimizer: OptimizerConfiguration?
    /// The optimizer's state tensors (`Optimizer.state`), without the `optimizer.` prefix.
    public var optimizerState: [String: Tensor]
    /// The run's seed.
    public var seed: UInt64
    /// The number of completed epochs.
    public var epoch: Int
    /// Free-form strings (data set, command line, git commit, metrics ...).
    public var metadata: [String: String]

    /// A checkpoint from its parts.
    public init(model: NetworkDescription, parameters: NetworkParameters, optimizer: OptimizerConfiguration? = nil,
                optimizerState: [String: Tensor] = [:], seed: UInt64, epoch: Int, metadata: [String: String] = [:]) {
        self.model = model
        self.parameters = parameters
        self.optimizer = optimizer
        self.optimizerState = optimizerState
        self.seed = seed
        self.epoch = epoch
        self.metadata = metadata
    }

    /// A checkpoint of a run that uses `optimizer` (its configuration and current state are saved).
    public init(model: NetworkDescription, parameters: NetworkParameters, optimizer: some Optimizer, seed: UInt64,
                epoch: Int, metadata: [String: String] = [:]) {
        self.init(model: model, parameters: parameters, optimizer: optimizer.configuration,
                  optimizerState: optimizer.state, seed: seed, epoch: epoch, metadata: metadata)
    }

    /// A fresh optimizer of the saved kind with the saved state restored, ready to continue training; nil when the
    /// checkpoint has no optimizer.
    /// - Throws: `SpikeKitError.shapeMismatch` when the state does not fit the parameters.
    public func restoredOptimizer() throws -> (any Optimizer)? {
        guard let optimizer else { return nil }
        var opt = optimizer.makeOptimizer()
        try opt.restoreState(optimizerState, for: parameters)
        return opt
    }

    /// The safetensors metadata keys.
    public enum MetadataKey {
        /// The format version, `"checkpoint-1"`.
        public static let format = "spikekit.format"
        /// The `NetworkDescription` as JSON (the schema of the verification cases).
        public static let model = "spikekit.model"
        /// The `OptimizerConfiguration` as JSON; absent when the checkpoint has no optimizer.
        public static let optimizer = "spikekit.optimizer"
        /// The seed, a decimal unsigned 64-bit integer.
        public static let seed = "spikekit.seed"
        /// The number of completed epochs, a decimal integer.
        public static let epoch = "spikekit.epoch"
        /// The free-form metadata, a JSON object of strings.
        public static let metadata = "spikekit.metadata"
    }

    /// The prefix of optimizer state tensor names in the file.
    public static let optimizerPrefix = "optimizer."

    /// Writes the checkpoint to `path` atomically (an interrupted save leaves the previous file intact).
    /// - Throws: `SpikeKitError.io` when the file cannot be written.
    public func save(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func json(_ v: some Encodable) throws -> String {
            String(decoding: try encoder.encode(v), as: UTF8.self)
        }
        var meta: [String: String] = [
            MetadataKey.format: Self.formatVersion,
            MetadataKey.model: try json(model),
            MetadataKey.seed: String(seed),
            MetadataKey.epoch: String(epoch),
            MetadataKey.metadata: try json(metadata),
        ]
        if let optimizer { meta[MetadataKey.optimizer] = try json(optimizer) }
        var tensors = parameters.named.map { ($0.name, $0.tensor) }
        tensors += optimizerState.sorted { $0.key < $1.key }.map { (Self.optimizerPrefix + $0.key, $0.value) }
        try Safetensors.write(tensors: tensors, metadata: meta, to: path)
    }

    /// Reads a checkpoint written by `save(to:)`.
    /// - Throws: `SpikeKitError.io` when the file cannot be read, `SpikeKitError.malformedFile` naming the file
    ///   when it is not a valid safetensors file, lacks a key, holds an invalid model, misses or has misshapen
    ///   weights, holds unknown tensors, or optimizer state that does not fit the weights.
    public static func load(path: String) throws -> Checkpoint {
        try decode(AtomicFile.read(path), path: path)
    }

    /// Parses a checkpoint held in memory; `path` names it in error messages.
    public static func decode(_ data: Data, path: String) throws -> Checkpoint {
        let file = try Safetensors.decode(data, path: path)
        let meta = file.metadata
        var tensors: [String: Tensor] = [:]
        for (name, t) in file.tensors { tensors[name] = t }
        func bad(_ m: String) -> SpikeKitError { .malformedFile(path: path, message: "checkpoint: \(m)") }
        func value(_ key: String) throws -> String {
            guard let v = meta[key] else { throw bad("metadata key '\(key)' is missing (not a SpikeKit checkpoint?)") }
            return v
        }
        func decode<T: Decodable>(_ type: T.Type, _ key: String) throws -> T {
            do {
                return try JSONDecoder().decode(T.self, from: Data(try value(key).utf8))
            } catch let e as SpikeKitError {
                throw e
            } catch {
                throw bad("metadata '\(key)' is not a valid \(T.self) (\(error))")
            }
        }
        let format = try value(MetadataKey.format)
        guard format == formatVersion else { throw bad("format '\(format)' is not '\(formatVersion)'") }
        let model = try decode(NetworkDescription.self, MetadataKey.model)
        let architecture: NetworkArchitecture
        do {
            architecture = try NetworkArchitecture(model)
        } catch {
            throw bad("the model description is invalid: \(error)")
        }
        guard let seed = UInt64(try value(MetadataKey.seed)) else { throw bad("spikekit.seed is not an unsigned integer") }
        guard let epoch = Int(try value(MetadataKey.epoch)), epoch >= 0 else {
            throw bad("spikekit.epoch is not a non-negative integer")
        }
        let metadata = try decode([String: String].self, MetadataKey.metadata)
        let optimizer = meta[MetadataKey.optimizer] == nil ? nil : try decode(OptimizerConfiguration.self, MetadataKey.optimizer)

        var used = Set<String>()
        func take(_ name: String, shape: [Int]) throws -> Tensor {
            guard let t = tensors[name] else { throw bad("tensor '\(name)' is missing") }
            guard t.shape == shape else { throw bad("tensor '\(name)' has shape \(t.shape), the model needs \(shape)") }
            used.insert(name)
            return t
        }
        var feedForward: [Tensor] = []
        var recurrent: [Tensor?] = []
        var biases: [Tensor?] = [], logTauMem: [Tensor?] = [], logTauSyn: [Tensor?] = [], thresholds: [Tensor?] = []
        for (i, l) in architecture.layers.enumerated() {
            feedForward.append(try take("layer\(i).weight", shape: l.feedForward.weightShape))
            recurrent.append(try l.recurrent.map { try take("layer\(i).recurrent", shape: $0.weightShape) })
            biases.append(l.hasBias ? try take("layer\(i).bias", shape: l.biasShape) : nil)
            logTauMem.append(l.learnsTauMem ? try take("layer\(i).log_tau_mem", shape: l.biasShape) : nil)
            logTauSyn.append(l.learnsTauSyn ? try take("layer\(i).log_tau_syn", shape: l.biasShape) : nil)
            thresholds.append(l.learnsThreshold ? try take("layer\(i).threshold", shape: l.biasShape) : nil)
        }
        var state: [String: Tensor] = [:]
        for (name, t) in tensors where name.hasPrefix(optimizerPrefix) {
            state[String(name.dropFirst(optimizerPrefix.count))] = t
            used.insert(name)
        }
        let unknown = Set(tensors.keys).subtracting(used)
        guard unknown.isEmpty else { throw bad("unexpected tensors \(unknown.sorted().joined(separator: ", "))") }
        let checkpoint = Checkpoint(model: model, parameters: NetworkParameters(feedForward: feedForward, recurrent: recurrent, biases: biases,
                                                                           logTauMem: logTauMem, logTauSyn: logTauSyn, thresholds: thresholds),
                                    optimizer: optimizer, optimizerState: state, seed: seed, epoch: epoch, metadata: metadata)
        if optimizer == nil, !state.isEmpty { throw bad("optimizer state without a 'spikekit.optimizer' configuration") }
        do {
            _ = try checkpoint.restoredOptimizer()
        } catch {
            throw bad("the optimizer state does not fit the weights: \(error)")
        }
        return checkpoint
    }
}
