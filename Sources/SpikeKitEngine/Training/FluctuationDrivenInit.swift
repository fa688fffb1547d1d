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
/// with α = 1 for a layer without a recurrent connection. A readout (non-spiking) layer gets N(0, 1/N).
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

    /// The initializer for target fluctuation `sigmaU` (σ_u), presynaptic rate `nu` (ν, Hz) and feed-forward share
    /// `alpha` (α).
    public init(sigmaU: Double, nu: Double, alpha: Double = 0.9) {
        self.sigmaU = sigmaU
        self.nu = nu
        self.alpha = alpha
    }

    private enum CodingKeys: String, CodingKey { case sigmaU = "sigma_u", nu, alpha }

    /// Checks σ_u > 0, ν > 0 and 0 < α ≤ 1, all finite.
    public func validate() throws {
        guard sigmaU.isFinite, sigmaU > 0 else { throw SpikeKitError.invalidConfiguration("sigma_u must be positive, got \(sigmaU)") }
        guard nu.isFinite, nu > 0 else { throw SpikeKitError.invalidConfiguration("nu must be a positive rate in Hz, got \(nu)") }
        guard alpha.isFinite, alpha > 0, alpha <= 1 else {
            throw SpikeKitError.invalidConfiguration("alpha must be in (0, 1], got \(alpha)")
        }
    }

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
    /// - Throws: `SpikeKitError.invalidConfiguration` for invalid σ_u, ν or α.
    public func standardDeviations(for architecture: NetworkArchitecture) throws -> [(feedForward: Double, recurrent: Double?)] {
        try validate()
        return architecture.layers.map { layer in
            guard layer.isSpiking else { return ((1 / Double(layer.feedForward.fanIn)).squareRoot(), nil) }
            let eHat = Self.epsilon(tauMem: layer.tauMem, tauSyn: layer.tauSyn, dt: architecture.dt).hat
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
