import SpikeKitFormats
import SpikeKitKernels
import RealModule

/// A first-order optimizer that updates a network's parameters in place from their gradients.
///
/// Every element w of every parameter array is updated independently from its gradient ∇ = ∂L/∂w (and, for the
/// adaptive methods, per-element state that the optimizer keeps between steps). The parameters are visited in
/// the order of `NetworkParameters.named` (`layer<i>.weight`, `layer<i>.recurrent`, `layer<i>.bias`,
/// `layer<i>.log_tau_mem`, `layer<i>.log_tau_syn`). Every optimizer takes an optional `WeightDecay` (L2 added to the
/// gradient, or decoupled as in AdamW).
///
/// The per-element state can be read as named tensors (`state`) and restored (`restoreState(_:for:)`), so a
/// training run saved to a `Checkpoint` continues exactly as if it had not been interrupted. State tensor names
/// are `<parameter name>.<moment>` (for example `layer0.weight.g2`), plus optimizer-wide scalars such as `step`.
public protocol Optimizer: Sendable {
    /// The step size η. Settable between steps: a `Trainer` with a `LearningRateSchedule` sets it to the
    /// scheduled rate for each step and back to the base rate afterwards.
    var learningRate: Float { get set }

    /// The kind and hyperparameters, enough to build a fresh optimizer of the same kind.
    var configuration: OptimizerConfiguration { get }

    /// Applies one update: w ← w - Δw(∇, state) for every element of every parameter array.
    ///
    /// - Precondition: `gradients` has the same arrays, with the same shapes, as `parameters`.
    mutating func step(parameters: inout NetworkParameters, gradients: NetworkParameters)

    /// The per-element state as named tensors (empty before the first step and for stateless optimizers).
    var state: [String: Tensor] { get }

    /// Replaces the state with tensors previously read from `state`.
    /// - Throws: `SpikeKitError.shapeMismatch` when a tensor does not belong to one of `parameters`' arrays, has
    ///   the wrong shape, or the set of tensors is incomplete.
    mutating func restoreState(_ state: [String: Tensor], for parameters: NetworkParameters) throws
}

/// Weight decay of an optimizer, in one of PyTorch's two forms (λ = `coefficient`):
/// - L2 (`decoupled == false`, the `weight_decay` of `torch.optim.SGD` and `torch.optim.Adam`): the optimizer
///   sees ∇ + λ w instead of ∇ (w before the step), so the adaptive optimizers normalise the decay term too;
/// - decoupled (`decoupled == true`, `torch.optim.AdamW`, Loshchilov & Hutter 2019): w ← w (1 − η λ) first, with
///   the step's η (scheduled), then the optimizer's own update from the plain ∇.
///
/// PyTorch decays every parameter given to the optimizer, biases included; so does SpikeKit by default
/// (`decaysBiases == true`). With `decaysBiases == false` the `layer<i>.bias` arrays are updated without decay.
/// λ = 0 is no decay: the update is exactly the optimizer's without the option.
public struct WeightDecay: Equatable, Sendable {
    /// λ, at least 0.
    public var coefficient: Float
    /// Decoupled (AdamW) instead of L2.
    public var decoupled: Bool
    /// Whether the biases (`layer<i>.bias`) are decayed too.
    public var decaysBiases: Bool

    /// Weight decay λ = `coefficient`, L2 unless `decoupled`, biases included unless `decaysBiases` is false.
    public init(_ coefficient: Float, decoupled: Bool = false, decaysBiases: Bool = true) {
        self.coefficient = coefficient
        self.decoupled = decoupled
        self.decaysBiases = decaysBiases
    }

    /// No decay.
    public static let none = WeightDecay(0)
    /// L2 decay (`torch.optim.SGD` / `torch.optim.Adam` `weight_decay`).
    public static func l2(_ coefficient: Float, decaysBiases: Bool = true) -> WeightDecay {
        WeightDecay(coefficient, decoupled: false, decaysBiases: decaysBiases)
    }
    /// Decoupled decay (`torch.optim.AdamW`).
    public static func decoupled(_ coefficient: Float, decaysBiases: Bool = true) -> WeightDecay {
        WeightDecay(coefficient, decoupled: true, decaysBiases: decaysBiases)
    }

