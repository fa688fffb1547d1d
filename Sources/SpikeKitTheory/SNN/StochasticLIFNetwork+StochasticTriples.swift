import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine

/// Unbiased stochastic derivatives of a stochastic LIF network by stochastic triples in forward mode (Arya et al.
/// 2022), extended from the Perceptron case (`PerceptronMLP.stochasticTripleDerivative`) to LIF dynamics in time.
///
/// For one weight θ, the primal path is the sampled forward pass. Its almost-sure derivative holds every spike
/// fixed, so only the neurons the weight projects to move: `δU`, `δI` follow the dynamics with `δS = 0`,
/// ```
/// δI[n+1] = λ_s δI[n] + ∂(W·S_in[n] + V·S[n])/∂θ,   δU[n+1] = (λ_m δU[n] + (1-λ_m) δI[n]) (1 - S[n])
/// ```
/// (same-step reset: `λ_m δU[n] (1 - S[n]) + (1-λ_m) δI[n]`). Each neuron-step with `dp = p'(U[n] - θ) δU[n]` is a
/// candidate jump: a 0 may become 1 with weight `dp/(1 - p)` (dp > 0), a 1 may become 0 with weight `-dp/p`
/// (dp < 0). Pruning the candidates to one, chosen with probability proportional to its weight, with the survivor
/// carrying the total weight `W` (the Perceptron rule applied step by step gives the same law), the estimate
/// ```
/// δL + W · (L(alternative) - L(primal))
/// ```
/// is unbiased for `dE[L]/dθ`; the alternative path flips the chosen neuron-step and runs on with the same
/// uniforms ξ. `δL` is the pathwise term (weights into a readout). Candidates at neuron-steps that cannot reach the
/// loss are dropped (their alternative has the primal's loss).
extension StochasticLIFNetwork {
    /// One stochastic-triple estimate of every partial derivative, all on the primal pass `path` drawn with
    /// `uniforms`; `rng` decides the pruning.
    public func stochasticTripleGradient(uniforms: LIFUniforms, path: LIFPath, using rng: inout PhiloxGenerator) -> [Double] {
        var grad = pathwiseGradient(along: path)
        let primalLoss = loss(path)
        let T = steps
        for (l, layer) in layers.enumerated() where layer.stochastic {
            let n = layer.n
            let nIn = l == 0 ? architecture.input.count : layers[l - 1].n
            let inputActivity = l == 0 ? input : path.spikes[l - 1]
            let lm = layer.lambdaMem, ls = layer.lambdaSyn, cm = 1 - layer.lambdaMem
            var connections: [(map: LIFConnectionMap, offset: Int, recurrent: Bool)] = [(layer.feedForward, layer.feedForwardOffset, false)]
            if let r = layer.recurrent { connections.append((r, layer.recurrentOffset, true)) }
            for c in connections {
                for k in 0..<c.map.parameterCount {
                    let uses = c.map.uses[k]
                    let targets = Array(Set(uses.map(\.output))).sorted()
                    var du = [Double](repeating: 0, count: n), di = du
                    var candidates: [(NeuronStep, Double)] = []
                    var total = 0.0
                    for t in 0..<T {
                        if reachesLoss(layer: l, step: t) {
                            for i in targets where du[i] != 0 {
                                let (p, dpdx) = escape(path, l, t, i)
                                let dp = dpdx * du[i]
                                let s = path.spikes[l][t * n + i]
                                var w = 0.0
                                if dp > 0, s == 0, p < 1 { w = dp / (1 - p) }
                                if dp < 0, s == 1, p > 0 { w = -dp / p }
                                if w > 0 {
                                    candidates.append((NeuronStep(layer: l, step: t, unit: i), w))
                                    total += w
                                }
                            }
                        }
                        var drive = [Double](repeating: 0, count: n)
                        for u in uses {
                            drive[u.output] += c.recurrent ? path.spikes[l][t * n + u.source] : inputActivity[t * nIn + u.source]
                        }
                        for i in targets {
                            let keep = 1 - path.spikes[l][t * n + i]
                            let u1 = layer.nextStep ? (lm * du[i] + cm * di[i]) * keep : lm * du[i] * keep + cm * di[i]
                            di[i] = ls * di[i] + drive[i]
                            du[i] = u1
                        }
                    }
                    guard total > 0 else { continue }
                    var r = rng.uniform() * total
                    var chosen = candidates[candidates.count - 1].0
                    for (step, w) in candidates {
                        if r < w { chosen = step; break }
                        r -= w
                    }
                    let alternative = simulate(uniforms: uniforms, flip: chosen)
                    grad[c.offset + k] += total * (loss(alternative) - primalLoss)
                }
            }
        }
        return grad
    }
}
