import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitEngine
@testable import SpikeKitExperiments

/// Where the MPI build of the tool and `mpirun` are, when they are.
enum MPIRun {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// `SPIKEKIT_MPI_BINARY`, or `.build-mpi/release/spikekit` (what `.ci/run` builds).
    static let binary: String? = {
        let env = ProcessInfo.processInfo.environment["SPIKEKIT_MPI_BINARY"]
        let path = env ?? root + "/.build-mpi/release/spikekit"
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }()

    static let mpirun: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        .split(separator: ":").map { $0 + "/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }

    static var available: Bool { binary != nil && mpirun != nil }

    /// Runs the tool in `folder`: alone (`processes` nil, a world of one) or under `mpirun -np processes`.
    @discardableResult
    static func run(_ arguments: [String], processes: Int?, in folder: String) throws -> String {
        let p = Process()
        var args = arguments
        if let processes {
            p.executableURL = URL(fileURLWithPath: mpirun!)
            args = ["-np", "\(processes)", "--oversubscribe"] + (getuid() == 0 ? ["--allow-run-as-root"] : []) + [binary!] + arguments
        } else {
            p.executableURL = URL(fileURLWithPath: binary!)
        }
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: folder)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard p.terminationStatus == 0 else {
            throw SpikeKitError.invalidConfiguration("spikekit \(args.joined(separator: " ")) exited \(p.terminationStatus):\n\(text)")
        }
        return text
    }
}

/// `mpirun -np 2` and `-np 3` against one process, through the MPI build of the tool: the same metrics and
/// checkpoints (every weight and optimizer value bit for bit; files byte for byte where they hold no timings),
/// for the deterministic and the stochastic network. Skipped where the MPI build or mpirun is missing (`.ci/run`
/// installs Open MPI and builds it).
@Suite(.serialized, .enabled(if: MPIRun.available, """
    needs mpirun on PATH and spikekit built with the MPI trait at .build-mpi/release/spikekit or SPIKEKIT_MPI_BINARY \
    (apt-get install libopenmpi-dev openmpi-bin; swift build -c release --traits MPI --product spikekit --scratch-path .build-mpi)
    """))
struct MPIRunTests {
    static let classify = ["classify", "--samples-per-class", "30", "--hidden", "16", "--batch", "50", "--threads", "1",
                           "--fano-trials", "20", "--fano-every", "1", "--checkpoint-every", "2", "--output", "out"]
    static let match = ["match", "--epochs", "30", "--hidden", "20", "--neurons", "20", "--steps", "40", "--trials", "4",
                        "--threads", "1", "--checkpoint-every", "10", "--output", "out"]