    /// Equal when both are off (λ = 0, whatever the flags), else when every field is.
    public static func == (a: WeightDecay, b: WeightDecay) -> Bool {
        if !a.isActive && !b.isActive { return true }
        return a.coefficient == b.coefficient && a.decoupled == b.decoupled && a.decaysBiases == b.decaysBiases
    }

    /// Whether the option changes anything (λ > 0).
    public var isActive: Bool { coefficient != 0 }

    /// Whether λ is a finite non-negative number.
    public var isValid: Bool { coefficient.isFinite && coefficient >= 0 }

    /// λ for the array `name`: 0 for a bias when biases are excluded, and always 0 for learned time constants
    /// (`layer<i>.log_tau_*` hold ρ = ln(τ / 1 s); decaying ρ would pull every τ towards 1 s) and learned
    /// thresholds (`layer<i>.threshold`; decay would pull θ towards 0).
    func coefficient(for name: String) -> Float {
        if name.contains(".log_tau_") || name.hasSuffix(".threshold") { return 0 }
        return !decaysBiases && name.hasSuffix(".bias") ? 0 : coefficient
    }
}

/// The kind and hyperparameters of an optimizer, as stored in a checkpoint's metadata (key `spikekit.optimizer`):
/// `{"kind": "smorms3", "learning_rate": 0.01, "epsilon": 1e-16}`, with `"weight_decay": λ`,
/// `"decoupled_weight_decay": true|false` and `"decay_biases": true|false` added when λ > 0 (AdamW is `adam` with
/// decoupled decay).
public enum OptimizerConfiguration: Codable, Equatable, Sendable {
    /// Plain gradient descent, w ← w - η∇.
    case gradientDescent(learningRate: Float, weightDecay: WeightDecay = .none)
    /// SMORMS3 (Funk 2015), as in SPEC section 7.
    case smorms3(learningRate: Float, epsilon: Float, weightDecay: WeightDecay = .none)
    /// Adam (Kingma & Ba 2015) in PyTorch's form with bias correction; with decoupled weight decay, AdamW.
    case adam(learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, weightDecay: WeightDecay = .none)

