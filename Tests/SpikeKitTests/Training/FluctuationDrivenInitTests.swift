import Foundation
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

    /// Per-layer σ_u and ν: layer i's σ_w = σ_u,i · sqrt(scale / (N ν_i ε̂_i)); the readout keeps N(0, 1/N) unless it
    /// is fluctuation-driven, then σ_w = σ_u,L · sqrt(1 / (N ν_L ε̂_L)) with the readout's own time constants.
    @Test func perLayerValuesAndTheFluctuationDrivenReadoutFollowTheFormula() throws {
        let arch = try NetworkArchitecture(TrainingFixtures.shdDescription())
        let su = [1.0, 1.2, 0.5, 2.0], nu = [15.8, 20, 8, 12]
        for readout in [FluctuationDrivenInit.ReadoutInitialization.normal, .fluctuationDriven] {
            let s = try FluctuationDrivenInit(sigmaU: 1, nu: 15.8, alpha: 0.9, layerSigmaU: su, layerNu: nu, readout: readout)
                .standardDeviations(for: arch)
            for (i, l) in arch.layers.enumerated() {
                let eHat = FluctuationDrivenInit.epsilon(tauMem: l.tauMem, tauSyn: l.tauSyn, dt: arch.dt).hat
                let n = Double(l.feedForward.fanIn)
                if l.isSpiking {
                    #expect(abs(s[i].feedForward - su[i] * (0.9 / (n * nu[i] * eHat)).squareRoot()) < 1e-12 * s[i].feedForward)
                    let nr = Double(l.recurrent!.fanIn)
                    #expect(abs(s[i].recurrent! - su[i] * (0.1 / (nr * nu[i] * eHat)).squareRoot()) < 1e-12 * s[i].recurrent!)
                } else if readout == .normal {
                    #expect(s[i].feedForward == (1 / n).squareRoot())
                } else {
                    // SHD readout: τ_mem 0.7 s, fan-in 320, σ_u 2, ν 12 Hz.
                    #expect(abs(s[i].feedForward - 2 * (1 / (n * 12 * eHat)).squareRoot()) < 1e-12 * s[i].feedForward)
                    #expect(s[i].recurrent == nil)
                }
            }
        }
        // σ_w scales linearly with σ_u and as 1/sqrt(ν) layer by layer.
        let base = try FluctuationDrivenInit(sigmaU: 1, nu: 10).standardDeviations(for: arch)
        let twice = try FluctuationDrivenInit(sigmaU: 1, nu: 10, layerSigmaU: [1, 2, 1, 1], layerNu: [10, 10, 40, 10])
            .standardDeviations(for: arch)
        #expect(abs(twice[1].feedForward / base[1].feedForward - 2) < 1e-12)
        #expect(abs(twice[2].feedForward / base[2].feedForward - 0.5) < 1e-12)
        #expect(twice[0].feedForward == base[0].feedForward && twice[3].feedForward == base[3].feedForward)
    }

    @Test func fluctuationDrivenReadoutWeightsHaveTheTargetStatistics() throws {
        let arch = try NetworkArchitecture(TrainingFixtures.shdDescription())
        let i = FluctuationDrivenInit(sigmaU: 1, nu: 15.8, alpha: 0.9, readout: .fluctuationDriven)
        let sigma = try i.standardDeviations(for: arch)[3].feedForward
        #expect(abs(sigma - (1.0 / 320).squareRoot()) > 0.01, "the formula gives another σ_w than N(0, 1/N)")
        let w = try i.parameters(for: arch, seed: 42).feedForward[3]
        let n = Double(w.count)
        let mean = w.scalars.reduce(0.0) { $0 + Double($1) } / n
        let std = (w.scalars.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / (n - 1)).squareRoot()
        #expect(abs(mean) < 4 * sigma / n.squareRoot(), "mean \(mean)")
        #expect(abs(std - sigma) < 4 * sigma / (2 * n).squareRoot(), "std \(std), σ_w \(sigma)")
        // The hidden layers are drawn as without the option.
        let p = try i.parameters(for: arch, seed: 42), q = try FluctuationDrivenInit(sigmaU: 1, nu: 15.8).parameters(for: arch, seed: 42)
        #expect(p.feedForward[0 ..< 3] == q.feedForward[0 ..< 3] && p.recurrent == q.recurrent)
        #expect(p.feedForward[3] != q.feedForward[3])
    }

    /// The defaults are unchanged: per-layer lists equal to the scalars and the normal readout draw bit-identical
    /// weights, and a default initializer encodes exactly as before the options existed.
    @Test func defaultsAreUnchanged() throws {
        let arch = try NetworkArchitecture(TrainingFixtures.shdDescription())
        let plain = FluctuationDrivenInit(sigmaU: 1.3, nu: 15.8, alpha: 0.9)
        let listed = FluctuationDrivenInit(sigmaU: 1.3, nu: 15.8, alpha: 0.9, layerSigmaU: [1.3, 1.3, 1.3, 1.3],
                                           layerNu: [15.8, 15.8, 15.8, 15.8], readout: .normal)
        #expect(try plain.parameters(for: arch, seed: 7) == listed.parameters(for: arch, seed: 7))
        #expect(plain.readout == .normal && plain.layerSigmaU == nil && plain.layerNu == nil)
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        #expect(String(decoding: try e.encode(plain), as: UTF8.self) == #"{"alpha":0.9,"nu":15.8,"sigma_u":1.3}"#)
        let old = try JSONDecoder().decode(FluctuationDrivenInit.self, from: Data(#"{"alpha":0.9,"nu":15.8,"sigma_u":1.3}"#.utf8))
        #expect(old == plain)
        let full = FluctuationDrivenInit(sigmaU: 1, nu: 5, layerSigmaU: [1, 2], layerNu: [5, 6], readout: .fluctuationDriven)
        let text = String(decoding: try e.encode(full), as: UTF8.self)
        #expect(text == #"{"alpha":0.9,"layer_nu":[5,6],"layer_sigma_u":[1,2],"nu":5,"readout":"fluctuation-driven","sigma_u":1}"#)
        #expect(try JSONDecoder().decode(FluctuationDrivenInit.self, from: Data(text.utf8)) == full)
    }

    @Test func perLayerListsAreChecked() throws {
        let arch = try NetworkArchitecture(TrainingFixtures.shdDescription())
        #expect(throws: SpikeKitError.invalidConfiguration("3 per-layer sigma_u values for 4 layers")) {
            try FluctuationDrivenInit(sigmaU: 1, nu: 1, layerSigmaU: [1, 1, 1]).parameters(for: arch, seed: 0)
        }
        #expect(throws: SpikeKitError.invalidConfiguration("5 per-layer nu values for 4 layers")) {
            try FluctuationDrivenInit(sigmaU: 1, nu: 1, layerNu: [1, 1, 1, 1, 1]).parameters(for: arch, seed: 0)
        }
        #expect(throws: SpikeKitError.invalidConfiguration("every per-layer sigma_u must be positive, got -1.0")) {
            try FluctuationDrivenInit(sigmaU: 1, nu: 1, layerSigmaU: [1, -1, 1, 1]).parameters(for: arch, seed: 0)
        }
        #expect(throws: SpikeKitError.invalidConfiguration("every per-layer nu must be a positive rate in Hz, got 0.0")) {
            try TrainerConfiguration(initialization: FluctuationDrivenInit(sigmaU: 1, nu: 1, layerNu: [1, 0, 1, 1])).validate(layers: 4)
        }
    }
}
