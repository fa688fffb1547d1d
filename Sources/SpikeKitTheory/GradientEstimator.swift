import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine
import RealModule

/// A smoothed stochastic derivative of one Bernoulli unit `S = 1[ξ < p]`, `p = p(U - θ)` (paper, Appendix B):
/// the derivative of `S` with respect to `U` that stochastic AD assigns after smoothing, given the emitted spike.
///
/// - `right`: `(1 - s)/(1 - p) · p'` (a 0 may jump up to 1 when U increases),
/// - `left`: `s/p · p'` (a 1 may drop to 0 when U decreases),
/// - `affine(leftWeight: λ)`: `λ · left + (1 - λ) · right`. For a single unit every affine combination has
///   expectation `p'` over `s`,
/// - `matched`: the affine combination with `λ = p`, which equals `p'` whatever `s` is: the surrogate derivative
///   matched to the escape noise (SPEC claim 1).
///
/// Where the division is undefined (`p = 0` for left, `p = 1` for right) the value is 0: that outcome has
/// probability 0 and, for sigmoid noise, `p'` vanishes there too.
public enum SmoothedStochasticDerivative: Hashable, Sendable {
    case left
    case right
    case affine(leftWeight: Double)
    case matched

    /// The derivative for a unit with escape probability `p`, `dp/dU = dp`, that emitted `s` (0 or 1).
    @inlinable
    public func value(probability p: Double, derivative dp: Double, spike s: Double) -> Double {
        let left: Double = s != 0 && p > 0 ? dp / p : 0
        let right: Double = s == 0 && p < 1 ? dp / (1 - p) : 0
        switch self {
        case .left: return left
        case .right: return right
        case .affine(let lambda): return lambda * left + (1 - lambda) * right
        case .matched: return p * left + (1 - p) * right
        }
    }

    /// A short name for tables and plots (`left`, `right`, `affine(0.5)`, `matched`).
    public var name: String {
        switch self {
        case .left: return "left"
        case .right: return "right"
        case .affine(let l): return "affine(\(l))"
        case .matched: return "matched"
        }
    }
}

/// An estimator of `dE[y]/dθ` for a stochastic Perceptron MLP (SPEC section 3).
public enum GradientEstimator: Hashable, Sendable, CustomStringConvertible {
    /// Surrogate gradient of the deterministic counterpart (step forward, each layer's surrogate backward). Not a
    /// random quantity: one path per input.
    case deterministicSurrogate
    /// Stochastic surrogate gradient = smoothed stochAD: one stochastic forward pass, then back-propagation with each
    /// layer's surrogate derivative (unbiased for one layer with the matched surrogate; biased in general).
    case stochasticSurrogate
    /// Back-propagation along a sampled path with a smoothed stochastic derivative at every stochastic unit.
    case smoothed(SmoothedStochasticDerivative)
    /// Unbiased stochastic triples in forward mode (Arya et al. 2022): for each parameter, the almost-sure derivative
    /// plus one weighted alternative path, propagated with the same uniforms; candidate paths are pruned to one with
    /// probability proportional to their weights.
    case stochasticTriples
    /// The score function (REINFORCE) estimator `(y - b) Σ_units d log P(s_i | U_i)/dθ`, unbiased for any `b`
    /// independent of the sample (`nil`: no baseline).
    case reinforce(baseline: Double?)
    /// Central finite differences `(y(θ + h e_k) - y(θ - h e_k)) / 2h` per parameter, with independent uniforms for
    /// the two evaluations or with common random numbers (the same uniforms).
    case finiteDifference(step: Double, commonRandomNumbers: Bool)

    /// Whether the estimator returns the same value every time (no sampling).
    public var isDeterministic: Bool { self == .deterministicSurrogate }

    /// A short name for tables, CSV files and plots.
    public var description: String {
        switch self {
        case .deterministicSurrogate: return "deterministic-sg"
        case .stochasticSurrogate: return "stochastic-sg"
        case .smoothed(let d): return "smoothed-\(d.name)"
        case .stochasticTriples: return "stochastic-triples"
        case .reinforce(let b): return b == nil ? "reinforce" : "reinforce-baseline"
        case .finiteDifference(_, let crn): return crn ? "fd-common-random" : "fd-independent"
        }
    }
}

