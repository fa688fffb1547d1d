import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine

/// The uniform draws ξ of one forward pass: per layer `[T·N]` (step-major, canonical neuron order), empty for a
/// layer without stochastic spikes. `S = 1[ξ < p(U - θ)]`.
public struct LIFUniforms: Sendable, Equatable {
    public var values: [[Double]]

    public init(values: [[Double]]) { self.values = values }
}

/// One path through the tree of spike patterns: every layer's membrane potential and synaptic current for
/// n = 0..T (`[(T+1)·N]`, `U[n]` before the spike decision of step n) and its spikes `[T·N]` (empty for a readout,
/// whose output is `U[n]`, n < T).
public struct LIFPath: Sendable, Equatable {
    public var potential: [[Double]]
    public var current: [[Double]]
    public var spikes: [[Double]]
}

/// A neuron-step: layer, step and neuron (canonical index).
public struct NeuronStep: Sendable, Hashable {
    public var layer: Int
    public var step: Int
    public var unit: Int

    public init(layer: Int, step: Int, unit: Int) {
        self.layer = layer
        self.step = step
        self.unit = unit
    }
}

extension StochasticLIFNetwork {
    /// Independent uniforms for every stochastic layer.
    public func drawUniforms(using rng: inout PhiloxGenerator) -> LIFUniforms {
        LIFUniforms(values: layers.map { l in l.stochastic ? (0..<(steps * l.n)).map { _ in rng.uniform() } : [] })
    }

    /// The forward pass with the draws `uniforms`. `deterministic` replaces every escape noise by the step
    /// `1[U - θ > 0]` (the deterministic network, "noise off"); `flip` inverts the decision of one neuron-step (the
    /// alternative path of a stochastic triple), everything else drawn with the same uniforms.
    public func simulate(uniforms: LIFUniforms?, deterministic: Bool = false, flip: NeuronStep? = nil) -> LIFPath {
        var path = startPath()
        let theta = architecture.threshold
        for t in 0..<steps {
            for (l, layer) in layers.enumerated() where layer.spiking {
                let spike = layer.spike!
                for i in 0..<layer.n {
                    let x = path.potential[l][t * layer.n + i] - theta
                    var s: Bool
                    if deterministic || !layer.stochastic {
                        s = x > 0
                    } else {
                        s = uniforms!.values[l][t * layer.n + i] < spike.probability(x)
                    }
                    if let f = flip, f.layer == l, f.step == t, f.unit == i { s.toggle() }
                    path.spikes[l][t * layer.n + i] = s ? 1 : 0
                }
            }
            advance(&path, step: t)
        }
        return path
    }

    /// A path at n = 0: `U[0] = 0` (a readout's `initial_mem`), `I[0] = 0`, no spikes yet.
    func startPath() -> LIFPath {
        let T = steps
        var u: [[Double]] = [], i: [[Double]] = [], s: [[Double]] = []
        for l in layers {
            var pot = [Double](repeating: 0, count: (T + 1) * l.n)
            if !l.spiking { for k in 0..<l.n { pot[k] = l.initialMem } }
            u.append(pot)
            i.append([Double](repeating: 0, count: (T + 1) * l.n))
            s.append(l.spiking ? [Double](repeating: 0, count: T * l.n) : [])
        }
        return LIFPath(potential: u, current: i, spikes: s)
    }

    /// Given the spikes of step `t` in every layer, computes `U[t+1]` and `I[t+1]` of every layer.
    func advance(_ path: inout LIFPath, step t: Int) {
        var drive = [Double]()
        for (l, layer) in layers.enumerated() {
            let n = layer.n
            drive = [Double](repeating: 0, count: n)
            if l == 0 {
                layer.feedForward.accumulate(parameters, offset: layer.feedForwardOffset, activity: input,
                                             at: t * architecture.input.count, into: &drive, at: 0)
            } else {
                layer.feedForward.accumulate(parameters, offset: layer.feedForwardOffset, activity: path.spikes[l - 1],
                                             at: t * layers[l - 1].n, into: &drive, at: 0)
            }
            if let r = layer.recurrent {
                r.accumulate(parameters, offset: layer.recurrentOffset, activity: path.spikes[l], at: t * n, into: &drive, at: 0)
            }
            let lm = layer.lambdaMem, ls = layer.lambdaSyn, cm = 1 - layer.lambdaMem
            let now = t * n, next = (t + 1) * n
            for k in 0..<n {
                let u = path.potential[l][now + k], i = path.current[l][now + k]
                if !layer.spiking {
                    path.potential[l][next + k] = lm * u + cm * i
                } else {
                    let keep = 1 - path.spikes[l][now + k]
                    path.potential[l][next + k] = layer.nextStep ? (lm * u + cm * i) * keep : lm * u * keep + cm * i
                }
                path.current[l][next + k] = ls * i + drive[k]
            }
        }
    }

    /// The escape probability `p(U[t] - θ)` and its derivative `p'` of a neuron-step on `path`.
    func escape(_ path: LIFPath, _ l: Int, _ t: Int, _ i: Int) -> (p: Double, dp: Double) {
        let layer = layers[l]
        let x = path.potential[l][t * layer.n + i] - architecture.threshold
        let e = layer.spike!.escape
        return (e.probability(x), e.probabilityDerivative(x))
    }

    /// `P(path)`: the product of `p` or `1 - p` over the stochastic neuron-steps that can change the loss.
    public func probability(of path: LIFPath) -> Double {
        var prob = 1.0
        for (l, layer) in layers.enumerated() where layer.stochastic {
            for t in 0..<steps where reachesLoss(layer: l, step: t) {
                for i in 0..<layer.n {
                    let p = escape(path, l, t, i).p
                    prob *= path.spikes[l][t * layer.n + i] != 0 ? p : 1 - p
                }
            }
        }
        return prob
    }
}