    /// AdamW (`torch.optim.AdamW`, whose default λ is 0.01): Adam with decoupled weight decay.
    public static func adamW(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                             weightDecay: Float = 0.01, decaysBiases: Bool = true) -> OptimizerConfiguration {
        .adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
              weightDecay: .decoupled(weightDecay, decaysBiases: decaysBiases))
    }

    /// A fresh optimizer (no state) of this kind.
    public func makeOptimizer() -> any Optimizer {
        switch self {
        case .gradientDescent(let lr, let wd): return GradientDescent(learningRate: lr, weightDecay: wd)
        case .smorms3(let lr, let eps, let wd): return SMORMS3(learningRate: lr, epsilon: eps, weightDecay: wd)
        case .adam(let lr, let b1, let b2, let eps, let wd):
            return Adam(learningRate: lr, beta1: b1, beta2: b2, epsilon: eps, weightDecay: wd)
        }
    }

    /// The weight decay.
    public var weightDecay: WeightDecay {
        switch self {
        case .gradientDescent(_, let wd), .smorms3(_, _, let wd), .adam(_, _, _, _, let wd): return wd
        }
    }

    private enum CodingKeys: String, CodingKey {
        case kind, epsilon, beta1, beta2
        case learningRate = "learning_rate"
        case weightDecay = "weight_decay"
        case decoupledWeightDecay = "decoupled_weight_decay"
        case decayBiases = "decay_biases"
    }

    /// Reads `{"kind": ..., "learning_rate": ..., ...}`; missing hyperparameters take their defaults
    /// (SMORMS3 ε = 1e-16; Adam β1 = 0.9, β2 = 0.999, ε = 1e-8; no weight decay, L2 when decay is given, biases
    /// decayed). Rejects a negative or non-finite learning rate, ε or weight decay, and β outside [0, 1).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .kind)
        let lr = try c.decode(Float.self, forKey: .learningRate)
        let wd = WeightDecay(try c.decodeIfPresent(Float.self, forKey: .weightDecay) ?? 0,
                             decoupled: try c.decodeIfPresent(Bool.self, forKey: .decoupledWeightDecay) ?? false,
                             decaysBiases: try c.decodeIfPresent(Bool.self, forKey: .decayBiases) ?? true)
        switch kind {
        case "gradient-descent": self = .gradientDescent(learningRate: lr, weightDecay: wd)
        case "smorms3":
            self = .smorms3(learningRate: lr, epsilon: try c.decodeIfPresent(Float.self, forKey: .epsilon) ?? 1e-16, weightDecay: wd)
        case "adam":
            self = .adam(learningRate: lr, beta1: try c.decodeIfPresent(Float.self, forKey: .beta1) ?? 0.9,
                         beta2: try c.decodeIfPresent(Float.self, forKey: .beta2) ?? 0.999,
                         epsilon: try c.decodeIfPresent(Float.self, forKey: .epsilon) ?? 1e-8, weightDecay: wd)
        default:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription:
                "unknown optimizer kind '\(kind)' (expected gradient-descent, smorms3 or adam)")
        }
        let valid: Bool
        switch self {
        case .gradientDescent(let lr, _): valid = lr.isFinite && lr >= 0
        case .smorms3(let lr, let eps, _): valid = lr.isFinite && lr >= 0 && eps.isFinite && eps >= 0
        case .adam(let lr, let b1, let b2, let eps, _):
            valid = lr.isFinite && lr >= 0 && b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1 && eps.isFinite && eps >= 0
        }
        guard valid, wd.isValid else {
            throw DecodingError.dataCorruptedError(forKey: .learningRate, in: c, debugDescription:
                "invalid \(kind) hyperparameters: learning rate, epsilon and weight decay must be finite and non-negative, betas in [0, 1)")
        }
    }

    /// Writes `{"kind": ..., "learning_rate": ..., ...}` with every hyperparameter (the weight-decay keys only
    /// when λ > 0, so a configuration without decay reads as before).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .gradientDescent(let lr, _):
            try c.encode("gradient-descent", forKey: .kind)
            try c.encode(lr, forKey: .learningRate)
        case .smorms3(let lr, let eps, _):
            try c.encode("smorms3", forKey: .kind)
            try c.encode(lr, forKey: .learningRate)
            try c.encode(eps, forKey: .epsilon)
        case .adam(let lr, let b1, let b2, let eps, _):
            try c.encode("adam", forKey: .kind)
            try c.encode(lr, forKey: .learningRate)
            try c.encode(b1, forKey: .beta1)
            try c.encode(b2, forKey: .beta2)
            try c.encode(eps, forKey: .epsilon)
        }
        let wd = weightDecay
        if wd.isActive {
            try c.encode(wd.coefficient, forKey: .weightDecay)
            try c.encode(wd.decoupled, forKey: .decoupledWeightDecay)
            try c.encode(wd.decaysBiases, forKey: .decayBiases)
        }
    }
}

// MARK: - Shared plumbing

