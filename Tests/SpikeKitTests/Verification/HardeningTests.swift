import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitExperiments
import SpikeKit

/// The cases of the hardening issue at the library level: overflowing sizes, files that are not files, failed
/// writes and their temporary files, dropped spikes that are counted, options that do not fit a Float.
@Suite struct HardeningTests {
    func expectOneLine(_ error: Error, mentioning fragments: [String]) {
        let text = "\(error)"
        #expect(!text.contains("\n"), "error spans lines: \(text)")
        for f in fragments { #expect(text.contains(f), "'\(text)' does not mention '\(f)'") }
    }

    /// A `.npy` file with the given header text and `body` bytes.
    func npy(header: String, body: [UInt8] = []) -> Data {
        var h = header
        h += String(repeating: " ", count: (64 - (10 + h.utf8.count + 1) % 64) % 64) + "\n"
        var d = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(h.utf8.count & 0xff), UInt8(h.utf8.count >> 8)])
        d.append(contentsOf: Array(h.utf8))
        d.append(contentsOf: body)
        return d
    }

    @Test func npyShapeWhoseByteCountOverflowsIsAnError() throws {
        // 2^61 elements: the count fits an Int, count × 8 bytes does not (it used to trap in the error message).
        let data = npy(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }")
        #expect(throws: SpikeKitError.self) { try NpyArray.decode(data, path: "big.npy") }
        do { _ = try NpyArray.decode(data, path: "big.npy") } catch {
            expectOneLine(error, mentioning: ["big.npy", "too large"])
        }
        // A product of dimensions that overflows, and a truncated body that reports the right byte count.
        let wide = npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }")
        do { _ = try NpyArray.decode(wide, path: "wide.npy"); Issue.record("accepted") } catch {
            expectOneLine(error, mentioning: ["wide.npy", "too large"])
        }
        let short = npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", body: [0, 0, 0, 0])
        do { _ = try NpyArray.decode(short, path: "short.npy"); Issue.record("accepted") } catch {
            expectOneLine(error, mentioning: ["short.npy", "needs 24 bytes", "file has 4"])
        }
    }

    @Test func connectionSizesThatOverflowAreRejectedBeforeTheUncheckedKernels() throws {
        let huge = Int.max / 2
        let cases: [ConnectionGeometry] = [
            .conv(input: ActivityShape(channels: 1, positions: 10), outChannels: 2, kernel: 3, stride: 1, padding: huge),
            .conv(input: ActivityShape(channels: 1, positions: huge), outChannels: 2, kernel: 3, stride: 1, padding: 1),
            .conv(input: ActivityShape(channels: 1 << 20, positions: 1 << 20), outChannels: 2, kernel: 3, stride: 1, padding: 0),
            .conv(input: ActivityShape(channels: 4, positions: 100), outChannels: 1 << 40, kernel: 3, stride: 1, padding: 0),
            .dense(input: ActivityShape(units: 1 << 16), outputs: 1 << 16),
            .dense(input: ActivityShape(units: huge), outputs: huge),
        ]
        for g in cases {
            #expect(throws: SpikeKitError.self) { try g.validate(context: "layer 0") }
        }
        // What fits still passes, and the limit itself is exact.
        try ConnectionGeometry.dense(input: ActivityShape(units: 1 << 15), outputs: 1 << 15).validate(context: "ok")
        try ConnectionGeometry.conv(input: ActivityShape(channels: 2, positions: 50), outChannels: 3, kernel: 5, stride: 2, padding: 2)
            .validate(context: "ok")
    }

    @Test func modelFileWithAbsurdSizesIsAnError() throws {
        let json = """
            {"dt": 0.001, "input": {"shape": [1, 10]}, "layers": [{"kind": "conv-lif", "channels": 2, "kernel": 3,
             "padding": 4611686018427387903, "tau_mem": 0.01, "tau_syn": 0.005,
             "spike": {"escape": {"kind": "step"}, "surrogate": {"kind": "superspike", "beta": 10}}}]}
            """
        let d = try JSONDecoder().decode(NetworkDescription.self, from: Data(json.utf8))
        do { _ = try NetworkArchitecture(d); Issue.record("accepted") } catch {
            expectOneLine(error, mentioning: ["layer 0", "padding"])
        }
    }

    @Test func readingAFolderOrADeviceGivesAClearError() throws {
        let dir = TestPaths.temporaryFolder()
        for (path, fragment) in [(dir, "is a folder, not a file"), ("/dev/null", "is not a regular file"),
                                 (dir + "/absent.npy", "no such file")] {
            do { _ = try AtomicFile.read(path); Issue.record("read \(path)") } catch {
                expectOneLine(error, mentioning: [path, fragment])
            }
        }
        do { _ = try HDF5File(path: dir); Issue.record("opened a folder") } catch {
            expectOneLine(error, mentioning: [dir, "is a folder, not a file"])
            #expect(!"\(error)".contains("NSCocoaErrorDomain"))
        }
        do { _ = try GrayImage.load(path: "/dev/null"); Issue.record("decoded /dev/null") } catch {
            expectOneLine(error, mentioning: ["/dev/null", "not a regular file"])
        }
    }

    @Test func anHDF5FileCutShortOfItsSuperblocksEndIsReportedAsTruncated() throws {
        for name in ["default.h5", "latest.h5", "userblock.h5"] {
            let bytes = [UInt8](try AtomicFile.read(TestPaths.root + "/Tests/SpikeKitTests/Fixtures/hdf5/" + name))
            _ = try HDF5File(bytes: bytes, name: name)
            // Cut in the last part of the file, where optional datasets used to read as absent.
            for cut in [1, 17, bytes.count / 10] {
                do { _ = try HDF5File(bytes: Array(bytes.dropLast(cut)), name: name); Issue.record("\(name) cut by \(cut) opened") } catch {
                    expectOneLine(error, mentioning: [name, "truncated", "cut off"])
                }
            }
        }
    }

    /// The inputs the fuzzers found (`Fixtures/fuzz/<harness>/`, see docs/Reliability.md) go through the same reader
    /// calls as their harness and must end, quickly, with a value or an error.
    @Test func fuzzFindingsAreHandled() throws {
        let root = TestPaths.root + "/Tests/SpikeKitTests/Fixtures/fuzz"
        var replayed = 0
        for path in (try? FileManager.default.contentsOfDirectory(atPath: root + "/hdf5")) ?? [] {
            let bytes = [UInt8](try AtomicFile.read(root + "/hdf5/" + path))
            let t0 = Date()
            if let file = try? HDF5File(bytes: bytes, name: path) {
                // The group-cycle input: a group that holds itself; every level lists the same members.
                var paths = ["/"], visited = 0
                while let p = paths.popLast(), visited < 256 {
                    visited += 1
                    for m in (try? file.groupMembers(at: p)) ?? [] { paths.append(p == "/" ? "/" + m : p + "/" + m) }
                    _ = try? file.dataset(at: p).readVLenFloats()
                }
                _ = try? SHDDataset(file: file)
            }
            #expect(Date().timeIntervalSince(t0) < 10, "\(path) took \(Date().timeIntervalSince(t0)) s")
            replayed += 1
        }
        #expect(replayed >= 1)
    }

    @Test func writingUnderAFileGivesAClearError() throws {
        let dir = TestPaths.temporaryFolder()
        try AtomicFile.write("x", to: dir + "/file")
        do { try AtomicFile.write("y", to: dir + "/file/sub/out.txt"); Issue.record("wrote under a file") } catch {
            expectOneLine(error, mentioning: ["file", "not a folder"])
            #expect(!"\(error)".contains("NSCocoaErrorDomain"))
        }
        do { try AtomicFile.createFolder(dir + "/file"); Issue.record("made a folder over a file") } catch {
            expectOneLine(error, mentioning: [dir + "/file", "is a file, not a folder"])
        }
    }

    /// The names of temporary files in `dir`.
    func temporaries(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp-") }
    }

    @Test func aFailedWriteRemovesItsTemporaryFile() throws {
        let dir = TestPaths.temporaryFolder()
        // The destination is a non-empty folder: the rename fails after the bytes were written.
        try AtomicFile.write("inner", to: dir + "/out.bin/inner.txt")
        do { try AtomicFile.write(Data(repeating: 7, count: 1 << 16), to: dir + "/out.bin"); Issue.record("replaced a folder") } catch {
            expectOneLine(error, mentioning: ["out.bin", "cannot replace file"])
        }
        #expect(try temporaries(dir).isEmpty)
        #expect(try String(contentsOfFile: dir + "/out.bin/inner.txt", encoding: .utf8) == "inner")
    }

    @Test func staleTemporaryFilesOfDeadProcessesAreRemovedByTheNextWrite() throws {
        let dir = TestPaths.temporaryFolder()
        // A process id that is not running: a child that has exited and been reaped.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let dead = child.processIdentifier
        let mine = getpid()
        for name in [".checkpoint-det.safetensors.tmp-\(dead)", ".metrics.csv.tmp-\(dead)", ".metrics-det.csv.tmp-\(mine)",
                     ".other.tmp-1", "keep.tmp-\(dead)"] {
            try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir + "/" + name))
        }
        try AtomicFile.write("done", to: dir + "/summary.txt")
        let left = try temporaries(dir).sorted()
        // pid 1 (init) is running; names not starting with "." are not SpikeKit's; this process's own is kept.
        #expect(left == [".metrics-det.csv.tmp-\(mine)", ".other.tmp-1", "keep.tmp-\(dead)"].sorted())
        #expect(try String(contentsOfFile: dir + "/summary.txt", encoding: .utf8) == "done")
    }

    @Test func droppedSpikesAreCountedByReason() throws {
        let d = try SHDDataset(times: [[-0.5, 0.001, 0.003, .nan, 0.9], [0.002, -1e-3]], units: [[0, 1, 5, 2, 3], [1, 0]],
                               labels: [0, 1], classNames: ["a", "b"])
        let raster = SHDRasterOptions(dt: 1e-3, duration: 0.01, channels: 4)
        let s = d.summary(options: raster)
        #expect(s.negativeTimes == 2)
        #expect(s.timesAfterWindow == 1)
        #expect(s.nonFiniteTimes == 1)
        #expect(s.unitsOutOfRange == 1)
        #expect(s.spikesInWindow == 2)
        let c = try ClassificationData(shd: d, options: raster)
        #expect(c.dropped.negativeTime == 2)
        #expect(c.dropped.afterWindow == 1)
        #expect(c.dropped.nonFiniteTime == 1)
        #expect(c.dropped.unitOutOfRange == 1)
        #expect(c.dropped.total == 5)
        #expect(c.samples[0].indices.count + c.samples[1].indices.count == 2)
    }

    @Test func optionsThatOverflowAFloatAreRejected() throws {
        var m = SpikeTrainMatching.Configuration()
        m.learningRate = 1e39
        do { try m.validate(); Issue.record("accepted lr 1e39") } catch { expectOneLine(error, mentioning: ["learning rate", "1e+39"]) }
        m.learningRate = 40
        m.hiddenLearningRate = -1
        #expect(throws: SpikeKitError.self) { try m.validate() }
        var c = ClassificationExperiment.Configuration()
        c.learningRate = 1e39
        do { try c.validate(); Issue.record("accepted lr 1e39") } catch { expectOneLine(error, mentioning: ["learning rate", "1e+39"]) }
        c.learningRate = 0.01
        c.beta = 1e300
        #expect(throws: SpikeKitError.self) { try c.validate() }
    }

    @Test func timedCheckpointsDoNotChangeTheResult() throws {
        var c = SpikeTrainMatching.Configuration()
        c.inputs = 20
        c.hidden = 20
        c.seed = 4
        let target = try SpikeRasterTarget.builtIn(neurons: 8, steps: 30)
        let exp = try SpikeTrainMatching(configuration: c, stochastic: false, target: target.spikes, neurons: 8, steps: 30)
        let sim = Simulator(architecture: exp.architecture, threads: 1)
        var plain = try exp.initialState()
        try exp.train(&plain, until: 4, simulator: sim)
        let path = TestPaths.temporaryFolder() + "/ck.safetensors"
        var timed = try exp.initialState()
        // A tiny interval: a checkpoint after every epoch.
        try exp.train(&timed, until: 4, simulator: sim, checkpointEvery: 1000, checkpointSeconds: 1e-9, checkpointPath: path)
        #expect(timed.parameters == plain.parameters)
        #expect(try exp.resume(from: path).epoch == 4)
        #expect(throws: SpikeKitError.self) {
            try exp.train(&timed, until: 5, simulator: sim, checkpointSeconds: 0, checkpointPath: path)
        }
    }
}
