import ArgumentParser
import Foundation
import SpikeKit

/// `spikekit train --model model.json --train a.h5 [--valid b.h5] --test c.h5`: trains any network in a model
/// file on SHD-layout files with the library's `Trainer`.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the network of a model file on SHD-layout files.",
        discussion: """
            The model file is a network description (docs/ModelFormat.md; `spikekit model new` writes one). The files \
            are binned like `classify` bins them: steps of the model's Δt over the window [0, --duration) (default: \
            up to the latest spike of the training file), one input unit per channel (the model's input size; spikes on \
            higher channels are dropped), several spikes of a unit in one bin count once. Without --valid no \
            validation set is used unless --validation-fraction splits one off the training file (seeded). Initial \
            weights: the files the model's `weights` fields name (relative to the model file) when every layer names \
            one, else fluctuation-driven from the seed. Writes metrics.csv, loss.svg, accuracy.svg, rates.svg, \
            checkpoint.safetensors, model.json and summary.txt to --output; --resume continues the checkpoint there.
            """
    )

    @Option(help: "The model file (JSON network description).")
    var model: String
    @Option(help: "Training data: an SHD-layout file (.h5 or .h5.gz).")
    var train: String
    @Option(help: "Validation data (an SHD-layout file).")
    var valid: String?
    @Option(help: "Test data (an SHD-layout file).")
    var test: String
    @Option(parsing: .unconditional, help: "Without --valid: share of the training file held out for validation (default 0).")
    var validationFraction: Double = 0
    @Option(help: "File: window length in seconds (default: up to the latest spike of the training file).")
    var duration: Double?
    @Option(help: "Use at most this many samples of each file.")
    var maxSamples: Int?

    @Option(help: """
        Loss: cross-entropy (of the readout's maximum over time), sum-over-time-ce, mean-membrane-ce, last-step-ce         (readout last), or spike-count-mse (spiking last layer; snnTorch's mse_count_loss).
        """)
    var loss: String = "cross-entropy"
    @Option(parsing: .unconditional, help: "spike-count-mse: target spikes per step of the labelled output neuron (default 0.8).")
    var correctRate: Double?
    @Option(parsing: .unconditional, help: "spike-count-mse: target spikes per step of every other output neuron (default 0.2).")
    var incorrectRate: Double?
    @Option(parsing: .unconditional, help: "Strength of the activity regularizer's upper bound on the population rate (default 0: off).")
    var regularizerStrength: Double = 0
    @Option(parsing: .unconditional, help: "Threshold θ_a of the upper bound, spikes per neuron and sample.")
    var regularizerThreshold: Double = 7
    @Option(parsing: .unconditional, help: "Strength of the per-neuron lower bound (stork's; default 0: off).")
    var lowerRegularizerStrength: Double = 0
    @Option(parsing: .unconditional, help: "Threshold of the per-neuron lower bound, spikes per neuron and sample.")
    var lowerRegularizerThreshold: Double = 1
    @Option(help: "Optimizer: smorms3, adam or gradient-descent.")
    var optimizer: String = "smorms3"
    @Option(name: .customLong("lr"), parsing: .unconditional, help: "Learning rate η.")
    var learningRate: Double = 0.01
    @Option(name: .customLong("lr-scales"), help: "Per-layer factors of η, comma-separated, one per layer (gradient scales).")
    var learningRateScales: String?

    @Option(help: "Training epochs.")
    var epochs: Int = 20
    @Option(name: [.customLong("batch"), .customLong("batch-size")], help: "Samples per training batch.")
    var batchSize: Int = 64
    @Option(help: "Samples per simulation when evaluating (default: the training batch).")
    var evaluationBatchSize: Int?
    @Option(help: "Seed of every random draw (split, weights, shuffles, noise).")
    var seed: UInt64 = 1
    @Flag(help: "Train in file order instead of shuffling every epoch.")
    var noShuffle = false
    @Option(parsing: .unconditional, help: "σ_u of the fluctuation-driven initialization: one value, or one per layer comma-separated (1,1,0.5).")
    var sigmaU: String = "1"
    @Option(parsing: .unconditional, help: "ν (Hz) of the fluctuation-driven initialization (the presynaptic rate): one value, or one per layer.")
    var nu: String = "10"
    @Option(help: "Readout weights: normal (N(0, 1/fan-in)) or fluctuation-driven (with the readout's σ_u and ν, the last per-layer values).")
    var readoutInit: String = "normal"
    @Option(parsing: .unconditional, help: "The readout's starting membrane U[0] (default: the model's initial_mem, else 0).")
    var initialMem: Double?
    @Option(parsing: .unconditional, help: "α, the feed-forward share of the initial membrane variance.")
    var alpha: Double = 0.9
    @Option(help: "Trials of the Fano-factor measurement (stochastic networks; default 0: off).")
    var fanoTrials: Int = 0
    @Option(help: "Measure the Fano factor every N epochs; 0: after the last epoch only.")
    var fanoEvery: Int = 0
    @Option(help: "Stop when the validation figure has not improved for N epochs (default 0: off; needs validation data).")
    var earlyStopping: Int = 0
    @Option(help: "What early stopping watches: valid-loss or valid-accuracy.")
    var monitor: String = "valid-loss"

    @Option(help: "Output folder.")
    var output: String = "spikekit-out/train"
    @Flag(help: "Continue from the checkpoint in the output folder.")
    var resume = false
    @Option(help: "Also write the checkpoint every N training batches (default 0: after every epoch only).")
    var checkpointEvery: Int = 0
    @Option(parsing: .unconditional, help: "Also write the checkpoint every M minutes.")
    var checkpointMinutes: Double?
    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        for (name, v) in [("--epochs", epochs), ("--fano-trials", fanoTrials), ("--fano-every", fanoEvery),
                          ("--early-stopping", earlyStopping), ("--checkpoint-every", checkpointEvery)] where v < 0 {
            throw ValidationError("\(name) must be at least 0, got \(v)")
        }
        if batchSize < 1 { throw ValidationError("--batch must be at least 1, got \(batchSize)") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1, got \(t)") }
        if let m = maxSamples, m < 1 { throw ValidationError("--max-samples must be at least 1, got \(m)") }
        if let d = duration, !(d.isFinite && d > 0) { throw ValidationError("--duration must be a positive number of seconds") }
        if let m = checkpointMinutes, !(m.isFinite && m > 0) { throw ValidationError("--checkpoint-minutes must be positive") }
        guard learningRate.isFinite, learningRate > 0 else { throw ValidationError("--lr must be positive, got \(learningRate)") }
        guard validationFraction >= 0, validationFraction < 1 else { throw ValidationError("--validation-fraction must be in [0, 1)") }
        if valid != nil, validationFraction > 0 { throw ValidationError("give --valid or --validation-fraction, not both") }
        guard EarlyStopping.Monitor(rawValue: monitor) != nil else { throw ValidationError("--monitor must be valid-loss or valid-accuracy, not '\(monitor)'") }
        if earlyStopping > 0, valid == nil, validationFraction == 0 { throw ValidationError("--early-stopping needs validation data (--valid or --validation-fraction)") }
    }

    func run() throws {
        var network = try NetworkDescription.load(path: model)
        if let u = initialMem {
            guard u.isFinite else { throw CommandError("--initial-mem must be a finite number") }
            guard network.layers.last?.kind == .readout else {
                throw CommandError("--initial-mem sets a readout's U[0], but the model's last layer is not a readout")
            }
            network.layers[network.layers.count - 1].initialMem = u
        }
        let architecture = try NetworkArchitecture(network)
        guard regularizerStrength.isFinite, regularizerStrength >= 0, regularizerThreshold.isFinite, regularizerThreshold >= 0 else {
            throw CommandError("--regularizer-strength and --regularizer-threshold must be non-negative numbers")
        }
        guard lowerRegularizerStrength.isFinite, lowerRegularizerStrength >= 0, lowerRegularizerThreshold.isFinite,
              lowerRegularizerThreshold >= 0 else {
            throw CommandError("--lower-regularizer-strength and --lower-regularizer-threshold must be non-negative numbers")
        }
        let regularizer = regularizerStrength > 0 || lowerRegularizerStrength > 0
            ? ActivityRegularizer(threshold: regularizerThreshold, strength: regularizerStrength,
                                  lowerThreshold: lowerRegularizerStrength > 0 ? lowerRegularizerThreshold : nil,
                                  lowerStrength: lowerRegularizerStrength > 0 ? lowerRegularizerStrength : nil) : nil
        if loss == "l2-spikes" {
            throw CommandError("--loss l2-spikes needs target spike trains, which SHD-layout files do not hold; use a classification loss")
        }
        let lossFunction: LossFunction
        do {
            lossFunction = try LossFunction(name: loss, regularizer: regularizer, correctRate: correctRate, incorrectRate: incorrectRate)
        } catch SpikeKitError.invalidConfiguration(let m) { throw CommandError(m) }
        // Data, binned at the model's Δt over the model's input units.
        let t0 = Date()
        let trainFile = try ClassificationSource.load(train)
        let raster = SHDLayoutDataset.coveringOptions(for: trainFile, dt: network.dt, duration: duration,
                                                      channels: architecture.input.count)
        let fileChannels = SHDLayoutDataset.coveringOptions(for: trainFile, dt: network.dt).channels
        if fileChannels > raster.channels {
            print("note: \(train) has \(fileChannels) channels; the model's input takes the first \(raster.channels), "
                + "spikes on the others are dropped")
        }
        var training = try SHDLayoutDataset.bin(trainFile, options: raster, limit: maxSamples)
        var validation = try valid.map { try SHDLayoutDataset.bin(ClassificationSource.load($0), options: raster, limit: maxSamples) }
        let testing = try SHDLayoutDataset.bin(ClassificationSource.load(test), options: raster, limit: maxSamples)
        if validationFraction > 0 {
            let (t, v) = try SHDDataset.validationSplit(count: training.count, seed: seed, fraction: validationFraction)
            (training, validation) = (training.subset(t), training.subset(v))
        }
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let path = output + "/checkpoint.safetensors"
        let metadata = ["train.data": dataJSON(raster), "command": CommandLine.arguments.joined(separator: " ")]
        var trainer: Trainer
        if resume, FileManager.default.fileExists(atPath: path) {
            let ck = try Checkpoint.load(path: path)
            guard ck.model == network else { throw CommandError("\(path) holds another network than \(model)") }
            guard ck.metadata["train.data"] == metadata["train.data"] else {
                throw CommandError("\(path) was trained on other data or binning than these options describe")
            }
            trainer = try Trainer(resuming: ck, training: training, validation: validation, test: testing, epochs: epochs, threads: threads)
            let saved = trainer.configuration
            var mine = try configuration(layers: architecture.layers.count)
            mine.epochs = saved.epochs
            guard mine == saved, trainer.loss == lossFunction, trainer.optimizer.configuration == optimizerConfiguration else {
                throw CommandError("\(path) was written with other training options (only --epochs may change on resume)")
            }
            print("resumed from \(path) at epoch \(trainer.position.epoch + 1), batch \(trainer.position.batch + 1)")
        } else {
            if resume { print("no checkpoint at \(path), starting afresh") }
            trainer = try Trainer(network: network, parameters: try initialWeights(network, architecture), loss: lossFunction,
                                  optimizer: optimizerConfiguration.makeOptimizer(), training: training, validation: validation,
                                  test: testing, configuration: configuration(layers: architecture.layers.count), threads: threads)
        }
        try network.save(to: output + "/model.json")
        let name = (model as NSString).lastPathComponent
        print("train \(name): \(training.count) training, \(validation?.count ?? 0) validation, \(testing.count) test samples of "
            + "\(raster.steps) steps × \(raster.channels) units (Δt \(network.dt * 1000) ms, window \(String(format: "%g", raster.duration)) s); "
            + "loaded in \(String(format: "%.1f", Date().timeIntervalSince(t0))) s")
        print("  \(trainer.loss.name) loss, \(optimizer) lr \(learningRate), \(trainer.configuration.epochs) epochs, batch \(batchSize), "
            + "seed \(seed), output \(output)")
        var callbacks: [any TrainingCallback] = [
            ProgressCallback(name: name),
            CheckpointCallback(path: path, everyBatches: checkpointEvery > 0 ? checkpointEvery : nil,
                               everySeconds: checkpointMinutes.map { $0 * 60 }, metadata: metadata),
            TrainOutputs(folder: output),
        ]
        if earlyStopping > 0 {
            callbacks.append(EarlyStopping(monitor: EarlyStopping.Monitor(rawValue: monitor)!, patience: earlyStopping))
        }
        try trainer.fit(callbacks: callbacks)
        let summary = TrainOutputs.summary(trainer, model: model)
        print(summary, terminator: "")
        try AtomicFile.write(summary, to: output + "/summary.txt")
        print("wrote \(output)/")
    }

    var optimizerConfiguration: OptimizerConfiguration {
        switch optimizer {
        case "adam": return .adam(learningRate: Float(learningRate), beta1: 0.9, beta2: 0.999, epsilon: 1e-8)
        case "gradient-descent": return .gradientDescent(learningRate: Float(learningRate))
        default: return .smorms3(learningRate: Float(learningRate), epsilon: 1e-16)
        }
    }

    func configuration(layers: Int) throws -> TrainerConfiguration {
        guard ["smorms3", "adam", "gradient-descent"].contains(optimizer) else {
            throw CommandError("--optimizer must be smorms3, adam or gradient-descent, not '\(optimizer)'")
        }
        var scales: [Double]?
        if let s = learningRateScales {
            let parts = s.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.allSatisfy({ $0 != nil }), parts.count == layers else {
                throw CommandError("--lr-scales needs \(layers) comma-separated numbers (one per layer), got '\(s)'")
            }
            scales = parts.map { $0! }
        }
        guard let readout = FluctuationDrivenInit.ReadoutInitialization(rawValue: readoutInit) else {
            throw CommandError("--readout-init must be normal or fluctuation-driven, not '\(readoutInit)'")
        }
        let (s, sLayers) = try Self.perLayer(sigmaU, option: "--sigma-u", layers: layers)
        let (v, vLayers) = try Self.perLayer(nu, option: "--nu", layers: layers)
        let initialization = FluctuationDrivenInit(sigmaU: s, nu: v, alpha: alpha, layerSigmaU: sLayers, layerNu: vLayers,
                                                   readout: readout)
        let c = TrainerConfiguration(epochs: epochs, batchSize: batchSize, evaluationBatchSize: evaluationBatchSize, seed: seed,
                                     shuffle: !noShuffle, learningRateScales: scales,
                                     initialization: initialization,
                                     fanoTrials: fanoTrials, fanoEvery: fanoEvery)
        do { try c.validate(layers: layers) } catch SpikeKitError.invalidConfiguration(let m) { throw CommandError(m) }
        return c
    }

    /// One number (for every layer: nil per-layer list) or one per layer, comma-separated.
    static func perLayer(_ text: String, option: String, layers: Int) throws -> (Double, [Double]?) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.allSatisfy({ $0 != nil }), parts.count == 1 || parts.count == layers else {
            throw CommandError("\(option) needs one number or \(layers) comma-separated numbers (one per layer), got '\(text)'")
        }
        let values = parts.map { $0! }
        return values.count == 1 ? (values[0], nil) : (values[0], values)
    }

    /// The weights the model file names (every layer must name its files), else nil (fluctuation-driven).
    func initialWeights(_ d: NetworkDescription, _ a: NetworkArchitecture) throws -> NetworkParameters? {
        let named = d.layers.enumerated().allSatisfy { i, l in l.weights != nil && (a.layers[i].recurrent == nil || l.recurrent?.weights != nil) }
        guard named else { return nil }
        let folder = (model as NSString).deletingLastPathComponent
        func read(_ name: String, _ shape: [Int]) throws -> Tensor {
            let p = (folder as NSString).appendingPathComponent(name)
            let t = try NpyArray.read(path: p).tensor
            guard t.shape == shape else { throw CommandError("\(p) has shape \(t.shape), the model needs \(shape)") }
            return t
        }
        var ff: [Tensor] = [], rec: [Tensor?] = [], biases: [Tensor?] = []
        for (l, la) in zip(d.layers, a.layers) {
            ff.append(try read(l.weights!, la.feedForward.weightShape))
            rec.append(try la.recurrent.map { try read(l.recurrent!.weights!, $0.weightShape) })
            biases.append(try l.bias.map { try read($0, la.biasShape) })
        }
        print("initial weights from the files the model names")
        return NetworkParameters(feedForward: ff, recurrent: rec, biases: biases)
    }

    func dataJSON(_ raster: SHDRasterOptions) -> String {
        struct Data: Encodable {
            let train: String, valid: String?, test: String, validationFraction: Double, maxSamples: Int?, raster: SHDRasterOptions
        }
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        let d = Data(train: train, valid: valid, test: test, validationFraction: validationFraction, maxSamples: maxSamples, raster: raster)
        return (try? String(decoding: e.encode(d), as: UTF8.self)) ?? ""
    }
}