extension NetworkParameters {
    /// Calls `body(name, &w, ∇)` for every parameter array in the order of `named`, with the element buffers of
    /// the parameter and of its gradient.
    /// - Precondition: `gradients` has the same arrays with the same shapes.
    mutating func updateEach(with gradients: NetworkParameters,
                             _ body: (String, [Int], UnsafeMutableBufferPointer<Float>, UnsafeBufferPointer<Float>) -> Void) {
        precondition(gradients.feedForward.count == feedForward.count && gradients.recurrent.count == recurrent.count,
                     "gradients for \(gradients.feedForward.count) layers, parameters for \(feedForward.count)")
        for i in feedForward.indices {
            let g = gradients.feedForward[i]
            precondition(g.shape == feedForward[i].shape,
                         "layer\(i).weight: gradient shape \(g.shape), parameter shape \(feedForward[i].shape)")
            let shape = feedForward[i].shape
            g.scalars.withUnsafeBufferPointer { gp in
                feedForward[i].scalars.withUnsafeMutableBufferPointer { wp in body("layer\(i).weight", shape, wp, gp) }
            }
            switch (recurrent[i], gradients.recurrent[i]) {
            case (nil, nil): break
            case (var r?, let gr?):
                precondition(gr.shape == r.shape, "layer\(i).recurrent: gradient shape \(gr.shape), parameter shape \(r.shape)")
                recurrent[i] = nil  // keep `r` uniquely referenced while it is updated
                gr.scalars.withUnsafeBufferPointer { gp in
                    r.scalars.withUnsafeMutableBufferPointer { wp in body("layer\(i).recurrent", r.shape, wp, gp) }
                }
                recurrent[i] = r
            default:
                preconditionFailure("layer\(i).recurrent: parameters and gradients disagree on its presence")
            }
            Self.updateOptional(&biases, gradients.biases, i, "layer\(i).bias", body)
            Self.updateOptional(&logTauMem, gradients.logTauMem, i, "layer\(i).log_tau_mem", body)
            Self.updateOptional(&logTauSyn, gradients.logTauSyn, i, "layer\(i).log_tau_syn", body)
            Self.updateOptional(&thresholds, gradients.thresholds, i, "layer\(i).threshold", body)
        }
    }

    /// `body` on entry `i` of an optional per-layer array (bias, log τ) when parameter and gradient have it.
    private static func updateOptional(_ params: inout [Tensor?], _ grads: [Tensor?], _ i: Int, _ name: String,
                                       _ body: (String, [Int], UnsafeMutableBufferPointer<Float>, UnsafeBufferPointer<Float>) -> Void) {
        switch (i < params.count ? params[i] : nil, i < grads.count ? grads[i] : nil) {
        case (nil, nil): break
        case (var b?, let gb?):
            precondition(gb.shape == b.shape, "\(name): gradient shape \(gb.shape), parameter shape \(b.shape)")
            params[i] = nil  // keep `b` uniquely referenced while it is updated
            gb.scalars.withUnsafeBufferPointer { gp in
                b.scalars.withUnsafeMutableBufferPointer { wp in body(name, b.shape, wp, gp) }
            }
            params[i] = b
        default:
            preconditionFailure("\(name): parameters and gradients disagree on its presence")
        }
    }
}

extension WeightDecay {
    /// The factor 1 − η λ of decoupled decay (computed in Double, as PyTorch does on the host), or nil when the
    /// array is not decayed that way.
    func decoupledFactor(for name: String, learningRate: Float) -> Float? {
        let wd = coefficient(for: name)
        guard decoupled, wd != 0 else { return nil }
        return Float(1 - Double(learningRate) * Double(wd))
    }

    /// λ of L2 decay for the array `name` (0: none).
    func l2Coefficient(for name: String) -> Float { decoupled ? 0 : coefficient(for: name) }
}

/// Per-element optimizer state: for each parameter name, one array per moment, each shaped like the parameter.
struct MomentStore: Equatable, Sendable {
    /// The moments' names (suffixes of the state tensor names) and their initial values.
    let moments: [(name: String, initial: Float)]
    private(set) var values: [String: [Tensor]] = [:]

    static func == (a: MomentStore, b: MomentStore) -> Bool {
        a.moments.map(\.name) == b.moments.map(\.name) && a.values == b.values
    }

    init(moments: [(name: String, initial: Float)]) { self.moments = moments }

    /// Takes the moment tensors of `name` out of the store (creating them at their initial values), so that the
    /// caller can mutate them without copying; `put` returns them.
    mutating func take(_ name: String, shape: [Int]) -> [Tensor] {
        if let v = values.removeValue(forKey: name) { return v }
        return moments.map { m in
            var t = Tensor(zeros: shape)
            if m.initial != 0 { t.scalars = [Float](repeating: m.initial, count: t.count) }
            return t
        }
    }

    mutating func put(_ name: String, _ tensors: [Tensor]) { values[name] = tensors }

