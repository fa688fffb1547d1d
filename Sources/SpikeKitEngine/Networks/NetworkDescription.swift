import SpikeKitFormats
import SpikeKitKernels
import Foundation
/// SpikeKit's model description, in the JSON schema of the verification cases (../shared/reference/README.md):
/// the code that reads a case's network is the code that builds every network.
///
/// ```json
/// {"dt": 0.001, "threshold": 1.0, "input": {"shape": [200]},
///  "layers": [{"kind": "lif", "units": 200, "tau_mem": 0.01, "tau_syn": 0.005, "reset": "same-step",
///              "spike": {...}, "recurrent": null, "weights": "layer0.weight.npy"}, ...]}
/// ```
public struct NetworkDescription: Codable, Equatable, Sendable {
    /// Step size Δt in seconds.
    public var dt: Double
    /// Firing threshold θ (1 unless configured).
    public var threshold: Double
    /// The input layer.
    public var input: InputDescription
    /// The layers, applied in order.
    public var layers: [LayerDescription]

    public init(dt: Double, threshold: Double = 1, input: InputDescription, layers: [LayerDescription]) {
        self.dt = dt
        self.threshold = threshold
        self.input = input
        self.layers = layers
    }

    private enum CodingKeys: String, CodingKey { case dt, threshold, input, layers }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dt = try c.decode(Double.self, forKey: .dt)
        threshold = try c.decodeIfPresent(Double.self, forKey: .threshold) ?? 1
        input = try c.decode(InputDescription.self, forKey: .input)
        layers = try c.decode([LayerDescription].self, forKey: .layers)
    }
}

/// The input layer: its shape, `[units]` or `[channels, positions]`, what it carries (`kind`: spikes, the
/// default, or real-valued currents) and (in a verification case) the file of input spikes or currents
/// `[B, T, *shape]`.
public struct InputDescription: Codable, Equatable, Sendable {
    public var shape: [Int]
    public var spikes: String?
    /// What the input carries; nil means spikes.
    public var kind: InputKind?
    /// In a verification case with `kind` current: the file of float currents `[B, T, *shape]`.
    public var currents: String?

    public init(shape: [Int], spikes: String? = nil, kind: InputKind? = nil, currents: String? = nil) {
        self.shape = shape
        self.spikes = spikes
        self.kind = kind
        self.currents = currents
    }

    /// Whether the input is real-valued (`kind` current).
    public var isRealValued: Bool { kind == .current }
}

/// What a network's input carries.
public enum InputKind: String, Codable, Sendable {
    /// Binary spikes S_in[n] ∈ {0, 1} (event-driven first layer).
    case spikes
    /// Real-valued currents x[n] ∈ ℝ (analog features, pixel intensities): they enter the first layer's synaptic
    /// input through its weights exactly as spikes do, I[n+1] = λ_s I[n] + W·x[n] (+ V·S[n] + b).
    case current
}

/// The kinds of layer SpikeKit builds (SPEC section 2).
public enum LayerKind: String, Codable, Sendable {
    /// Dense connection from the previous layer into LIF neurons.
    case lif
    /// conv1d over the positions axis into LIF neurons arranged as (channels, positions).
    case convLIF = "conv-lif"
    /// Dense connection into non-spiking leaky integrators.
    case readout
    /// Dense connection into adaptive LIF neurons (Bellec et al. 2018): the threshold θ + β a[n] rises with every
    /// spike and relaxes with its own time constant (`tau_adapt`, `adapt_strength`; see `LayerArchitecture`).
    case alif
    /// conv1d into adaptive LIF neurons arranged as (channels, positions): `conv-lif` with the adaptation of `alif`
    /// (one a per neuron, τ_a and β shared by the layer).
    case convALIF = "conv-alif"
}

