import ArgumentParser
import Foundation
import Testing
@testable import spikekit
@testable import SpikeKitFormats
@testable import SpikeKitEngine
import SpikeKit

/// `spikekit train` on `.npy` spike-train data with the van Rossum and L2 spike losses (issue #11 item 7), and its
/// one-line errors: τ_vr ≤ 0, missing targets, targets of the wrong shape, spike losses on SHD-layout files.
@Suite(.serialized) struct TrainSpikeTargetCommandTests: CommandRunning {
    func expectFailure(_ arguments: [String], mentioning fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        expectOneLineFailure(arguments, mentioning: fragments, sourceLocation: sourceLocation)
    }

    /// A model (8 inputs → 12 LIF → 3 LIF) and `.npy` inputs [4, 30, 8] with targets [4, 30, outputs].
    func files(outputs: Int = 3) throws -> String {
        let folder = TestPaths.temporaryFolder()
        let spike = #"{"escape": {"kind": "step"}, "surrogate": {"kind": "superspike", "beta": 10}}"#
        let model = #"{"dt": 0.001, "input": {"shape": [8]}, "layers": [{"kind": "lif", "units": 12, "tau_mem": 0.01, "tau_syn": 0.005, "spike": \#(spike)}, {"kind": "lif", "units": 3, "tau_mem": 0.01, "tau_syn": 0.005, "spike": \#(spike)}]}"#
        try AtomicFile.write(model, to: folder + "/model.json")
        var g = PhiloxGenerator(seed: 3)
        let x = (0 ..< 4 * 30 * 8).map { _ in g.uniform() < 0.2 ? Float(1) : 0 }
        let y = (0 ..< 4 * 30 * outputs).map { _ in g.uniform() < 0.1 ? Float(1) : 0 }
        try NpyArray(shape: [4, 30, 8], elements: .float32(x)).write(path: folder + "/x.npy")
        try NpyArray(shape: [4, 30, outputs], elements: .float32(y)).write(path: folder + "/y.npy")
        return folder
    }

    @Test func trainsWithTheVanRossumLossOnArrays() throws {
        let f = try files()
        let args = ["train", "--model", f + "/model.json", "--train", f + "/x.npy", "--train-targets", f + "/y.npy",
                    "--test", f + "/x.npy", "--test-targets", f + "/y.npy", "--loss", "van-rossum", "--tau-vr", "0.005",
                    "--epochs", "3", "--batch", "2", "--optimizer", "adam", "--lr", "0.005", "--sigma-u", "2", "--nu", "50",
                    "--threads", "1", "--output", f + "/out"]
        let (message, status) = run(args)
        #expect(status == 0, "\(message)")
        let csv = try String(contentsOfFile: f + "/out/metrics.csv", encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 4)
        let ck = try Checkpoint.load(path: f + "/out/checkpoint.safetensors")
        #expect(ck.metadata[Trainer.MetadataKey.loss]?.contains("\"tau_vr\":0.005") == true)
        // Resumed with the same options it continues; with another τ_vr it is refused.
        expectFailure(args.map { $0 == "0.005" ? "0.01" : $0 } + ["--resume"], mentioning: ["other training options"])
    }

    @Test func badOptionsAreOneLineErrors() throws {
        let f = try files()
        let base = ["train", "--model", f + "/model.json", "--train", f + "/x.npy", "--test", f + "/x.npy", "--threads", "1",
                    "--epochs", "1", "--output", f + "/out"]
        let targets = ["--train-targets", f + "/y.npy", "--test-targets", f + "/y.npy"]
        expectFailure(base + targets + ["--loss", "van-rossum", "--tau-vr", "0"], mentioning: ["tau_vr"])
        expectFailure(base + targets + ["--loss", "van-rossum", "--tau-vr", "-1"], mentioning: ["tau_vr"])
        expectFailure(base + targets + ["--loss", "cross-entropy", "--tau-vr", "0.01"], mentioning: ["tau_vr", "van-rossum"])
        expectFailure(base + ["--loss", "van-rossum"], mentioning: ["van-rossum", "--train-targets"])
        expectFailure(base + ["--train-targets", f + "/y.npy", "--loss", "van-rossum"], mentioning: ["--test-targets"])
        // Targets with 2 outputs per step for a last layer of 3 neurons.
        let g = try files(outputs: 2)
        expectFailure(["train", "--model", f + "/model.json", "--train", f + "/x.npy", "--train-targets", g + "/y.npy",
                       "--test", f + "/x.npy", "--test-targets", g + "/y.npy", "--loss", "van-rossum", "--epochs", "1",
                       "--output", f + "/out2"], mentioning: ["2 outputs per step", "3 neurons"])
        // Spike targets with a label loss.
        expectFailure(base + targets + ["--loss", "cross-entropy"], mentioning: ["target spikes"])
    }
}