    /// `<parameter>.<moment>` → tensor.
    var named: [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (p, ts) in values {
            for (m, t) in zip(moments, ts) { out["\(p).\(m.name)"] = t }
        }
        return out
    }

    /// Rebuilds the store from named tensors, checking names and shapes against `parameters`; the keys in
    /// `ignoring` (optimizer-wide scalars) are skipped.
    mutating func restore(_ state: [String: Tensor], for parameters: NetworkParameters, ignoring: Set<String>) throws {
        var restored: [String: [Tensor]] = [:]
        var used = ignoring.intersection(state.keys)
        for (pname, p) in parameters.named {
            let keys = moments.map { "\(pname).\($0.name)" }
            let present = keys.filter { state[$0] != nil }
            if present.isEmpty { continue }
            guard present.count == keys.count else {
                let missing = keys.filter { state[$0] == nil }
                throw SpikeKitError.shapeMismatch("optimizer state for \(pname) is incomplete: missing \(missing.joined(separator: ", "))")
            }
            var ts: [Tensor] = []
            for k in keys {
                let t = state[k]!
                guard t.shape == p.shape else {
                    throw SpikeKitError.shapeMismatch("optimizer state \(k) has shape \(t.shape), parameter \(pname) has \(p.shape)")
                }
                ts.append(t)
                used.insert(k)
            }
            restored[pname] = ts
        }
        let unknown = Set(state.keys).subtracting(used)
        guard unknown.isEmpty else {
            throw SpikeKitError.shapeMismatch("optimizer state names no parameter of the network: \(unknown.sorted().joined(separator: ", "))")
        }
        values = restored
    }
}

// MARK: - Gradient descent

/// Plain gradient descent: w ← w - η ∇ (`torch.optim.SGD` without momentum). Stateless.
///
/// With L2 weight decay λ: w ← w - η (∇ + λ w); decoupled: w ← w (1 - η λ) - η ∇ (the same up to rounding).
public struct GradientDescent: Optimizer, Equatable {
    /// The step size η.
    public var learningRate: Float
    /// The weight decay (none by default).
    public var weightDecay: WeightDecay

    /// Gradient descent with step size `learningRate` (η) and `weightDecay`.
    public init(learningRate: Float, weightDecay: WeightDecay = .none) {
        self.learningRate = learningRate
        self.weightDecay = weightDecay
    }

    /// `.gradientDescent(learningRate:weightDecay:)` with this optimizer's η and decay.
    public var configuration: OptimizerConfiguration { .gradientDescent(learningRate: learningRate, weightDecay: weightDecay) }

    /// w ← w - η ∇ (with the decay, if any).
    public mutating func step(parameters: inout NetworkParameters, gradients: NetworkParameters) {
        let lr = learningRate, decay = weightDecay
        parameters.updateEach(with: gradients) { name, _, w, g in
            if let f = decay.decoupledFactor(for: name, learningRate: lr) {
                for k in 0 ..< w.count { w[k] *= f; w[k] -= lr * g[k] }
            } else if case let wd = decay.l2Coefficient(for: name), wd != 0 {
                for k in 0 ..< w.count { w[k] -= lr * (g[k] + wd * w[k]) }
            } else {
                for k in 0 ..< w.count { w[k] -= lr * g[k] }
            }
        }
    }

    /// Always empty.
    public var state: [String: Tensor] { [:] }

    /// Accepts only an empty state.
    public mutating func restoreState(_ state: [String: Tensor], for parameters: NetworkParameters) throws {
        guard state.isEmpty else {
            throw SpikeKitError.shapeMismatch("gradient descent has no state, got \(state.keys.sorted().joined(separator: ", "))")
        }
    }
}

// MARK: - SMORMS3

