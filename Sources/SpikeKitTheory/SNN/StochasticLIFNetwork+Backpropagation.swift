import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine

/// Back-propagation through time along a fixed path, with the recursion of `LayerPass.backwardSpiking` and
/// `backwardReadout` (SPEC section 2), for n = T-1 down to 0, `g_U`, `g_I` the gradients of U[n+1] and I[n+1]:
/// ```
/// g_S[n]  = seed_S[n] + (next layer)ᵀ g_I' + Vᵀ g_I − [bpReset] g_U · ∂U[n+1]/∂(1 - S[n])
/// g_U[n]  = g_S[n] · D[n] + seed_U[n] + λ_m (1 - S[n]) g_U
/// g_I[n]  = λ_s g_I + (1-λ_m) (1 - S[n]) g_U        (same-step reset: without the factor (1 - S[n]))
/// dL/dW  += g_I ⊗ S_in[n],  dL/dV += g_I ⊗ S[n]     (n < T - 1)
/// ```
/// `D[n]` replaces dS/dx: the layer's surrogate derivative gives the surrogate gradient (SpikeKit's training
/// gradient); `D = 0` gives the derivative along the fixed path (spikes held constant), which with the loss as seed
/// is the pathwise term and with `d log P/dx` as seed of `U` is the score function.
extension StochasticLIFNetwork {
    /// The stochastic surrogate gradient on `path`: back-propagation with each layer's surrogate derivative
    /// `SD(U[n] - θ)` at every neuron-step, exactly what the engine's BPTT computes for the same spikes.
    public func surrogateGradient(along path: LIFPath) -> [Double] {
        let seeds = lossAndSeeds(path, seeds: true)
        return backpropagate(path, spikeSeeds: seeds.spike, potentialSeeds: seeds.potential,
                             spikeDerivative: spikeDerivatives(path) { l, x, s, _, _ in
                                 layers[l].spike!.surrogateDerivative(x, spike: s)
                             })
    }

    /// Back-propagation along `path` with the smoothed stochastic derivative `d` at every stochastic neuron-step
    /// (the layer's surrogate at deterministic ones).
    public func smoothedGradient(_ d: SmoothedStochasticDerivative, along path: LIFPath) -> [Double] {
        let seeds = lossAndSeeds(path, seeds: true)
        return backpropagate(path, spikeSeeds: seeds.spike, potentialSeeds: seeds.potential,
                             spikeDerivative: spikeDerivatives(path) { l, x, s, p, dp in
                                 layers[l].stochastic ? d.value(probability: p, derivative: dp, spike: s)
                                                      : layers[l].spike!.surrogateDerivative(x, spike: s)
                             })
    }

    /// `∂L/∂w` with every spike of `path` held fixed (nonzero only for weights into a readout).
    public func pathwiseGradient(along path: LIFPath) -> [Double] {
        let seeds = lossAndSeeds(path, seeds: true)
        return backpropagate(path, spikeSeeds: seeds.spike, potentialSeeds: seeds.potential, spikeDerivative: nil)
    }

    /// The score `d log P(path)/dw = Σ (S p'/p - (1-S) p'/(1-p)) dU[n]/dw` over the stochastic neuron-steps that
    /// can change the loss (`reachesLoss`), with the spikes held fixed.
    public func scoreGradient(along path: LIFPath) -> [Double] {
        backpropagate(path, spikeSeeds: [], potentialSeeds: scoreSeeds(path, adding: []), spikeDerivative: nil)
    }

    /// The seeds of the score: `d log P/dx` at every stochastic neuron-step that can change the loss, added to the
    /// membrane seeds `base` (per layer `[T·N]`, empty: none).
    func scoreSeeds(_ path: LIFPath, adding base: [[Double]]) -> [[Double]] {
        var seeds: [[Double]] = layers.indices.map { l in
            l < base.count && !base[l].isEmpty ? base[l] : [Double](repeating: 0, count: steps * layers[l].n)
        }
        for (l, layer) in layers.enumerated() where layer.stochastic {
            for t in 0..<steps where reachesLoss(layer: l, step: t) {
                for i in 0..<layer.n {
                    let (p, dp) = escape(path, l, t, i)
                    let s = path.spikes[l][t * layer.n + i]
                    seeds[l][t * layer.n + i] += s != 0 ? (p > 0 ? dp / p : 0) : (p < 1 ? -dp / (1 - p) : 0)
                }
            }
        }
        return seeds
    }

