import Foundation
import SpikeKitEngine
import SpikeKitFormats

/// The heterogeneous-time-constant experiment of Perez-Nieves et al. (2021) on any classification data: the same
/// network (inputs → one recurrent LIF layer → readout) trained with
///
/// | variant | hidden τ_mem, τ_syn at the start | learned |
/// |---|---|---|
/// | `fixed` | constant τ̄ for every neuron | no |
/// | `heterogeneous` | per neuron τ ~ Γ(k, τ̄/k) (mean τ̄) | no |
/// | `learned` | constant τ̄ | yes: ρ = ln τ per neuron |
/// | `heterogeneous-learned` | Γ(k, τ̄/k) | yes |
///
/// over several seeds (each seed draws the weights, the Γ time constants, the batch order and any escape noise;
/// the data stay the same), reporting every run's accuracies and the hidden layer's time constants at the start
/// and at the end. Learned time constants are parametrised as ρ = ln(τ / 1 s) (docs/ModelFormat.md), never
/// weight-decayed; the readout keeps its constant τ.
public struct TimeConstantStudy: Sendable {
    /// One of the four network variants.
    public enum Variant: String, CaseIterable, Sendable, Codable {
        case fixed
        case heterogeneous
        case learned
        case heterogeneousLearned = "heterogeneous-learned"

        public var heterogeneousStart: Bool { self == .heterogeneous || self == .heterogeneousLearned }
        public var learns: Bool { self == .learned || self == .heterogeneousLearned }
    }

    /// The network and training settings shared by every run.
    public struct Configuration: Sendable, Codable, Equatable {
        public var variants: [Variant] = Variant.allCases
        public var seeds: [UInt64] = [1, 2, 3]
        public var hiddenUnits = 64
        public var recurrent = true
        /// τ̄ of the hidden layer (seconds): the constant, and the mean of the Γ draws.
        public var tauMem = 0.02
        public var tauSyn = 0.01
        /// The readout's membrane time constant (seconds).
        public var readoutTauMem = 0.2
        /// Γ shape k of the heterogeneous start (Perez-Nieves et al.: 3).
        public var gammaShape = 3.0
        /// Stochastic hidden neurons (sigmoid escape noise, β = 10) instead of deterministic ones.
        public var stochastic = false
        /// SuperSpike surrogate steepness β.
        public var surrogateBeta = 10.0
        public var epochs = 20
        public var batchSize = 25
        public var learningRate = 0.01
        public var threads: Int? = nil

        public init() {}

        public func validate() throws {
            guard !variants.isEmpty else { throw SpikeKitError.invalidConfiguration("the study needs at least one variant") }
            guard !seeds.isEmpty else { throw SpikeKitError.invalidConfiguration("the study needs at least one seed") }
            guard hiddenUnits > 0 else { throw SpikeKitError.invalidConfiguration("hidden units must be positive, got \(hiddenUnits)") }
            for (name, v) in [("tau_mem", tauMem), ("tau_syn", tauSyn), ("readout tau_mem", readoutTauMem), ("gamma shape", gammaShape),
                              ("learning rate", learningRate), ("surrogate beta", surrogateBeta)] {
                guard v.isFinite, v > 0 else { throw SpikeKitError.invalidConfiguration("\(name) must be a positive number, got \(v)") }
            }
            guard epochs >= 1 else { throw SpikeKitError.invalidConfiguration("epochs must be at least 1, got \(epochs)") }
            guard batchSize >= 1 else { throw SpikeKitError.invalidConfiguration("batch size must be at least 1, got \(batchSize)") }
        }
    }

    /// One trained run.
    public struct Run: Sendable, Codable, Equatable {
        public var variant: Variant
        public var seed: UInt64
        /// Test (else validation) accuracy after the last epoch; validation and training accuracy beside it.
        public var testAccuracy: Double?
        public var validationAccuracy: Double?
        public var trainAccuracy: Double?
        /// The best validation accuracy over the epochs.
        public var bestValidationAccuracy: Double?
        /// The hidden layer's τ_mem and τ_syn per neuron (seconds) at the start and after training.
        public var initialTauMem: [Double]
        public var initialTauSyn: [Double]
        public var finalTauMem: [Double]
        public var finalTauSyn: [Double]
        public var hiddenRate: Double?
        public var seconds: Double
    }

    public var configuration: Configuration

    public init(configuration: Configuration = Configuration()) { self.configuration = configuration }

