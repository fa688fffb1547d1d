import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

/// The spike statistics against brute-force definitions, closed forms and the statistics of Bernoulli spikes.
@Suite struct SpikeStatisticsTests {
    /// Fano factor as SPEC section 5 defines it, written out directly: per window and neuron, the variance over
    /// trials of the window count divided by its mean, windows with mean 0 skipped, averaged.
    func bruteForceFano(_ trials: [[Float]], steps: Int, neurons: Int, window: Int) -> Double? {
        var ratios: [Double] = []
        for start in 0 ... steps - window {
            for i in 0 ..< neurons {
                let counts = trials.map { x in (start ..< start + window).reduce(0.0) { $0 + Double(x[$1 * neurons + i]) } }
                let mean = counts.reduce(0, +) / Double(counts.count)
                if mean == 0 { continue }
                let variance = counts.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(counts.count - 1)
                ratios.append(variance / mean)
            }
        }
        return ratios.isEmpty ? nil : ratios.reduce(0, +) / Double(ratios.count)
    }

    @Test(arguments: [1, 3, 10])
    func fanoFactorMatchesItsDefinition(window: Int) throws {
        var g = PhiloxGenerator(seed: 3)
        let steps = 23, neurons = 7
        let trials = (0 ..< 5).map { _ in (0 ..< steps * neurons).map { _ in g.uniform() < 0.3 ? Float(1) : 0 } }
        let fast = try #require(SpikeStatistics.fanoFactor(trials: trials, steps: steps, neurons: neurons, window: window))
        let slow = try #require(bruteForceFano(trials, steps: steps, neurons: neurons, window: window))
        #expect(abs(fast - slow) < 1e-12, "\(fast) vs \(slow)")
    }

    /// Bernoulli(p) spikes in one-step windows over R trials: for 0/1 counts the sample variance is
    /// R m (1 - m) / (R - 1), so variance / mean has expectation R (1 - p) / (R - 1).
    @Test func fanoFactorOfBernoulliSpikesIsOneMinusP() throws {
        var g = PhiloxGenerator(seed: 4)
        let steps = 200, neurons = 50, p = 0.2
        let trials = (0 ..< 40).map { _ in (0 ..< steps * neurons).map { _ in g.uniform() < p ? Float(1) : 0 } }
        let f = try #require(SpikeStatistics.fanoFactor(trials: trials, steps: steps, neurons: neurons))
        #expect(abs(f - 40 * (1 - p) / 39) < 0.005, "Fano \(f)")
        // Identical trials have no variability; silent ones have no defined Fano factor.
        #expect(SpikeStatistics.fanoFactor(trials: [trials[0], trials[0]], steps: steps, neurons: neurons) == 0)
        let silent = [Float](repeating: 0, count: steps * neurons)
        #expect(SpikeStatistics.fanoFactor(trials: [silent, silent], steps: steps, neurons: neurons) == nil)
        #expect(SpikeStatistics.fanoFactor(trials: [trials[0]], steps: steps, neurons: neurons) == nil)
    }

    /// One extra spike: the distance is Σ_n (ε0 (λ_m^n - λ_s^n))² over the steps after it, divided by N.
    @Test func vanRossumDistanceOfOneSpikeHasAClosedForm() {
        let steps = 60, neurons = 4, dt = 1e-3
        var a = [Float](repeating: 0, count: steps * neurons)
        let b = a
        a[10 * neurons + 2] = 1
        let lm = exp(-dt / 0.01), ls = exp(-dt / 0.005)
        var expected = 0.0
        for n in 0 ..< steps - 10 {
            let f = 0.2 * (pow(lm, Double(n)) - pow(ls, Double(n)))
            expected += f * f
        }
        expected /= Double(neurons)
        #expect(abs(SpikeStatistics.vanRossumDistance(a, b, steps: steps, neurons: neurons, dt: dt) - expected) < 1e-12)
        #expect(SpikeStatistics.vanRossumDistance(a, a, steps: steps, neurons: neurons, dt: dt) == 0)
    }

    @Test func ratesCountsAndIntervals() throws {
        let steps = 100, neurons = 2
        var x = [Float](repeating: 0, count: steps * neurons)
        for t in stride(from: 0, to: steps, by: 10) { x[t * neurons] = 1 }   // neuron 0: every 10 steps
        #expect(SpikeStatistics.spikeCounts(x, steps: steps, neurons: neurons) == [10, 0])
        #expect(abs(SpikeStatistics.firingRate(x, steps: steps, neurons: neurons, dt: 1e-3) - 50) < 1e-9)
        #expect(try #require(SpikeStatistics.isiCV(x, steps: steps, neurons: neurons)) == 0)
    }
}
