import Foundation
import Testing
@testable import spikekit
@testable import SpikeKitFormats
@testable import SpikeKitEngine
import SpikeKit

/// `spikekit data encode`: the CLI's spikes are the library encoders' (`SpikeEncoder`), an `.h5` output bins back
/// to the same raster, the seed decides the Poisson spikes and is saved, and bad input is a one-line error.
@Suite(.serialized) struct DataEncodeCommandTests: CommandRunning {
    /// Static values [5, 2, 3] (6 features per sample) in [0, 1] and labels [5].
    func files() throws -> (folder: String, values: [Float]) {
        let f = TestPaths.temporaryFolder()
        let v = (0 ..< 30).map { Float($0 % 6) / 5 }
        try NpyArray(shape: [5, 2, 3], elements: .float32(v)).write(path: f + "/x.npy")
        try NpyArray(shape: [5], elements: .int64([0, 1, 2, 1, 0])).write(path: f + "/y.npy")
        return (f, v)
    }

    @Test func poissonMatchesTheLibraryAndBinsBack() throws {
        let (f, v) = try files()
        #expect(run(["data", "encode", f + "/x.npy", "--encoder", "poisson", "--steps", "50", "--dt", "0.001",
                     "--max-rate", "400", "--seed", "9", "-o", f + "/p.npy"]).status == 0)
        let raster = try NpyArray.read(path: f + "/p.npy")
        #expect(raster.shape == [5, 50, 6])
        let library = try (0 ..< 5).map {
            try SpikeEncoder.poisson(Array(v[$0 * 6 ..< ($0 + 1) * 6]), steps: 50, maxRate: 400, dt: 0.001, seed: 9, sample: $0).raster
        }
        #expect(raster.floats == library.flatMap { $0 })
        // A value of 0 never fires; a value of 1 fires with p = 0.4 per step.
        let ones = (0 ..< 5).flatMap { i in (0 ..< 50).map { n in raster.floats[(i * 50 + n) * 6 + 5] } }
        #expect((0 ..< 5).allSatisfy { i in (0 ..< 50).allSatisfy { n in raster.floats[(i * 50 + n) * 6] == 0 } })
        let rate = Double(ones.reduce(0, +)) / Double(ones.count)
        #expect(abs(rate - 0.4) < 4 * (0.4 * 0.6 / Double(ones.count)).squareRoot(), "rate \(rate)")

        #expect(run(["data", "encode", f + "/x.npy", "--encoder", "poisson", "--steps", "50", "--dt", "0.001",
                     "--max-rate", "400", "--seed", "9", "--labels", f + "/y.npy", "-o", f + "/p.h5"]).status == 0)
        let shd = try SHDDataset(path: f + "/p.h5")
        #expect(shd.labels == [0, 1, 2, 1, 0] && shd.classNames == ["class 0", "class 1", "class 2"])
        let binned = try SHDLayoutDataset.bin(shd, options: SHDRasterOptions(dt: 0.001, duration: 0.05, channels: 6))
        #expect((0 ..< 5).allSatisfy { binned.input($0).raster == library[$0] })
        let record = try String(contentsOfFile: f + "/p.h5.encoding.json", encoding: .utf8)
        #expect(record.contains("\"seed\" : 9") && record.contains("\"encoder\" : \"poisson\""))
        // Another seed, other spikes.
        #expect(run(["data", "encode", f + "/x.npy", "--encoder", "poisson", "--steps", "50", "--dt", "0.001",
                     "--max-rate", "400", "--seed", "10", "-o", f + "/q.npy"]).status == 0)
        #expect(try NpyArray.read(path: f + "/q.npy").floats != raster.floats)
    }

    @Test func latencyAndDeltaMatchTheLibrary() throws {
        let (f, v) = try files()
        #expect(run(["data", "encode", f + "/x.npy", "--encoder", "latency", "--steps", "20", "--latency-mode", "linear",
                     "--threshold", "0.1", "-o", f + "/l.npy"]).status == 0)
        let l = try NpyArray.read(path: f + "/l.npy").floats
        let lib = try SpikeEncoder.latency(Array(v[0 ..< 6]), steps: 20, mode: .linear, threshold: 0.1).raster
        #expect(Array(l[0 ..< 120]) == lib)
        #expect(l[0 * 6 + 5] == 1)  // x = 1 fires at step 0
        // delta: a ramp on unit 0 rising 0.25 per step fires every 2nd step at threshold 0.5.
        var series = [Float](repeating: 0, count: 32)
        for i in stride(from: 0, to: 32, by: 2) { series[i] = Float((i / 2) % 8) / 4 }
        try NpyArray(shape: [2, 8, 2], elements: .float32(series)).write(path: f + "/s.npy")
        #expect(run(["data", "encode", f + "/s.npy", "--encoder", "delta", "--threshold", "0.5", "-o", f + "/d.npy"]).status == 0)
        let d = try NpyArray.read(path: f + "/d.npy")
        #expect(d.shape == [2, 8, 2])
        #expect(Array(d.floats[0 ..< 16]) == (try SpikeEncoder.delta(Array(series[0 ..< 16]), steps: 8, units: 2, threshold: 0.5).raster))
        #expect((0 ..< 8).map { d.floats[$0 * 2] } == [0, 0, 1, 0, 1, 0, 1, 0])
    }

    @Test func badInputIsAOneLineError() throws {
        let (f, v) = try files()
        func fails(_ a: [String], _ m: [String]) { expectOneLineFailure(["data", "encode"] + a, mentioning: m, sourceLocation: #_sourceLocation) }
        fails([f + "/x.npy", "--encoder", "rate", "--steps", "5", "-o", f + "/o.npy"], ["--encoder", "rate"])
        fails([f + "/x.npy", "--encoder", "poisson", "-o", f + "/o.npy"], ["--steps"])
        fails([f + "/x.npy", "--encoder", "poisson", "--steps", "5", "-o", f + "/o.txt"], [".h5", ".npy"])
        fails([f + "/x.npy", "--encoder", "poisson", "--steps", "5", "-o", f + "/o.h5"], ["--labels"])
        try NpyArray(shape: [5, 6], elements: .float32(v)).write(path: f + "/flat.npy")
        fails([f + "/flat.npy", "--encoder", "delta", "-o", f + "/o.npy"], ["flat.npy", "[samples, steps, units]"])
        fails([f + "/missing.npy", "--encoder", "poisson", "--steps", "5", "-o", f + "/o.npy"], ["missing.npy"])
        try NpyArray(shape: [4], elements: .int64([0, 1, 0, 1])).write(path: f + "/short.npy")
        fails([f + "/x.npy", "--encoder", "poisson", "--steps", "5", "--labels", f + "/short.npy", "-o", f + "/o.h5"], ["short.npy", "[5]"])
        // 5000 steps of 1 ms: the float16 times of the SHD layout cannot tell the late steps apart.
        fails([f + "/x.npy", "--encoder", "latency", "--steps", "5000", "--labels", f + "/y.npy", "-o", f + "/o.h5"], ["float16", ".npy"])
        var nan = v
        nan[13] = .nan
        try NpyArray(shape: [5, 6], elements: .float32(nan)).write(path: f + "/nan.npy")
        fails([f + "/nan.npy", "--encoder", "poisson", "--steps", "5", "-o", f + "/o.npy"], ["nan.npy", "sample 2", "NaN"])
        #expect(!FileManager.default.fileExists(atPath: f + "/o.npy") && !FileManager.default.fileExists(atPath: f + "/o.h5"))
    }
}