    /// Per weight: whether it projects into a readout (the only weights with a pathwise term; they have no score).
    var readoutWeightMask: [Bool] {
        var mask = [Bool](repeating: false, count: parameters.count)
        for l in layers where !l.spiking {
            for k in 0..<l.feedForward.parameterCount { mask[l.feedForwardOffset + k] = true }
        }
        return mask
    }

    /// `D[l][n·N + i] = f(layer, x, s, p, p')` for every neuron-step of every spiking layer.
    func spikeDerivatives(_ path: LIFPath, _ f: (Int, Double, Double, Double, Double) -> Double) -> [[Double]] {
        layers.enumerated().map { l, layer in
            guard layer.spiking else { return [] }
            var d = [Double](repeating: 0, count: steps * layer.n)
            let e = layer.spike!.escape
            for k in d.indices {
                let t = k / layer.n
                let x = path.potential[l][t * layer.n + k % layer.n] - architecture.threshold
                d[k] = f(l, x, path.spikes[l][k], e.probability(x), e.probabilityDerivative(x))
            }
            return d
        }
    }

    /// The reverse-time recursion of the type's documentation. Seeds are per layer `[T·N]` (an empty array means
    /// zero); `spikeDerivative` nil means `D = 0`.
    func backpropagate(_ path: LIFPath, spikeSeeds: [[Double]], potentialSeeds: [[Double]],
                       spikeDerivative: [[Double]]?) -> [Double] {
        let T = steps
        var grad = [Double](repeating: 0, count: parameters.count)
        var fromAbove: [Double] = []
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let layer = layers[l], n = layer.n
            let lm = layer.lambdaMem, ls = layer.lambdaSyn, cm = 1 - layer.lambdaMem
            let nIn = l == 0 ? architecture.input.count : layers[l - 1].n
            let inputActivity = l == 0 ? input : path.spikes[l - 1]
            var below = [Double](repeating: 0, count: l == 0 ? 0 : T * nIn)
            var gu = [Double](repeating: 0, count: n), gi = gu, gs = gu
            let sSeed = l < spikeSeeds.count ? spikeSeeds[l] : []
            let uSeed = l < potentialSeeds.count ? potentialSeeds[l] : []
            let d = spikeDerivative.map { $0[l] } ?? []
            let ff = layer.feedForward
            for t in stride(from: T - 1, through: 0, by: -1) {
                if layer.spiking {
                    for k in 0..<n {
                        gs[k] = (sSeed.isEmpty ? 0 : sSeed[t * n + k]) + (fromAbove.isEmpty ? 0 : fromAbove[t * n + k])
                    }
                }
                if t < T - 1 {
                    if let r = layer.recurrent {
                        for o in 0..<n where gi[o] != 0 {
                            for q in r.start[o]..<r.start[o + 1] {
                                let src = r.source[q], w = layer.recurrentOffset + r.parameter[q]
                                grad[w] += gi[o] * path.spikes[l][t * n + src]
                                gs[src] += parameters[w] * gi[o]
                            }
                        }
                    }
                    for o in 0..<n where gi[o] != 0 {
                        for q in ff.start[o]..<ff.start[o + 1] {
                            let src = ff.source[q], w = layer.feedForwardOffset + ff.parameter[q]
                            grad[w] += gi[o] * inputActivity[t * nIn + src]
                            if l > 0 { below[t * nIn + src] += parameters[w] * gi[o] }
                        }
                    }
                    if layer.spiking, layer.bpReset {
                        for k in 0..<n {
                            let u = path.potential[l][t * n + k], i = path.current[l][t * n + k]
                            gs[k] -= gu[k] * (layer.nextStep ? lm * u + cm * i : lm * u)
                        }
                    }
                }
                for k in 0..<n {
                    let ext = uSeed.isEmpty ? 0 : uSeed[t * n + k]
                    let gu1 = gu[k]
                    if layer.spiking {
                        let keep = 1 - path.spikes[l][t * n + k]
                        gu[k] = gs[k] * (d.isEmpty ? 0 : d[t * n + k]) + ext + gu1 * lm * keep
                        gi[k] = ls * gi[k] + gu1 * cm * (layer.nextStep ? keep : 1)
                    } else {
                        gu[k] = ext + lm * gu1
                        gi[k] = ls * gi[k] + cm * gu1
                    }
                }
            }
            fromAbove = below
        }
        return grad
    }
}
