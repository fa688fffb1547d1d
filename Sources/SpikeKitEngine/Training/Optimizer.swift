import SpikeKitFormats
import SpikeKitKernels
import RealModule

/// A first-order optimizer that updates a network's parameters in place from their gradients.
///
/// Every element w of every parameter array is updated independently from its gradient ∇ = ∂L/∂w (and, for the
/// adaptive methods, per-element state that the optimizer keeps between steps). The parameters are visited in
/// the order of `NetworkParameters.named` (`layer<i>.weight`, `layer<i>.recurrent`, `layer<i>.bias`,
/// `layer<i>.log_tau_mem`, `layer<i>.log_tau_syn`).
///
/// The per-element state can be read as named tensors (`state`) and restored (`restoreState(_:for:)`), so a
/// training run saved to a `Checkpoint` continues exactly as if it had not been interrupted. State tensor names
/// are `<parameter name>.<moment>` (for example `layer0.weight.g2`), plus optimizer-wide scalars such as `step`.
public protocol Optimizer: Sendable {
    /// The step size η.
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

/// The kind and hyperparameters of an optimizer, as stored in a checkpoint's metadata (key `spikekit.optimizer`):
/// `{"kind": "smorms3", "learning_rate": 0.01, "epsilon": 1e-16}`.
public enum OptimizerConfiguration: Codable, Equatable, Sendable {
    /// Plain gradient descent, w ← w - η∇.
    case gradientDescent(learningRate: Float)
    /// SMORMS3 (Funk 2015), as in SPEC section 7.
    case smorms3(learningRate: Float, epsilon: Float)
    /// Adam (Kingma & Ba 2015) in PyTorch's form with bias correction.
    case adam(learningRate: Float, beta1: Float, beta2: Float, epsilon: Float)

    /// A fresh optimizer (no state) of this kind.
    public func makeOptimizer() -> any Optimizer {
        switch self {
        case .gradientDescent(let lr): return GradientDescent(learningRate: lr)
        case .smorms3(let lr, let eps): return SMORMS3(learningRate: lr, epsilon: eps)
        case .adam(let lr, let b1, let b2, let eps): return Adam(learningRate: lr, beta1: b1, beta2: b2, epsilon: eps)
        }
    }

    private enum CodingKeys: String, CodingKey {
        case kind, epsilon, beta1, beta2
        case learningRate = "learning_rate"
    }

    /// Reads `{"kind": ..., "learning_rate": ..., ...}`; missing hyperparameters take their defaults
    /// (SMORMS3 ε = 1e-16; Adam β1 = 0.9, β2 = 0.999, ε = 1e-8). Rejects a negative or non-finite learning rate
    /// or ε, and β outside [0, 1).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .kind)
        let lr = try c.decode(Float.self, forKey: .learningRate)
        switch kind {
        case "gradient-descent": self = .gradientDescent(learningRate: lr)
        case "smorms3": self = .smorms3(learningRate: lr, epsilon: try c.decodeIfPresent(Float.self, forKey: .epsilon) ?? 1e-16)
        case "adam":
            self = .adam(learningRate: lr, beta1: try c.decodeIfPresent(Float.self, forKey: .beta1) ?? 0.9,
                         beta2: try c.decodeIfPresent(Float.self, forKey: .beta2) ?? 0.999,
                         epsilon: try c.decodeIfPresent(Float.self, forKey: .epsilon) ?? 1e-8)
        default:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription:
                "unknown optimizer kind '\(kind)' (expected gradient-descent, smorms3 or adam)")
        }
        let valid: Bool
        switch self {
        case .gradientDescent(let lr): valid = lr.isFinite && lr >= 0
        case .smorms3(let lr, let eps): valid = lr.isFinite && lr >= 0 && eps.isFinite && eps >= 0
        case .adam(let lr, let b1, let b2, let eps):
            valid = lr.isFinite && lr >= 0 && b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1 && eps.isFinite && eps >= 0
        }
        guard valid else {
            throw DecodingError.dataCorruptedError(forKey: .learningRate, in: c, debugDescription:
                "invalid \(kind) hyperparameters: learning rate and epsilon must be finite and non-negative, betas in [0, 1)")
        }
    }

    /// Writes `{"kind": ..., "learning_rate": ..., ...}` with every hyperparameter.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .gradientDescent(let lr):
            try c.encode("gradient-descent", forKey: .kind)
            try c.encode(lr, forKey: .learningRate)
        case .smorms3(let lr, let eps):
            try c.encode("smorms3", forKey: .kind)
            try c.encode(lr, forKey: .learningRate)
            try c.encode(eps, forKey: .epsilon)
        case .adam(let lr, let b1, let b2, let eps):
            try c.encode("adam", forKey: .kind)
            try c.encode(lr, forKey: .learningRate)
            try c.encode(b1, forKey: .beta1)
            try c.encode(b2, forKey: .beta2)
            try c.encode(eps, forKey: .epsilon)
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

