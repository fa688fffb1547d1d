import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

@Suite struct SHDDatasetTests {
    static func tempPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("spikekit-shd-\(ProcessInfo.processInfo.processIdentifier)-\(name)").path
    }

    @Test(arguments: ["default.h5", "default.h5.gz", "chunked.h5", "latest.h5", "vlen-strings.h5", "labels-i8.h5", "empty-sample.h5"])
    func loadsEveryVariant(_ name: String) throws {
        let golden = try SHDGolden.load(HDF5Fixtures.path(name.replacingOccurrences(of: ".gz", with: "") + ".json"))
        let d = try SHDDataset(path: HDF5Fixtures.path(name))
        #expect(d.count == golden.n)
        #expect(d.times.map { $0.map(\.bitPattern) } == golden.times.map { $0.map(\.bitPattern) })
        #expect(d.units.map { $0.map(Int64.init) } == golden.units)
        #expect(d.labels.map(Int64.init) == golden.labels)
        #expect(d.speakers?.map(Int64.init) == golden.speaker)
        #expect(d.classNames == golden.keys)
        #expect(d.metaInfo == SHDMetaInfo(gender: golden.gender, age: golden.age.map { Int($0) },
                                          bodyHeight: golden.body_height.map { Int($0) }))
    }

    @Test func writeThenReadIsIdentical() throws {
        let original = try SHDDataset(path: HDF5Fixtures.path("empty-sample.h5"))
        let path = Self.tempPath("roundtrip.h5")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try SHDFile.write(original, to: path)
        let file = try HDF5File(path: path)
        #expect(file.superblockVersion == 0)
        let back = try SHDDataset(file: file)
        #expect(back.times.map { $0.map(\.bitPattern) } == original.times.map { $0.map(\.bitPattern) })
        #expect(back.units == original.units)
        #expect(back.labels == original.labels)
        #expect(back.speakers == original.speakers)
        #expect(back.classNames == original.classNames)
        #expect(back.metaInfo == original.metaInfo)
        // The golden checker reads it as the generator's files are read.
        let golden = try SHDGolden.load(HDF5Fixtures.path("empty-sample.h5.json"))
        try HDF5ReaderTests.checkAgainstGolden(file, golden)
    }

    @Test func writerSplitsLargeDataIntoSeveralHeapCollections() throws {
        // 3 x 200_000 spikes: more than one 1 MiB collection, and a group with more than 8 members is not needed.
        var rng = PhiloxGenerator(seed: 3)
        let times = (0 ..< 3).map { _ in (0 ..< 200_000).map { _ in Float(Float16(Float(rng.uniform() * 1.4))) }.sorted() }
        let units = times.map { $0.map { _ in UInt16(rng.next() % 700) } }
        let d = try SHDDataset(times: times, units: units, labels: [0, 1, 2], classNames: ["a", "b", "c"])
        let back = try SHDDataset(file: try HDF5File(bytes: try SHDFile.encode(d), name: "big.h5"))
        #expect(back.times == times && back.units == units && back.speakers == nil && back.metaInfo == nil)
    }

    @Test func rasterBinsAndDrops() throws {
        let times: [Float] = [0, 0.0019, 0.002, 0.004, 0.004, 0.5, 0.6999, Float(Float16(0.7)), 1.2, -0.001, .nan, .infinity, 0.01]
        let units: [UInt16] = [0, 1, 1, 2, 2, 3, 699, 5, 6, 7, 8, 9, 700]
        let d = try SHDDataset(times: [times], units: [units], labels: [0], classNames: ["x"])
        let r = try d.raster(sample: 0)
        #expect(r.tensor.shape == [350, 700])
        let x = r.tensor.scalars
        #expect(x[0 * 700 + 0] == 1 && x[0 * 700 + 1] == 1)  // 0 and 1.9 ms: bin 0
        #expect(x[1 * 700 + 1] == 1)                          // 2 ms starts bin 1
        #expect(x[2 * 700 + 2] == 1)                          // two spikes in one bin: still 1
        #expect(x[250 * 700 + 3] == 1)                        // 0.5 s is exactly bin 250
        #expect(x[349 * 700 + 699] == 1)                      // last bin
        #expect(x.reduce(0, +) == 6)
        #expect(r.spikesInWindow == 7)
        #expect(r.droppedOutsideWindow == 3)                  // 0.7002 (float16 of 0.7), 1.2, -0.001
        #expect(r.droppedNonFinite == 2)
        #expect(r.droppedBadUnit == 1)
        #expect(r.dropped == 6)
        let s = d.summary()
        #expect(s.spikes == 13 && s.spikesInWindow == 7 && s.nonFiniteTimes == 2 && s.unitsOutOfRange == 1)
    }

    @Test func rasterBatchStacksSamples() throws {
        let d = try SHDDataset(path: HDF5Fixtures.path("default.h5"))
        let batch = try d.rasterBatch(samples: [3, 0, 3])
        #expect(batch.tensor.shape == [3, 350, 700])
        let size = 350 * 700
        let r0 = try d.raster(sample: 0), r3 = try d.raster(sample: 3)
        #expect(Array(batch.tensor.scalars[0 ..< size]) == r3.tensor.scalars)
        #expect(Array(batch.tensor.scalars[size ..< 2 * size]) == r0.tensor.scalars)
        #expect(Array(batch.tensor.scalars[2 * size ..< 3 * size]) == r3.tensor.scalars)
        #expect(batch.spikesInWindow == 2 * r3.spikesInWindow + r0.spikesInWindow)
        #expect(batch.droppedOutsideWindow == 2 * r3.droppedOutsideWindow + r0.droppedOutsideWindow)
        #expect(throws: SpikeKitError.self) { try d.rasterBatch(samples: [0, 99]) }
    }

    @Test func binEdgesAreRobust() {
        let o = SHDRasterOptions()
        #expect(o.steps == 350)
        // Every float16 time in [0, 0.7) lands in floor(exact t / 2 ms), computed in integer arithmetic on the
        // float16 value m * 2^e: bin = floor(t * 500).
        var checked = 0
        for bits in UInt16(0) ..< 0x7C00 {
            let t = Double(Float16(bitPattern: bits))
            guard t < 0.7 else { continue }
            // t * 500 exactly: t is a dyadic rational, t * 500 = t * 2^2 * 125, representable exactly in Double.
            let exact = (t * 4 * 125).rounded(.down)
            #expect(o.bin(t) == Int(exact), "t = \(t)")
            checked += 1
        }
        #expect(checked > 14_000)
        #expect(o.bin(0.7) == nil && o.bin(-1e-9) == nil && o.bin(.nan) == nil)
        #expect(SHDRasterOptions(dt: 1e-3, duration: 1.4).steps == 1400)
        #expect(SHDRasterOptions(dt: 3e-3, duration: 0.7).steps == 234)
    }

    @Test func storkBinningReproducesItsFloat16Truncation() {
        let stork = SHDRasterOptions(binning: .stork)
        #expect(stork.steps == 349)
        #expect(stork.bin(0.01399993896484375) == 7)
        #expect(SHDRasterOptions().bin(0.01399993896484375) == 6)
        // Over every float16 value in [0, 1.4): 350 land one bin above floor(t * 500) (HDF5-NOTES.md §5).
        let wide = SHDRasterOptions(duration: 1.4, binning: .stork)
        var higher = 0, other = 0
        for bits in UInt16(0) ..< 0x7C00 {
            let t = Double(Float16(bitPattern: bits))
            guard t < 1.4 else { continue }
            let exact = Int((t * 500).rounded(.down))
            guard let b = wide.bin(t) else { continue }
            if b == exact + 1 { higher += 1 } else if b != exact { other += 1 }
        }
        #expect(higher == 350 && other == 0)
    }

    @Test func rasterOptionsAndErrors() throws {
        let d = try SHDDataset(times: [[0.05, 0.3]], units: [[3, 4]], labels: [1], classNames: ["a", "b"])
        let r = try d.raster(sample: 0, options: SHDRasterOptions(dt: 0.1, duration: 0.2, channels: 5))
        #expect(r.tensor.shape == [2, 5] && r.tensor.scalars == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0])
        #expect(r.droppedOutsideWindow == 1)
        #expect(throws: SpikeKitError.self) { try d.raster(sample: 1) }
        #expect(throws: SpikeKitError.self) { try d.raster(sample: 0, options: SHDRasterOptions(dt: 0)) }
        #expect(throws: SpikeKitError.self) { try d.raster(sample: 0, options: SHDRasterOptions(dt: .nan)) }
        #expect(throws: SpikeKitError.self) {
            try SHDDataset(times: [[0.1, 0.2]], units: [[1]], labels: [0], classNames: [])
        }
        #expect(throws: SpikeKitError.self) {
            try SHDDataset(times: [[0.1]], units: [[1]], labels: [0, 1], classNames: [])
        }
    }

    @Test func validationSplitIsSeededAndSized() throws {
        let a = try SHDDataset.validationSplit(count: 8156, seed: 7)
        #expect(a.training.count == 7340 && a.validation.count == 816)
        #expect(Set(a.training).isDisjoint(with: a.validation))
        #expect(Set(a.training + a.validation) == Set(0 ..< 8156))
        let b = try SHDDataset.validationSplit(count: 8156, seed: 7)
        #expect(a.training == b.training && a.validation == b.validation)
        let c = try SHDDataset.validationSplit(count: 8156, seed: 8)
        #expect(c.validation != a.validation)
        #expect(try SHDDataset.validationSplit(count: 10, seed: 1).validation.count == 1)
        #expect(try SHDDataset.validationSplit(count: 0, seed: 1).training.isEmpty)
        #expect(throws: SpikeKitError.self) { try SHDDataset.validationSplit(count: 10, seed: 1, fraction: 1.5) }
    }

    @Test func summaryCountsLabels() throws {
        let golden = try SHDGolden.load(HDF5Fixtures.path("default.h5.json"))
        let s = try SHDDataset(path: HDF5Fixtures.path("default.h5")).summary()
        #expect(s.samples == golden.n)
        #expect(s.spikes == golden.units.map(\.count).reduce(0, +))
        let inWindow = golden.times.flatMap { $0 }.filter { $0 >= 0 && $0 < 0.7 }.count
        #expect(s.spikesInWindow == inWindow)
        var counts = [Int](repeating: 0, count: 20)
        for l in golden.labels { counts[Int(l)] += 1 }
        #expect(s.labelCounts == counts)
        #expect(s.classNames == golden.keys)
        let json = String(decoding: try JSONEncoder().encode(s), as: UTF8.self)
        for key in ["\"samples\"", "\"spikes\"", "\"spikes_in_window\"", "\"label_counts\"", "\"keys\""] {
            #expect(json.contains(key))
        }
    }

    /// Files whose values are wrong: a sample with more times than units must throw a clear error; NaN times and
    /// units beyond 700 are kept, counted and dropped from rasters.
    @Test func badValuesInFiles() throws {
        func file(times: [[Float]], units: [[UInt16]], labels: [UInt16]) throws -> [UInt8] {
            func vlen<T>(_ v: [[T]], _ bits: (T) -> UInt16) -> HDF5Writer.Payload {
                .variable(v.map { s in (s.count, s.flatMap { x in [UInt8(bits(x) & 0xFF), UInt8(bits(x) >> 8)] }) })
            }
            let f16 = HDF5Datatype.floatingPoint(size: 2, bigEndian: false)
            let u16 = HDF5Datatype.fixedPoint(size: 2, signed: false, bigEndian: false)
            return try HDF5Writer.serialize([
                "spikes": .group([
                    "times": .dataset(.init(datatype: .variableSequence(base: f16), payload: vlen(times) { Float16($0).bitPattern })),
                    "units": .dataset(.init(datatype: .variableSequence(base: u16), payload: vlen(units) { $0 })),
                ]),
                "labels": .dataset(.init(datatype: u16, payload: .fixed(count: labels.count, bytes: labels.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }))),
            ])
        }
        let mismatched = try file(times: [[0.1, 0.2], [0.3]], units: [[1, 2], [3, 4]], labels: [0, 1])
        do {
            _ = try SHDDataset(file: try HDF5File(bytes: mismatched, name: "bad.h5"))
            Issue.record("expected a mismatch error")
        } catch let e as SpikeKitError {
            #expect(e.description.hasPrefix("bad.h5: ") && e.description.contains("sample 1"), "\(e)")
        }
        let fewerLabels = try file(times: [[0.1]], units: [[1]], labels: [0, 1])
        #expect(throws: SpikeKitError.self) { try SHDDataset(file: try HDF5File(bytes: fewerLabels, name: "bad.h5")) }

        let odd = try file(times: [[.nan, 0.1, .infinity, 0.2, -0.5]], units: [[1, 2, 3, 900, 4]], labels: [0])
        let d = try SHDDataset(file: try HDF5File(bytes: odd, name: "odd.h5"))
        #expect(d.classNames.isEmpty && d.speakers == nil)
        let s = d.summary()
        #expect(s.spikes == 5 && s.spikesInWindow == 1 && s.nonFiniteTimes == 2 && s.unitsOutOfRange == 1)
        let r = try d.raster(sample: 0)
        #expect(r.spikesInWindow == 1 && r.droppedNonFinite == 2 && r.droppedBadUnit == 1 && r.droppedOutsideWindow == 1)
    }

    @Test func malformedFilesThrow() throws {
        // A file without /spikes/units.
        let path = HDF5Fixtures.path("filters.h5")
        #expect(throws: HDF5Error.self) { try SHDDataset(path: path) }
    }
}