/// When the reset acts (SPEC section 2).
public enum ResetMode: String, Codable, Sendable {
    /// `U[n+1] = (λ_m U[n] + (1-λ_m) I[n]) (1 - S[n])`: silent for one step after a spike.
    case nextStep = "next-step"
    /// `U[n+1] = λ_m U[n] (1 - S[n]) + (1-λ_m) I[n]`: can fire on consecutive steps.
    case sameStep = "same-step"
    /// `U[n+1] = λ_m U[n] + (1-λ_m) I[n] - θ S[n]`: the threshold is subtracted ("soft" reset, snnTorch's
    /// `reset_mechanism="subtract"`); the membrane keeps what exceeded θ. With `bpReset` off, S[n] in the reset
    /// term is a constant for the backward pass; with it on, dL/dS[n] gets -θ dL/dU[n+1].
    case subtract = "subtract"
}

/// A recurrent connection within a layer: dense (N × N) or conv1d (C × C × k, "same" size).
public struct RecurrentDescription: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable { case dense, conv }
    public var kind: Kind
    public var kernel: Int?
    public var padding: Int?
    public var stride: Int?
    /// The weight array's name (a file name in a verification case).
    public var weights: String?
    /// The connection's delay d ≥ 1 in steps (nil: 1, the default one-step delay): I[n+1] gets V·S[n-(d-1)].
    public var delay: Int?

    public init(kind: Kind, kernel: Int? = nil, padding: Int? = nil, stride: Int? = nil, weights: String? = nil,
                delay: Int? = nil) {
        self.kind = kind
        self.kernel = kernel
        self.padding = padding
        self.stride = stride
        self.weights = weights
        self.delay = delay
    }
}

/// One layer of a network description.
public struct LayerDescription: Codable, Equatable, Sendable {
    public var kind: LayerKind
    /// Neurons of a `lif` or `readout` layer.
    public var units: Int?
    /// Output channels, kernel, stride and padding of a `conv-lif` layer.
    public var channels: Int?
    public var kernel: Int?
    public var stride: Int?
    public var padding: Int?
    /// Membrane and synaptic time constants in seconds.
    public var tauMem: Double
    public var tauSyn: Double
    /// Reset mode of a spiking layer (default next-step).
    public var reset: ResetMode?
    /// U[0] of a readout (default 0).
    public var initialMem: Double?
    /// The feed-forward weight array's name.
    public var weights: String?
    public var recurrent: RecurrentDescription?
    /// Spike function of a spiking layer.
    public var spike: SpikeFunction?
    /// In a verification case: the file of uniform draws ξ [B, T, *layer shape].
    public var noise: String?
    /// The bias array's name (in a verification case its file): when set, the layer has a bias b, one per neuron
    /// (`lif`, `readout`: shape [units]) or per channel (`conv-lif`: shape [channels]), added to the synaptic
    /// input at every step: I[n+1] = λ_s I[n] + W·S_in[n] + V·S[n] + b.
    public var bias: String?
    /// Heterogeneous time constants (Perez-Nieves et al. 2021): when set, every neuron (`lif`, `readout`) or
    /// channel (`conv-lif`) has its own τ_mem, drawn or given by the initialisation; `tauMem` stays the nominal
    /// value (the constant and the gamma mean). JSON `tau_mem_init`.
    public var tauMemInit: TimeConstantInit?
    /// The same for τ_syn (JSON `tau_syn_init`).
    public var tauSynInit: TimeConstantInit?
    /// Train τ_mem, one per neuron or channel, as the parameter `layer<i>.log_tau_mem` = ln(τ_mem / 1 s), starting
    /// from `tauMemInit` (or the constant `tauMem`). JSON `learn_tau_mem`.
    public var learnTauMem: Bool?
    /// The same for τ_syn (`layer<i>.log_tau_syn`, JSON `learn_tau_syn`).
    public var learnTauSyn: Bool?
    /// Dropout on the layer's output spikes during training: the probability p ∈ [0, 1) of dropping each spike
    /// (nil or 0: none). What the next layer receives is S̃[n] = m[n] ⊙ S[n] / (1 - p), m[n] ∈ {0, 1} kept with
    /// probability 1 - p; the layer's own reset, recurrence, spike counts and regularizers see S[n] undropped.
    /// Off at evaluation (S̃ = S). Not on a readout or on the last layer.
    public var dropout: Double?
    /// In a verification case: the file of keep masks m [B, T, *layer shape] (0 or 1) for a layer with dropout.
    public var dropoutMask: String?
    /// The feed-forward connection's delay d ≥ 1 in steps (nil: 1, the default one-step delay): I[n+1] gets
    /// W·S_in[n-(d-1)] (zero for n < d-1). See `LayerArchitecture`.
    public var delay: Int?
    /// `alif` only: the adaptation time constant τ_a in seconds (> 0), a[n+1] = e^{-Δt/τ_a} a[n] + S[n].
    /// JSON `tau_adapt`.
    public var tauAdapt: Double?
    /// `alif` only: the adaptation strength β ≥ 0 (threshold θ + β a[n]). JSON `adapt_strength`.
    public var adaptStrength: Double?
    /// Train a threshold per neuron (`lif`, `alif`) or per channel (`conv-lif`), the parameter `layer<i>.threshold`,
    /// starting from the network's `threshold`. Not on a readout. JSON `learn_threshold`.
    public var learnThreshold: Bool?

