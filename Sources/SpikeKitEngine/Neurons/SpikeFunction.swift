import SpikeKitFormats
import SpikeKitKernels
import RealModule

/// A spike nonlinearity: escape noise forward, surrogate derivative backward, and whether the backward pass goes
/// through the reset (SPEC section 1). A value chosen per layer; there is no global state.
public struct SpikeFunction: Equatable, Hashable, Sendable {
    /// How spikes are drawn in the forward pass.
    public var escape: EscapeNoise
    /// What replaces dS/dx in the backward pass, as configured (may be `.matched`).
    public var surrogate: SurrogateDerivative
    /// Whether the reset factor `(1 - S[n])` is differentiated (`true`) or treated as a constant (`false`, default).
    public var bpReset: Bool
    /// The surrogate with `matched` resolved against `escape`.
    public let resolvedSurrogate: ResolvedSurrogate

    /// Creates a spike function, resolving `matched` and checking every parameter.
    /// - Throws: `SpikeKitError.invalidConfiguration` for a non-positive parameter or `matched` with `step`.
    public init(escape: EscapeNoise, surrogate: SurrogateDerivative, bpReset: Bool = false) throws {
        try escape.validate()
        try surrogate.validate()
        self.escape = escape
        self.surrogate = surrogate
        self.bpReset = bpReset
        self.resolvedSurrogate = try Self.resolve(surrogate, against: escape)
    }

    /// Deterministic SuperSpike(β) with step escape noise, the paper's default.
    public static func deterministic(beta: Double = 10) -> SpikeFunction {
        // Parameters are valid by construction.
        try! SpikeFunction(escape: .step, surrogate: .superspike(beta: beta))
    }

    /// The escape probability `p(x)`.
    @inlinable
    public func probability<T: Real & BinaryFloatingPoint>(_ x: T) -> T { escape.probability(x) }

    /// The surrogate derivative `SD(x)` given the emitted spike `s` (0 or 1).
    @inlinable
    public func surrogateDerivative<T: Real & BinaryFloatingPoint>(_ x: T, spike s: T) -> T {
        resolvedSurrogate.value(x, spike: s)
    }

    static func resolve(_ s: SurrogateDerivative, against e: EscapeNoise) throws -> ResolvedSurrogate {
        switch s {
        case .superspike(let b): return .superspike(beta: b)
        case .superspikeAsymptotic(let b): return .superspikeAsymptotic(beta: b)
        case .sigmoid(let b): return .sigmoid(beta: b)
        case .sigmoidScaled(let b): return .sigmoidScaled(beta: b)
        case .piecewiseLinear(let b): return .piecewiseLinear(beta: b)
        case .exponential(let p0, let du): return .exponential(p0: p0, du: du)
        case .gaussian(let sg): return .gaussian(sigma: sg)
        case .multilayerSpiker: return .multilayerSpiker
        case .user(let u): return .user(u)
        case .matched:
            switch e {
            case .step:
                throw SpikeKitError.invalidConfiguration(
                    "the matched surrogate is undefined for step escape noise (its derivative is a Dirac delta); "
                        + "choose a surrogate such as superspike")
            case .sigmoid(let b): return .sigmoid(beta: b)
            case .exponential(let p0, let du): return .exponentialClipped(p0: p0, du: du)
            case .erf(let sg): return .gaussian(sigma: sg)
            case .user(let u): return .user(UserSurrogate(matching: u))
            }
        }
    }
}
