import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine

/// The family of small stochastic LIF networks that `spikekit theory snn-bias` studies: `inputs` Poisson-like input
/// units → hidden LIF layers (sigmoid(β) escape noise, sigmoid(β_SG) surrogate) → a readout of `classes` units,
/// max-over-time cross-entropy on label 0, Δt = 1 ms, τ_mem = 2 ms, τ_syn = 1 ms, threshold 1.
///
/// Weights and the input raster are drawn from `seed` (stream 0: the input raster, each unit spiking with
/// probability ½ per step; stream 1: the weights, `W_ij = (weightMean + weightSpread · z) / fan-in` into hidden layers and
/// `N(0, 1)` into the readout, recurrent `N(0, 0.3²)`), so that hidden neurons fire with moderate probability.
public struct SNNBiasSetup: Sendable, Equatable, CustomStringConvertible {
    public var inputs = 4
    public var hidden: [Int] = [2]
    public var classes = 2
    public var steps = 9
    /// β of the sigmoid escape noise.
    public var escapeBeta = 5.0
    /// β_SG of the sigmoid surrogate (`nil`: β, the surrogate matched to the escape noise).
    public var surrogateBeta: Double? = nil
    public var bpReset = false
    public var reset: ResetMode = .nextStep
    public var recurrent = false
    public var seed: UInt64 = 0
    /// Weights into a hidden layer are `(weightMean + weightSpread · z) / fan-in`, z standard normal.
    public var weightMean = 3.2
    public var weightSpread = 1.6

    public init() {}

    /// The hidden layers' spike function.
    public func spikeFunction() throws -> SpikeFunction {
        try SpikeFunction(escape: .sigmoid(beta: escapeBeta), surrogate: .sigmoid(beta: surrogateBeta ?? escapeBeta),
                          bpReset: bpReset)
    }

    /// The network description (the schema `--model` reads).
    public func networkDescription() throws -> NetworkDescription {
        let spike = try spikeFunction()
        var layers = hidden.map { n in
            LayerDescription(kind: .lif, units: n, tauMem: 2e-3, tauSyn: 1e-3, reset: reset,
                             recurrent: recurrent ? RecurrentDescription(kind: .dense) : nil, spike: spike)
        }
        layers.append(LayerDescription(kind: .readout, units: classes, tauMem: 2e-3, tauSyn: 1e-3))
        return NetworkDescription(dt: 1e-3, threshold: 1, input: InputDescription(shape: [inputs]), layers: layers)
    }

    /// The network with its weights, input and objective.
    public func network() throws -> StochasticLIFNetwork {
        try Self.randomNetwork(architecture: try NetworkArchitecture(try networkDescription()), steps: steps, seed: seed,
                               weightMean: weightMean, weightSpread: weightSpread)
    }

    /// Any architecture with weights, input and objective drawn from `seed` as described for the type (a spiking
    /// output gets the L2 spike loss against a target raster of rate 0.3 from stream 2; a readout cross-entropy on
    /// label 0).
    public static func randomNetwork(architecture: NetworkArchitecture, steps: Int, seed: UInt64, weightMean: Double = 3.2,
                                     weightSpread: Double = 1.6) throws -> StochasticLIFNetwork {
        guard steps > 0 else { throw SpikeKitError.invalidConfiguration("steps must be positive, got \(steps)") }
        let units = architecture.input.count
        var inputRNG = PhiloxGenerator(seed: seed, stream: 0)
        var events: [(step: Int, unit: Int)] = []
        for t in 0..<steps { for j in 0..<units where inputRNG.uniform() < 0.5 { events.append((t, j)) } }
        let input = try SpikeTrains(steps: steps, units: units, events: events)
        var rng = PhiloxGenerator(seed: seed, stream: 1)
        var w: [Double] = []
        for l in architecture.layers {
            let fanIn = Double(l.feedForward.fanIn)
            for _ in 0..<l.feedForward.weightShape.reduce(1, *) {
                w.append(l.isSpiking ? (weightMean + weightSpread * rng.normal()) / fanIn : rng.normal())
            }
            if let r = l.recurrent {
                for _ in 0..<r.weightShape.reduce(1, *) { w.append(0.3 * rng.normal()) }
            }
        }
        let objective: LIFObjective
        if architecture.layers[architecture.layers.count - 1].isSpiking {
            var t = PhiloxGenerator(seed: seed, stream: 2)
            objective = .l2Spikes(target: (0..<(steps * architecture.outputShape.count)).map { _ in t.uniform() < 0.3 ? 1 : 0 })
        } else {
            objective = .crossEntropy(label: 0, activityRegularizer: nil)
        }
        return try StochasticLIFNetwork(architecture: architecture, flatParameters: w, input: input, objective: objective)
    }

    /// `3`, `2-2`, ... and the settings that differ from the defaults.
    public var description: String {
        var parts = ["hidden \(hidden.map(String.init).joined(separator: "-"))", "T=\(steps)", "β=\(escapeBeta.shortText)",
                     "β_SG=\((surrogateBeta ?? escapeBeta).shortText)"]
        if bpReset { parts.append("bpReset") }
        if reset == .sameStep { parts.append("same-step") }
        if recurrent { parts.append("recurrent") }
        return parts.joined(separator: " ")
    }
}

extension Double {
    /// `%g`-style text without trailing zeros.
    var shortText: String {
        self == rounded() && abs(self) < 1e9 ? String(Int(self)) : "\(self)"
    }
}