    public init(kind: LayerKind, units: Int? = nil, channels: Int? = nil, kernel: Int? = nil, stride: Int? = nil,
                padding: Int? = nil, tauMem: Double, tauSyn: Double, reset: ResetMode? = nil,
                initialMem: Double? = nil, weights: String? = nil, recurrent: RecurrentDescription? = nil,
                spike: SpikeFunction? = nil, noise: String? = nil, bias: String? = nil,
                tauMemInit: TimeConstantInit? = nil, tauSynInit: TimeConstantInit? = nil, learnTauMem: Bool? = nil,
                learnTauSyn: Bool? = nil, dropout: Double? = nil, dropoutMask: String? = nil, delay: Int? = nil,
                tauAdapt: Double? = nil, adaptStrength: Double? = nil, learnThreshold: Bool? = nil) {
        self.kind = kind
        self.units = units
        self.channels = channels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.tauMem = tauMem
        self.tauSyn = tauSyn
        self.reset = reset
        self.initialMem = initialMem
        self.weights = weights
        self.recurrent = recurrent
        self.spike = spike
        self.noise = noise
        self.bias = bias
        self.tauMemInit = tauMemInit
        self.tauSynInit = tauSynInit
        self.learnTauMem = learnTauMem
        self.learnTauSyn = learnTauSyn
        self.dropout = dropout
        self.dropoutMask = dropoutMask
        self.delay = delay
        self.tauAdapt = tauAdapt
        self.adaptStrength = adaptStrength
        self.learnThreshold = learnThreshold
    }

    private enum CodingKeys: String, CodingKey {
        case kind, units, channels, kernel, stride, padding, reset, weights, recurrent, spike, noise, bias, dropout, delay
        case dropoutMask = "dropout_mask", tauMem = "tau_mem", tauSyn = "tau_syn", initialMem = "initial_mem"
        case tauMemInit = "tau_mem_init", tauSynInit = "tau_syn_init", learnTauMem = "learn_tau_mem", learnTauSyn = "learn_tau_syn"
        case tauAdapt = "tau_adapt", adaptStrength = "adapt_strength", learnThreshold = "learn_threshold"
    }
}

/// How a heterogeneous time constant is initialised, one value per neuron (per channel for `conv-lif`), in
/// seconds. JSON:
/// - `{"kind": "constant"}`: every neuron gets the layer's `tau_mem` (or `tau_syn`); with learning, the usual start.
/// - `{"kind": "uniform", "low": 0.005, "high": 0.05, "seed": 0}`: τ ~ U(low, high), 0 < low < high.
/// - `{"kind": "gamma", "shape": 3, "seed": 0}`: τ ~ Γ(k = shape, θ = τ̄ / k), mean τ̄ = the layer's `tau_mem`
///   (or `tau_syn`), as in Perez-Nieves et al. 2021 (k = 3).
/// - `{"kind": "values", "values": [0.01, 0.02, ...]}`: the values themselves (count = units or channels).
///
/// Draws use Philox with the given seed (default 0) and stream 2·layer (τ_mem) or 2·layer + 1 (τ_syn), so a model
/// file determines its time constants.
public enum TimeConstantInit: Codable, Equatable, Sendable {
    case constant
    case uniform(low: Double, high: Double, seed: UInt64)
    case gamma(shape: Double, seed: UInt64)
    case values([Double])