    /// A metrics CSV without its timing columns.
    func metrics(_ path: String) throws -> [[String]] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        let timing = Set(lines[0].indices.filter { lines[0][$0].hasSuffix("_seconds") })
        return lines.map { row in row.indices.filter { !timing.contains($0) }.map { row[$0] } }
    }

    /// A classification checkpoint's tensors as bit patterns and its metadata with the timings zeroed.
    func checkpoint(_ path: String, ignoring ignored: Set<String> = []) throws -> ([String: [UInt32]], [String: String]) {
        let (tensors, metadata) = try Safetensors.read(path: path)
        var meta = metadata
        let ck = try Checkpoint.load(path: path)
        var inner = ck.metadata
        for k in ignored { inner[k] = nil }
        if var state = try? ClassificationTrainer.state(of: ck) {
            state.trainingSeconds = 0
            for i in state.history.indices {
                state.history[i].trainingSeconds = 0
                state.history[i].evaluationSeconds = 0
            }
            inner[ClassificationTrainer.MetadataKey.state] = String(decoding: try ClassificationTrainer.encoder.encode(state), as: UTF8.self)
        }
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        meta[Checkpoint.MetadataKey.metadata] = String(decoding: try e.encode(inner), as: UTF8.self)
        return (tensors.mapValues { $0.scalars.map(\.bitPattern) }, meta)
    }

    func folder() -> String { TestPaths.temporaryFolder() }

    @Test func classifyGivesTheBitsOfOneProcessForTwoAndThreeProcesses() throws {
        let one = folder()
        try MPIRun.run(Self.classify + ["--epochs", "2"], processes: nil, in: one)
        for n in [2, 3] {
            let many = folder()
            try MPIRun.run(Self.classify + ["--epochs", "2"], processes: n, in: many)
            for v in ["det", "stoch"] {
                let m = try metrics(many + "/out/metrics-\(v).csv")
                #expect(m == (try metrics(one + "/out/metrics-\(v).csv")), "-np \(n) \(v) metrics")
                #expect(m.count == 3 && m[0].contains("valid_accuracy"))
                let (t, meta) = try checkpoint(many + "/out/checkpoint-\(v).safetensors")
                let (t1, meta1) = try checkpoint(one + "/out/checkpoint-\(v).safetensors")
                #expect(t == t1, "-np \(n) \(v) weights and optimizer state")
                #expect(meta == meta1, "-np \(n) \(v) checkpoint metadata")
                #expect(t.count >= 4)
                for f in ["cross-evaluation-\(v).csv", "\(v)-sample0-layer0.png", "\(v)-sample1-readout.png"] {
                    #expect(FileManager.default.contents(atPath: many + "/out/" + f) == FileManager.default.contents(atPath: one + "/out/" + f), "\(f)")
                }
            }
            #expect(FileManager.default.contents(atPath: many + "/out/stoch-neuron-trials.png") != nil)
        }
    }

    /// Stopped after one epoch under 3 processes and resumed under 2: the run of one process without a stop.
    @Test func resumeUnderMPIContinuesBitIdentically() throws {
        let one = folder(), many = folder()
        try MPIRun.run(Self.classify + ["--epochs", "2"], processes: nil, in: one)
        try MPIRun.run(Self.classify + ["--epochs", "1"], processes: 3, in: many)
        let text = try MPIRun.run(Self.classify + ["--epochs", "2", "--resume"], processes: 2, in: many)
        #expect(text.contains("resumed from out/checkpoint-det.safetensors at epoch 2"))
        for v in ["det", "stoch"] {
            #expect(try metrics(many + "/out/metrics-\(v).csv") == (try metrics(one + "/out/metrics-\(v).csv")))
            let (t, meta) = try checkpoint(many + "/out/checkpoint-\(v).safetensors", ignoring: ["command"])
            let (t1, meta1) = try checkpoint(one + "/out/checkpoint-\(v).safetensors", ignoring: ["command"])
            #expect(t == t1)
            #expect(meta == meta1)
        }
    }

    /// `spikekit train` on a model file with every layer kind (conv-lif with a conv recurrence, stochastic lif with a
    /// dense recurrence, readout) under 2 and 3 processes: the metrics and the checkpoint's weights and optimizer
    /// state of one process, bit for bit; stopped after one epoch under 3 and resumed under 2, the same again.
    @Test func trainGivesTheBitsOfOneProcess() throws {
        let data = folder()
        try MPIRun.run(["classify", "--dataset", "randman", "--classes", "3", "--units", "40", "--steps", "30",
                        "--samples-per-class", "20", "--export", data + "/data.h5", "--epochs", "0", "--output", "x"],
                       processes: nil, in: data)
        var model = try NetworkDescription.load(path: TestPaths.root + "/Examples/models/every-layer-kind.json")
        model.layers[1].spike = try SpikeFunction(escape: .sigmoid(beta: 10), surrogate: .superspike(beta: 10))
        try model.save(to: data + "/model.json")
        let train = ["train", "--model", data + "/model.json", "--train", data + "/data.h5", "--test", data + "/data.h5",
                     "--validation-fraction", "0.2", "--nu", "20", "--optimizer", "adam", "--batch", "16", "--threads", "1",
                     "--output", "out"]
        let one = folder()
        try MPIRun.run(train + ["--epochs", "2"], processes: nil, in: one)
        func tensors(_ f: String) throws -> [String: [UInt32]] {
            try Safetensors.read(path: f + "/out/checkpoint.safetensors").tensors.mapValues { $0.scalars.map(\.bitPattern) }
        }
        let reference = try tensors(one)
        #expect(reference.count >= 5)
        for n in [2, 3] {
            let many = folder()
            let text = try MPIRun.run(train + ["--epochs", "2"], processes: n, in: many)
            #expect(text.contains("\(n) processes share every batch"))
            #expect(try metrics(many + "/out/metrics.csv") == (try metrics(one + "/out/metrics.csv")), "-np \(n) metrics")
            #expect(try tensors(many) == reference, "-np \(n) weights and optimizer state")
        }
        let resumed = folder()
        try MPIRun.run(train + ["--epochs", "1"], processes: 3, in: resumed)
        try MPIRun.run(train + ["--epochs", "2", "--resume"], processes: 2, in: resumed)
        #expect(try metrics(resumed + "/out/metrics.csv") == (try metrics(one + "/out/metrics.csv")))
        #expect(try tensors(resumed) == reference)
    }

    /// Spike-train matching (the stochastic network's batch is its 4 trials of one stimulus): every file but the
    /// timed summary byte for byte, checkpoints included.
    @Test func matchGivesTheSameFilesForTwoAndThreeProcesses() throws {
        let one = folder()
        try MPIRun.run(Self.match, processes: nil, in: one)
        let files = try FileManager.default.contentsOfDirectory(atPath: one + "/out").filter { $0 != "summary.txt" }.sorted()
        #expect(files.contains("checkpoint-stoch.safetensors") && files.contains("metrics-det.csv"))
        for n in [2, 3] {
            let many = folder()
            try MPIRun.run(Self.match, processes: n, in: many)
            #expect(try FileManager.default.contentsOfDirectory(atPath: many + "/out").filter { $0 != "summary.txt" }.sorted() == files)
            for f in files {
                #expect(FileManager.default.contents(atPath: many + "/out/" + f) == FileManager.default.contents(atPath: one + "/out/" + f),
                        "-np \(n): \(f)")
            }
        }
    }

    /// A sweep of 2 seeds × 2 widths on 2 processes: every run once, the runs' results those of the same run alone,
    /// one table; run again after a lost run, it runs only that one.
    @Test func sweepRunsEachPointOnceAndResumes() throws {
        let dir = folder()
        let config = """
            {"command": "classify", "seeds": [1, 2], "grid": {"--hidden": [8, 12]}, "output": "sweep",
             "arguments": ["--samples-per-class", "20", "--epochs", "1", "--variant", "det", "--threads", "1"]}
            """
        try config.write(toFile: dir + "/sweep.json", atomically: true, encoding: .utf8)
        let text = try MPIRun.run(["sweep", "sweep.json"], processes: 2, in: dir)
        #expect(text.components(separatedBy: " done in ").count - 1 == 4, "\(text)")
        let table = try String(contentsOfFile: dir + "/sweep/summary.csv", encoding: .utf8).split(separator: "\n")
        #expect(table.count == 5)
        #expect(table[0].hasPrefix("run,hidden,seed,state,variant,epoch,train_loss"))
        #expect(table.dropFirst().allSatisfy { $0.contains(",done,det,1,") })
        #expect(FileManager.default.fileExists(atPath: dir + "/sweep/summary.md"))
        // One run alone gives the sweep's run.
        let alone = folder()
        try MPIRun.run(["classify", "--samples-per-class", "20", "--epochs", "1", "--variant", "det", "--threads", "1",
                        "--hidden", "12", "--seed", "2", "--output", "out"], processes: nil, in: alone)
        #expect(try metrics(dir + "/sweep/hidden-12_seed-2/metrics-det.csv") == (try metrics(alone + "/out/metrics-det.csv")))
        // A lost run is run again, the others are kept.
        try FileManager.default.removeItem(atPath: dir + "/sweep/hidden-8_seed-2/summary.txt")
        let again = try MPIRun.run(["sweep", "sweep.json"], processes: 2, in: dir)
        #expect(again.contains("3 done, 1 to run"))
        #expect(again.components(separatedBy: " done in ").count - 1 == 1)
        #expect(again.contains("hidden-8_seed-2 done in"))
    }
}
