import Foundation
import Testing
@testable import spikekit
@testable import SpikeKitEngine
@testable import SpikeKitExperiments
import SpikeKit

/// The heterogeneous-time-constant study: its four networks, what each run reports, reproducibility, and the
/// command's outputs and errors.
@Suite struct TimeConstantStudyTests {
    static func tinyData() throws -> (SpikeTrainDataset, SpikeTrainDataset, SpikeTrainDataset) {
        var r = Randman.Configuration()
        r.classes = 3
        r.units = 8
        r.steps = 30
        r.samplesPerClass = 20
        r.seed = 5
        let all = try RandmanDataset.generate(r)
        let s = try all.split(seed: 5, validationFraction: 0.1, testFraction: 0.2)
        return (s.training, s.validation, s.test)
    }

    static func tinyStudy(_ variants: [TimeConstantStudy.Variant], seeds: [UInt64] = [7]) -> TimeConstantStudy {
        var c = TimeConstantStudy.Configuration()
        c.variants = variants
        c.seeds = seeds
        c.hiddenUnits = 12
        c.epochs = 3
        c.batchSize = 8
        c.learningRate = 0.05
        c.threads = 1
        return TimeConstantStudy(configuration: c)
    }

    @Test func theFourNetworksDifferOnlyInTheirTimeConstants() throws {
        let study = Self.tinyStudy(TimeConstantStudy.Variant.allCases)
        for v in TimeConstantStudy.Variant.allCases {
            let d = try study.network(variant: v, seed: 3, inputs: 8, classes: 3, dt: 2e-3)
            let a = try NetworkArchitecture(d)
            let h = a.layers[0]
            #expect(h.learnsTauMem == v.learns && h.learnsTauSyn == v.learns)
            #expect(h.recurrent != nil)
            #expect(!a.layers[1].learnsTauMem && a.layers[1].tauMemValues == nil, "the readout keeps its constant τ")
            let mem = TimeConstantStudy.hiddenTaus(NetworkParameters(zerosFor: a), h).mem
            #expect(mem.count == 12)
            if v.heterogeneousStart {
                #expect(Set(mem).count == 12, "Γ draws differ per neuron")
            } else {
                #expect(mem.allSatisfy { abs($0 / 0.02 - 1) < 1e-6 }, "the constant start (through ρ = ln τ in Float when learned)")
            }
        }
        // The Γ draws are the seed's: another seed, other time constants; the same seed, the same.
        func gammaTaus(_ seed: UInt64) throws -> [Double] {
            try NetworkArchitecture(study.network(variant: .heterogeneous, seed: seed, inputs: 8, classes: 3, dt: 2e-3)).layers[0].tauMemValues!
        }
        #expect(try gammaTaus(3) == gammaTaus(3))
        #expect(try gammaTaus(3) != gammaTaus(4))
    }

    @Test func runsReportTheirTimeConstantsAndRepeatExactly() throws {
        let (train, valid, test) = try Self.tinyData()
        let study = Self.tinyStudy([.heterogeneous, .learned])
        let runs = try study.run(training: train, validation: valid, test: test)
        #expect(runs.map(\.variant) == [.heterogeneous, .learned])
        let fixed = runs[0], learned = runs[1]
        #expect(fixed.finalTauMem == fixed.initialTauMem, "a fixed τ does not move")
        #expect(learned.initialTauMem.allSatisfy { abs($0 / 0.02 - 1) < 1e-6 })
        #expect(learned.finalTauMem != learned.initialTauMem, "a learned τ moves")
        #expect(learned.finalTauSyn != learned.initialTauSyn)
        #expect(learned.finalTauMem.allSatisfy { $0 > 0 && $0.isFinite })
        for r in runs {
            let acc = try #require(r.testAccuracy)
            #expect(acc >= 0 && acc <= 1)
        }
        let again = try study.run(training: train, validation: valid, test: test)
        for (a, b) in zip(runs, again) {
            #expect(a.testAccuracy == b.testAccuracy && a.finalTauMem == b.finalTauMem && a.finalTauSyn == b.finalTauSyn)
        }
    }

    @Test func meanAndSampleStandardDeviation() {
        let s = TimeConstantStudy.meanAndSD([1, 2, nil, 3])!
        #expect(s.mean == 2 && s.count == 3)
        #expect(abs(s.sd - 1) < 1e-12)
        #expect(TimeConstantStudy.meanAndSD([nil]) == nil)
        #expect(TimeConstantStudy.meanAndSD([4])!.sd == 0)
    }

    @Test func commandWritesTheTableAndThePictures() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tau-study-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var command = try SpikeKitCommand.parseAsRoot(
            ["tau-study", "--classes", "3", "--units", "8", "--steps", "30", "--samples-per-class", "20", "--hidden", "10",
             "--epochs", "2", "--batch", "8", "--seeds", "1,2", "--variants", "fixed,heterogeneous-learned", "--threads", "1",
             "--output", folder])
        try command.run()
        let runs = try String(contentsOfFile: folder + "/runs.csv", encoding: .utf8).split(separator: "\n")
        #expect(runs.count == 1 + 4)
        let taus = try String(contentsOfFile: folder + "/taus.csv", encoding: .utf8).split(separator: "\n")
        #expect(taus.count == 1 + 4 * 10)
        let summary = try String(contentsOfFile: folder + "/summary.md", encoding: .utf8)
        #expect(summary.contains("| fixed |") && summary.contains("| heterogeneous-learned |"))
        for svg in ["tau-mem.svg", "tau-syn.svg"] {
            let text = try String(contentsOfFile: folder + "/" + svg, encoding: .utf8)
            #expect(text.contains("<svg") && text.contains("Γ start") && text.contains("heterogeneous-learned") && text.contains("constant start"))
        }
        #expect(FileManager.default.fileExists(atPath: folder + "/study.json"))
    }
}

extension CommandErrorTests {
    @Test func tauStudyOptions() {
        expectFailure(["tau-study", "--variants", "fixed,adaptive"], mentioning: ["--variants", "adaptive"])
        expectFailure(["tau-study", "--seeds", "1,x"], mentioning: ["--seeds", "x"])
        expectFailure(["tau-study", "--seeds", "1,1"], mentioning: ["--seeds", "repeated"])
        expectFailure(["tau-study", "--tau-mem", "0"], mentioning: ["tau_mem"])
        expectFailure(["tau-study", "--gamma-shape", "nan"], mentioning: ["gamma shape"])
        expectFailure(["tau-study", "--epochs", "0"], mentioning: ["epochs"])
        expectFailure(["tau-study", "--threads", "0"], mentioning: ["--threads"])
        expectFailure(["tau-study", "--file", "/nonexistent/x.h5"], mentioning: ["/nonexistent/x.h5"])
        expectFailure(["tau-study", "--file", "/nonexistent/x.h5", "--dt", "-1"], mentioning: ["--dt"])
    }
}
