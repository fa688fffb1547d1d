import SpikeKitFormats
import SpikeKitKernels
/// Statistics of spike rasters (SPEC section 7). Rasters are `[steps][neurons]` (time-major) 0/1 arrays; a set of
/// trials is an array of such rasters of equal size.
public enum SpikeStatistics {
    /// Fano factor per bin: for every time bin and neuron, the variance over trials divided by the mean over
    /// trials, ignoring bins whose mean is 0, averaged over the remaining bins. With `window` > 1 the spikes are
    /// first counted in sliding windows of `window` steps (stride 1), as in the SHD analysis (Fig. 7C); with 1 each
    /// step is a bin, as in spike-train matching. Returns nil when every bin is silent or there are fewer than two
    /// trials. Variance uses the unbiased (n - 1) estimator.
    public static func fanoFactor(trials: [[Float]], steps: Int, neurons: Int, window: Int = 1) -> Double? {
        let R = trials.count
        guard R >= 2, steps >= window, window >= 1 else { return nil }
        guard trials.allSatisfy({ $0.count >= steps * neurons }) else { return nil }
        let bins = steps - window + 1
        // Window counts of every trial, [bins][neurons] each, from a running sum over time (one running sum per
        // neuron, updated a time step at a time so that the inner loops run over contiguous neurons).
        var counts = [Double](repeating: 0, count: R * bins * neurons)
        var running = [Double](repeating: 0, count: neurons)
        counts.withUnsafeMutableBufferPointer { cp in
            running.withUnsafeMutableBufferPointer { run in
                for r in 0 ..< R {
                    trials[r].withUnsafeBufferPointer { x in
                        let c = cp.baseAddress! + r * bins * neurons
                        for i in 0 ..< neurons { run[i] = 0 }
                        for t in 0 ..< steps {
                            let now = x.baseAddress! + t * neurons
                            for i in 0 ..< neurons { run[i] += Double(now[i]) }
                            if t >= window {
                                let old = x.baseAddress! + (t - window) * neurons
                                for i in 0 ..< neurons { run[i] -= Double(old[i]) }
                            }
                            if t >= window - 1 {
                                let out = c + (t - window + 1) * neurons
                                for i in 0 ..< neurons { out[i] = run[i] }
                            }
                        }
                    }
                }
            }
        }
        // Mean and variance over trials of every bin, two passes, each summing the trials in order.
        let plane = bins * neurons
        var mean = [Double](repeating: 0, count: plane), variance = [Double](repeating: 0, count: plane)
        counts.withUnsafeBufferPointer { cp in
            mean.withUnsafeMutableBufferPointer { m in
                variance.withUnsafeMutableBufferPointer { v in
                    for r in 0 ..< R {
                        let c = cp.baseAddress! + r * plane
                        for k in 0 ..< plane { m[k] += c[k] }
                    }
                    for k in 0 ..< plane { m[k] /= Double(R) }
                    for r in 0 ..< R {
                        let c = cp.baseAddress! + r * plane
                        for k in 0 ..< plane {
                            let d = c[k] - m[k]
                            v[k] += d * d
                        }
                    }
                }
            }
        }
        var sum = 0.0, used = 0
        for k in 0 ..< plane where mean[k] > 0 {
            sum += variance[k] / Double(R - 1) / mean[k]
            used += 1
        }
        return used > 0 ? sum / Double(used) : nil
    }

    /// Mean firing rate in Hz: spikes / (neurons × steps × dt).
    public static func firingRate(_ raster: [Float], steps: Int, neurons: Int, dt: Double) -> Double {
        Double(raster.reduce(0, +)) / (Double(neurons * steps) * dt)
    }

    /// Spike count of each neuron over all steps.
    public static func spikeCounts(_ raster: [Float], steps: Int, neurons: Int) -> [Int] {
        var c = [Int](repeating: 0, count: neurons)
        for t in 0 ..< steps { for i in 0 ..< neurons where raster[t * neurons + i] != 0 { c[i] += 1 } }
        return c
    }

    /// Coefficient of variation of the inter-spike intervals, pooled over neurons with at least three spikes;
    /// nil when there are none.
    public static func isiCV(_ raster: [Float], steps: Int, neurons: Int) -> Double? {
        var intervals: [Double] = []
        for i in 0 ..< neurons {
            var last = -1
            var n = 0
            var local: [Double] = []
            for t in 0 ..< steps where raster[t * neurons + i] != 0 {
                if last >= 0 { local.append(Double(t - last)) }
                last = t
                n += 1
            }
            if n >= 3 { intervals += local }
        }
        guard intervals.count >= 2 else { return nil }
        let m = intervals.reduce(0, +) / Double(intervals.count)
        let v = intervals.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(intervals.count - 1)
        return v.squareRoot() / m
    }

    /// The van Rossum distance between two rasters `[steps][neurons]` with the kernel
    /// `ε(t) = ε0 (e^{-t/τ_mem} - e^{-t/τ_syn})` (SPEC section 5): the difference of the rasters is filtered by ε
    /// (discretised at step `dt`, t = 0, dt, 2dt, ...) and `Σ_n Σ_i (ε ∗ (S - target))_i[n]² / N` is returned.
    public static func vanRossumDistance(_ a: [Float], _ b: [Float], steps: Int, neurons: Int, dt: Double,
                                         tauMem: Double = 0.01, tauSyn: Double = 0.005, epsilon0: Double = 0.2) -> Double {
        let lm = exp(-dt / tauMem), ls = exp(-dt / tauSyn)
        var xm = [Double](repeating: 0, count: neurons), xs = [Double](repeating: 0, count: neurons)
        var total = 0.0
        for t in 0 ..< steps {
            for i in 0 ..< neurons {
                let d = Double(a[t * neurons + i] - b[t * neurons + i])
                xm[i] = lm * xm[i] + d
                xs[i] = ls * xs[i] + d
                let f = epsilon0 * (xm[i] - xs[i])
                total += f * f
            }
        }
        return total / Double(neurons)
    }
}

import Foundation
