import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine

/// The exact expected loss of a stochastic LIF network and its exact gradient, from every path of the tree of
/// spike patterns (paper, Fig. 2; SPEC section 3, "exact"), in Double:
/// ```
/// E[L]      = Σ_paths P(path; w) L(path; w),     P = Π_{neuron-steps} p^S (1 - p)^{1-S},  p = p(U[n] - θ)
/// dE[L]/dw  = Σ_paths P (∂L/∂w|path + L · ∂log P/∂w|path)
/// ```
/// where `|path` means with every spike held fixed (the pathwise term, nonzero only for weights into a readout,
/// and the score `Σ (S p'/p - (1-S) p'/(1-p)) dU/dw`). Alongside, any pathwise estimator's exact expectation and
/// per-sample variance: the stochastic surrogate gradient `Σ P · SG(path)`, and the second moments of REINFORCE.
public struct LIFExactExpectation: Sendable {
    /// `E[L]`.
    public var meanLoss: Double
    /// `dE[L]/dw`.
    public var gradient: [Double]
    /// `E[SG]` over all paths, when requested: the stochastic surrogate gradient's expectation without sampling error.
    public var surrogateGradientMean: [Double]?
    /// The stochastic surrogate gradient's per-sample variance per parameter, `E[SG²] - E[SG]²`.
    public var surrogateGradientVariance: [Double]?
    /// Per parameter `E[(q + L s)²]`, `E[(q + L s) s]` and `E[s²]` (q the pathwise term, s the score), from which the
    /// per-sample variance of REINFORCE with any baseline b follows: `A - 2bB + b²C - g²`.
    public var reinforceMoments: (a: [Double], b: [Double], c: [Double])
    /// The number of stochastic neuron-steps enumerated (2^K paths before those of probability 0 are pruned).
    public var stochasticNeuronSteps: Int
    /// The paths of nonzero probability visited.
    public var paths: Int

    /// The per-sample variance of REINFORCE (pathwise term included) with baseline `b` (0: none), per parameter.
    public func reinforceVariance(baseline b: Double) -> [Double] {
        gradient.indices.map { k in
            max(0, reinforceMoments.a[k] - 2 * b * reinforceMoments.b[k] + b * b * reinforceMoments.c[k] - gradient[k] * gradient[k])
        }
    }
}

extension StochasticLIFNetwork {
    /// The largest number of stochastic neuron-steps `exactExpectation` enumerates by default: 2^18 paths take about
    /// 2 s of one core (with the stochastic SG's expectation; 2^16: 0.5 s, 2^20: 10 s), and each step doubles it.
    public static let defaultEnumerationLimit = 18

    /// Throws unless the network has at most `limit` stochastic neuron-steps that can change the loss.
    public func checkEnumerable(limit: Int = StochasticLIFNetwork.defaultEnumerationLimit) throws {
        let k = stochasticNeuronSteps
        guard k <= limit else {
            throw SpikeKitError.invalidConfiguration(
                "the exact expectation enumerates 2^K spike patterns and this network has K = \(k) stochastic neuron-steps "
                    + "that can reach the loss (stochastic neurons × steps); the limit is \(limit): use fewer neurons or steps")
        }
    }

    /// Only `E[L]`, by enumeration (for finite differences of the exact mean).
    public func exactMeanLoss(limit: Int = StochasticLIFNetwork.defaultEnumerationLimit) throws -> Double {
        try checkEnumerable(limit: limit)
        var total = 0.0
        var path = startPath()
        enumeratePaths(&path, step: 0, probability: 1) { path, p in total += p * loss(path) }
        return total
    }

