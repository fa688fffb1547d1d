import SpikeKitFormats
import SpikeKitKernels
import Foundation

/// A validated layer: its connections, output shape and neuron parameters, resolved from a `LayerDescription`.
///
/// Dynamics (SPEC section 2), for n = 0..T-1, with λ_m = e^{-Δt/τ_mem}, λ_s = e^{-Δt/τ_syn}:
/// ```
/// S[n]   = spike(U[n] - θ)
/// I[n+1] = λ_s I[n] + W·S_in[n] + V·S[n] + b        (b: the optional bias, per neuron or per channel)
/// next-step reset: U[n+1] = (λ_m U[n] + (1-λ_m) I[n]) (1 - S[n])
/// same-step reset: U[n+1] = λ_m U[n] (1 - S[n]) + (1-λ_m) I[n]
/// subtract reset:  U[n+1] = λ_m U[n] + (1-λ_m) I[n] - θ S[n]
/// readout:         U[n+1] = λ_m U[n] + (1-λ_m) I[n], output U[n], U[0] = initialMem
/// ```
/// With heterogeneous time constants λ_m and λ_s are per neuron (`lif`, `readout`) or per channel (`conv-lif`,
/// shared by the channel's positions): λ_m,k = e^{-Δt/τ_mem,k}. A learnable τ is the parameter ρ = ln(τ / 1 s)
/// (`layer<i>.log_tau_mem`, `layer<i>.log_tau_syn`), so τ = e^ρ > 0 and λ ∈ (0, 1) for every finite ρ.
///
/// Adaptive LIF (`alif`, Bellec et al. 2018) and learnable thresholds: the threshold is θ_k + β a_k[n], with θ_k the
/// network's θ or the learned per-neuron `layer<i>.threshold` (per channel for `conv-lif`) and a[n] the adaptation
/// variable of an `alif` layer (β = 0 and no a otherwise), ρ_a = e^{-Δt/τ_a}, a[0] = 0:
/// ```
/// ϑ[n]   = θ + β a[n]
/// S[n]   = spike(U[n] - ϑ[n])                      (escape noise and surrogate on the same argument)
/// a[n+1] = ρ_a a[n] + S[n]
/// subtract reset: U[n+1] = λ_m U[n] + (1-λ_m) I[n] - ϑ[n] S[n]   (next-step and same-step reset as above)
/// ```
/// In BPTT a carries dL/da[n] = ρ_a dL/da[n+1] - β dL/dx[n] (- β S[n] dL/dU[n+1] with the subtract reset), with
/// x[n] = U[n] - ϑ[n]; dL/dS[n] gets dL/da[n+1]. dL/dθ = -Σ_n dL/dx[n] (- Σ_n S[n] dL/dU[n+1] with subtract).
/// `bpReset` decides only whether S[n] in the reset term carries a gradient (subtract: -ϑ[n] dL/dU[n+1]).
///
/// Dropout p on a spiking layer (training only): the next layer's S_in[n] is S̃[n] = m[n] ⊙ S[n] / (1 - p) with
/// keep masks m[n] ∈ {0, 1}, P(m = 1) = 1 - p; the layer's own equations above use S[n]. In BPTT the next layer's
/// dL/dS̃[n] reaches dL/dS[n] as m[n] ⊙ dL/dS̃[n] / (1 - p), and its weight gradient Σ_n S̃[n] ⊗ dL/dI[n+1] uses S̃.
///
/// Synaptic delays: the feed-forward connection has a delay d_ff ≥ 1 and the recurrent one d_rec ≥ 1 (steps);
/// d = 1 is the one-step delay of the equations above, and in general
/// ```
/// I[n+1] = λ_s I[n] + W·S_in[n - (d_ff - 1)] + V·S[n - (d_rec - 1)] + b      (S_in[m] = S[m] = 0 for m < 0)
/// ```
/// In BPTT the gradient reaches the presynaptic spikes d steps later in reverse time:
/// dL/dS_in[m] = Wᵀ dL/dI[m + d_ff], dL/dS[m] ∋ Vᵀ dL/dI[m + d_rec] (zero when m + d ≥ T).
public struct LayerArchitecture: Equatable, Sendable {
    public var kind: LayerKind
    public var feedForward: ConnectionGeometry
    public var recurrent: ConnectionGeometry?
    public var tauMem: Double
    public var tauSyn: Double
    public var reset: ResetMode
    /// The spike function (nil for a readout).
    public var spike: SpikeFunction?
    public var initialMem: Double
    /// Whether the layer has a bias b (shape `biasShape`).
    public var hasBias: Bool
    /// Per-neuron (per-channel for conv-lif, shape `biasShape`) time constants in seconds, nil when the layer uses
    /// the scalar `tauMem` / `tauSyn`. For a learnable τ these are the initial values.
    public var tauMemValues: [Double]?
    public var tauSynValues: [Double]?
    /// Whether τ_mem / τ_syn are trained (parameters `layer<i>.log_tau_mem`, `layer<i>.log_tau_syn`).
    public var learnsTauMem: Bool
    public var learnsTauSyn: Bool

