import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine

/// Every estimator of SPEC section 3 (`GradientEstimator`) on a stochastic LIF network, one sample per call.
///
/// - deterministic SG: the deterministic network (every escape noise replaced by the step) back-propagated with
///   each layer's surrogate; one value, no sampling;
/// - stochastic SG: one stochastic forward pass back-propagated with each layer's surrogate (SpikeKit's training
///   gradient: the engine's BPTT for the same draws);
/// - smoothed left / right / affine: the same with the smoothed stochastic derivative at every stochastic unit;
/// - stochastic triples: `stochasticTripleGradient`;
/// - REINFORCE: `∂L/∂w|path + (L - b) · ∂log P/∂w|path`, unbiased for any baseline b independent of the sample;
/// - finite differences: `(L(w + h e_k; ξ) - L(w - h e_k; ξ')) / 2h` with ξ' = ξ (common random numbers) or
///   independent.
extension StochasticLIFNetwork {
    /// One sample of `estimator`.
    public func sampleGradient(_ estimator: GradientEstimator, using rng: inout PhiloxGenerator) -> [Double] {
        switch estimator {
        case .deterministicSurrogate:
            return surrogateGradient(along: simulate(uniforms: nil, deterministic: true))
        case .stochasticSurrogate:
            return surrogateGradient(along: simulate(uniforms: drawUniforms(using: &rng)))
        case .smoothed(let d):
            return smoothedGradient(d, along: simulate(uniforms: drawUniforms(using: &rng)))
        case .stochasticTriples:
            let xi = drawUniforms(using: &rng)
            return stochasticTripleGradient(uniforms: xi, path: simulate(uniforms: xi), using: &rng)
        case .reinforce(let baseline):
            let path = simulate(uniforms: drawUniforms(using: &rng))
            var g = pathwiseGradient(along: path)
            let s = scoreGradient(along: path)
            let weight = loss(path) - (baseline ?? 0)
            for k in g.indices { g[k] += weight * s[k] }
            return g
        case .finiteDifference(let h, let common):
            let xi = drawUniforms(using: &rng)
            let xi2 = common ? xi : drawUniforms(using: &rng)
            var g = [Double](repeating: 0, count: parameters.count)
            var w = parameters
            for k in w.indices {
                let v = w[k]
                w[k] = v + h
                let plus = with(parameters: w).loss(with(parameters: w).simulate(uniforms: xi))
                w[k] = v - h
                let minus = with(parameters: w).loss(with(parameters: w).simulate(uniforms: xi2))
                w[k] = v
                g[k] = (plus - minus) / (2 * h)
            }
            return g
        }
    }

    /// The mean loss over `samples` stochastic forward passes: a REINFORCE baseline independent of the samples it
    /// is used with when `rng` is a separate stream.
    public func sampledMeanLoss(samples: Int, using rng: inout PhiloxGenerator) -> Double {
        var sum = 0.0
        for _ in 0..<max(samples, 1) { sum += loss(simulate(uniforms: drawUniforms(using: &rng))) }
        return sum / Double(max(samples, 1))
    }
}
