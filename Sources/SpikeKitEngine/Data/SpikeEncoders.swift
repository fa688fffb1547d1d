import SpikeKitFormats
import SpikeKitKernels
import Foundation

/// Encoders that turn analog data into spike trains (snnTorch's `spikegen` family), for networks with spike input.
/// (A network can also take the analog values directly: `InputKind.current`.)
public enum SpikeEncoder {
    /// Poisson (Bernoulli) rate coding of a static input `x[units]` over `steps` steps:
    /// `S[n, i] = 1[ξ[n, i] < p_i]` with `p_i = clamp(x_i · maxRate · Δt, 0, 1)` (x_i = 1 fires at `maxRate` Hz).
    /// ξ is element `n · units + i` of the Philox stream (seed, stream 0, a = `sample`), so the spikes depend only
    /// on the seed, the sample index and the values.
    /// - Throws: `SpikeKitError.invalidConfiguration` for a non-finite value, a negative or non-finite rate or Δt,
    ///   or no steps.
    public static func poisson(_ x: [Float], steps: Int, maxRate: Double, dt: Double, seed: UInt64, sample: Int = 0) throws -> SpikeTrains {
        guard steps > 0 else { throw SpikeKitError.invalidConfiguration("a spike train needs at least one step") }
        guard maxRate.isFinite, maxRate >= 0, dt.isFinite, dt > 0 else {
            throw SpikeKitError.invalidConfiguration("the Poisson encoder needs max_rate >= 0 and dt > 0, got \(maxRate) and \(dt)")
        }
        try checkFinite(x)
        let units = x.count
        let p = x.map { Float(min(1, max(0, Double($0) * maxRate * dt))) }
        var xi = [Float](repeating: 0, count: steps * units)
        xi.withUnsafeMutableBufferPointer {
            Philox(seed: seed).fillUniform($0, stream: 0, a: UInt32(truncatingIfNeeded: sample), b: 0, c: 0x9E37)
        }
        var events: [(step: Int, unit: Int)] = []
        for n in 0 ..< steps {
            for i in 0 ..< units where xi[n * units + i] < p[i] { events.append((n, i)) }
        }
        return try SpikeTrains(steps: steps, units: units, events: events)
    }

    /// How latency coding maps a value to a spike time.
    public enum LatencyMode: String, Sendable, CaseIterable {
        /// `t = round((1 - x) · (steps - 1))` for x in [threshold, 1] (x = 1 at step 0, x = threshold latest).
        case linear
        /// The RC charging time of snnTorch's `latency`: `t = round(τ · ln(x / (x - threshold)))` steps (τ in steps),
        /// clipped to `steps - 1`; larger x spikes earlier.
        case log
    }

    /// Latency coding: every unit with `x_i > threshold` (linear: `≥`) spikes once, earlier for larger values;
    /// the others stay silent. Values above 1 are clipped to 1 in linear mode.
    /// - Throws: `SpikeKitError.invalidConfiguration` for non-finite values, `tau <= 0`, or no steps.
    public static func latency(_ x: [Float], steps: Int, mode: LatencyMode = .log, tau: Double = 5, threshold: Double = 0.01) throws -> SpikeTrains {
        guard steps > 0 else { throw SpikeKitError.invalidConfiguration("a spike train needs at least one step") }
        guard tau.isFinite, tau > 0, threshold.isFinite, threshold >= 0 else {
            throw SpikeKitError.invalidConfiguration("the latency encoder needs tau > 0 and threshold >= 0, got \(tau) and \(threshold)")
        }
        try checkFinite(x)
        var events: [(step: Int, unit: Int)] = []
        for (i, v) in x.enumerated() {
            let value = Double(v)
            switch mode {
            case .linear:
                guard value >= threshold else { continue }
                events.append((Int(((1 - min(1, value)) * Double(steps - 1)).rounded()), i))
            case .log:
                guard value > threshold else { continue }
                let t = tau * log(value / (value - threshold))
                events.append((min(steps - 1, Int(t.rounded())), i))
            }
        }
        return try SpikeTrains(steps: steps, units: units(x), events: events)
    }

    /// Delta modulation of a time series `x[steps][units]`: unit i keeps a reference r_i (x[0, i] at first); at
    /// step n ≥ 1 it spikes when `x[n, i] - r_i ≥ threshold` (and r_i becomes x[n, i]). With `offChannels` a fall
    /// `r_i - x[n, i] ≥ threshold` spikes on unit `units + i` (output 2 · units), else falls only move the reference.
    /// - Throws: `SpikeKitError.shapeMismatch` when `x` is not `steps × units`, `.invalidConfiguration` for
    ///   non-finite values or `threshold <= 0`.
    public static func delta(_ x: [Float], steps: Int, units: Int, threshold: Double, offChannels: Bool = false) throws -> SpikeTrains {
        guard steps > 0, units > 0, x.count == steps * units else {
            throw SpikeKitError.shapeMismatch("delta modulation needs \(steps) steps × \(units) units, got \(x.count) values")
        }
        guard threshold.isFinite, threshold > 0 else {
            throw SpikeKitError.invalidConfiguration("the delta encoder needs threshold > 0, got \(threshold)")
        }
        try checkFinite(x)
        var reference = (0 ..< units).map { Double(x[$0]) }
        var events: [(step: Int, unit: Int)] = []
        for n in 1 ..< max(1, steps) {
            for i in 0 ..< units {
                let v = Double(x[n * units + i])
                if v - reference[i] >= threshold {
                    events.append((n, i))
                    reference[i] = v
                } else if reference[i] - v >= threshold {
                    if offChannels { events.append((n, units + i)) }
                    reference[i] = v
                }
            }
        }
        return try SpikeTrains(steps: steps, units: offChannels ? 2 * units : units, events: events)
    }

    private static func units(_ x: [Float]) -> Int { x.count }

    private static func checkFinite(_ x: [Float]) throws {
        guard x.withUnsafeBufferPointer(FiniteCheck.allFinite) else {
            throw SpikeKitError.invalidConfiguration("the values to encode hold NaN or infinite values")
        }
    }
}