    private enum CodingKeys: String, CodingKey { case kind, low, high, shape, seed, values }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .kind)
        let seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 0
        switch kind {
        case "constant": self = .constant
        case "uniform": self = .uniform(low: try c.decode(Double.self, forKey: .low), high: try c.decode(Double.self, forKey: .high), seed: seed)
        case "gamma": self = .gamma(shape: try c.decode(Double.self, forKey: .shape), seed: seed)
        case "values": self = .values(try c.decode([Double].self, forKey: .values))
        default:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription:
                "unknown time-constant initialisation '\(kind)' (expected constant, uniform, gamma or values)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .constant: try c.encode("constant", forKey: .kind)
        case .uniform(let lo, let hi, let seed):
            try c.encode("uniform", forKey: .kind)
            try c.encode(lo, forKey: .low)
            try c.encode(hi, forKey: .high)
            try c.encode(seed, forKey: .seed)
        case .gamma(let k, let seed):
            try c.encode("gamma", forKey: .kind)
            try c.encode(k, forKey: .shape)
            try c.encode(seed, forKey: .seed)
        case .values(let v):
            try c.encode("values", forKey: .kind)
            try c.encode(v, forKey: .values)
        }
    }

    /// The `count` time constants in seconds, `nominal` being the layer's scalar τ.
    /// - Throws: `SpikeKitError.invalidConfiguration` (message without context) for bad parameters or values.
    public func resolve(count: Int, nominal: Double, stream: UInt64) throws -> [Double] {
        let out: [Double]
        switch self {
        case .constant:
            out = Array(repeating: nominal, count: count)
        case .uniform(let lo, let hi, let seed):
            guard lo.isFinite, hi.isFinite, lo > 0, lo < hi else {
                throw SpikeKitError.invalidConfiguration("uniform needs 0 < low < high, got low \(lo), high \(hi)")
            }
            var g = PhiloxGenerator(seed: seed, stream: stream)
            out = (0 ..< count).map { _ in lo + (hi - lo) * g.uniform() }
        case .gamma(let k, let seed):
            guard k.isFinite, k > 0 else { throw SpikeKitError.invalidConfiguration("gamma needs a positive shape, got \(k)") }
            var g = PhiloxGenerator(seed: seed, stream: stream)
            out = (0 ..< count).map { _ in Self.gamma(shape: k, using: &g) * nominal / k }
        case .values(let v):
            guard v.count == count else {
                throw SpikeKitError.invalidConfiguration("values lists \(v.count) time constants, the layer needs \(count)")
            }
            out = v
        }
        // A gamma draw can underflow to 0 only for absurd shapes; every τ must be positive and finite.
        if let bad = out.first(where: { !($0.isFinite && $0 > 0) }) {
            throw SpikeKitError.invalidConfiguration("every time constant must be positive and finite, got \(bad)")
        }
        return out
    }

    /// A Γ(k, 1) draw (Marsaglia & Tsang 2000; k < 1 through Γ(k + 1) · u^{1/k}).
    static func gamma(shape k: Double, using g: inout PhiloxGenerator) -> Double {
        if k < 1 {
            let u = max(g.uniform(), .leastNonzeroMagnitude)
            return gamma(shape: k + 1, using: &g) * Foundation.pow(u, 1 / k)
        }
        let d = k - 1.0 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            let x = g.normal()
            let v0 = 1 + c * x
            guard v0 > 0 else { continue }
            let v = v0 * v0 * v0
            let u = g.uniform()
            if u < 1 - 0.0331 * x * x * x * x || Foundation.log(u) < 0.5 * x * x + d * (1 - v + Foundation.log(v)) { return d * v }
        }
    }
}
