import Foundation
import Testing
@testable import spikekit
@testable import SpikeKitFormats
@testable import SpikeKitEngine
import SpikeKit

/// `spikekit train` on `.npy` float inputs for a model with real-valued input (issue #11 item 5): it trains, it
/// learns a task that needs the real values, and the wrong pairings of model and data are one-line errors.
@Suite(.serialized) struct TrainCurrentInputCommandTests: CommandRunning {
    /// A current-input model (6 inputs → 16 LIF → 2 readouts) and float inputs [40, 20, 6] whose class is the sign of
    /// a constant current on the first 3 inputs (the others are noise), with labels [40].
    func files() throws -> String {
        let folder = TestPaths.temporaryFolder()
        let spike = #"{"escape": {"kind": "step"}, "surrogate": {"kind": "superspike", "beta": 10}}"#
        let model = #"{"dt": 0.001, "input": {"shape": [6], "kind": "current"}, "layers": [{"kind": "lif", "units": 16, "tau_mem": 0.01, "tau_syn": 0.005, "spike": \#(spike)}, {"kind": "readout", "units": 2, "tau_mem": 0.02, "tau_syn": 0.005}]}"#
        try AtomicFile.write(model, to: folder + "/model.json")
        var g = PhiloxGenerator(seed: 5)
        var x: [Float] = [], y: [Float] = []
        for i in 0 ..< 40 {
            let label = i % 2
            y.append(Float(label))
            for _ in 0 ..< 20 {
                for u in 0 ..< 6 { x.append(u < 3 ? Float(label == 0 ? 1.5 : -1.5) : Float(g.uniform()) * 2 - 1) }
            }
        }
        try NpyArray(shape: [40, 20, 6], elements: .float32(x)).write(path: folder + "/x.npy")
        try NpyArray(shape: [40], elements: .float32(y)).write(path: folder + "/y.npy")
        try NpyArray(shape: [40, 20, 6], elements: .float32(x.map { $0 > 0 ? 1 : 0 })).write(path: folder + "/spikes.npy")
        return folder
    }

    @Test func trainsOnRealValuedArrays() throws {
        let f = try files()
        let args = ["train", "--model", f + "/model.json", "--train", f + "/x.npy", "--train-targets", f + "/y.npy",
                    "--test", f + "/x.npy", "--test-targets", f + "/y.npy", "--epochs", "15", "--batch", "8",
                    "--optimizer", "adam", "--lr", "0.01", "--nu", "100", "--threads", "1", "--output", f + "/out"]
        let (message, status) = run(args)
        #expect(status == 0, "\(message)")
        let ck = try Checkpoint.load(path: f + "/out/checkpoint.safetensors")
        #expect(ck.model.input.isRealValued)
        let rows = try String(contentsOfFile: f + "/out/metrics.csv", encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 16)
        // The task is separable from the first three currents; a trained network gets it right.
        let header = rows[0].split(separator: ",").map(String.init)
        let column = try #require(header.firstIndex(of: "test_accuracy"))
        let last = try #require(Double(rows.last!.split(separator: ",")[column]))
        #expect(last >= 0.9, "test accuracy \(last)")
    }

    @Test func wrongPairingsAreOneLineErrors() throws {
        let f = try files()
        // A real-valued model on an SHD-layout file.
        let shd = try SHDDataset(times: [[0.001]], units: [[0]], labels: [0], classNames: ["a"])
        try SHDFile.write(shd, to: f + "/d.h5")
        expectOneLineFailure(["train", "--model", f + "/model.json", "--train", f + "/d.h5", "--test", f + "/d.h5",
                              "--epochs", "1", "--output", f + "/o1"],
                             mentioning: ["real-valued", ".npy"], sourceLocation: #_sourceLocation)
        // A spike model on real values: the message says how to take them.
        let spikeModel = try String(contentsOfFile: f + "/model.json", encoding: .utf8).replacingOccurrences(of: #", "kind": "current""#, with: "")
        try AtomicFile.write(spikeModel, to: f + "/spiking.json")
        expectOneLineFailure(["train", "--model", f + "/spiking.json", "--train", f + "/x.npy", "--train-targets", f + "/y.npy",
                              "--test", f + "/x.npy", "--test-targets", f + "/y.npy", "--epochs", "1", "--output", f + "/o2"],
                             mentioning: ["x.npy", "current"], sourceLocation: #_sourceLocation)
        // NaN in the currents names the file.
        var bad = try NpyArray.read(path: f + "/x.npy").floats
        bad[77] = .nan
        try NpyArray(shape: [40, 20, 6], elements: .float32(bad)).write(path: f + "/nan.npy")
        expectOneLineFailure(["train", "--model", f + "/model.json", "--train", f + "/nan.npy", "--train-targets", f + "/y.npy",
                              "--test", f + "/x.npy", "--test-targets", f + "/y.npy", "--epochs", "1", "--output", f + "/o3"],
                             mentioning: ["nan.npy", "NaN"], sourceLocation: #_sourceLocation)
        // The spike path still takes 0/1 arrays with the spike model.
        let (message, status) = run(["train", "--model", f + "/spiking.json", "--train", f + "/spikes.npy", "--train-targets", f + "/y.npy",
                                     "--test", f + "/spikes.npy", "--test-targets", f + "/y.npy", "--epochs", "1", "--threads", "1",
                                     "--output", f + "/o4"])
        #expect(status == 0, "\(message)")
    }
}