    /// `E[L]`, `dE[L]/dw` and (with `surrogate`) the stochastic surrogate gradient's exact mean and variance, by
    /// enumerating every path.
    /// - Throws: `SpikeKitError.invalidConfiguration` when the network has more than `limit` stochastic
    ///   neuron-steps that can reach the loss.
    public func exactExpectation(surrogate: Bool = true,
                                 limit: Int = StochasticLIFNetwork.defaultEnumerationLimit) throws -> LIFExactExpectation {
        try checkEnumerable(limit: limit)
        let P = parameters.count
        var mean = 0.0, paths = 0
        var g = [Double](repeating: 0, count: P), sg = g, sg2 = g, a = g, b = g, c = g
        let isReadoutWeight = readoutWeightMask
        var path = startPath()
        enumeratePaths(&path, step: 0, probability: 1) { path, prob in
            paths += 1
            let seeds = lossAndSeeds(path, seeds: true)
            let L = seeds.loss
            mean += prob * L
            // With the spikes held fixed, only weights into a readout have a pathwise term and only weights into a
            // spiking layer have a score, so one pass with both seeds gives both (`q` and `s` on disjoint weights).
            let qs = backpropagate(path, spikeSeeds: [], potentialSeeds: scoreSeeds(path, adding: seeds.potential), spikeDerivative: nil)
            for k in 0..<P {
                let readout = isReadoutWeight[k]
                let q = readout ? qs[k] : 0, s = readout ? 0 : qs[k]
                let r = q + L * s
                g[k] += prob * r
                a[k] += prob * r * r
                b[k] += prob * r * s
                c[k] += prob * s * s
            }
            if surrogate {
                let v = backpropagate(path, spikeSeeds: seeds.spike, potentialSeeds: seeds.potential,
                                      spikeDerivative: spikeDerivatives(path) { l, x, sp, _, _ in
                                          layers[l].spike!.surrogateDerivative(x, spike: sp)
                                      })
                for k in 0..<P {
                    sg[k] += prob * v[k]
                    sg2[k] += prob * v[k] * v[k]
                }
            }
        }
        return LIFExactExpectation(
            meanLoss: mean, gradient: g, surrogateGradientMean: surrogate ? sg : nil,
            surrogateGradientVariance: surrogate ? (0..<P).map { max(0, sg2[$0] - sg[$0] * sg[$0]) } : nil,
            reinforceMoments: (a, b, c), stochasticNeuronSteps: stochasticNeuronSteps, paths: paths)
    }

    /// The exact expectation of any pathwise quantity `f(path)` (a vector), `Σ P(path) f(path)`.
    public func pathExpectation(limit: Int = StochasticLIFNetwork.defaultEnumerationLimit,
                                _ f: (LIFPath) -> [Double]) throws -> [Double] {
        try checkEnumerable(limit: limit)
        var total: [Double] = []
        var path = startPath()
        enumeratePaths(&path, step: 0, probability: 1) { path, prob in
            let v = f(path)
            if total.isEmpty { total = [Double](repeating: 0, count: v.count) }
            for k in v.indices { total[k] += prob * v[k] }
        }
        return total
    }

    /// Depth-first over steps: at step t every stochastic neuron that can reach the loss takes both values (each
    /// pattern of the step weighted by its probability, patterns of probability 0 pruned); deterministic neurons
    /// spike when `U - θ > 0`, and stochastic neuron-steps that cannot reach the loss are held at 0 (summing over
    /// them multiplies by 1). Calls `leaf` with each complete path and its probability.
    func enumeratePaths(_ path: inout LIFPath, step t: Int, probability: Double, _ leaf: (LIFPath, Double) -> Void) {
        if t == steps {
            leaf(path, probability)
            return
        }
        let theta = architecture.threshold
        var free: [(l: Int, i: Int, p: Double)] = []
        for (l, layer) in layers.enumerated() where layer.spiking {
            let branching = layer.stochastic && reachesLoss(layer: l, step: t)
            for i in 0..<layer.n {
                let x = path.potential[l][t * layer.n + i] - theta
                if branching {
                    free.append((l, i, layer.spike!.probability(x)))
                } else {
                    path.spikes[l][t * layer.n + i] = !layer.stochastic && x > 0 ? 1 : 0
                }
            }
        }
        for mask in 0..<(1 << free.count) {
            var prob = probability
            for (j, f) in free.enumerated() {
                let s = (mask >> j) & 1
                prob *= s == 1 ? f.p : 1 - f.p
                path.spikes[f.l][t * layers[f.l].n + f.i] = Double(s)
            }
            if prob == 0 { continue }
            advance(&path, step: t)
            enumeratePaths(&path, step: t + 1, probability: prob, leaf)
        }
    }
}
