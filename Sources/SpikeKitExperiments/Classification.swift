import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine
import Foundation

/// The classification experiment (SPEC section 6, the paper's Fig. 7): a spiking network with a non-spiking readout
/// learns classes from spike trains by surrogate-gradient descent on the max-over-time cross-entropy plus the
/// upper-bound activity regularizer, deterministic (step escape noise, SuperSpike) or stochastic (sigmoid escape
/// noise, SuperSpike); evaluation keeps the noise on. The networks: the SHD recurrent convolutional SNN
/// (`PaperNetworks.shdCSNN`) or one recurrent LIF layer (the Randman example of stork).
///
/// Randomness is addressed, never sequential: the weights come from the seed, the training order of epoch e from
/// stream `0x5348_0000 + e`, the escape noise of batch b of epoch e from Philox iteration `e · batches + b`, and
/// evaluation from the fixed iterations `evaluationIteration + chunk`. A run can therefore stop after any batch and
/// continue bit-identically (see `ClassificationTrainer`).
public struct ClassificationExperiment: Sendable {
    /// The network trained.
    public enum NetworkKind: String, Codable, Sendable, CaseIterable {
        /// The recurrent convolutional SNN of SPEC section 6 (input [1, units]).
        case shdCSNN = "shd-csnn"
        /// One layer of `hidden` LIF neurons with dense recurrent connections, then the readout.
        case recurrentLIF = "recurrent-lif"
    }

    /// The optimizer.
    public enum OptimizerKind: String, Codable, Sendable, CaseIterable {
        case smorms3, adam
    }

    /// Every parameter of the experiment, with the paper's SHD values as defaults.
    public struct Configuration: Codable, Equatable, Sendable {
        public var network: NetworkKind = .shdCSNN
        /// Hidden neurons of the `recurrentLIF` network.
        public var hidden = 128
        public var epochs = 200
        public var batchSize = 400
        /// Samples per simulation when evaluating (fixes the noise addressing; keep it to reproduce an evaluation).
        public var evaluationBatchSize = 400
        public var optimizer: OptimizerKind = .smorms3
        public var learningRate = 0.01
        public var seed: UInt64 = 1
        /// Share of the training data held out for validation.
        public var validationFraction = 0.1
        /// Share held out for testing when the data come as one set (Randman, a single file).
        public var testFraction = 0.1
        /// θ_a and strength of the activity regularizer (SPEC section 6: 7 and 0.01).
        public var regularizerThreshold = 7.0
        public var regularizerStrength = 0.01
        /// β of the stochastic network's sigmoid escape noise.
        public var beta = 10.0
        /// β of the SuperSpike surrogate of both networks.
        public var surrogateBeta = 10.0
        /// σ_u of the fluctuation-driven initialization; nil: 1.3 stochastic, 1.0 deterministic.
        public var sigmaU: Double? = nil
        /// ν (Hz) and α of the fluctuation-driven initialization.
        public var nu = 15.8
        public var alpha = 0.9
        /// τ_mem of the readout in seconds; nil: 0.7 s for the SHD network, the sample duration for the recurrent
        /// LIF network.
        public var readoutTauMem: Double? = nil
        /// Trials of the Fano-factor measurement (one test sample repeated), the sliding window in steps, the test
        /// sample, and how often it is measured (every n epochs and after the last; 0: after the last epoch only).
        /// Deterministic networks are never measured: their trials are identical.
        public var fanoTrials = 400
        public var fanoWindow = 10
        public var fanoSample = 0
        public var fanoEvery = 10

        public init() {}

        /// Rejects impossible values with a message naming the parameter.
        public func validate() throws {
            func bad(_ m: String) -> SpikeKitError { .invalidConfiguration(m) }
            guard hidden >= 1 else { throw bad("hidden must be at least 1, got \(hidden)") }
            guard epochs >= 0 else { throw bad("epochs must be at least 0, got \(epochs)") }
            guard batchSize >= 1 else { throw bad("batch size must be at least 1, got \(batchSize)") }
            guard evaluationBatchSize >= 1 else { throw bad("evaluation batch size must be at least 1, got \(evaluationBatchSize)") }
            // Learning rate, regularizer and β become Float: they must be finite as Float (|v| < 3.4e38).
            guard Float(learningRate).isFinite, learningRate > 0 else {
                throw bad("learning rate must be a positive number below 3.4e38, got \(learningRate)")
            }
            for (n, v) in [("validation fraction", validationFraction), ("test fraction", testFraction)] where !(v >= 0 && v < 1) {
                throw bad("\(n) must be in [0, 1), got \(v)")
            }
            guard Float(regularizerThreshold).isFinite, regularizerThreshold >= 0, Float(regularizerStrength).isFinite,
                  regularizerStrength >= 0 else {
                throw bad("regularizer threshold and strength must be non-negative numbers")
            }
            for (n, v) in [("beta", beta), ("surrogate beta", surrogateBeta), ("sigma_u", sigmaU ?? 1), ("nu", nu),
                           ("readout tau_mem", readoutTauMem ?? 1)] where !(Float(v).isFinite && v > 0) {
                throw bad("\(n) must be a positive number, got \(v)")
            }
            guard alpha > 0, alpha <= 1 else { throw bad("alpha must be in (0, 1], got \(alpha)") }
            guard fanoTrials >= 0, fanoWindow >= 1, fanoSample >= 0, fanoEvery >= 0 else {
                throw bad("Fano trials, window, sample and interval must be non-negative (window at least 1)")
            }
        }

