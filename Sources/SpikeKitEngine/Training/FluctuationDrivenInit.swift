import SpikeKitFormats
import SpikeKitKernels
import RealModule

/// Fluctuation-driven initialization (Rossbroich, Gygax & Zenke 2022; SPEC section 8): weights are drawn so that
/// every LIF neuron's free membrane potential fluctuates with a chosen standard deviation σ_u around μ_U = 0
/// when its presynaptic neurons fire as Poisson processes of rate ν.
///
/// For a layer with postsynaptic kernel K (the membrane response to one unit input spike, `kernel(...)`),
/// ε̂ = Σ_k K[k]² Δt and fan-in N (dense: inputs; conv: in_channels × kernel), Campbell's theorem gives
/// Var U = N ν ε̂ σ_w² for weights of mean 0 and variance σ_w². Splitting the variance between the feed-forward
/// and the recurrent connection gives
/// ```
/// μ_w = 0        σ_w = σ_u · sqrt(scale / (N ν ε̂)),   scale = α (feed-forward), 1 - α (recurrent)
/// ```
/// with α = 1 for a layer without a recurrent connection. σ_u and ν may be set per layer (`layerSigmaU`,
/// `layerNu`: layer i's σ_u_i and the rate ν_i of its presynaptic neurons). A readout (non-spiking) layer gets
/// N(0, 1/N) by default; with `readout = .fluctuationDriven` it gets the formula too (stork's
/// FluctuationDrivenCenteredNormalInitializer applied to the readout), with its own σ_u and ν (the last entries of
/// the per-layer lists, else `sigmaU` and `nu`), its own τ_mem and τ_syn in ε̂ and the whole variance (α = 1):
/// σ_w = σ_u · sqrt(1 / (N ν ε̂)), so that its free membrane fluctuates with σ_u.
///
/// Every array is drawn from its own `PhiloxGenerator(seed: seed, stream: s)` stream (s = 2i for layer i's
/// feed-forward weights, 2i + 1 for its recurrent weights), element by element in row-major order, so changing one
/// layer does not change the draws of the others.
public struct FluctuationDrivenInit: Codable, Equatable, Sendable {
    /// σ_u, the target standard deviation of the free membrane potential (in units of the threshold scale).
    public var sigmaU: Double
    /// ν, the presynaptic firing rate in Hz assumed for every connection (input and hidden layers alike).
    public var nu: Double
    /// α, the share of the membrane variance that comes from the feed-forward connection (the recurrent one
    /// gets 1 - α).
    public var alpha: Double
    /// Per-layer σ_u, one per layer (nil: `sigmaU` for every layer). A readout's entry counts only with
    /// `readout = .fluctuationDriven`.
    public var layerSigmaU: [Double]?
    /// Per-layer ν (Hz), one per layer: the rate assumed for layer i's presynaptic neurons (nil: `nu` for every layer).
    public var layerNu: [Double]?
    /// How a readout's weights are drawn.
    public var readout: ReadoutInitialization

    /// The readout's initialization.
    public enum ReadoutInitialization: String, Codable, Sendable {
        /// N(0, 1/N), N the fan-in (the default).
        case normal
        /// The fluctuation-driven formula with the readout's σ_u, ν and time constants (α = 1).
        case fluctuationDriven = "fluctuation-driven"
    }

    /// The initializer for target fluctuation `sigmaU` (σ_u), presynaptic rate `nu` (ν, Hz) and feed-forward share
    /// `alpha` (α); optionally per-layer σ_u and ν (one value per layer) and the readout's initialization.
    public init(sigmaU: Double, nu: Double, alpha: Double = 0.9, layerSigmaU: [Double]? = nil, layerNu: [Double]? = nil,
                readout: ReadoutInitialization = .normal) {
        self.sigmaU = sigmaU
        self.nu = nu
        self.alpha = alpha
        self.layerSigmaU = layerSigmaU
        self.layerNu = layerNu
        self.readout = readout
    }

