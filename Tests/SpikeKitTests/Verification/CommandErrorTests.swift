import ArgumentParser
import Foundation
import Testing
@testable import spikekit
@testable import SpikeKitFormats
@testable import SpikeKitEngine
import SpikeKit

/// The command-line cases of the hardening issue, run in-process: every bad file or option gives one clear line
/// naming it and a non-zero exit status before training starts; `match --resume` continues whatever was saved.
@Suite(.serialized) struct CommandErrorTests: CommandRunning {
    /// Small sizes so that a run that does start is quick.
    static let tinyMatch = ["--neurons", "4", "--steps", "12", "--hidden", "6", "--trials", "2", "--threads", "1"]

    func expectFailure(_ arguments: [String], mentioning fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let message = expectOneLineFailure(arguments, mentioning: fragments, sourceLocation: sourceLocation)
        for opaque in ["NSCocoaErrorDomain", "Error Domain", "Missing value", "Unable to encode", "permission"] {
            #expect(!message.contains(opaque), "opaque message '\(message)'", sourceLocation: sourceLocation)
        }
    }

    /// Writes an SHD-layout file with the given spike times (units 0, 1, 2, 0, ...) and labels; `float32` stores
    /// the times as float32 (SpikeKit's writer rounds them to float16, in which 1e29 is infinite).
    func shdFile(times: [[Float]], labels: [Int], classNames: [String] = [], float32: Bool = false) throws -> String {
        let path = TestPaths.temporaryFolder() + "/data.h5"
        let units = times.map { $0.indices.map { UInt16($0 % 3) } }
        guard float32 else {
            try SHDFile.write(SHDDataset(times: times, units: units, labels: labels, classNames: classNames), to: path)
            return path
        }
        func vlen(_ rows: [[UInt8]], count: (Int) -> Int) -> HDF5Writer.Payload {
            .variable(rows.enumerated().map { (count($0.offset), $0.element) })
        }
        let timeBytes = times.map { $0.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) } }
        let unitBytes = units.map { $0.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) } }
        let labelBytes = labels.flatMap { withUnsafeBytes(of: UInt16($0).littleEndian, Array.init) }
        let root: [String: HDF5Writer.Node] = [
            "spikes": .group([
                "times": .dataset(.init(datatype: .variableSequence(base: .floatingPoint(size: 4, bigEndian: false)),
                                        payload: vlen(timeBytes) { times[$0].count })),
                "units": .dataset(.init(datatype: .variableSequence(base: .fixedPoint(size: 2, signed: false, bigEndian: false)),
                                        payload: vlen(unitBytes) { units[$0].count })),
            ]),
            "labels": .dataset(.init(datatype: .fixedPoint(size: 2, signed: false, bigEndian: false),
                                     payload: .fixed(count: labels.count, bytes: labelBytes))),
        ]
        try AtomicFile.write(Data(try HDF5Writer.serialize(root)), to: path)
        return path
    }

    @Test func negativeAndAbsurdNumbers() {
        expectFailure(["match", "--epochs", "-5"], mentioning: ["--epochs", "-5"])
        expectFailure(["classify", "--epochs", "-5"], mentioning: ["epochs", "-5"])
        expectFailure(["match", "--lr", "1e39"] + Self.tinyMatch, mentioning: ["--lr", "1e+39"])
        expectFailure(["classify", "--lr", "1e39"], mentioning: ["--lr", "1e+39"])
        expectFailure(["match", "--checkpoint-seconds", "0"], mentioning: ["--checkpoint-seconds"])
        expectFailure(["match", "--max-hours", "-1"], mentioning: ["--max-hours"])
        expectFailure(["bench", "--workload", "stm-det", "--stm-target-density", "1.5"], mentioning: ["--stm-target-density", "1.5"])
        expectFailure(["bench", "--workload", "stm-det", "--stm-target-density", "nan"], mentioning: ["--stm-target-density", "nan"])
    }

    @Test func estimatesRefuseRunsAboveTheLimits() {
        let out = TestPaths.temporaryFolder()
        expectFailure(["match", "--epochs", "\(Int.max)", "--output", out] + Self.tinyMatch, mentioning: ["years", "--max-hours"])
        expectFailure(["match", "--hidden", "5000000", "--neurons", "4", "--steps", "12", "--max-memory-gb", "8",
                       "--output", out], mentioning: ["GB", "--max-memory-gb"])
        // Sizes beyond what the packed connections can index are refused by the model's validation.
        expectFailure(["match", "--hidden", "100000000", "--neurons", "4", "--steps", "12", "--output", out],
                      mentioning: ["layer 0", "exceeds"])
        expectFailure(["match", "--steps", "1000000000", "--output", out], mentioning: ["--steps 1000000000", "picture"])
        expectFailure(["classify", "--steps", "1000000000", "--samples-per-class", "100", "--output", out],
                      mentioning: ["randman", "--max-memory-gb"])
        expectFailure(["classify", "--hidden", "20000", "--max-memory-gb", "0.5", "--units", "20", "--steps", "10",
                       "--samples-per-class", "10", "--output", out], mentioning: ["--max-memory-gb"])
        // Raising the limit is what the message says to do: the same run then starts (and is cut short by epochs 0).
        let (_, status) = run(["match", "--epochs", "0", "--max-hours", "1e9", "--output", out] + Self.tinyMatch)
        #expect(status == 0)
        #expect(FileManager.default.fileExists(atPath: out + "/summary.txt"))
    }

    @Test func filesThatAreNotFiles() throws {
        let dir = TestPaths.temporaryFolder()
        let out = TestPaths.temporaryFolder()
        expectFailure(["match", "--target", dir, "--output", out] + Self.tinyMatch, mentioning: [dir, "is a folder, not a file"])
        expectFailure(["match", "--target", "/dev/null", "--output", out], mentioning: ["/dev/null", "not a regular file"])
        expectFailure(["classify", "--dataset", dir, "--output", out], mentioning: [dir, "is a folder, not a file"])
        expectFailure(["classify", "--dataset", "/dev/null", "--output", out], mentioning: ["/dev/null", "not a regular file"])
        try AtomicFile.write("x", to: dir + "/plain")
        expectFailure(["match", "--epochs", "1", "--output", dir + "/plain/out"] + Self.tinyMatch,
                      mentioning: [dir + "/plain", "not a folder"])
        expectFailure(["classify", "--epochs", "1", "--output", dir + "/plain/out"], mentioning: [dir + "/plain", "not a folder"])
    }

    @Test func targetsArePicturedBeforeTraining() throws {
        let dir = TestPaths.temporaryFolder()
        try NpyArray(shape: [3, 200000], elements: .float32([Float](repeating: 0, count: 600000))).write(path: dir + "/wide.npy")
        let t0 = Date()
        expectFailure(["match", "--target", dir + "/wide.npy", "--output", dir + "/out", "--hidden", "4", "--threads", "1"],
                      mentioning: ["wide.npy", "picture", "200000 steps"])
        #expect(Date().timeIntervalSince(t0) < 20, "the error came after training")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out/checkpoint-det.safetensors"))
    }

    @Test func spikeTimesAndStepsThatDoNotFitAnInt() throws {
        let far = try shdFile(times: [[0.001, 1e29], [0.002]], labels: [0, 1], float32: true)
        #expect(try SHDDataset(path: far).times[0][1] == 1e29)
        let out = TestPaths.temporaryFolder()
        expectFailure(["classify", "--dataset", far, "--output", out], mentioning: [far, "1e+29", "--duration"])
        let near = try shdFile(times: [[0.001, 0.01], [0.002]], labels: [0, 1])
        expectFailure(["classify", "--dataset", near, "--dt", "1e-300", "--output", out], mentioning: ["--dt", "1e-300"])
        expectFailure(["classify", "--dataset", near, "--dt", "1e-300", "--duration", "0.1", "--output", out],
                      mentioning: ["too large"])
    }

    @Test func labelsMustBeClassIndices() throws {
        let out = TestPaths.temporaryFolder()
        let sparse = try shdFile(times: Array(repeating: [0.001, 0.002], count: 20), labels: (0 ..< 20).map { $0 % 2 == 0 ? 0 : 60000 })
        expectFailure(["classify", "--dataset", sparse, "--epochs", "1", "--output", out], mentioning: ["60000", "class"])
        let named = try shdFile(times: Array(repeating: [0.001], count: 10), labels: (0 ..< 10).map { $0 % 3 }, classNames: ["a", "b"])
        expectFailure(["classify", "--dataset", named, "--epochs", "1", "--output", out], mentioning: ["label 2", "2 class names"])
    }

    @Test func droppedSpikesArePrintedAndCounted() throws {
        let path = try shdFile(times: Array(repeating: [-0.5, 0.001, 0.003], count: 20), labels: (0 ..< 20).map { $0 % 2 })
        let out = TestPaths.temporaryFolder()
        // The run itself is short (epochs 0 exports nothing, so train one epoch of 20 samples).
        let (message, status) = run(["classify", "--dataset", path, "--epochs", "1", "--hidden", "4", "--fano-trials", "0",
                                     "--threads", "1", "--output", out])
        #expect(status == 0, "\(message)")
        let s = try SHDDataset(path: path).summary(options: SHDRasterOptions(duration: 0.7, channels: 700))
        #expect(s.negativeTimes == 20)
    }

    @Test func matchResumeStartsAMissingVariantAfresh() throws {
        let straight = TestPaths.temporaryFolder(), killed = TestPaths.temporaryFolder()
        let common = ["match", "--epochs", "3", "--seed", "5", "--checkpoint-every", "1"] + Self.tinyMatch
        #expect(run(common + ["--output", straight]).status == 0)
        // Only the deterministic network was saved (a run killed before the stochastic one's first checkpoint).
        #expect(run(common + ["--variant", "det", "--output", killed]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: killed + "/checkpoint-stoch.safetensors"))
        let (message, status) = run(common + ["--resume", killed, "--output", killed])
        #expect(status == 0, "\(message)")
        for name in ["det", "stoch"] {
            let a = try Checkpoint.load(path: straight + "/checkpoint-\(name).safetensors")
            let b = try Checkpoint.load(path: killed + "/checkpoint-\(name).safetensors")
            #expect(a.parameters == b.parameters, "\(name) differs after resuming")
            #expect(a.epoch == 3 && b.epoch == 3)
            #expect(try String(contentsOfFile: straight + "/metrics-\(name).csv", encoding: .utf8)
                == String(contentsOfFile: killed + "/metrics-\(name).csv", encoding: .utf8))
        }
        // A missing single checkpoint file is still an error.
        expectFailure(common + ["--variant", "det", "--resume", killed + "/absent.safetensors", "--output", killed],
                      mentioning: ["absent.safetensors", "no such file"])
    }

    /// `spikekit train`'s initialization options: one σ_u / ν or one per layer, the readout's initialization and
    /// U[0]; the defaults are the initializer of before.
    @Test func trainInitializationOptions() throws {
        let common = ["--model", "m.json", "--train", "a.h5", "--test", "b.h5"]
        let plain = try TrainCommand.parse(common).configuration(layers: 3).initialization
        #expect(plain == FluctuationDrivenInit(sigmaU: 1, nu: 10, alpha: 0.9))
        let listed = try TrainCommand.parse(common + ["--sigma-u", "1,1,0.5", "--nu", "20", "--readout-init", "fluctuation-driven"])
            .configuration(layers: 3).initialization
        #expect(listed == FluctuationDrivenInit(sigmaU: 1, nu: 20, alpha: 0.9, layerSigmaU: [1, 1, 0.5], readout: .fluctuationDriven))
        #expect(throws: CommandError.self) { try TrainCommand.parse(common + ["--sigma-u", "1,2"]).configuration(layers: 3) }
        let folder = TestPaths.temporaryFolder()
        let spiking = #"{"dt": 0.001, "input": {"shape": [3]}, "layers": [{"kind": "lif", "units": 2, "tau_mem": 0.01, "tau_syn": 0.005, "spike": {"escape": {"kind": "step"}, "surrogate": {"kind": "superspike", "beta": 10}}}]}"#
        try AtomicFile.write(spiking, to: folder + "/spiking.json")
        let data = try shdFile(times: [[0.001], [0.002]], labels: [0, 1])
        let base = ["train", "--model", folder + "/spiking.json", "--train", data, "--test", data, "--output", folder + "/out"]
        expectFailure(base + ["--sigma-u", "1,2"], mentioning: ["--sigma-u", "one number or 1 comma-separated"])
        expectFailure(base + ["--nu", "x"], mentioning: ["--nu"])
        expectFailure(base + ["--readout-init", "uniform"], mentioning: ["--readout-init", "uniform"])
        expectFailure(base + ["--initial-mem", "-0.5"], mentioning: ["--initial-mem", "not a readout"])
    }
}