/// SMORMS3 (Simon Funk, "RMSprop loses to SMORMS3", 2015), as used by stork and the paper (SPEC section 7).
///
/// Per element, with state mem = 1, g = 0, g2 = 0 at the start, each step with gradient ∇:
/// ```
/// r   = 1 / (mem + 1)
/// g   ← (1 - r) g  + r ∇
/// g2  ← (1 - r) g2 + r ∇²
/// mem ← 1 + mem (1 - g² / (g2 + ε))
/// w   ← w - min(η, g² / (g2 + ε)) · ∇ / (√g2 + ε)
/// ```
/// (mem and the step use the updated g and g2). With L2 weight decay λ every ∇ above is ∇ + λ w; with decoupled
/// decay w ← w (1 - η λ) comes first and the update uses the plain ∇. State tensors: `<parameter>.mem`,
/// `<parameter>.g`, `<parameter>.g2`. Arithmetic is Float32, as in the PyTorch reference.
public struct SMORMS3: Optimizer, Equatable {
    /// The step size η (the largest factor min(η, g²/(g2+ε)) can take).
    public var learningRate: Float
    /// ε, guarding the divisions (1e-16 by default).
    public let epsilon: Float
    /// The weight decay (none by default).
    public var weightDecay: WeightDecay
    private var moments = MomentStore(moments: [("mem", 1), ("g", 0), ("g2", 0)])

    /// SMORMS3 with step size `learningRate` (η), `epsilon` (ε) and `weightDecay`.
    public init(learningRate: Float, epsilon: Float = 1e-16, weightDecay: WeightDecay = .none) {
        self.learningRate = learningRate
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// `.smorms3(learningRate:epsilon:weightDecay:)` with this optimizer's hyperparameters.
    public var configuration: OptimizerConfiguration {
        .smorms3(learningRate: learningRate, epsilon: epsilon, weightDecay: weightDecay)
    }

    /// One SMORMS3 update of every element (equations in the type's documentation).
    public mutating func step(parameters: inout NetworkParameters, gradients: NetworkParameters) {
        let lr = learningRate, eps = epsilon, decay = weightDecay
        var store = moments
        moments = MomentStore(moments: store.moments)
        parameters.updateEach(with: gradients) { name, shape, w, grad in
            if let f = decay.decoupledFactor(for: name, learningRate: lr) { for k in 0 ..< w.count { w[k] *= f } }
            let l2 = decay.l2Coefficient(for: name)
            var ts = store.take(name, shape: shape)
            var memT = ts[0], gT = ts[1], g2T = ts[2]
            ts.removeAll()  // keep each moment uniquely referenced while it is updated
            memT.scalars.withUnsafeMutableBufferPointer { mem in
                gT.scalars.withUnsafeMutableBufferPointer { g in
                    g2T.scalars.withUnsafeMutableBufferPointer { g2 in
                        for k in 0 ..< w.count {
                            let d = l2 == 0 ? grad[k] : grad[k] + l2 * w[k]
                            let r = 1 / (mem[k] + 1)
                            let gk = (1 - r) * g[k] + r * d
                            let g2k = (1 - r) * g2[k] + r * d * d
                            let ratio = gk * gk / (g2k + eps)
                            g[k] = gk
                            g2[k] = g2k
                            mem[k] = 1 + mem[k] * (1 - ratio)
                            w[k] -= min(lr, ratio) * d / (g2k.squareRoot() + eps)
                        }
                    }
                }
            }
            store.put(name, [memT, gT, g2T])
        }
        moments = store
    }

    /// `<parameter>.mem`, `<parameter>.g` and `<parameter>.g2` for every parameter stepped so far.
    public var state: [String: Tensor] { moments.named }

    /// Restores `mem`, `g` and `g2` (a parameter without state starts fresh).
    public mutating func restoreState(_ state: [String: Tensor], for parameters: NetworkParameters) throws {
        try moments.restore(state, for: parameters, ignoring: [])
    }
}

// MARK: - Adam

/// Adam (Kingma & Ba 2015) in PyTorch's form (`torch.optim.Adam`, no amsgrad); with decoupled weight decay it is
/// `torch.optim.AdamW`.
///
/// Per element, with m = 0, v = 0 and the step counter t = 0 at the start, each step with gradient ∇:
/// ```
/// t ← t + 1
/// m ← β1 m + (1 - β1) ∇
/// v ← β2 v + (1 - β2) ∇²
/// w ← w - η · (m / (1 - β1^t)) / (√(v / (1 - β2^t)) + ε)
/// ```
/// With L2 weight decay λ (`Adam(weight_decay=λ)`) every ∇ above is ∇ + λ w; with decoupled decay (`AdamW`)
/// w ← w (1 - η λ) comes first and the update uses the plain ∇.
/// State tensors: `<parameter>.exp_avg` (m), `<parameter>.exp_avg_sq` (v) and the scalar `step` (t, shape [1]).
public struct Adam: Optimizer, Equatable {
    /// The step size η.
    public var learningRate: Float
    /// β1, the decay of the first-moment average.
    public let beta1: Float
    /// β2, the decay of the second-moment average.
    public let beta2: Float
    /// ε, added to √v̂.
    public let epsilon: Float
    /// The weight decay (none by default; decoupled: AdamW).
    public var weightDecay: WeightDecay
    /// The number of steps taken, t.
    public private(set) var stepCount = 0
    private var moments = MomentStore(moments: [("exp_avg", 0), ("exp_avg_sq", 0)])

