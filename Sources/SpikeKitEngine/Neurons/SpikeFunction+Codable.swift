import SpikeKitFormats
import SpikeKitKernels
/// The JSON form used by model descriptions and verification cases (../shared/reference/README.md):
/// `{"escape": {"kind": "sigmoid", "beta": 10}, "surrogate": {"kind": "superspike", "beta": 10}, "bp_reset": false}`.
extension SpikeFunction: Codable {
    private enum Keys: String, CodingKey { case escape, surrogate, bpReset = "bp_reset" }
    private enum ParamKeys: String, CodingKey { case kind, beta, p0, du, sigma, name }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let e = try c.nestedContainer(keyedBy: ParamKeys.self, forKey: .escape)
        let escape: EscapeNoise
        switch try e.decode(String.self, forKey: .kind) {
        case "step": escape = .step
        case "sigmoid": escape = .sigmoid(beta: try e.decode(Double.self, forKey: .beta))
        case "exponential":
            escape = .exponential(p0: try e.decode(Double.self, forKey: .p0), du: try e.decode(Double.self, forKey: .du))
        case "erf", "probit": escape = .erf(sigma: try e.decode(Double.self, forKey: .sigma))
        case "user":
            throw SpikeKitError.invalidConfiguration(
                "the user escape noise '\((try? e.decode(String.self, forKey: .name)) ?? "?")' cannot be read from JSON; build it in code")
        case let other:
            throw SpikeKitError.invalidConfiguration(
                "unknown escape noise kind \"\(other)\" (expected step, sigmoid, exponential or erf)")
        }
        let s = try c.nestedContainer(keyedBy: ParamKeys.self, forKey: .surrogate)
        let surrogate: SurrogateDerivative
        let kind = try s.decode(String.self, forKey: .kind)
        func beta() throws -> Double { try s.decode(Double.self, forKey: .beta) }
        switch kind {
        case "superspike": surrogate = .superspike(beta: try beta())
        case "superspike-asymptotic": surrogate = .superspikeAsymptotic(beta: try beta())
        case "sigmoid": surrogate = .sigmoid(beta: try beta())
        case "sigmoid-scaled": surrogate = .sigmoidScaled(beta: try beta())
        case "piecewise-linear", "esser": surrogate = .piecewiseLinear(beta: try beta())
        case "exponential":
            surrogate = .exponential(p0: try s.decode(Double.self, forKey: .p0), du: try s.decode(Double.self, forKey: .du))
        case "gaussian": surrogate = .gaussian(sigma: try s.decode(Double.self, forKey: .sigma))
        case "multilayer-spiker": surrogate = .multilayerSpiker
        case "matched": surrogate = .matched
        case "user":
            throw SpikeKitError.invalidConfiguration(
                "the user surrogate '\((try? s.decode(String.self, forKey: .name)) ?? "?")' cannot be read from JSON; build it in code")
        default:
            throw SpikeKitError.invalidConfiguration(
                "unknown surrogate kind \"\(kind)\" (expected superspike, superspike-asymptotic, sigmoid, sigmoid-scaled, "
                    + "piecewise-linear, exponential, gaussian, multilayer-spiker or matched)")
        }
        try self.init(escape: escape, surrogate: surrogate,
                      bpReset: try c.decodeIfPresent(Bool.self, forKey: .bpReset) ?? false)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        var e = c.nestedContainer(keyedBy: ParamKeys.self, forKey: .escape)
        try e.encode(escape.kindName, forKey: .kind)
        switch escape {
        case .step: break
        case .sigmoid(let b): try e.encode(b, forKey: .beta)
        case .exponential(let p0, let du):
            try e.encode(p0, forKey: .p0)
            try e.encode(du, forKey: .du)
        case .erf(let sg): try e.encode(sg, forKey: .sigma)
        case .user(let u): try e.encode(u.function.name, forKey: .name)
        }
        var s = c.nestedContainer(keyedBy: ParamKeys.self, forKey: .surrogate)
        try s.encode(surrogate.kindName, forKey: .kind)
        switch surrogate {
        case .superspike(let b), .superspikeAsymptotic(let b), .sigmoid(let b), .sigmoidScaled(let b),
             .piecewiseLinear(let b):
            try s.encode(b, forKey: .beta)
        case .exponential(let p0, let du):
            try s.encode(p0, forKey: .p0)
            try s.encode(du, forKey: .du)
        case .gaussian(let sg): try s.encode(sg, forKey: .sigma)
        case .multilayerSpiker, .matched: break
        case .user(let u): try s.encode(u.function.name, forKey: .name)
        }
        try c.encode(bpReset, forKey: .bpReset)
    }
}
