import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine
/// Unbiased stochastic derivatives of a Perceptron MLP by stochastic triples in forward mode (Arya et al. 2022,
/// "Automatic differentiation of programs with discrete randomness"; SPEC section 3).
///
/// A stochastic triple carries, next to the primal value, its almost-sure derivative `δ` and one alternative value
/// `Y` reached with weight `w` (the rate, per unit change of the parameter, of a discrete jump). For a Bernoulli unit
/// `S = 1[ξ < p]` whose probability moves by `dp = p'(U - θ) · dU`:
/// - if `dp > 0` and `S = 0`, it may jump to 1 with weight `dp / (1 - p)`;
/// - if `dp < 0` and `S = 1`, it may jump to 0 with weight `-dp / p`;
/// - the almost-sure derivative of a spike is 0.
/// An alternative path is propagated through the later layers with the same uniforms `ξ`. Where several candidate
/// alternatives meet (an incoming alternative path and new jumps), they are pruned to one, chosen with probability
/// proportional to its weight, and the survivor takes the total weight; this keeps the estimate
/// `δy + w (y_alt - y)` unbiased for `d E[y] / dθ` along the direction.
extension PerceptronMLP {
    /// One stochastic-triple estimate of the directional derivative `∇E[y] · direction`, on the forward pass `path`
    /// drawn with `uniforms`. `rng` decides the pruning.
    public func stochasticTripleDerivative(direction: [Double], uniforms: [[Double]], path: PerceptronPath,
                                           using rng: inout PhiloxGenerator) -> Double {
        precondition(direction.count == parameterCount, "direction has the wrong length")
        var weight = 0.0
        var alternative: [Double]? = nil  // spikes of the current layer on the alternative path
        var off = 0
        for (l, layer) in layers.enumerated() {
            let h = layerInput(l, path)
            var altSpikes: [Double]? = nil
            if let hAlt = alternative {
                let u = layer.membranePotential(hAlt)
                var alt = [Double](repeating: 0, count: layer.outputs)
                for i in 0..<layer.outputs where layer.spike.escape.spike(u[i] - threshold, uniform: uniforms[l][i]) {
                    alt[i] = 1
                }
                altSpikes = alt
            }
            let nw = layer.outputs * layer.inputs
            if layer.isStochastic, direction[off..<(off + layer.parameterCount)].contains(where: { $0 != 0 }) {
                // New jumps of this layer's primal spikes: dU_i = Σ_j dW_ij h_j + db_i.
                var candidates: [(unit: Int, weight: Double)] = []
                for i in 0..<layer.outputs {
                    var du = direction[off + nw + i]
                    for j in 0..<layer.inputs { du += direction[off + i * layer.inputs + j] * h[j] }
                    let x: Double = path.potentials[l][i] - threshold
                    let dpdx: Double = layer.spike.escape.probabilityDerivative(x)
                    let dp = dpdx * du
                    let p: Double = layer.spike.escape.probability(x)
                    let s = path.spikes[l][i]
                    if dp > 0, s == 0, p < 1 { candidates.append((i, dp / (1 - p))) }
                    if dp < 0, s == 1, p > 0 { candidates.append((i, -dp / p)) }
                }
                if !candidates.isEmpty {
                    let total = weight + candidates.reduce(0) { $0 + $1.weight }
                    var r = rng.uniform() * total
                    if altSpikes != nil, r < weight {
                        // keep the incoming alternative path
                    } else {
                        r -= altSpikes != nil ? weight : 0
                        var chosen = candidates[candidates.count - 1].unit
                        for c in candidates {
                            if r < c.weight { chosen = c.unit; break }
                            r -= c.weight
                        }
                        var flipped = path.spikes[l]
                        flipped[chosen] = 1 - flipped[chosen]
                        altSpikes = flipped
                    }
                    weight = total
                }
            }
            alternative = altSpikes
            off += layer.parameterCount
        }
        guard let alt = alternative else { return 0 }
        return weight * (alt[0] - path.output)
    }

    /// The stochastic-triple estimate of every partial derivative (one basis direction per parameter), all on the
    /// same primal forward pass.
    public func stochasticTripleGradient(uniforms: [[Double]], path: PerceptronPath,
                                         using rng: inout PhiloxGenerator) -> [Double] {
        var e = [Double](repeating: 0, count: parameterCount)
        var grad = e
        for k in e.indices {
            e[k] = 1
            grad[k] = stochasticTripleDerivative(direction: e, uniforms: uniforms, path: path, using: &rng)
            e[k] = 0
        }
        return grad
    }
}
