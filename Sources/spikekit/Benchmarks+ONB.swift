import Foundation
import SpikeKit

/// The Open Neuromorphic SNN library benchmark (open-neuromorphic/snn-library-benchmarks) as `onb-512` and
/// `onb-4096`: one `Linear(n, n)` followed by one LIF layer of n neurons, input `randn(16, 500, n)` (a seeded
/// Philox normal generator) as a real-valued current, forward and backward timed separately.
///
/// Mapping of the benchmark's snnTorch `Leaky` (mem[t] = β mem[t-1] + W x[t], spike = H(mem - 1), subtract reset)
/// to SpikeKit's LIF (SPEC section 2): `reset: subtract`, λ_m = e^{-Δt/τ_m} = β = 0.9 (Δt = 1 ms,
/// τ_m = -Δt / ln 0.9), τ_syn = 20 µs so that λ_s = e^{-50} ≈ 2·10⁻²² (the synaptic current is just the last step's
/// drive, I[n+1] = W x[n]), the membrane input (1 - λ_m) I[n] is β's leak-scaled input (a constant 0.1 absorbed
/// into W, drawn with gain 10 / sqrt(n) so that the layer fires), and the step escape with SuperSpike(10)
/// surrogate. SpikeKit's one-step synaptic delay makes the output one step later than snnTorch's; the work is the
/// same. Loss: SpikeKit's L2 spike loss against an all-zero target, ½N⁻¹ Σ S², whose value is the spike sum over 2N
/// (S is 0/1); BPTT costs the same for any dL/dS (every step and neuron is visited).
///
/// Timed: `forward` = `run(currents:)` without gradients (no surrogates recorded); `forward + backward` =
/// `run(currents:, gradients: true)`; `backward` is their difference. No optimizer step.
extension Benchmarks {
    static func onb(n: Int, repetitions: Int, warmup: Int, threads: Int, seed: UInt64) throws -> BenchmarkResult {
        let B = 16, T = 500, dt = 1e-3
        let spike = try SpikeFunction(escape: .step, surrogate: .superspike(beta: 10))
        let description = NetworkDescription(dt: dt, input: InputDescription(shape: [n], kind: .current), layers: [
            LayerDescription(kind: .lif, units: n, tauMem: -dt / log(0.9), tauSyn: 2e-5, reset: .subtract, spike: spike),
        ])
        let arch = try NetworkArchitecture(description)
        var g = PhiloxGenerator(seed: seed, stream: 7)
        let s = 10 / Double(n).squareRoot()
        let w = try Tensor(shape: [n, n], scalars: (0 ..< n * n).map { _ in Float(g.normal() * s) })
        let x = try Tensor(shape: [B, T, n], scalars: (0 ..< B * T * n).map { _ in Float(g.normal()) })
        let sim = Simulator(architecture: arch, threads: threads)
        try sim.load(NetworkParameters(feedForward: [w], recurrent: [nil]))
        let target = Targets.spikes([[Float]](repeating: [Float](repeating: 0, count: T * n), count: B))
        var totals: [Double] = [], forwards: [Double] = []
        var rate = 0.0
        for rep in 0 ..< warmup + repetitions {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let f = try sim.run(currents: x)
            let t1 = DispatchTime.now().uptimeNanoseconds
            let r = try sim.run(currents: x, loss: .l2Spikes, targets: target, gradients: true)
            let t2 = DispatchTime.now().uptimeNanoseconds
            precondition(r.spikeCounts == f.spikeCounts && r.gradients != nil)
            if rep >= warmup {
                forwards.append(Double(t1 - t0) / 1e9)
                totals.append(Double(t2 - t1) / 1e9)
            }
            rate = Double(f.spikeCounts[0]) / Double(B * T * n) / dt
        }
        let total = median(totals), fwd = median(forwards)
        return BenchmarkResult(median_s: total, min_s: totals.min()!, max_s: totals.max()!, forward_median_s: fwd,
                               backward_median_s: max(0, total - fwd), update_median_s: nil, epoch_s: nil,
                               forward_samples_per_s: Double(B) / fwd, peak_rss_mib: peakRSSMiB(), batch: B,
                               rates_hz: [rate], runs: totals.count)
    }
}