/// Plain gradient descent: w ← w - η ∇. Stateless.
public struct GradientDescent: Optimizer, Equatable {
    /// The step size η.
    public var learningRate: Float

    /// Gradient descent with step size `learningRate` (η).
    public init(learningRate: Float) { self.learningRate = learningRate }

    /// `.gradientDescent(learningRate:)` with this optimizer's η.
    public var configuration: OptimizerConfiguration { .gradientDescent(learningRate: learningRate) }

    /// w ← w - η ∇.
    public mutating func step(parameters: inout NetworkParameters, gradients: NetworkParameters) {
        let lr = learningRate
        parameters.updateEach(with: gradients) { _, _, w, g in
            for k in 0 ..< w.count { w[k] -= lr * g[k] }
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
/// (mem and the step use the updated g and g2). State tensors: `<parameter>.mem`, `<parameter>.g`,
/// `<parameter>.g2`. Arithmetic is Float32, as in the PyTorch reference.
public struct SMORMS3: Optimizer, Equatable {
    /// The step size η (the largest factor min(η, g²/(g2+ε)) can take).
    public var learningRate: Float
    /// ε, guarding the divisions (1e-16 by default).
    public let epsilon: Float
    private var moments = MomentStore(moments: [("mem", 1), ("g", 0), ("g2", 0)])

    /// SMORMS3 with step size `learningRate` (η) and `epsilon` (ε).
    public init(learningRate: Float, epsilon: Float = 1e-16) {
        self.learningRate = learningRate
        self.epsilon = epsilon
    }

    /// `.smorms3(learningRate:epsilon:)` with this optimizer's η and ε.
    public var configuration: OptimizerConfiguration { .smorms3(learningRate: learningRate, epsilon: epsilon) }

    /// One SMORMS3 update of every element (equations in the type's documentation).
    public mutating func step(parameters: inout NetworkParameters, gradients: NetworkParameters) {
        let lr = learningRate, eps = epsilon
        var store = moments
        moments = MomentStore(moments: store.moments)
        parameters.updateEach(with: gradients) { name, shape, w, grad in
            var ts = store.take(name, shape: shape)
            var memT = ts[0], gT = ts[1], g2T = ts[2]
            ts.removeAll()  // keep each moment uniquely referenced while it is updated
            memT.scalars.withUnsafeMutableBufferPointer { mem in
                gT.scalars.withUnsafeMutableBufferPointer { g in
                    g2T.scalars.withUnsafeMutableBufferPointer { g2 in
                        for k in 0 ..< w.count {
                            let d = grad[k]
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

/// Adam (Kingma & Ba 2015) in PyTorch's form (`torch.optim.Adam`, no weight decay, no amsgrad).
///
/// Per element, with m = 0, v = 0 and the step counter t = 0 at the start, each step with gradient ∇:
/// ```
/// t ← t + 1
/// m ← β1 m + (1 - β1) ∇
/// v ← β2 v + (1 - β2) ∇²
/// w ← w - η · (m / (1 - β1^t)) / (√(v / (1 - β2^t)) + ε)
/// ```
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
    /// The number of steps taken, t.
    public private(set) var stepCount = 0
    private var moments = MomentStore(moments: [("exp_avg", 0), ("exp_avg_sq", 0)])

    /// Adam with step size `learningRate` (η), moment decays `beta1` (β1) and `beta2` (β2), and `epsilon` (ε).
    public init(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    /// `.adam(learningRate:beta1:beta2:epsilon:)` with this optimizer's hyperparameters.
    public var configuration: OptimizerConfiguration {
        .adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon)
    }

    /// One Adam update of every element (equations in the type's documentation).
    public mutating func step(parameters: inout NetworkParameters, gradients: NetworkParameters) {
        stepCount += 1
        let t = Double(stepCount)
        let b1 = beta1, b2 = beta2, eps = epsilon
        // Bias corrections in Double, as PyTorch computes them on the host.
        let stepSize = Float(Double(learningRate) / (1 - Double.pow(Double(beta1), t)))
        let bc2Root = Float((1 - Double.pow(Double(beta2), t)).squareRoot())
        var store = moments
        moments = MomentStore(moments: store.moments)
        parameters.updateEach(with: gradients) { name, shape, w, grad in
            var ts = store.take(name, shape: shape)
            var mT = ts[0], vT = ts[1]
            ts.removeAll()  // keep each moment uniquely referenced while it is updated
            mT.scalars.withUnsafeMutableBufferPointer { m in
                vT.scalars.withUnsafeMutableBufferPointer { v in
                    for k in 0 ..< w.count {
                        let d = grad[k]
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
