import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine
import RealModule

/// What a `StochasticLIFNetwork` is scored by, for its one input: SpikeKit's losses (SPEC section 7, exactly as the
/// engine computes them for a batch of one) or the output spike count, the LIF counterpart of the Perceptron
/// tools' `E[y]`.
public enum LIFObjective: Sendable, Equatable {
    /// `L = (1/(2N)) Σ_n Σ_i (S_i[n] - target_i[n])²` on the last (spiking) layer, `target` a raster `[T][N]` of 0/1
    /// in canonical order; `dL/dS_i[n] = (S_i[n] - target_i[n]) / N`.
    case l2Spikes(target: [Double])
    /// `L = CE(softmax(max_n U_c[n]), label)` on the readout membrane (the first step of the maximum takes the
    /// gradient), plus the activity regularizer `strength · relu(count_l / N_l - threshold)²` of every spiking layer.
    case crossEntropy(label: Int, activityRegularizer: ActivityRegularizer?)
    /// `L = Σ_n Σ_i S_i[n]`, the spikes of the last (spiking) layer: linear in the spikes, so that the chain rule of
    /// smoothed stochastic derivatives holds exactly where theory says it must (one stochastic layer, one step).
    case outputSpikeCount

    /// A short name for tables.
    public var name: String {
        switch self {
        case .l2Spikes: return "l2-spikes"
        case .crossEntropy(_, let r): return r == nil ? "cross-entropy" : "cross-entropy+regularizer"
        case .outputSpikeCount: return "spike-count"
        }
    }

    /// Whether the loss reads the spike count of every spiking layer (the regularizer), not only the output.
    var readsEveryLayer: Bool {
        if case .crossEntropy(_, let r?) = self { return r.strength != 0 }
        return false
    }
}

extension StochasticLIFNetwork {
    /// The loss of one path.
    public func loss(_ path: LIFPath) -> Double { lossAndSeeds(path, seeds: false).loss }

    /// The loss of `path` and, when `seeds` is true, its partial derivatives with respect to every spike
    /// (`spike[l][n·N + i]`) and to the readout membrane (`potential[l][n·N + i]`), the inputs of back-propagation.
    func lossAndSeeds(_ path: LIFPath, seeds: Bool) -> (loss: Double, spike: [[Double]], potential: [[Double]]) {
        let T = steps, L = layers.count
        var spike: [[Double]] = seeds ? layers.map { $0.spiking ? [Double](repeating: 0, count: T * $0.n) : [] } : []
        var potential: [[Double]] = seeds ? layers.map { $0.spiking ? [] : [Double](repeating: 0, count: T * $0.n) } : []
        var loss = 0.0
        let last = layers[L - 1]
        switch objective {
        case .l2Spikes(let target):
            let n = last.n
            let s = path.spikes[L - 1]
            var sum = 0.0
            for k in 0..<(T * n) {
                let d = s[k] - target[k]
                sum += d * d
                if seeds { spike[L - 1][k] = d / Double(n) }
            }
            loss = sum / Double(2 * n)
        case .outputSpikeCount:
            loss = path.spikes[L - 1].reduce(0, +)
            if seeds { for k in spike[L - 1].indices { spike[L - 1][k] = 1 } }
        case .crossEntropy(let label, let regularizer):
            let n = last.n
            let u = path.potential[L - 1]
            var peak = [Double](repeating: -.infinity, count: n), at = [Int](repeating: 0, count: n)
            for t in 0..<T {
                for q in 0..<n where u[t * n + q] > peak[q] {
                    peak[q] = u[t * n + q]
                    at[q] = t
                }
            }
            let m = peak.max()!
            var z = 0.0
            for v in peak { z += Double.exp(v - m) }
            let logZ = m + Double.log(z)
            loss = logZ - peak[label]
            if seeds {
                for q in 0..<n { potential[L - 1][at[q] * n + q] = Double.exp(peak[q] - logZ) - (q == label ? 1 : 0) }
            }
            if let r = regularizer {
                for (l, layer) in layers.enumerated() where layer.spiking {
                    let population = path.spikes[l].reduce(0, +) / Double(layer.n)
                    let excess = population - r.threshold
                    guard excess > 0 else { continue }
                    loss += r.strength * excess * excess
                    if seeds {
                        let g = r.strength * 2 * excess / Double(layer.n)
                        for k in spike[l].indices { spike[l][k] += g }
                    }
                }
            }
        }
        return (loss, spike, potential)
    }
}
