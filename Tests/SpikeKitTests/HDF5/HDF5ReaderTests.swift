import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

@Suite struct HDF5ReaderTests {
    /// Reads every field of a SHD-like file and compares it with the generator's JSON, bit for bit.
    static func checkAgainstGolden(_ file: HDF5File, _ golden: SHDGolden) throws {
        #expect(try file.groupMembers(at: "/") == ["extra", "labels", "spikes"])
        #expect(try file.groupMembers(at: "/extra") == ["keys", "meta_info", "speaker"])
        let times = try file.dataset(at: "/spikes/times")
        #expect(times.shape == [golden.n])
        let expectedBase: HDF5Datatype = golden.times_dtype == "f2"
            ? .floatingPoint(size: 2, bigEndian: false) : .floatingPoint(size: 4, bigEndian: false)
        #expect(times.datatype == .variableSequence(base: expectedBase))
        let t = try times.readVLenFloats()
        let expected = golden.times
        #expect(t.count == expected.count)
        for (a, b) in zip(t, expected) {
            #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
        }
        #expect(try file.dataset(at: "/spikes/units").readVLenIntegers() == golden.units)
        #expect(try file.dataset(at: "spikes/units").readVLenUInt16().map { $0.map(Int64.init) } == golden.units)
        #expect(try file.dataset(at: "/labels").readIntegers() == golden.labels)
        #expect(try file.dataset(at: "/extra/speaker").readIntegers() == golden.speaker)
        #expect(try file.dataset(at: "/extra/keys").readStrings() == golden.keys)
        #expect(try file.dataset(at: "/extra/meta_info/gender").readStrings() == golden.gender)
        #expect(try file.dataset(at: "/extra/meta_info/age").readIntegers() == golden.age)
        #expect(try file.dataset(at: "/extra/meta_info/body_height").readFloats() == golden.body_height.map(Double.init))
    }

    @Test(arguments: HDF5Fixtures.variants)
    func variantMatchesGolden(_ name: String) throws {
        let golden = try SHDGolden.load(HDF5Fixtures.path(name.replacingOccurrences(of: ".gz", with: "") + ".json"))
        let file = try HDF5File(path: HDF5Fixtures.path(name))
        try Self.checkAgainstGolden(file, golden)
    }

    @Test func variantsUseTheExpectedStructures() throws {
        #expect(try HDF5File(path: HDF5Fixtures.path("default.h5")).superblockVersion == 0)
        #expect(try HDF5File(path: HDF5Fixtures.path("latest.h5")).superblockVersion >= 2)
        let labels = try HDF5File(path: HDF5Fixtures.path("labels-u1.h5")).dataset(at: "/labels")
        #expect(labels.datatype == .fixedPoint(size: 1, signed: false, bigEndian: false))
        let i8 = try HDF5File(path: HDF5Fixtures.path("labels-i8.h5")).dataset(at: "/labels")
        #expect(i8.datatype == .fixedPoint(size: 8, signed: true, bigEndian: false))
        let keys = try HDF5File(path: HDF5Fixtures.path("vlen-strings.h5")).dataset(at: "/extra/keys")
        #expect(keys.datatype == .variableString(padding: .nullTerminated, charset: .utf8))
        let chunked = try HDF5File(path: HDF5Fixtures.path("chunked.h5")).dataset(at: "/spikes/times")
        guard case .chunked = chunked.storage else { Issue.record("expected a chunked layout"); return }
    }

    /// ../shared/data/shd-like.h5 (+ .gz); skipped when shared/ is not beside this checkout.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: HDF5Fixtures.sharedData + "/shd-like.h5.json")))
    func sharedSampleFileMatchesGolden() throws {
        let base = HDF5Fixtures.sharedData + "/shd-like.h5"
        let golden = try SHDGolden.load(base + ".json")
        try Self.checkAgainstGolden(try HDF5File(path: base), golden)
        if FileManager.default.fileExists(atPath: base + ".gz") {
            try Self.checkAgainstGolden(try HDF5File(path: base + ".gz"), golden)
        }
    }

    @Test func errorsNameTheProblem() throws {
        let file = try HDF5File(path: HDF5Fixtures.path("default.h5"))
        #expect(throws: HDF5Error.self) { try file.dataset(at: "/spikes/nope") }
        do {
            _ = try file.dataset(at: "/labels").readVLenFloats()
            Issue.record("expected a type mismatch")
        } catch let e as HDF5Error {
            #expect(e.kind == .typeMismatch)
            #expect(e.description.contains("uint16"))
        }
        do {
            _ = try file.dataset(at: "/spikes")
            Issue.record("a group is not a dataset")
        } catch let e as HDF5Error {
            #expect(e.kind == .notFound)
        }
        do {
            _ = try HDF5File(bytes: Array("not an hdf5 file at all".utf8), name: "x.h5")
            Issue.record("expected a signature error")
        } catch let e as HDF5Error {
            #expect(e.description.hasPrefix("x.h5: "))
            #expect(e.kind == .malformed)
        }
        #expect(throws: HDF5Error.self) { try HDF5File(path: "/nonexistent/file.h5") }
    }
}
