import ArgumentParser
import Foundation
import Testing
@testable import spikekit
@testable import SpikeKitFormats
@testable import SpikeKitEngine
import SpikeKit

/// `spikekit model new --template alif --learn-threshold`, `model check` and `spikekit train` with an adaptive
/// LIF model file: the learned thresholds reach the checkpoint; bad model files are one-line errors.
@Suite(.serialized) struct TrainALIFCommandTests: CommandRunning {
    @Test func trainsAnAlifModelFileAndCheckpointsTheThresholds() throws {
        var r = Randman.Configuration()
        r.classes = 2
        r.units = 8
        r.steps = 20
        r.samplesPerClass = 8
        r.maxFrequencies = 50
        let folder = TestPaths.temporaryFolder()
        try SHDFile.write(try Randman.generate(r).shdDataset(), to: folder + "/data.h5")
        let model = folder + "/model.json"
        let (m0, s0) = run(["model", "new", "--template", "alif", "--inputs", "8", "--hidden", "6", "--classes", "2",
                            "--learn-threshold", "--stochastic", "-o", model])
        #expect(s0 == 0, "\(m0)")
        let d = try NetworkDescription.load(path: model)
        #expect(d.layers[0].kind == .alif && d.layers[0].learnThreshold == true && d.layers[0].tauAdapt == 0.2)
        #expect(run(["model", "check", model]).status == 0)
        let out = folder + "/out"
        let (message, status) = run(["train", "--model", model, "--train", folder + "/data.h5", "--test", folder + "/data.h5",
                                     "--batch", "8", "--threads", "1", "--output", out, "--optimizer", "adamw", "--lr", "0.02",
                                     "--weight-decay", "0.1", "--clip-grad-norm", "1", "--epochs", "2"])
        #expect(status == 0, "\(message)")
        let ck = try Checkpoint.load(path: out + "/checkpoint.safetensors")
        let theta = try #require(ck.parameters.thresholds[0])
        #expect(theta.shape == [6] && theta.scalars.contains { $0 != 1 })
        #expect(ck.optimizerState.keys.contains { $0.hasPrefix("layer0.threshold.") })
        // A bad adaptation value in the model file: one line naming it, non-zero exit.
        var bad = d
        bad.layers[0].tauAdapt = -0.2
        try bad.save(to: folder + "/bad.json")
        for args in [["model", "check", folder + "/bad.json"],
                     ["train", "--model", folder + "/bad.json", "--train", folder + "/data.h5", "--test", folder + "/data.h5"]] {
            let (m, s) = run(args)
            #expect(s != 0 && m.contains("tau_adapt") && !m.contains("\n"), "'\(m)'")
        }
    }
}
