import SpikeKitFormats

/// An escape-noise function written outside the library: the escape probability ρ(x) of `x = U - θ` and its
/// derivative ρ'(x). Forward, a spike is `S = 1[ξ < ρ(x)]` with the engine's uniform draw ξ (as for every
/// stochastic built-in); ρ' is the matched surrogate (`SurrogateDerivative.matched`) of a layer with this noise.
///
/// The kernels evaluate the Float forms (one call per neuron and step, only on layers that use a user function;
/// the built-in functions keep their specialised loops). Their defaults round the Double forms; a function that
/// implements them with the Float arithmetic of a built-in kernel reproduces that built-in bit for bit.
public protocol EscapeNoiseFunction: Sendable {
    /// The function's name in messages and JSON (`{"kind": "user", "name": ...}`).
    var name: String { get }
    /// ρ(x) ∈ [0, 1].
    func probability(_ x: Double) -> Double
    /// ρ'(x).
    func derivative(_ x: Double) -> Double
    /// ρ(x) in Float, as the forward kernel evaluates it (default: `Float(probability(Double(x)))`).
    func probability(_ x: Float) -> Float
    /// ρ'(x) in Float, as the matched surrogate is stored (default: `Float(derivative(Double(x)))`).
    func derivative(_ x: Float) -> Float
}

extension EscapeNoiseFunction {
    public func probability(_ x: Float) -> Float { Float(probability(Double(x))) }
    public func derivative(_ x: Float) -> Float { Float(derivative(Double(x))) }
}

/// A surrogate derivative written outside the library: σ'(x) used in place of dS/dx in BPTT, given the emitted
/// spike s (0 or 1). The Float form is what the kernels store per neuron and step (default: the Double form
/// rounded).
public protocol SurrogateDerivativeFunction: Sendable {
    var name: String { get }
    /// σ'(x) given the spike s.
    func value(_ x: Double, spike s: Double) -> Double
    /// σ'(x) in Float (default: `Float(value(Double(x), spike: Double(s)))`).
    func value(_ x: Float, spike s: Float) -> Float
}

extension SurrogateDerivativeFunction {
    public func value(_ x: Float, spike s: Float) -> Float { Float(value(Double(x), spike: Double(s))) }
}

/// Identity of a user function value: two boxes are equal when made by the same `init` (or copies of one).
public final class UserFunctionIdentity: Sendable, Hashable {
    public init() {}
    public static func == (a: UserFunctionIdentity, b: UserFunctionIdentity) -> Bool { a === b }
    public func hash(into h: inout Hasher) { h.combine(ObjectIdentifier(self)) }
}

/// An `EscapeNoiseFunction` as a value of `EscapeNoise` (`.user(UserEscapeNoise(f))`); equality is identity. Its
/// JSON form is `{"name": ...}`, which cannot be read back (a user function is code).
public struct UserEscapeNoise: Sendable, Hashable, Codable {
    public let function: any EscapeNoiseFunction
    public let identity: UserFunctionIdentity

    public init(_ function: any EscapeNoiseFunction) {
        self.function = function
        identity = UserFunctionIdentity()
    }

    public static func == (a: Self, b: Self) -> Bool { a.identity == b.identity }
    public func hash(into h: inout Hasher) { h.combine(identity) }

    private enum Keys: String, CodingKey { case name }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(function.name, forKey: .name)
    }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let n = (try? c.decode(String.self, forKey: .name)) ?? "?"
        throw DecodingError.dataCorruptedError(forKey: .name, in: c, debugDescription:
            "the user escape noise '\(n)' cannot be read from JSON; build the spike function in code")
    }
}

/// A `SurrogateDerivativeFunction` as a value of `SurrogateDerivative` / `ResolvedSurrogate`; equality is identity.
public struct UserSurrogate: Sendable, Hashable {
    public let function: any SurrogateDerivativeFunction
    public let identity: UserFunctionIdentity

    public init(_ function: any SurrogateDerivativeFunction) {
        self.function = function
        identity = UserFunctionIdentity()
    }

    /// ρ' of a user escape noise as a surrogate (the matched surrogate); equal for equal escape noises.
    public init(matching escape: UserEscapeNoise) {
        function = MatchedUserSurrogate(escape: escape.function)
        identity = escape.identity
    }

    public static func == (a: Self, b: Self) -> Bool { a.identity == b.identity }
    public func hash(into h: inout Hasher) { h.combine(identity) }
}

/// σ'(x) = ρ'(x) of a user escape noise.
struct MatchedUserSurrogate: SurrogateDerivativeFunction {
    let escape: any EscapeNoiseFunction
    var name: String { "matched(\(escape.name))" }
    func value(_ x: Double, spike s: Double) -> Double { escape.derivative(x) }
    func value(_ x: Float, spike s: Float) -> Float { escape.derivative(x) }
}
