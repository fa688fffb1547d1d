import SpikeKitFormats
import Foundation

/// The van Rossum loss between a sample's output spike trains S and target spike trains S* (`[T][N]`, 0/1), the
/// metric of the paper's Fig. 6 used as a training objective.
///
/// Both trains are filtered with the causal exponential kernel `e^{-t/τ_vr}` sampled at the steps, by the
/// discrete-time recursion (n = 0..T-1, F[-1] = 0, λ = e^{-Δt/τ_vr}):
///
///     F_i[n] = λ F_i[n-1] + S_i[n]
///
/// and the loss of the sample is half the squared difference summed over steps and units, without any further
/// normalisation (neither 1/N nor 1/T nor Δt):
///
///     L = ½ Σ_n Σ_i (F_i[n] - F*_i[n])²
///
/// (a batch's loss is the mean over its samples). The filter is linear, so with D = F - F* = filter(S - S*),
/// `D_i[n] = λ D_i[n-1] + S_i[n] - S*_i[n]`, and the gradient with respect to the output spike at step m is the
/// anti-causally filtered difference
///
///     G_i[m] = dL/dS_i[m] = Σ_{n ≥ m} λ^{n-m} D_i[n],   i.e.   G_i[T-1] = D_i[T-1],  G_i[m] = D_i[m] + λ G_i[m+1],
///
/// which the backward pass carries through the surrogate derivative like any dL/dS.
public enum VanRossumLoss {
    /// The kernel's decay per step, λ = e^{-Δt/τ_vr}.
    public static func decay(tau: Double, dt: Double) -> Double { exp(-dt / tau) }

    /// Checks τ_vr (seconds): a positive finite number.
    public static func validate(tau: Double) throws {
        guard tau.isFinite, tau > 0 else {
            throw SpikeKitError.invalidConfiguration("the van Rossum loss needs tau_vr > 0 seconds, got \(tau)")
        }
    }

    /// L and dL/dS for one sample: `output` and `target` are `[T][N]` (any real values; spikes are 0/1), `gradient`
    /// receives `[T][N]`. All arithmetic is in Double.
    public static func evaluate(output: UnsafeBufferPointer<Double>, target: UnsafeBufferPointer<Double>, steps T: Int,
                                units N: Int, decay lambda: Double, gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        var d = [Double](repeating: 0, count: N)
        var sum = 0.0
        // Forward filter: D[n] into gradient (temporarily), and the loss.
        for t in 0 ..< T {
            for i in 0 ..< N {
                d[i] = lambda * d[i] + (output[t * N + i] - target[t * N + i])
                sum += d[i] * d[i]
                gradient[t * N + i] = d[i]
            }
        }
        // Backward filter in place: G[m] = D[m] + λ G[m+1].
        if T > 1 {
            for t in stride(from: T - 2, through: 0, by: -1) {
                for i in 0 ..< N { gradient[t * N + i] += lambda * gradient[(t + 1) * N + i] }
            }
        }
        return sum / 2
    }

    /// Array form of `evaluate(output:target:steps:units:decay:gradient:)`.
    public static func evaluate(output: [Double], target: [Double], steps T: Int, units N: Int, decay lambda: Double) -> (loss: Double, gradient: [Double]) {
        precondition(output.count == T * N && target.count == T * N, "van Rossum loss: arrays must have T × N values")
        var g = [Double](repeating: 0, count: T * N)
        let l = output.withUnsafeBufferPointer { o in
            target.withUnsafeBufferPointer { tg in
                g.withUnsafeMutableBufferPointer { evaluate(output: o, target: tg, steps: T, units: N, decay: lambda, gradient: $0) }
            }
        }
        return (l, g)
    }
}

extension VanRossumLoss {
    /// One sample of a batch in the engine's internal layout: spikes `[T][N]` (internal order), the target `[T][N]`
    /// (canonical order; `canonical(q)` maps internal to canonical); writes dL/dS · invB into `gradient` (internal
    /// order) and returns the sample's loss.
    static func sample(spikes: UnsafePointer<UInt8>, target: [Float], steps T: Int, units N: Int, decay lambda: Double,
                       canonical: (Int) -> Int, invB: Float, gradient: UnsafeMutablePointer<Float>) -> Double {
        var s = [Double](repeating: 0, count: T * N), tg = [Double](repeating: 0, count: T * N)
        for t in 0 ..< T {
            for q in 0 ..< N {
                s[t * N + q] = Double(spikes[t * N + q])
                tg[t * N + q] = Double(target[t * N + canonical(q)])
            }
        }
        let (l, g) = evaluate(output: s, target: tg, steps: T, units: N, decay: lambda)
        for k in 0 ..< T * N { gradient[k] = Float(g[k]) * invB }
        return l
    }
}