extension PerceptronMLP {
    /// One sample of `estimator`, drawing all randomness from `rng`. Returns dE[y]/d(parameters) in flat order.
    public func sampleGradient(_ estimator: GradientEstimator, using rng: inout PhiloxGenerator) -> [Double] {
        switch estimator {
        case .deterministicSurrogate:
            return deterministicSurrogateGradient
        case .stochasticSurrogate:
            return surrogateGradient(along: forward(uniforms: drawUniforms(using: &rng)))
        case .smoothed(let d):
            return smoothedGradient(d, along: forward(uniforms: drawUniforms(using: &rng)))
        case .stochasticTriples:
            let xi = drawUniforms(using: &rng)
            return stochasticTripleGradient(uniforms: xi, path: forward(uniforms: xi), using: &rng)
        case .reinforce(let baseline):
            let path = forward(uniforms: drawUniforms(using: &rng))
            return scoreFunctionGradient(along: path, baseline: baseline ?? 0)
        case .finiteDifference(let h, let crn):
            return finiteDifferenceGradient(step: h, commonRandomNumbers: crn, using: &rng)
        }
    }

    /// The pathwise gradient with a smoothed stochastic derivative at every stochastic unit (the layer's surrogate
    /// derivative at deterministic units).
    public func smoothedGradient(_ d: SmoothedStochasticDerivative, along path: PerceptronPath) -> [Double] {
        backpropagate(path) { l, _, x, s in
            let spike = layers[l].spike
            guard spike.escape.isStochastic else { return spike.surrogateDerivative(x, spike: s) }
            let p: Double = spike.escape.probability(x)
            let dp: Double = spike.escape.probabilityDerivative(x)
            return d.value(probability: p, derivative: dp, spike: s)
        }
    }

    /// The score-function estimate `(y - b) Σ_l Σ_i ∂ log P(s_i | U_i)/∂U_i · ∂U_i/∂θ` along `path`, with
    /// `∂ log P/∂U = p' (s - p) / (p (1 - p))` at stochastic units (0 where `p ∈ {0, 1}`; deterministic units add
    /// nothing, so the estimator is unbiased only when every unit is stochastic).
    public func scoreFunctionGradient(along path: PerceptronPath, baseline b: Double) -> [Double] {
        var grad = [Double](repeating: 0, count: parameterCount)
        let r = path.output - b
        if r == 0 { return grad }
        for (l, layer) in layers.enumerated() where layer.isStochastic {
            let h = layerInput(l, path)
            let off = parameterOffset(layer: l)
            for i in 0..<layer.outputs {
                let x: Double = path.potentials[l][i] - threshold
                let p: Double = layer.spike.escape.probability(x)
                guard p > 0, p < 1 else { continue }
                let dp: Double = layer.spike.escape.probabilityDerivative(x)
                let s: Double = path.spikes[l][i]
                let g: Double = r * dp * (s - p) / (p * (1 - p))
                let row = off + i * layer.inputs
                for j in 0..<layer.inputs { grad[row + j] += g * h[j] }
                grad[off + layer.outputs * layer.inputs + i] += g
            }
        }
        return grad
    }

    /// The layer and position of parameter `k` (flat order): `(layer, isBias, index in W or b)`.
    func locateParameter(_ k: Int) -> (layer: Int, isBias: Bool, index: Int) {
        var k = k
        for l in layers.indices {
            let nw = layers[l].weights.count
            if k < nw { return (l, false, k) }
            k -= nw
            if k < layers[l].outputs { return (l, true, k) }
            k -= layers[l].outputs
        }
        preconditionFailure("parameter index out of range")
    }

    /// Parameter `k` (flat order).
    public subscript(parameter k: Int) -> Double {
        get {
            let (l, isBias, i) = locateParameter(k)
            return isBias ? layers[l].bias[i] : layers[l].weights[i]
        }
        set {
            let (l, isBias, i) = locateParameter(k)
            if isBias { layers[l].bias[i] = newValue } else { layers[l].weights[i] = newValue }
        }
    }

    /// Central finite differences of the sampled output, one pair of evaluations per parameter.
    public func finiteDifferenceGradient(step h: Double, commonRandomNumbers: Bool,
                                         using rng: inout PhiloxGenerator) -> [Double] {
        var net = self
        let common = commonRandomNumbers ? drawUniforms(using: &rng) : []
        var grad = [Double](repeating: 0, count: parameterCount)
        for k in grad.indices {
            let theta = net[parameter: k]
            net[parameter: k] = theta + h
            let plus = net.forward(uniforms: commonRandomNumbers ? common : drawUniforms(using: &rng)).output
            net[parameter: k] = theta - h
            let minus = net.forward(uniforms: commonRandomNumbers ? common : drawUniforms(using: &rng)).output
            net[parameter: k] = theta
            grad[k] = (plus - minus) / (2 * h)
        }
        return grad
    }
}