    /// `alif`: the adaptation time constant τ_a in seconds (nil for other kinds) and the strength β (0 otherwise).
    public var tauAdapt: Double?
    public var adaptStrength: Double
    /// Whether the threshold is a trained per-neuron (per-channel) parameter `layer<i>.threshold`.
    public var learnsThreshold: Bool
    /// Whether the layer runs the general spiking loop of `LayerPass+Adaptive` (an `alif` layer or a learned
    /// threshold); every other spiking layer runs the unchanged LIF loops.
    public var usesAdaptivePass: Bool { isAdaptive || learnsThreshold }
    /// Whether the neurons adapt (`alif`, `conv-alif`).
    public var isAdaptive: Bool { kind == .alif || kind == .convALIF }
    /// Whether the feed-forward connection is a conv1d (`conv-lif`, `conv-alif`).
    public var isConv: Bool { kind == .convLIF || kind == .convALIF }
    /// ρ_a = e^{-Δt/τ_a} (0 without adaptation).
    public func adaptDecay(dt: Double) -> Double { tauAdapt.map { exp(-dt / $0) } ?? 0 }

    /// Whether λ_m, λ_s are vectors (heterogeneous or learnable τ); otherwise the scalar kernels run.
    public var hasNeuronTimeConstants: Bool { tauMemValues != nil || tauSynValues != nil }
    /// Dropout probability p on the output spikes during training (0: none).
    public var dropout: Double
    /// Delays in steps of the feed-forward and the recurrent connection (1: the default one-step delay; 1 for a
    /// layer without recurrence).
    public var feedForwardDelay: Int
    public var recurrentDelay: Int
    /// Whether a connection of the layer has a delay of more than one step (the delayed time loops run).
    public var hasDelay: Bool { feedForwardDelay > 1 || recurrentDelay > 1 }
    /// The largest delay a model file may give, in steps (a run also needs d ≤ its number of steps).
    public static let maximumDelay = 1_000_000

    /// The canonical bias shape: `[units]` for dense layers and readouts, `[channels]` for conv layers.
    public var biasShape: [Int] { [shape.channels] }

    /// The layer's activity shape.
    public var shape: ActivityShape { feedForward.output }
    public var isSpiking: Bool { kind != .readout }

    /// λ_m = e^{-Δt/τ_mem} and λ_s = e^{-Δt/τ_syn} for step size `dt`.
    public func decay(dt: Double) -> (mem: Double, syn: Double) { (exp(-dt / tauMem), exp(-dt / tauSyn)) }

