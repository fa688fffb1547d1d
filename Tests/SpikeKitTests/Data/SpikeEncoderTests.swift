import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitEngine

/// Poisson, latency and delta-modulation encoders: closed forms and exact small cases.
@Suite struct SpikeEncoderTests {
    @Test func poissonRatesFollowTheProbability() throws {
        // x = 0 never fires, x · rate · Δt ≥ 1 always fires, p = 0.25 fires about a quarter of the steps.
        let T = 4000
        let s = try SpikeEncoder.poisson([0, 1, 0.25, 2], steps: T, maxRate: 1000, dt: 1e-3, seed: 3)
        var counts = [0, 0, 0, 0]
        for n in 0 ..< T { for k in Int(s.offsets[n]) ..< Int(s.offsets[n + 1]) { counts[Int(s.indices[k])] += 1 } }
        #expect(counts[0] == 0)
        #expect(counts[1] == T)
        #expect(counts[3] == T)
        // Binomial(4000, 0.25): mean 1000, sd 27.4; 5 sd.
        #expect(abs(counts[2] - 1000) < 137)
        // Seeded: the same seed and sample give the same trains, another sample different ones.
        #expect(try SpikeEncoder.poisson([0.25, 0.5], steps: 200, maxRate: 1000, dt: 1e-3, seed: 3)
            == SpikeEncoder.poisson([0.25, 0.5], steps: 200, maxRate: 1000, dt: 1e-3, seed: 3))
        #expect(try SpikeEncoder.poisson([0.25, 0.5], steps: 200, maxRate: 1000, dt: 1e-3, seed: 3, sample: 1)
            != SpikeEncoder.poisson([0.25, 0.5], steps: 200, maxRate: 1000, dt: 1e-3, seed: 3))
    }

    @Test func latencyFollowsItsFormulas() throws {
        // linear: t = round((1 - x)(T - 1)).
        let lin = try SpikeEncoder.latency([1, 0.5, 0.0, 0.25], steps: 11, mode: .linear, threshold: 0.1)
        #expect(lin.raster.enumerated().filter { $0.element == 1 }.map { ($0.offset / 4, $0.offset % 4) }.map { "\($0.0):\($0.1)" }
            == ["0:0", "5:1", "8:3"])
        // log: t = round(τ ln(x / (x - θ))).
        let x: [Float] = [1, 0.3, 0.05, 0.011]
        let tau = 5.0, th = 0.01
        let s = try SpikeEncoder.latency(x, steps: 50, mode: .log, tau: tau, threshold: th)
        #expect(s.count == 4)
        for (i, v) in x.enumerated() {
            let t = min(49, Int((tau * log(Double(v) / (Double(v) - th))).rounded()))
            #expect(s.raster[t * 4 + i] == 1, "unit \(i) at step \(t)")
        }
        #expect(try SpikeEncoder.latency([0.005], steps: 10, threshold: th).count == 0)
    }

    @Test func deltaModulationSpikesOnChanges() throws {
        // One unit: 0, 0.3, 0.7, 0.6, 0.1, 0.2 with threshold 0.35: up at step 2 (0.7 - 0 ≥ 0.35), down at step 4
        // (0.7 - 0.1 ≥ 0.35), nothing else.
        let x: [Float] = [0, 0.3, 0.7, 0.6, 0.1, 0.2]
        let on = try SpikeEncoder.delta(x, steps: 6, units: 1, threshold: 0.35)
        #expect(on.raster == [0, 0, 1, 0, 0, 0])
        let both = try SpikeEncoder.delta(x, steps: 6, units: 1, threshold: 0.35, offChannels: true)
        #expect(both.units == 2)
        #expect(both.raster == [0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0])
        #expect(throws: SpikeKitError.shapeMismatch("delta modulation needs 6 steps × 2 units, got 6 values")) {
            try SpikeEncoder.delta(x, steps: 6, units: 2, threshold: 0.35)
        }
        #expect(throws: SpikeKitError.invalidConfiguration("the delta encoder needs threshold > 0, got 0.0")) {
            try SpikeEncoder.delta(x, steps: 6, units: 1, threshold: 0)
        }
        #expect(throws: SpikeKitError.invalidConfiguration("the values to encode hold NaN or infinite values")) {
            try SpikeEncoder.poisson([.nan], steps: 3, maxRate: 10, dt: 1e-3, seed: 1)
        }
    }
}
