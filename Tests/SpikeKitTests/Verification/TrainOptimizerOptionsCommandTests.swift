import ArgumentParser
import Foundation
import Testing
@testable import spikekit
@testable import SpikeKitFormats
@testable import SpikeKitEngine
import SpikeKit

/// `spikekit train`'s optimizer options: one-line errors for bad or orphaned values, the options in the
/// checkpoint, and `--resume` refusing other values (and other epochs under a cosine schedule).
@Suite(.serialized) struct TrainOptimizerOptionsCommandTests: CommandRunning {
    func expectFailure(_ arguments: [String], mentioning fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        expectOneLineFailure(arguments, mentioning: fragments, sourceLocation: sourceLocation)
    }

    static let files = ["train", "--model", "m.json", "--train", "a.h5", "--test", "b.h5"]

    @Test func badOrOrphanedOptionsAreOneLineErrors() {
        let f = Self.files
        expectFailure(f + ["--optimizer", "sgdm"], mentioning: ["--optimizer", "adamw", "sgdm"])
        expectFailure(f + ["--weight-decay", "-0.1"], mentioning: ["--weight-decay"])
        expectFailure(f + ["--decoupled-weight-decay"], mentioning: ["--decoupled-weight-decay", "--weight-decay"])
        expectFailure(f + ["--no-bias-decay"], mentioning: ["--no-bias-decay"])
        expectFailure(f + ["--optimizer", "adamw", "--weight-decay", "0", "--no-bias-decay"], mentioning: ["--no-bias-decay"])
        expectFailure(f + ["--clip-grad-norm", "0"], mentioning: ["--clip-grad-norm"])
        expectFailure(f + ["--lr-schedule", "exponential"], mentioning: ["--lr-schedule", "exponential"])
        expectFailure(f + ["--lr-schedule", "step"], mentioning: ["--lr-step-epochs"])
        expectFailure(f + ["--lr-schedule", "step", "--lr-step-epochs", "0"], mentioning: ["--lr-step-epochs"])
        expectFailure(f + ["--lr-schedule", "step", "--lr-step-epochs", "2", "--lr-gamma", "-1"], mentioning: ["--lr-gamma"])
        expectFailure(f + ["--lr-gamma", "0.5"], mentioning: ["--lr-gamma", "--lr-schedule step"])
        expectFailure(f + ["--lr-min", "0.001"], mentioning: ["--lr-min", "cosine"])
        expectFailure(f + ["--lr-schedule", "cosine", "--lr-min", "-1"], mentioning: ["--lr-min"])
        expectFailure(f + ["--warmup-epochs", "2", "--warmup-batches", "5"], mentioning: ["--warmup-epochs", "--warmup-batches"])
        expectFailure(f + ["--warmup-epochs", "-1"], mentioning: ["--warmup-epochs"])
        expectFailure(f + ["--warmup-start-factor", "0.5"], mentioning: ["--warmup-start-factor"])
        expectFailure(f + ["--warmup-epochs", "1", "--warmup-start-factor", "0"], mentioning: ["--warmup-start-factor"])
        expectFailure(f + ["--lr-per-batch"], mentioning: ["--lr-per-batch"])
    }

    /// A tiny run with every option, saved in the checkpoint; resuming with another option value or, under the
    /// cosine schedule, other epochs is refused; with the same options it continues.
    @Test func optionsReachTheCheckpointAndResumeChecksThem() throws {
        var r = Randman.Configuration()
        r.classes = 2
        r.units = 8
        r.steps = 20
        r.samplesPerClass = 8
        r.maxFrequencies = 50
        let folder = TestPaths.temporaryFolder()
        try SHDFile.write(try Randman.generate(r).shdDataset(), to: folder + "/data.h5")
        try ModelTemplate.feedForward.description(inputs: 8, hidden: 6, classes: 2, dt: 2e-3, stochastic: false)
            .save(to: folder + "/model.json")
        let out = folder + "/out"
        let common = ["train", "--model", folder + "/model.json", "--train", folder + "/data.h5", "--test", folder + "/data.h5",
                      "--batch", "8", "--threads", "1", "--output", out, "--optimizer", "adamw", "--lr", "0.005",
                      "--no-bias-decay", "--clip-grad-norm", "0.5", "--lr-schedule", "cosine", "--lr-min", "0.0001",
                      "--lr-per-batch", "--warmup-batches", "2"]
        let (message, status) = run(common + ["--epochs", "1"])
        #expect(status == 0, "\(message)")
        let ck = try Checkpoint.load(path: out + "/checkpoint.safetensors")
        #expect(ck.optimizer == .adamW(learningRate: 0.005, decaysBiases: false))
        let saved = try JSONDecoder().decode(TrainerConfiguration.self,
                                             from: Data(ck.metadata[Trainer.MetadataKey.configuration]!.utf8))
        #expect(saved.gradientClipNorm == 0.5)
        #expect(saved.learningRateSchedule == .cosine(minimum: 0.0001, interval: .batch).warmingUp(batches: 2))
        let clipOther = common.map { $0 == "0.5" ? "0.25" : $0 }
        expectFailure(clipOther + ["--epochs", "1", "--resume"], mentioning: ["other training options"])
        expectFailure(common + ["--epochs", "2", "--resume"], mentioning: ["--epochs", "cosine"])
        let (again, status2) = run(common + ["--epochs", "1", "--resume"])
        #expect(status2 == 0, "\(again)")
    }
}