    /// Adam with step size `learningRate` (η), moment decays `beta1` (β1) and `beta2` (β2), `epsilon` (ε) and
    /// `weightDecay`.
    public init(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: WeightDecay = .none) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// `.adam(learningRate:beta1:beta2:epsilon:weightDecay:)` with this optimizer's hyperparameters.
    public var configuration: OptimizerConfiguration {
        .adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay)
    }

    /// One Adam update of every element (equations in the type's documentation).
    public mutating func step(parameters: inout NetworkParameters, gradients: NetworkParameters) {
        stepCount += 1
        let t = Double(stepCount)
        let b1 = beta1, b2 = beta2, eps = epsilon, lr = learningRate, decay = weightDecay
        // Bias corrections in Double, as PyTorch computes them on the host.
        let stepSize = Float(Double(learningRate) / (1 - Double.pow(Double(beta1), t)))
        let bc2Root = Float((1 - Double.pow(Double(beta2), t)).squareRoot())
        var store = moments
        moments = MomentStore(moments: store.moments)
        parameters.updateEach(with: gradients) { name, shape, w, grad in
            if let f = decay.decoupledFactor(for: name, learningRate: lr) { for k in 0 ..< w.count { w[k] *= f } }
            let l2 = decay.l2Coefficient(for: name)
            var ts = store.take(name, shape: shape)
            var mT = ts[0], vT = ts[1]
            ts.removeAll()  // keep each moment uniquely referenced while it is updated
            mT.scalars.withUnsafeMutableBufferPointer { m in
                vT.scalars.withUnsafeMutableBufferPointer { v in
                    for k in 0 ..< w.count {
                        let d = l2 == 0 ? grad[k] : grad[k] + l2 * w[k]
                        m[k] = b1 * m[k] + (1 - b1) * d
                        v[k] = b2 * v[k] + (1 - b2) * d * d
                        w[k] -= stepSize * m[k] / (v[k].squareRoot() / bc2Root + eps)
                    }
                }
            }
            store.put(name, [mT, vT])
        }
        moments = store
    }

    /// `<parameter>.exp_avg`, `<parameter>.exp_avg_sq` and `step`.
    public var state: [String: Tensor] {
        var s = moments.named
        if stepCount > 0 { s["step"] = try! Tensor(shape: [1], scalars: [Float(stepCount)]) }
        return s
    }

    /// Restores the moments and the step counter t (from `step`; 0 when absent).
    public mutating func restoreState(_ state: [String: Tensor], for parameters: NetworkParameters) throws {
        var count = 0
        if let s = state["step"] {
            guard s.count == 1, let v = s.scalars.first, v.isFinite, v >= 0, v < 1e9, v == v.rounded() else {
                throw SpikeKitError.shapeMismatch("optimizer state 'step' must be one non-negative whole number, got \(s.scalars.prefix(4))")
            }
            count = Int(v)
        }
        try moments.restore(state, for: parameters, ignoring: ["step"])
        stepCount = count
    }
}
