import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

/// Layouts, filters and datatypes beyond the SHD layout, from Fixtures/hdf5/filters.h5 (make_filters.py).
@Suite struct HDF5LayoutTests {
    struct Golden: Decodable {
        let deflate_shuffle_u16: [Int64]
        let deflate_f64_2d: [[Double]]
        let fletcher_i32: [Int64]
        let compact_i16: [Int64]
        let big_endian_i4: [Int64]
        let big_endian_f8: [Double]
        let float16_bits: [UInt16]
        let vlen_f4_bits: [[UInt32]]
    }

    let file: HDF5File
    let golden: Golden

    init() throws {
        file = try HDF5File(path: HDF5Fixtures.path("filters.h5"))
        golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: URL(fileURLWithPath: HDF5Fixtures.path("filters.h5.json"))))
    }

    @Test func deflateAndShuffle() throws {
        let d = try file.dataset(at: "/deflate_shuffle_u16")
        #expect(d.filters.map(\.id) == [HDF5Filter.shuffle, HDF5Filter.deflate])
        #expect(try d.readIntegers() == golden.deflate_shuffle_u16)
    }

    @Test func twoDimensionalChunksWithPartialEdges() throws {
        let d = try file.dataset(at: "/deflate_f64_2d")
        #expect(d.shape == [37, 23])
        #expect(try d.readFloats() == golden.deflate_f64_2d.flatMap { $0 })
    }

    @Test func fletcher32CompactAndBigEndian() throws {
        #expect(try file.dataset(at: "/fletcher_i32").readIntegers() == golden.fletcher_i32)
        let compact = try file.dataset(at: "/compact_layout_i16")
        guard case .compact = compact.storage else { Issue.record("expected a compact layout"); return }
        #expect(try compact.readIntegers() == golden.compact_i16)
        #expect(try file.dataset(at: "/big_endian_i4").readIntegers() == golden.big_endian_i4)
        #expect(try file.dataset(at: "/big_endian_f8").datatype == .floatingPoint(size: 8, bigEndian: true))
        #expect(try file.dataset(at: "/big_endian_f8").readFloats() == golden.big_endian_f8)
    }

    @Test func float16ScalarAndUnwritten() throws {
        let half = try file.dataset(at: "/float16").readFloats()
        #expect(half.map { Float16($0).bitPattern } == golden.float16_bits)
        let scalar = try file.dataset(at: "/scalar_f8")
        #expect(scalar.shape == [] && scalar.count == 1)
        #expect(try scalar.readFloats() == [2.5])
        #expect(try file.dataset(at: "/unwritten_u8").readIntegers() == [Int64](repeating: 0, count: 12))
    }

    @Test func chunkedDeflatedVariableLength() throws {
        let v = try file.dataset(at: "/vlen_f4_deflate").readVLenFloats()
        #expect(v.map { $0.map(\.bitPattern) } == golden.vlen_f4_bits)
    }

    @Test func groupWithManyMembers() throws {
        let names = try file.groupMembers(at: "/many")
        #expect(names == (0 ..< 12).map { String(format: "d%02d", $0) })
        for k in 0 ..< 12 {
            #expect(try file.dataset(at: "/many/" + names[k]).readIntegers() == (0 ... Int64(k)).map { $0 })
        }
    }

    @Test func lookup3MatchesReferenceValues() {
        // Bob Jenkins' lookup3.c driver: hashlittle("", 0, 0) and hashlittle("Four score and seven years ago", 30, 0).
        #expect(HDF5Checksum.lookup3([UInt8]()) == 0xDEAD_BEEF)
        #expect(HDF5Checksum.lookup3(Array("Four score and seven years ago".utf8)) == 0x1777_0551)
    }
}

/// User blocks, soft links and the parts of libver="latest" files this reader reports as unsupported.
@Suite struct HDF5ExtrasTests {
    @Test func userBlockAndSoftLinks() throws {
        let file = try HDF5File(path: HDF5Fixtures.path("userblock.h5"))
        #expect(try file.groupMembers(at: "/a") == ["b"])  // the soft link is not followed
        #expect(try file.dataset(at: "/a/b").readIntegers() == [0, 1, 2, 3, 4])
        let latest = try HDF5File(path: HDF5Fixtures.path("latest-extras.h5"))
        #expect(latest.superblockVersion >= 2)
        #expect(try latest.dataset(at: "/a/b").readIntegers() == [0, 1, 2, 3, 4])
        #expect(try latest.groupMembers(at: "/a") == ["b"])
    }

    @Test func denseLinkStorage() throws {
        let latest = try HDF5File(path: HDF5Fixtures.path("latest-extras.h5"))
        #expect(try latest.groupMembers(at: "/dense") == (0 ..< 20).map { String(format: "x%02d", $0) })
        for k in [0, 7, 19] {
            #expect(try latest.dataset(at: String(format: "/dense/x%02d", k)).readIntegers() == (0 ... Int64(k)).map { $0 })
        }
        // 300 links: the fractal heap has an indirect root block and the name index B-tree has internal nodes.
        let names = try latest.groupMembers(at: "/dense_big")
        #expect(names == (0 ..< 300).map { String(format: "link_with_a_longer_name_%03d", $0) })
        #expect(try latest.dataset(at: "/dense_big/link_with_a_longer_name_299").readIntegers() == [0, 1, 2, 3, 4])
    }

    @Test func unsupportedFeaturesAreReported() throws {
        let latest = try HDF5File(path: HDF5Fixtures.path("latest-extras.h5"))
        do {
            _ = try latest.dataset(at: "/chunked").readIntegers()
            Issue.record("layout v4 chunk indexes should be reported")
        } catch let e as HDF5Error {
            #expect(e.kind == .unsupported)
        }
    }
}
