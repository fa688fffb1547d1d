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
            checkpoint.safetensors, model.json and summary.txt to --output; --resume continues the checkpoint there. \
            Spike-train targets (--loss l2-spikes or van-rossum): --train/--valid/--test are then .npy inputs \
            [samples, steps, units] of 0/1 and --train-targets/--valid-targets/--test-targets .npy target spikes \
            [samples, steps, outputs] (any --loss also takes .npy inputs with [samples] label arrays). A model whose \
            input is real-valued ("input": {"kind": "current"}) trains on .npy float inputs [samples, steps, units] \
            (analog features, images; any finite values) with the same target files.
            """
    )

    @Option(help: "The model file (JSON network description).")
    var model: String
    @Option(help: "Training data: an SHD-layout file (.h5 or .h5.gz), or .npy inputs [samples, steps, units] with --train-targets.")
    var train: String
    @Option(help: "Validation data (an SHD-layout file, or .npy inputs with --valid-targets).")
    var valid: String?
    @Option(help: "Test data (an SHD-layout file, or .npy inputs with --test-targets).")
    var test: String
    @Option(help: "With .npy inputs: the training targets, .npy spikes [samples, steps, outputs] or labels [samples].")
    var trainTargets: String?
    @Option(help: "With .npy inputs: the validation targets (.npy).")
    var validTargets: String?
    @Option(help: "With .npy inputs: the test targets (.npy).")
    var testTargets: String?
    @Option(parsing: .unconditional, help: "Without --valid: share of the training file held out for validation (default 0).")
    var validationFraction: Double = 0
    @Option(help: "File: window length in seconds (default: up to the latest spike of the training file).")
    var duration: Double?
    @Option(help: "Use at most this many samples of each file.")
    var maxSamples: Int?

    @Option(help: """
        Loss: cross-entropy (of the readout's maximum over time), sum-over-time-ce, mean-membrane-ce, last-step-ce         (readout last), spike-count-mse (spiking last layer; snnTorch's mse_count_loss), or l2-spikes / van-rossum (spike-train targets, .npy data).
        """)
    var loss: String = "cross-entropy"
    @Option(name: .customLong("tau-vr"), parsing: .unconditional, help: "van-rossum: the kernel's time constant τ_vr in seconds (default 0.01).")
    var tauVR: Double?
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
    @Option(help: "Optimizer: smorms3, adam, adamw (Adam with decoupled weight decay) or gradient-descent.")
    var optimizer: String = "smorms3"
    @Option(name: .customLong("lr"), parsing: .unconditional, help: "Learning rate η (the base rate of a schedule).")
    var learningRate: Double = 0.01
    @Option(name: .customLong("lr-scales"), help: "Per-layer factors of η, comma-separated, one per layer (gradient scales).")
    var learningRateScales: String?
    @Option(parsing: .unconditional, help: """
        Weight decay λ (default 0; adamw: 0.01): L2, added to the gradient like PyTorch's weight_decay, unless \
        --decoupled-weight-decay or adamw.
        """)
    var weightDecay: Double?
    @Flag(help: "Decoupled weight decay (AdamW's form, any optimizer): w ← w (1 − η λ) before the step.")
    var decoupledWeightDecay = false
    @Flag(help: "Do not decay the biases (default: every parameter is decayed, as in PyTorch).")
    var noBiasDecay = false
    @Option(parsing: .unconditional, help: "Clip the gradients to this global L2 norm before each step (clip_grad_norm_; default: off).")
    var clipGradNorm: Double?
    @Option(help: "Learning-rate schedule: constant, step (--lr-step-epochs, --lr-gamma) or cosine (to --lr-min over --epochs).")
    var lrSchedule: String = "constant"
    @Option(help: "step: epochs between drops of the learning rate.")
    var lrStepEpochs: Int?
    @Option(parsing: .unconditional, help: "step: factor of each drop (default 0.1).")
    var lrGamma: Double?
    @Option(parsing: .unconditional, help: "cosine: the final learning rate η_min (default 0).")
    var lrMin: Double?
    @Flag(help: "Change the scheduled learning rate every batch instead of once per epoch.")
    var lrPerBatch = false
    @Option(help: "Linear warm-up of the learning rate over N epochs (default 0: none).")
    var warmupEpochs: Int = 0
    @Option(help: "Linear warm-up of the learning rate over N batches (default 0: none).")
    var warmupBatches: Int = 0
    @Option(parsing: .unconditional, help: "First factor of the warm-up, in (0, 1] (default 1/3, PyTorch's LinearLR).")
    var warmupStartFactor: Double?

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
    @Option(help: "Delay in steps on every connection, replacing the model's (1: a spike of step n reaches I[n+1]).")
    var delay: Int?
    @Flag(help: "stork's timing: delay 2 on every connection (a spike of step n reaches I[n+2]).")
    var storkTiming = false
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
        try validateOptimizerOptions()
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
        if let d = try DelayOptions.delay(delay, storkTiming: storkTiming) { network = network.settingDelays(d) }
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
        let npy = trainTargets != nil || validTargets != nil || testTargets != nil
        if ["l2-spikes", "van-rossum"].contains(loss), !npy {
            throw CommandError("--loss \(loss) needs target spike trains, which SHD-layout files do not hold; give .npy data with "
                + "--train-targets and --test-targets, or use a classification loss")
        }
        let lossFunction: LossFunction
        do {
            lossFunction = try LossFunction(name: loss, regularizer: regularizer, correctRate: correctRate, incorrectRate: incorrectRate,
                                            tauVR: tauVR)
        } catch SpikeKitError.invalidConfiguration(let m) { throw CommandError(m) }
        // Data: .npy arrays, or SHD-layout files binned at the model's Δt over the model's input units.
        let t0 = Date()
        var training: any Dataset, validation: (any Dataset)?, testing: any Dataset
        let dataDescription: String, dataJSONText: String
        if npy {
            (training, validation, testing) = try loadArrays(dt: network.dt, realValued: network.input.isRealValued)
            dataDescription = "\(training.steps) steps × \(training.units) \(network.input.isRealValued ? "real-valued inputs" : "units") "
                + "(Δt \(network.dt * 1000) ms, .npy arrays)"
            dataJSONText = arraysJSON()
        } else {
        if network.input.isRealValued {
            throw CommandError("the model's input is real-valued (input.kind current): give .npy float inputs [samples, steps, units] "
                + "with --train-targets and --test-targets instead of SHD-layout files")
        }
        let trainFile = try ClassificationSource.load(train)
        let raster = SHDLayoutDataset.coveringOptions(for: trainFile, dt: network.dt, duration: duration,
                                                      channels: architecture.input.count)
        let fileChannels = SHDLayoutDataset.coveringOptions(for: trainFile, dt: network.dt).channels
        if fileChannels > raster.channels {
            print("note: \(train) has \(fileChannels) channels; the model's input takes the first \(raster.channels), "
                + "spikes on the others are dropped")
        }
        training = try SHDLayoutDataset.bin(trainFile, options: raster, limit: maxSamples)
        validation = try valid.map { try SHDLayoutDataset.bin(ClassificationSource.load($0), options: raster, limit: maxSamples) }
        testing = try SHDLayoutDataset.bin(ClassificationSource.load(test), options: raster, limit: maxSamples)
        dataDescription = "\(raster.steps) steps × \(raster.channels) units (Δt \(network.dt * 1000) ms, window \(String(format: "%g", raster.duration)) s)"
        dataJSONText = dataJSON(raster)
        }
        if validationFraction > 0 {
            let (t, v) = try SHDDataset.validationSplit(count: training.count, seed: seed, fraction: validationFraction)
            (training, validation) = (Self.subset(training, t), Self.subset(training, v))
        }
        try Cluster.write { try AtomicFile.createFolder(output) }
        let path = output + "/checkpoint.safetensors"
        let metadata = ["train.data": dataJSONText, "command": CommandLine.arguments.joined(separator: " ")]
        var trainer: Trainer
        if resume, FileManager.default.fileExists(atPath: path) {
            let ck = try Checkpoint.load(path: path)
            guard ck.model == network else { throw CommandError("\(path) holds another network than \(model)") }
            guard ck.metadata["train.data"] == metadata["train.data"] else {
                throw CommandError("\(path) was trained on other data or binning than these options describe")
            }
            if let text = ck.metadata[Trainer.MetadataKey.configuration],
               let saved = try? JSONDecoder().decode(TrainerConfiguration.self, from: Data(text.utf8)),
               let s = saved.learningRateSchedule, s.kind == .cosine, s.cosineEpochs == nil, saved.epochs != epochs {
                throw CommandError("--epochs cannot change on resume with --lr-schedule cosine (the schedule spans the run's \(saved.epochs) epochs)")
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
        // Under mpirun every rank simulates its share of each batch; rank 0 alone writes.
        trainer.use(Cluster.simulator(architecture, threads: threads))
        try Cluster.write { try network.save(to: output + "/model.json") }
        let name = (model as NSString).lastPathComponent
        print("train \(name): \(training.count) training, \(validation?.count ?? 0) validation, \(testing.count) test samples of "
            + "\(dataDescription); "
            + "loaded in \(String(format: "%.1f", Date().timeIntervalSince(t0))) s")
        print("  \(trainer.loss.name) loss, \(optimizerSummary), \(trainer.configuration.epochs) epochs, batch \(batchSize), "
            + "seed \(seed), output \(output)")
        let processes = trainer.simulator.exchange.size
        if processes > 1 { print("  \(processes) processes share every batch; rank 0 writes") }
        var callbacks: [any TrainingCallback] = [ProgressCallback(name: name)]
        if Cluster.writes {
            callbacks.append(CheckpointCallback(path: path, everyBatches: checkpointEvery > 0 ? checkpointEvery : nil,
                                                everySeconds: checkpointMinutes.map { $0 * 60 }, metadata: metadata))
            callbacks.append(TrainOutputs(folder: output))
        }
        if earlyStopping > 0 {
            callbacks.append(EarlyStopping(monitor: EarlyStopping.Monitor(rawValue: monitor)!, patience: earlyStopping))
        }
        try trainer.fit(callbacks: callbacks)
        let summary = TrainOutputs.summary(trainer, model: model)
        print(summary, terminator: "")
        try Cluster.write { try AtomicFile.write(summary, to: output + "/summary.txt") }
        print("wrote \(output)/")
    }

    /// The optimizer options' one-line errors.
    func validateOptimizerOptions() throws {
        guard ["smorms3", "adam", "adamw", "gradient-descent"].contains(optimizer) else {
            throw ValidationError("--optimizer must be smorms3, adam, adamw or gradient-descent, not '\(optimizer)'")
        }
        if let w = weightDecay, !(w.isFinite && w >= 0) { throw ValidationError("--weight-decay must be a non-negative number, got \(w)") }
        let decays = weightDecay.map { $0 > 0 } ?? (optimizer == "adamw")
        if decoupledWeightDecay, !decays { throw ValidationError("--decoupled-weight-decay needs a positive --weight-decay") }
        if noBiasDecay, !decays { throw ValidationError("--no-bias-decay needs weight decay (--weight-decay or --optimizer adamw)") }
        if let c = clipGradNorm, !(c.isFinite && c > 0) { throw ValidationError("--clip-grad-norm must be positive, got \(c)") }
        guard LearningRateSchedule.Kind(rawValue: lrSchedule) != nil else {
            throw ValidationError("--lr-schedule must be constant, step or cosine, not '\(lrSchedule)'")
        }
        if lrSchedule == "step", lrStepEpochs == nil { throw ValidationError("--lr-schedule step needs --lr-step-epochs") }
        if lrSchedule != "step", lrStepEpochs != nil || lrGamma != nil {
            throw ValidationError("--lr-step-epochs and --lr-gamma need --lr-schedule step")
        }
        if let k = lrStepEpochs, k < 1 { throw ValidationError("--lr-step-epochs must be at least 1, got \(k)") }
        if let g = lrGamma, !(g.isFinite && g > 0) { throw ValidationError("--lr-gamma must be positive, got \(g)") }
        if lrSchedule != "cosine", lrMin != nil { throw ValidationError("--lr-min needs --lr-schedule cosine") }
        if let m = lrMin, !(m.isFinite && m >= 0) { throw ValidationError("--lr-min must be a non-negative number, got \(m)") }
        if warmupEpochs < 0 || warmupBatches < 0 { throw ValidationError("--warmup-epochs and --warmup-batches must be at least 0") }
        if warmupEpochs > 0, warmupBatches > 0 { throw ValidationError("give --warmup-epochs or --warmup-batches, not both") }
        if let f = warmupStartFactor {
            guard warmupEpochs > 0 || warmupBatches > 0 else {
                throw ValidationError("--warmup-start-factor needs --warmup-epochs or --warmup-batches")
            }
            guard f > 0, f <= 1 else { throw ValidationError("--warmup-start-factor must be in (0, 1], got \(f)") }
        }
        if lrPerBatch, learningRateSchedule == nil {
            throw ValidationError("--lr-per-batch needs --lr-schedule step or cosine, or a warm-up")
        }
    }

    /// The weight decay the options ask for.
    var weightDecayOption: WeightDecay {
        WeightDecay(Float(weightDecay ?? (optimizer == "adamw" ? 0.01 : 0)),
                    decoupled: decoupledWeightDecay || optimizer == "adamw", decaysBiases: !noBiasDecay)
    }

    var optimizerConfiguration: OptimizerConfiguration {
        let wd = weightDecayOption
        switch optimizer {
        case "adam", "adamw": return .adam(learningRate: Float(learningRate), beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: wd)
        case "gradient-descent": return .gradientDescent(learningRate: Float(learningRate), weightDecay: wd)
        default: return .smorms3(learningRate: Float(learningRate), epsilon: 1e-16, weightDecay: wd)
        }
    }

    /// The schedule the options ask for; nil for a constant rate without warm-up (the configuration of a run
    /// without these options).
    var learningRateSchedule: LearningRateSchedule? {
        let kind = LearningRateSchedule.Kind(rawValue: lrSchedule) ?? .constant
        guard kind != .constant || warmupEpochs > 0 || warmupBatches > 0 else { return nil }
        return LearningRateSchedule(kind: kind, interval: lrPerBatch ? .batch : .epoch, stepEpochs: lrStepEpochs ?? 1,
                                    gamma: lrGamma ?? 0.1, minimum: lrMin ?? 0, warmupEpochs: warmupEpochs,
                                    warmupBatches: warmupBatches, warmupStartFactor: warmupStartFactor ?? 1.0 / 3)
    }

    /// The optimizer options in words, for the start line.
    var optimizerSummary: String {
        var parts = ["\(optimizer) lr \(learningRate)"]
        let wd = weightDecayOption
        if wd.isActive {
            parts.append("weight decay \(wd.coefficient) (\(wd.decoupled ? "decoupled" : "L2")\(wd.decaysBiases ? "" : ", biases not decayed"))")
        }
        if let c = clipGradNorm { parts.append("gradients clipped to norm \(c)") }
        if let s = learningRateSchedule {
            var d = s.kind.rawValue
            if s.kind == .step { d += " ×\(s.gamma) every \(s.stepEpochs) epochs" }
            if s.kind == .cosine { d += " to \(s.minimum)" }
            if s.warmupEpochs > 0 { d += " with warm-up over \(s.warmupEpochs) epochs" }
            if s.warmupBatches > 0 { d += " with warm-up over \(s.warmupBatches) batches" }
            parts.append("learning rate \(d), per \(s.interval.rawValue)")
        }
        return parts.joined(separator: ", ")
    }

    func configuration(layers: Int) throws -> TrainerConfiguration {
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
                                     learningRateSchedule: learningRateSchedule, gradientClipNorm: clipGradNorm,
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
        let folder = PathName.parent(of: model)
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
        return NetworkParameters(feedForward: ff, recurrent: rec, biases: biases, logTauMem: a.layers.map(\.initialLogTauMem),
                                 logTauSyn: a.layers.map(\.initialLogTauSyn), thresholds: a.initialThresholds)
    }

    /// The .npy data sets: inputs `[samples, steps, units]` (the `--train`/`--valid`/`--test` files) with their
    /// targets (`--train-targets`, ...), at most `--max-samples` of each: spikes of 0/1 (`NpyDataset`), or any
    /// finite values for a model with real-valued input (`CurrentDataset`).
    func loadArrays(dt: Double, realValued: Bool) throws -> (any Dataset, (any Dataset)?, any Dataset) {
        guard let trainTargets, let testTargets else {
            throw CommandError(".npy data needs --train-targets and --test-targets (and --valid-targets with --valid)")
        }
        if valid != nil, validTargets == nil { throw CommandError("--valid with .npy data needs --valid-targets") }
        if valid == nil, validTargets != nil { throw CommandError("--valid-targets needs --valid (the validation inputs)") }
        func load(_ inputs: String, _ targets: String) throws -> any Dataset {
            for f in [inputs, targets] where !f.hasSuffix(".npy") {
                throw CommandError("\(f): with --train-targets every data file is a .npy array")
            }
            let d: any Dataset
            if realValued {
                d = try CurrentDataset.load(inputs: inputs, labels: targets, dt: dt)
            } else {
                do { d = try NpyDataset.load(inputs: inputs, labels: targets, dt: dt) } catch SpikeKitError.invalidConfiguration(let m)
                    where m.hasPrefix(inputs) && !m.contains("label") {
                    throw CommandError(m + " (the model's input takes spikes of 0/1; for real values set \"kind\": \"current\" in its input)")
                }
            }
            guard let m = maxSamples, m < d.count else { return d }
            return Self.subset(d, Array(0 ..< m))
        }
        return (try load(train, trainTargets), try valid.map { try load($0, validTargets!) }, try load(test, testTargets))
    }

    /// The samples at `indices` of one of the data sets this command builds.
    static func subset(_ d: any Dataset, _ indices: [Int]) -> any Dataset {
        switch d {
        case let c as CurrentDataset: return c.subset(indices)
        case let s as SpikeTrainDataset: return s.subset(indices)
        default: preconditionFailure("train builds SpikeTrainDataset and CurrentDataset only")
        }
    }

    func arraysJSON() -> String {
        struct Data: Encodable {
            let train: String, trainTargets: String?, valid: String?, validTargets: String?, test: String, testTargets: String?
            let validationFraction: Double, maxSamples: Int?
        }
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        let d = Data(train: train, trainTargets: trainTargets, valid: valid, validTargets: validTargets, test: test,
                     testTargets: testTargets, validationFraction: validationFraction, maxSamples: maxSamples)
        return (try? String(decoding: e.encode(d), as: UTF8.self)) ?? ""
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