    /// Resolves and validates a description given the previous layer's shape.
    public init(_ d: LayerDescription, input: ActivityShape, index: Int) throws {
        let ctx = "layer \(index) (\(d.kind.rawValue))"
        func bad(_ m: String) -> SpikeKitError { .invalidConfiguration("\(ctx): \(m)") }
        guard d.tauMem.isFinite, d.tauMem > 0, d.tauSyn.isFinite, d.tauSyn > 0 else {
            throw bad("tau_mem and tau_syn must be positive, got \(d.tauMem) and \(d.tauSyn)")
        }
        kind = d.kind
        tauMem = d.tauMem
        tauSyn = d.tauSyn
        reset = d.reset ?? .nextStep
        initialMem = d.initialMem ?? 0
        hasBias = d.bias != nil
        learnsTauMem = d.learnTauMem ?? false
        learnsTauSyn = d.learnTauSyn ?? false
        tauMemValues = nil
        tauSynValues = nil
        learnsThreshold = d.learnThreshold ?? false
        if learnsThreshold, d.kind == .readout {
            throw bad("a readout has no threshold to learn (learn_threshold is for spiking layers)")
        }
        if d.kind == .alif || d.kind == .convALIF {
            guard let ta = d.tauAdapt else { throw bad("an \(d.kind.rawValue) layer needs 'tau_adapt' (seconds)") }
            guard ta.isFinite, ta > 0 else { throw bad("tau_adapt must be positive and finite, got \(ta)") }
            guard let beta = d.adaptStrength else { throw bad("an \(d.kind.rawValue) layer needs 'adapt_strength'") }
            guard beta.isFinite, beta >= 0 else { throw bad("adapt_strength must be finite and non-negative, got \(beta)") }
            tauAdapt = ta
            adaptStrength = beta
        } else {
            guard d.tauAdapt == nil, d.adaptStrength == nil else {
                throw bad("tau_adapt and adapt_strength belong to an alif or conv-alif layer")
            }
            tauAdapt = nil
            adaptStrength = 0
        }
        guard initialMem.isFinite else { throw bad("initial_mem must be finite") }
        dropout = d.dropout ?? 0
        guard dropout.isFinite, dropout >= 0, dropout < 1 else { throw bad("dropout must be in [0, 1), got \(dropout)") }
        if dropout > 0, d.kind == .readout { throw bad("a readout has no dropout (dropout acts on a spiking layer's output spikes)") }
        func delay(_ v: Int?, _ name: String) throws -> Int {
            guard let v else { return 1 }
            guard v >= 1, v <= LayerArchitecture.maximumDelay else {
                throw bad("\(name) must be a whole number of steps from 1 to \(LayerArchitecture.maximumDelay), got \(v)")
            }
            return v
        }
        feedForwardDelay = try delay(d.delay, "delay")
        recurrentDelay = try delay(d.recurrent?.delay, "recurrent delay")
        if recurrentDelay > 1, d.kind == .alif || d.kind == .convALIF || learnsThreshold {
            throw bad("a recurrent delay above 1 step is not supported on an alif or conv-alif layer or one that learns its threshold")
        }
        switch d.kind {
        case .lif, .alif, .readout:
            guard let n = d.units, n > 0 else { throw bad("needs a positive 'units'") }
            feedForward = .dense(input: input, outputs: n)
        case .convLIF, .convALIF:
            guard let c = d.channels, let k = d.kernel else { throw bad("needs 'channels' and 'kernel'") }
            guard input.positions > 1 || (d.padding ?? 0) > 0 || k == 1 else {
                throw bad("conv-lif needs a [channels, positions] input, got \(input)")
            }
            feedForward = .conv(input: input, outChannels: c, kernel: k, stride: d.stride ?? 1, padding: d.padding ?? 0)
        }
        try feedForward.validate(context: ctx)
        if d.kind == .readout {
            spike = nil
            guard d.recurrent == nil else { throw bad("a readout has no recurrent connection") }
            recurrent = nil
        } else {
            guard let s = d.spike else { throw bad("a spiking layer needs 'spike'") }
            spike = s
            let out = feedForward.output
            switch d.recurrent?.kind {
            case nil: recurrent = nil
            case .dense: recurrent = .dense(input: out, outputs: out.count)
            case .conv:
                guard d.kind == .convLIF || d.kind == .convALIF, let r = d.recurrent, let k = r.kernel else {
                    throw bad("a conv recurrent connection needs a conv-lif or conv-alif layer and a 'kernel'")
                }
                let g = ConnectionGeometry.conv(input: out, outChannels: out.channels, kernel: k, stride: r.stride ?? 1,
                                                padding: r.padding ?? 0)
                try g.validate(context: ctx + " recurrent")
                guard g.output == out else {
                    throw bad("the recurrent conv must keep the shape \(out) (kernel \(k), padding \(r.padding ?? 0)) but gives \(g.output)")
                }
                recurrent = g
            }
        }
        let count = shape.channels
        func values(_ initial: TimeConstantInit?, learn: Bool, nominal: Double, name: String, stream: UInt64) throws -> [Double]? {
            guard let initial = initial ?? (learn ? .constant : nil) else { return nil }
            do {
                return try initial.resolve(count: count, nominal: nominal, stream: stream)
            } catch SpikeKitError.invalidConfiguration(let m) {
                throw bad("\(name): \(m)")
            }
        }
        tauMemValues = try values(d.tauMemInit, learn: learnsTauMem, nominal: d.tauMem, name: "tau_mem_init", stream: UInt64(2 * index))
        tauSynValues = try values(d.tauSynInit, learn: learnsTauSyn, nominal: d.tauSyn, name: "tau_syn_init", stream: UInt64(2 * index + 1))
    }

