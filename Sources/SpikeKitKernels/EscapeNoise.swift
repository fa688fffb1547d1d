import SpikeKitFormats
import RealModule

/// How a spike is drawn from the input `x = U - θ` of the spike nonlinearity (SPEC section 1, forward pass).
///
/// A stochastic spike is always `S = 1[ξ < p(x)]` with an explicit uniform `ξ ∈ [0, 1)`, so a run is reproducible
/// from its seed and a caller can supply `ξ`.
public enum EscapeNoise: Equatable, Hashable, Sendable, Codable {
    /// Deterministic threshold: `S = 1` if `x > 0`, else 0 (the β → ∞ limit of `sigmoid`).
    case step
    /// `p = σ(βx) = 1 / (1 + e^{-βx})`.
    case sigmoid(beta: Double)
    /// `p = min(1, p0 · e^{x/Δu})`.
    case exponential(p0: Double, du: Double)
    /// Probit: `p = ½ (1 + erf(x / (σ√2)))`.
    case erf(sigma: Double)
    /// A user-defined ρ(x) (`EscapeNoiseFunction`): `S = 1[ξ < ρ(x)]`; always stochastic.
    case user(UserEscapeNoise)

    /// Whether spikes depend on a random draw.
    public var isStochastic: Bool { self != .step }

    /// The escape probability `p(x)`; for `step`, 1 when `x > 0` and 0 otherwise.
    @inlinable
    public func probability<T: Real & BinaryFloatingPoint>(_ x: T) -> T {
        switch self {
        case .step:
            return x > 0 ? 1 : 0
        case .sigmoid(let beta):
            return 1 / (1 + T.exp(-T(beta) * x))
        case .exponential(let p0, let du):
            return Swift.min(1, T(p0) * T.exp(x / T(du)))
        case .erf(let sigma):
            return (1 + T.erf(x / (T(sigma) * T.sqrt(2)))) / 2
        case .user(let u):
            return T(u.function.probability(Double(x)))
        }
    }

    /// The spike for input `x` and uniform draw `xi` (ignored for `step`): `1[ξ < p(x)]`, or `1[x > 0]` for `step`.
    @inlinable
    public func spike<T: Real & BinaryFloatingPoint>(_ x: T, uniform xi: T) -> Bool {
        switch self {
        case .step: return x > 0
        default: return xi < probability(x)
        }
    }

    /// Checks the parameters (positive β, Δu, σ; p0 in (0, 1]).
    public func validate() throws {
        func positive(_ v: Double, _ name: String) throws {
            guard v.isFinite, v > 0 else {
                throw SpikeKitError.invalidConfiguration("escape noise \(kindName): \(name) must be a positive number, got \(v)")
            }
        }
        switch self {
        case .step: break
        case .sigmoid(let beta): try positive(beta, "beta")
        case .exponential(let p0, let du):
            try positive(du, "du")
            guard p0.isFinite, p0 > 0, p0 <= 1 else {
                throw SpikeKitError.invalidConfiguration("escape noise exponential: p0 must be in (0, 1], got \(p0)")
            }
        case .erf(let sigma): try positive(sigma, "sigma")
        case .user: break
        }
    }

    /// The name used in model descriptions (`"step"`, `"sigmoid"`, `"exponential"`, `"erf"`).
    public var kindName: String {
        switch self {
        case .step: return "step"
        case .sigmoid: return "sigmoid"
        case .exponential: return "exponential"
        case .erf: return "erf"
        case .user: return "user"
        }
    }
}
