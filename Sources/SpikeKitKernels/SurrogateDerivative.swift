import SpikeKitFormats
import RealModule

/// The derivative used in place of dS/dx wherever the chain rule needs it (SPEC section 1, backward pass).
/// `x = U - θ`. `S` is the spike that was emitted (only `multilayerSpiker` uses it).
public enum SurrogateDerivative: Equatable, Hashable, Sendable {
    /// Scaled SuperSpike (the paper's): `1 / (β|x| + 1)²`, peak 1.
    case superspike(beta: Double)
    /// `β / (β|x| + 1)²`, the exact derivative of the fast sigmoid `βx / (1 + β|x|)`.
    case superspikeAsymptotic(beta: Double)
    /// `β σ(βx)(1 - σ(βx))`, peak β/4; the derivative of sigmoid escape noise.
    case sigmoid(beta: Double)
    /// `σ(βx)(1 - σ(βx))`, peak 1/4.
    case sigmoidScaled(beta: Double)
    /// Esser et al.: `max(0, 1 - β|x|)`.
    case piecewiseLinear(beta: Double)
    /// `(p0/Δu) e^{x/Δu}`, unclipped.
    case exponential(p0: Double, du: Double)
    /// The probit density `e^{-x²/(2σ²)} / (σ√(2π))`; the derivative of erf escape noise.
    case gaussian(sigma: Double)
    /// `SD := S` (Gardner et al. 2015), for comparison only.
    case multilayerSpiker
    /// The derivative of the layer's escape-noise function; resolved by `SpikeFunction`. Undefined for `step`.
    case matched
    /// A user-defined σ'(x) (`SurrogateDerivativeFunction`).
    case user(UserSurrogate)

    /// The name used in model descriptions.
    public var kindName: String {
        switch self {
        case .superspike: return "superspike"
        case .superspikeAsymptotic: return "superspike-asymptotic"
        case .sigmoid: return "sigmoid"
        case .sigmoidScaled: return "sigmoid-scaled"
        case .piecewiseLinear: return "piecewise-linear"
        case .exponential: return "exponential"
        case .gaussian: return "gaussian"
        case .multilayerSpiker: return "multilayer-spiker"
        case .matched: return "matched"
        case .user: return "user"
        }
    }

    /// Checks the parameters (positive β, Δu, σ, p0).
    public func validate() throws {
        func positive(_ v: Double, _ name: String) throws {
            guard v.isFinite, v > 0 else {
                throw SpikeKitError.invalidConfiguration("surrogate \(kindName): \(name) must be a positive number, got \(v)")
            }
        }
        switch self {
        case .superspike(let b), .superspikeAsymptotic(let b), .sigmoid(let b), .sigmoidScaled(let b),
             .piecewiseLinear(let b):
            try positive(b, "beta")
        case .exponential(let p0, let du):
            try positive(p0, "p0")
            try positive(du, "du")
        case .gaussian(let s): try positive(s, "sigma")
        case .multilayerSpiker, .matched, .user: break
        }
    }
}

/// A surrogate derivative with `matched` resolved against an escape noise: the form the kernels evaluate.
public enum ResolvedSurrogate: Equatable, Hashable, Sendable {
    case superspike(beta: Double)
    case superspikeAsymptotic(beta: Double)
    case sigmoid(beta: Double)
    case sigmoidScaled(beta: Double)
    case piecewiseLinear(beta: Double)
    case exponential(p0: Double, du: Double)
    /// `(p0/Δu) e^{x/Δu}` where `p0 e^{x/Δu} < 1`, and 0 where the exponential escape probability is clipped at 1:
    /// the exact derivative of `min(1, p0 e^{x/Δu})` (the matched surrogate of exponential escape noise).
    case exponentialClipped(p0: Double, du: Double)
    case gaussian(sigma: Double)
    case multilayerSpiker
    /// A user-defined σ'(x), or ρ' of a user escape noise (matched).
    case user(UserSurrogate)

    /// `SD(x)` given the emitted spike `s` (0 or 1).
    @inlinable
    public func value<T: Real & BinaryFloatingPoint>(_ x: T, spike s: T) -> T {
        switch self {
        case .superspike(let beta):
            let d = T(beta) * Swift.abs(x) + 1
            return 1 / (d * d)
        case .superspikeAsymptotic(let beta):
            let d = T(beta) * Swift.abs(x) + 1
            return T(beta) / (d * d)
        case .sigmoid(let beta):
            let sg = 1 / (1 + T.exp(-T(beta) * x))
            return T(beta) * sg * (1 - sg)
        case .sigmoidScaled(let beta):
            let sg = 1 / (1 + T.exp(-T(beta) * x))
            return sg * (1 - sg)
        case .piecewiseLinear(let beta):
            return Swift.max(0, 1 - T(beta) * Swift.abs(x))
        case .exponential(let p0, let du):
            return T(p0) / T(du) * T.exp(x / T(du))
        case .exponentialClipped(let p0, let du):
            let e = T(p0) * T.exp(x / T(du))
            return e < 1 ? e / T(du) : 0
        case .gaussian(let sigma):
            let sg = T(sigma)
            return T.exp(-x * x / (2 * sg * sg)) / (sg * T.sqrt(2 * T.pi))
        case .multilayerSpiker:
            return s
        case .user(let u):
            return T(u.function.value(Double(x), spike: Double(s)))
        }
    }
}