        /// σ_u of the initialization for one variant.
        public func sigmaU(stochastic: Bool) -> Double { sigmaU ?? (stochastic ? 1.3 : 1.0) }

        /// The loss: max-over-time cross-entropy with the activity regularizer.
        public var loss: LossFunction {
            .maxOverTimeCrossEntropy(activityRegularizer: regularizerStrength > 0
                ? ActivityRegularizer(threshold: regularizerThreshold, strength: regularizerStrength) : nil)
        }

        /// A fresh optimizer.
        public func makeOptimizer() -> any Optimizer {
            switch optimizer {
            case .smorms3: return SMORMS3(learningRate: Float(learningRate))
            case .adam: return Adam(learningRate: Float(learningRate))
            }
        }
    }

    /// Loss, accuracy and firing rates of a network on a data set.
    public struct Evaluation: Codable, Equatable, Sendable {
        /// Batch-mean loss (cross-entropy plus regularizer) over all samples.
        public var loss: Double
        /// Share of samples whose largest max-over-time readout is the label's.
        public var accuracy: Double
        /// Mean firing rate (Hz) of every spiking layer.
        public var rates: [Double]
        public var samples: Int
    }

    /// The first Philox iteration of evaluation noise (training uses iterations from 0 up).
    public static let evaluationIteration: UInt32 = 0xF000_0000
    /// The first Philox iteration of the Fano-factor trials.
    public static let fanoIteration: UInt32 = 0xF800_0000

    public let configuration: Configuration
    public let stochastic: Bool
    public let training: ClassificationData
    public let validation: ClassificationData
    public let test: ClassificationData
    /// The number of classes (readout units).
    public let classes: Int
    /// The network trained.
    public let description: NetworkDescription
    public let architecture: NetworkArchitecture

    /// Sets up the experiment for one variant.
    /// - Throws: `SpikeKitError.invalidConfiguration` for an invalid configuration, empty training data, or a label
    ///   outside 0..<classes; `.shapeMismatch` when the sets differ in steps or units.
    public init(configuration: Configuration, stochastic: Bool, training: ClassificationData, validation: ClassificationData,
                test: ClassificationData, classes: Int? = nil) throws {
        try configuration.validate()
        guard training.count > 0 else { throw SpikeKitError.invalidConfiguration("the training set is empty") }
        for (name, d) in [("validation", validation), ("test", test)] where d.steps != training.steps || d.units != training.units {
            throw SpikeKitError.shapeMismatch("the \(name) set is \(d.steps) steps × \(d.units) units, the training set \(training.steps) × \(training.units)")
        }
        let k = classes ?? max(training.classes, validation.classes, test.classes)
        guard k >= 2 else { throw SpikeKitError.invalidConfiguration("classification needs at least 2 classes, found \(k)") }
        for (name, d) in [("training", training), ("validation", validation), ("test", test)] {
            if let i = d.labels.firstIndex(where: { $0 >= k }) {
                throw SpikeKitError.invalidConfiguration("\(name) sample \(i) has the label \(d.labels[i]), out of range 0..<\(k)")
            }
        }
        self.configuration = configuration
        self.stochastic = stochastic
        self.training = training
        self.validation = validation
        self.test = test
        self.classes = k
        description = try Self.network(configuration, stochastic: stochastic, units: training.units, steps: training.steps,
                                       dt: training.dt, classes: k)
        architecture = try NetworkArchitecture(description)
    }

    /// The network of `configuration` for one variant.
    public static func network(_ c: Configuration, stochastic: Bool, units: Int, steps: Int, dt: Double,
                               classes: Int) throws -> NetworkDescription {
        let spike = try SpikeFunction(escape: stochastic ? .sigmoid(beta: c.beta) : .step, surrogate: .superspike(beta: c.surrogateBeta))
        switch c.network {
        case .shdCSNN:
            var d = try PaperNetworks.shdCSNN(inputUnits: units, classes: classes, stochastic: stochastic, beta: c.beta,
                                              surrogateBeta: c.surrogateBeta)
            d.dt = dt
            if let tau = c.readoutTauMem { d.layers[d.layers.count - 1].tauMem = tau }
            return d
        case .recurrentLIF:
            return NetworkDescription(dt: dt, input: InputDescription(shape: [units]), layers: [
                LayerDescription(kind: .lif, units: c.hidden, tauMem: 0.02, tauSyn: 0.01, reset: .nextStep,
                                 recurrent: RecurrentDescription(kind: .dense), spike: spike),
                LayerDescription(kind: .readout, units: classes, tauMem: c.readoutTauMem ?? Double(steps) * dt, tauSyn: 0.01,
                                 initialMem: -1e-3),
            ])
        }
    }