    /// The initial parameter ρ = ln(τ / 1 s) of a learnable τ_mem (nil when τ_mem is not learned), shape `biasShape`.
    public var initialLogTauMem: Tensor? {
        guard learnsTauMem, let v = tauMemValues else { return nil }
        return try! Tensor(shape: biasShape, scalars: v.map { Float(Foundation.log($0)) })
    }

    /// The initial learnable threshold, `threshold` for every neuron (channel), nil when the threshold is not learned.
    public func initialThreshold(_ threshold: Double) -> Tensor? {
        guard learnsThreshold else { return nil }
        return try! Tensor(shape: biasShape, scalars: [Float](repeating: Float(threshold), count: shape.channels))
    }

    /// The initial ρ = ln(τ_syn / 1 s) of a learnable τ_syn (nil when τ_syn is not learned).
    public var initialLogTauSyn: Tensor? {
        guard learnsTauSyn, let v = tauSynValues else { return nil }
        return try! Tensor(shape: biasShape, scalars: v.map { Float(Foundation.log($0)) })
    }
}

/// A validated network architecture: the input shape and the layers with their resolved geometry.
public struct NetworkArchitecture: Equatable, Sendable {
    public var dt: Double
    public var threshold: Double
    public var input: ActivityShape
    public var layers: [LayerArchitecture]
    /// The input is real-valued currents `[T, units]` per sample (`Simulator.run(currents:)`), not spikes.
    public var realValuedInput = false

    /// Resolves and validates a description.
    /// - Throws: `SpikeKitError.invalidConfiguration` naming the layer and the problem.
    public init(_ d: NetworkDescription) throws {
        guard d.dt.isFinite, d.dt > 0 else { throw SpikeKitError.invalidConfiguration("dt must be positive, got \(d.dt)") }
        guard d.threshold.isFinite else { throw SpikeKitError.invalidConfiguration("threshold must be finite") }
        dt = d.dt
        threshold = d.threshold
        realValuedInput = d.input.isRealValued
        switch d.input.shape.count {
        case 1 where d.input.shape[0] > 0: input = ActivityShape(units: d.input.shape[0])
        case 2 where d.input.shape[0] > 0 && d.input.shape[1] > 0:
            input = ActivityShape(channels: d.input.shape[0], positions: d.input.shape[1])
        default:
            throw SpikeKitError.invalidConfiguration("input shape must be [units] or [channels, positions], got \(d.input.shape)")
        }
        guard !d.layers.isEmpty else { throw SpikeKitError.invalidConfiguration("a network needs at least one layer") }
        var shape = input
        var layers: [LayerArchitecture] = []
        for (i, ld) in d.layers.enumerated() {
            if i < d.layers.count - 1, ld.kind == .readout {
                throw SpikeKitError.invalidConfiguration("layer \(i): a readout must be the last layer")
            }
            if i == d.layers.count - 1, ld.kind != .readout, let p = ld.dropout, p > 0 {
                throw SpikeKitError.invalidConfiguration("layer \(i): dropout needs a next layer (it acts on the spikes the next layer receives)")
            }
            let l = try LayerArchitecture(ld, input: shape, index: i)
            layers.append(l)
            shape = l.shape
        }
        self.layers = layers
    }

    /// The initial learnable thresholds per layer (θ for every neuron or channel; nil where not learned).
    public var initialThresholds: [Tensor?] { layers.map { $0.initialThreshold(threshold) } }

    /// The output shape of the last layer.
    public var outputShape: ActivityShape { layers[layers.count - 1].shape }
}