    /// The network of one run: `inputs` → hidden LIF (recurrent by default) → `classes` readout units.
    public func network(variant: Variant, seed: UInt64, inputs: Int, classes: Int, dt: Double) throws -> NetworkDescription {
        let c = configuration
        let spike = c.stochastic ? try SpikeFunction(escape: .sigmoid(beta: 10), surrogate: .superspike(beta: c.surrogateBeta))
                                 : SpikeFunction.deterministic(beta: c.surrogateBeta)
        // The Γ draws of τ_mem and τ_syn come from the run's seed (on streams of their own, LayerArchitecture).
        let memInit: TimeConstantInit = variant.heterogeneousStart ? .gamma(shape: c.gammaShape, seed: seed) : .constant
        let synInit: TimeConstantInit = variant.heterogeneousStart ? .gamma(shape: c.gammaShape, seed: seed) : .constant
        let hidden = LayerDescription(kind: .lif, units: c.hiddenUnits, tauMem: c.tauMem, tauSyn: c.tauSyn,
                                      recurrent: c.recurrent ? RecurrentDescription(kind: .dense) : nil, spike: spike,
                                      tauMemInit: memInit, tauSynInit: synInit,
                                      learnTauMem: variant.learns ? true : nil, learnTauSyn: variant.learns ? true : nil)
        let readout = LayerDescription(kind: .readout, units: classes, tauMem: c.readoutTauMem, tauSyn: c.tauSyn)
        return NetworkDescription(dt: dt, input: InputDescription(shape: [inputs]), layers: [hidden, readout])
    }

    /// Trains every variant with every seed (variants inner) on the same data. `progress` sees each finished run.
    public func run(training: any Dataset, validation: (any Dataset)?, test: (any Dataset)?,
                    progress: (Run) -> Void = { _ in }) throws -> [Run] {
        let c = configuration
        try c.validate()
        guard !training.classNames.isEmpty else {
            throw SpikeKitError.invalidConfiguration("the study needs labelled classification data")
        }
        var runs: [Run] = []
        for seed in c.seeds {
            for variant in c.variants {
                let description = try network(variant: variant, seed: seed, inputs: training.units,
                                              classes: training.classNames.count, dt: training.dt)
                let architecture = try NetworkArchitecture(description)
                let start = Date()
                var trainer = try Trainer(network: description, loss: .maxOverTimeCrossEntropy(activityRegularizer: nil),
                                          optimizer: Adam(learningRate: Float(c.learningRate)), training: training,
                                          validation: validation, test: test,
                                          configuration: TrainerConfiguration(epochs: c.epochs, batchSize: c.batchSize, seed: seed),
                                          threads: c.threads)
                let hidden = architecture.layers[0]
                let initial = Self.hiddenTaus(trainer.parameters, hidden)
                try trainer.fit(callbacks: [])
                let final = Self.hiddenTaus(trainer.parameters, hidden)
                let last = trainer.history.last
                let run = Run(variant: variant, seed: seed, testAccuracy: last?.test?.accuracy ?? last?.validation?.accuracy,
                              validationAccuracy: last?.validation?.accuracy, trainAccuracy: last?.trainAccuracy,
                              bestValidationAccuracy: trainer.history.compactMap { $0.validation?.accuracy }.max(),
                              initialTauMem: initial.mem, initialTauSyn: initial.syn, finalTauMem: final.mem,
                              finalTauSyn: final.syn, hiddenRate: last?.test?.rates.first ?? last?.trainRates.first,
                              seconds: Date().timeIntervalSince(start))
                progress(run)
                runs.append(run)
            }
        }
        return runs
    }

    /// The hidden layer's τ per neuron: learned values from the parameters, else the architecture's fixed ones.
    static func hiddenTaus(_ p: NetworkParameters, _ layer: LayerArchitecture) -> (mem: [Double], syn: [Double]) {
        let learned = p.timeConstants(layer: 0)
        let n = layer.shape.channels
        return (learned.mem ?? layer.tauMemValues ?? Array(repeating: layer.tauMem, count: n),
                learned.syn ?? layer.tauSynValues ?? Array(repeating: layer.tauSyn, count: n))
    }

    /// Mean and sample standard deviation (0 for one value) of the non-nil values.
    public static func meanAndSD(_ values: [Double?]) -> (mean: Double, sd: Double, count: Int)? {
        let v = values.compactMap { $0 }
        guard !v.isEmpty else { return nil }
        let m = v.reduce(0, +) / Double(v.count)
        let s = v.count > 1 ? (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count - 1)).squareRoot() : 0
        return (m, s, v.count)
    }
}