    /// The same network with the other variant's spike function (Fig. 7D): load the same parameters into it.
    public func otherDescription() throws -> NetworkDescription {
        try Self.network(configuration, stochastic: !stochastic, units: training.units, steps: training.steps, dt: training.dt,
                         classes: classes)
    }

    /// The initial weights: fluctuation-driven (SPEC section 8) with σ_u for this variant, ν and α; readout
    /// N(0, 1/fan-in).
    public func initialParameters() throws -> NetworkParameters {
        try FluctuationDrivenInit(sigmaU: configuration.sigmaU(stochastic: stochastic), nu: configuration.nu, alpha: configuration.alpha)
            .parameters(for: architecture, seed: configuration.seed)
    }

    /// Training batches per epoch (the last one may be smaller).
    public var batchesPerEpoch: Int { (training.count + configuration.batchSize - 1) / configuration.batchSize }

    /// The order of the training samples in epoch `epoch` (0-based): a Fisher-Yates shuffle from stream
    /// `0x5348_0000 + epoch` of the seed (`BatchSchedule`).
    public func trainingOrder(epoch: Int) -> [Int] {
        (try? BatchSchedule(count: training.count, batchSize: configuration.batchSize, seed: configuration.seed))?
            .order(epoch: epoch) ?? []
    }

    /// The predicted class of each sample: argmax_c max_n U_c[n] of the readout output `[B, T, C]` (first on ties;
    /// `Trainer.predictedClasses`).
    public static func predictions(output: Tensor) -> [Int] { Trainer.predictedClasses(output: output) }

    /// Mean firing rates (Hz) of the spiking layers from spike counts over `samples` samples.
    public func rates(spikeCounts: [Int], samples: Int, architecture a: NetworkArchitecture? = nil) -> [Double] {
        let a = a ?? architecture
        let T = training.steps
        return a.layers.enumerated().filter { $0.element.isSpiking }.map { i, l in
            Double(spikeCounts[i]) / (Double(max(samples, 1)) * Double(T * l.shape.count) * a.dt)
        }
    }

    /// The largest number of independent noise draws `evaluate(_:on:simulator:draw:)` addresses.
    public static let maxEvaluationDraws = 2048

    /// Evaluates `parameters` on `data` with the noise on: simulations of `evaluationBatchSize` samples, chunk k with
    /// Philox iteration `evaluationIteration + 65536 · draw + k`. Draw 0 is the evaluation logged during training;
    /// draws 1 ..< `maxEvaluationDraws` are independent noise realisations of the same evaluation. `simulator`
    /// decides the spike function (this network's, or the other variant's for Fig. 7D).
    public func evaluate(_ parameters: NetworkParameters, on data: ClassificationData, simulator: Simulator,
                         draw: Int = 0) throws -> Evaluation {
        guard (0 ..< Self.maxEvaluationDraws).contains(draw) else {
            throw SpikeKitError.invalidConfiguration("evaluation draw \(draw) is outside 0 ..< \(Self.maxEvaluationDraws)")
        }
        guard (data.count + configuration.evaluationBatchSize - 1) / max(configuration.evaluationBatchSize, 1) <= 65536 else {
            throw SpikeKitError.invalidConfiguration("evaluation needs more than 65536 batches; raise the evaluation batch size")
        }
        let base = Self.evaluationIteration &+ UInt32(draw) &* 65536
        try simulator.load(parameters)
        let n = data.count, bs = configuration.evaluationBatchSize
        guard n > 0 else { return Evaluation(loss: .nan, accuracy: .nan, rates: [], samples: 0) }
        var lossSum = 0.0, correct = 0
        var counts = [Int](repeating: 0, count: simulator.architecture.layers.count)
        var chunk = 0
        for start in stride(from: 0, to: n, by: bs) {
            let idx = Array(start ..< min(n, start + bs))
            let labels = idx.map { data.labels[$0] }
            let r = try simulator.run(inputs: idx.map { data.samples[$0] }, loss: configuration.loss, targets: .labels(labels),
                                      noise: .philox(seed: configuration.seed, iteration: base &+ UInt32(chunk)),
                                      recordOutput: true)
            lossSum += r.sampleLosses.reduce(0, +)
            correct += zip(Self.predictions(output: r.output!), labels).filter { $0 == $1 }.count
            for (l, c) in r.spikeCounts.enumerated() { counts[l] += c }
            chunk += 1
        }
        return Evaluation(loss: lossSum / Double(n), accuracy: Double(correct) / Double(n),
                          rates: rates(spikeCounts: counts, samples: n, architecture: simulator.architecture), samples: n)
    }
}
