import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

@Suite struct FluctuationDrivenInitTests {
    @Test func kernelIntegralsApproachAnalyticLimits() {
        let tm = 0.02, ts = 0.01
        // Small Δt, and a kernel long enough that the tail does not matter.
        let dt = 1e-6
        let e = FluctuationDrivenInit.epsilon(tauMem: tm, tauSyn: ts, dt: dt, steps: 400_000)
        #expect(abs(e.bar - ts) / ts < 1e-3, "ε̄ = \(e.bar)")
        let hat = ts * ts / (2 * (ts + tm))
        #expect(abs(e.hat - hat) / hat < 1e-3, "ε̂ = \(e.hat), analytic \(hat)")
        // The numerical kernel converges as Δt shrinks (first order in Δt).
        let coarse = FluctuationDrivenInit.epsilon(tauMem: tm, tauSyn: ts, dt: 1e-4, steps: 4_000)
        #expect(abs(coarse.hat - hat) > abs(e.hat - hat))
    }

    @Test func kernelShape() {
        // Unit spike enters I; the membrane is still 0 in the first step, then (1-λ_m) at the next.
        let k = FluctuationDrivenInit.kernel(tauMem: 0.02, tauSyn: 0.01, dt: 2e-3)
        #expect(k.count == 100)  // 10·τ_max/Δt, not 99
        #expect(k[0] == 0)
        #expect(abs(k[1] - (1 - Double.exp(-0.1))) < 1e-15)
        #expect(FluctuationDrivenInit.defaultKernelSteps(tauMem: 0.7, tauSyn: 0.01, dt: 2e-3) == 3500)
    }

    @Test func shdStandardDeviationsMatchSpec() throws {
        let arch = try NetworkArchitecture(TrainingFixtures.shdDescription())
        let init_ = FluctuationDrivenInit(sigmaU: 1, nu: 15.8, alpha: 0.9)
        let s = try init_.standardDeviations(for: arch)
        let ff = [1.154, 0.500, 0.353], rec = [0.197, 0.139, 0.099]
        for i in 0 ..< 3 {
            #expect(abs(s[i].feedForward - ff[i]) / ff[i] < 0.01, "layer \(i) ff σ_w = \(s[i].feedForward)")
            #expect(abs(s[i].recurrent! - rec[i]) / rec[i] < 0.01, "layer \(i) recurrent σ_w = \(s[i].recurrent!)")
        }
        #expect(abs(s[3].feedForward - (1.0 / 320).squareRoot()) < 1e-12)
        #expect(s[3].recurrent == nil)
    }

    @Test func drawnWeightsHaveTheTargetStatistics() throws {
        let arch = try NetworkArchitecture(TrainingFixtures.shdDescription())
        let init_ = FluctuationDrivenInit(sigmaU: 1, nu: 15.8, alpha: 0.9)
        let sigmas = try init_.standardDeviations(for: arch)
        let p = try init_.parameters(for: arch, seed: 42)
        try p.validate(for: arch)
        func check(_ t: Tensor, _ sigma: Double, _ name: String) {
            let n = Double(t.count)
            let mean = t.scalars.reduce(0.0) { $0 + Double($1) } / n
            let std = (t.scalars.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / (n - 1)).squareRoot()
            // Standard errors: σ/√n for the mean, σ/√(2n) for the standard deviation; allow 4 of them.
            #expect(abs(mean) < 4 * sigma / n.squareRoot(), "\(name): mean \(mean)")
            #expect(abs(std - sigma) < 4 * sigma / (2 * n).squareRoot(), "\(name): std \(std), σ_w \(sigma)")
        }
        for i in 0 ..< 4 {
            check(p.feedForward[i], sigmas[i].feedForward, "layer\(i).weight")
            if let r = p.recurrent[i] { check(r, sigmas[i].recurrent!, "layer\(i).recurrent") }
        }
        // Seeded: same seed, same weights; another seed, other weights.
        #expect(try init_.parameters(for: arch, seed: 42) == p)
        #expect(try init_.parameters(for: arch, seed: 43) != p)
    }

    @Test func layerWithoutRecurrenceTakesTheWholeVariance() throws {
        let d = NetworkDescription(dt: 1e-3, input: InputDescription(shape: [50]), layers: [
            LayerDescription(kind: .lif, units: 10, tauMem: 0.01, tauSyn: 0.005, spike: .deterministic()),
        ])
        let arch = try NetworkArchitecture(d)
        let s = try FluctuationDrivenInit(sigmaU: 2, nu: 10, alpha: 0.5).standardDeviations(for: arch)
        let eHat = FluctuationDrivenInit.epsilon(tauMem: 0.01, tauSyn: 0.005, dt: 1e-3).hat
        #expect(abs(s[0].feedForward - 2 * (1 / (50 * 10 * eHat)).squareRoot()) < 1e-12)
    }

    @Test func rejectsInvalidSettings() throws {
        let arch = try NetworkArchitecture(TrainingFixtures.shdDescription())
        for bad in [FluctuationDrivenInit(sigmaU: 0, nu: 1), FluctuationDrivenInit(sigmaU: 1, nu: -1),
                    FluctuationDrivenInit(sigmaU: 1, nu: 1, alpha: 1.5), FluctuationDrivenInit(sigmaU: .nan, nu: 1)] {
            #expect(throws: SpikeKitError.self) { try bad.parameters(for: arch, seed: 0) }
        }
    }
}