    private enum CodingKeys: String, CodingKey {
        case sigmaU = "sigma_u", nu, alpha, layerSigmaU = "layer_sigma_u", layerNu = "layer_nu", readout
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sigmaU = try c.decode(Double.self, forKey: .sigmaU)
        nu = try c.decode(Double.self, forKey: .nu)
        alpha = try c.decode(Double.self, forKey: .alpha)
        layerSigmaU = try c.decodeIfPresent([Double].self, forKey: .layerSigmaU)
        layerNu = try c.decodeIfPresent([Double].self, forKey: .layerNu)
        readout = try c.decodeIfPresent(ReadoutInitialization.self, forKey: .readout) ?? .normal
    }

    /// Writes the per-layer values and the readout's initialization only when set, so a default initializer
    /// encodes as before they existed.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sigmaU, forKey: .sigmaU)
        try c.encode(nu, forKey: .nu)
        try c.encode(alpha, forKey: .alpha)
        try c.encodeIfPresent(layerSigmaU, forKey: .layerSigmaU)
        try c.encodeIfPresent(layerNu, forKey: .layerNu)
        if readout != .normal { try c.encode(readout, forKey: .readout) }
    }

    /// Checks σ_u > 0, ν > 0 (also every per-layer value) and 0 < α ≤ 1, all finite.
    public func validate() throws {
        guard sigmaU.isFinite, sigmaU > 0 else { throw SpikeKitError.invalidConfiguration("sigma_u must be positive, got \(sigmaU)") }
        guard nu.isFinite, nu > 0 else { throw SpikeKitError.invalidConfiguration("nu must be a positive rate in Hz, got \(nu)") }
        guard alpha.isFinite, alpha > 0, alpha <= 1 else {
            throw SpikeKitError.invalidConfiguration("alpha must be in (0, 1], got \(alpha)")
        }
        if let v = layerSigmaU?.first(where: { !($0.isFinite && $0 > 0) }) {
            throw SpikeKitError.invalidConfiguration("every per-layer sigma_u must be positive, got \(v)")
        }
        if let v = layerNu?.first(where: { !($0.isFinite && $0 > 0) }) {
            throw SpikeKitError.invalidConfiguration("every per-layer nu must be a positive rate in Hz, got \(v)")
        }
    }

    /// `validate()`, and one per-layer σ_u and ν for each of `layers` layers.
    public func validate(layers: Int) throws {
        try validate()
        if let s = layerSigmaU, s.count != layers {
            throw SpikeKitError.invalidConfiguration("\(s.count) per-layer sigma_u values for \(layers) layers")
        }
        if let s = layerNu, s.count != layers {
            throw SpikeKitError.invalidConfiguration("\(s.count) per-layer nu values for \(layers) layers")
        }
    }

    /// σ_u and ν of layer `i`.
    public func sigmaU(layer i: Int) -> Double { layerSigmaU?[i] ?? sigmaU }
    public func nu(layer i: Int) -> Double { layerNu?[i] ?? nu }

    /// The membrane kernel K[k] of the current-based LIF neuron of SPEC section 2 for one unit input spike: the
    /// spike lands in the synaptic current (I = 1) and the membrane starts at rest, then
    /// ```
    /// K[k] = U[k],   U[k+1] = λ_m U[k] + (1 - λ_m) I[k],   I[k+1] = λ_s I[k],   I[0] = 1, U[0] = 0
    /// ```
    /// with λ_m = e^{-Δt/τ_mem}, λ_s = e^{-Δt/τ_syn}; no threshold, no reset. By default the kernel has
    /// 10·max(τ_mem, τ_syn)/Δt steps (rounded to the nearest whole number, so 10·0.02/0.002 gives 100, not 99).
    public static func kernel(tauMem: Double, tauSyn: Double, dt: Double, steps: Int? = nil) -> [Double] {
        let n = steps ?? defaultKernelSteps(tauMem: tauMem, tauSyn: tauSyn, dt: dt)
        let lm = Double.exp(-dt / tauMem), ls = Double.exp(-dt / tauSyn)
        var k = [Double](repeating: 0, count: max(n, 0))
        var u = 0.0, i = 1.0
        for s in k.indices {
            k[s] = u
            u = lm * u + (1 - lm) * i
            i *= ls
        }
        return k
    }

    /// 10·max(τ_mem, τ_syn)/Δt, rounded to the nearest step.
    public static func defaultKernelSteps(tauMem: Double, tauSyn: Double, dt: Double) -> Int {
        let x = 10 * max(tauMem, tauSyn) / dt
        guard x.isFinite, x > 0 else { return 1 }
        return max(1, Int(min(x, 1e8).rounded()))
    }

    /// ε̄ = Σ_k K[k] Δt and ε̂ = Σ_k K[k]² Δt of the numerical kernel; as Δt → 0 (and the kernel is long enough)
    /// they tend to τ_syn and τ_syn² / (2 (τ_syn + τ_mem)).
    public static func epsilon(tauMem: Double, tauSyn: Double, dt: Double, steps: Int? = nil) -> (bar: Double, hat: Double) {
        let k = kernel(tauMem: tauMem, tauSyn: tauSyn, dt: dt, steps: steps)
        return (k.reduce(0, +) * dt, k.reduce(0) { $0 + $1 * $1 } * dt)
    }

    /// The standard deviations σ_w of every layer's feed-forward and recurrent weights (nil where the layer has no
    /// recurrent connection), for step size `architecture.dt`.
    /// - Throws: `SpikeKitError.invalidConfiguration` for invalid σ_u, ν or α, or per-layer lists of the wrong length.
    public func standardDeviations(for architecture: NetworkArchitecture) throws -> [(feedForward: Double, recurrent: Double?)] {
        try validate(layers: architecture.layers.count)
        return architecture.layers.enumerated().map { i, layer in
            guard layer.isSpiking || readout == .fluctuationDriven else {
                return ((1 / Double(layer.feedForward.fanIn)).squareRoot(), nil)
            }
            let eHat = Self.epsilon(tauMem: layer.tauMem, tauSyn: layer.tauSyn, dt: architecture.dt).hat
            let sigmaU = sigmaU(layer: i), nu = nu(layer: i)
            func sigma(fanIn: Int, scale: Double) -> Double {
                sigmaU * (scale / (Double(fanIn) * nu * eHat)).squareRoot()
            }
            guard let rec = layer.recurrent else { return (sigma(fanIn: layer.feedForward.fanIn, scale: 1), nil) }
            return (sigma(fanIn: layer.feedForward.fanIn, scale: alpha), sigma(fanIn: rec.fanIn, scale: 1 - alpha))
        }
    }

    /// Weights for `architecture`, each element drawn from N(0, σ_w²) with the σ_w of `standardDeviations(for:)`.
    /// - Throws: `SpikeKitError.invalidConfiguration` for invalid σ_u, ν or α.
    public func parameters(for architecture: NetworkArchitecture, seed: UInt64) throws -> NetworkParameters {
        let sigmas = try standardDeviations(for: architecture)
        var p = NetworkParameters(zerosFor: architecture)
        for (i, s) in sigmas.enumerated() {
            Self.fillNormal(&p.feedForward[i], std: s.feedForward, seed: seed, stream: UInt64(2 * i))
            if let rs = s.recurrent, var r = p.recurrent[i] {
                Self.fillNormal(&r, std: rs, seed: seed, stream: UInt64(2 * i + 1))
                p.recurrent[i] = r
            }
        }
        return p
    }

    private static func fillNormal(_ t: inout Tensor, std: Double, seed: UInt64, stream: UInt64) {
        var rng = PhiloxGenerator(seed: seed, stream: stream)
        for k in t.scalars.indices { t.scalars[k] = Float(std * rng.normal()) }
    }
}
