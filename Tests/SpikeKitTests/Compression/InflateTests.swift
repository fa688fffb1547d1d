import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

@Suite struct InflateTests {
    typealias F = CompressionFixtures

    @Test(arguments: [0, 1, 9])
    func pythonStreamsAtEachLevel(level: Int) throws {
        let streams: [Int: ([UInt8], [UInt8], [UInt8])] = [
            0: (F.zlib0, F.gzip0, F.raw0), 1: (F.zlib1, F.gzip1, F.raw1), 9: (F.zlib9, F.gzip9, F.raw9),
        ]
        let (z, g, r) = try #require(streams[level])
        #expect(F.payload.count == 3100)
        #expect(try Inflate.zlib(z) == F.payload)
        #expect(try Inflate.gzip(g) == F.payload)
        #expect(try Inflate.raw(r) == F.payload)
        #expect(try Inflate.raw(r, expectedSize: F.payload.count) == F.payload)
        #expect(try Inflate.zlib(z, expectedSize: F.payload.count) == F.payload)
    }

    @Test func pythonSpecialStreams() throws {
        #expect(try Inflate.gzip(F.gzipNamed) == F.payload)
        #expect(try Inflate.gzip(F.gzipTwoMembers) == F.payload)
        #expect(try Inflate.gzip(F.gzipTwoMembers + [0, 0, 0, 0]) == F.payload)
        #expect(try Inflate.zlib(F.zlibEmpty) == [])
        #expect(try Inflate.zlib(F.zlibZeros) == [UInt8](repeating: 0, count: 100_000))
        #expect(try Inflate.zlib(F.zlibSmall) == Array("hello, hello, hello spiking world".utf8))
    }

    /// A header with every optional field: FEXTRA, FNAME, FCOMMENT and FHCRC (the low 16 bits of its CRC-32).
    @Test func gzipOptionalHeaderFields() throws {
        var header: [UInt8] = [0x1F, 0x8B, 8, 0x04 | 0x08 | 0x10 | 0x02, 0, 0, 0, 0, 0, 3]
        header += [3, 0, 0xAA, 0xBB, 0xCC]  // extra field of 3 bytes
        header += Array("name.bin".utf8) + [0] + Array("a comment".utf8) + [0]
        let crc = CRC32.checksum(header)
        header += [UInt8(crc & 0xFF), UInt8(crc >> 8 & 0xFF)]
        let payload = Array("spikes".utf8)
        let body = Array(Deflate.gzip(payload).dropFirst(10))
        #expect(try Inflate.gzip(header + body) == payload)
        var badHeaderCRC = header
        badHeaderCRC[badHeaderCRC.count - 1] ^= 1
        #expect(throws: CompressionError.self) { try Inflate.gzip(badHeaderCRC + body) }
        var reserved = header
        reserved[3] |= 0x80
        #expect(throws: CompressionError.self) { try Inflate.gzip(reserved + body) }
    }

    @Test func wrongExpectedSizeIsRejected() {
        #expect(throws: CompressionError.sizeMismatch(format: "deflate", expected: 3101, actual: 3100)) {
            try Inflate.raw(F.raw9, expectedSize: 3101)
        }
        #expect(throws: CompressionError.self) { try Inflate.raw(F.raw9, expectedSize: 3099) }
        #expect(throws: CompressionError.self) { try Inflate.raw(F.raw9, expectedSize: -1) }
        #expect(throws: CompressionError.self) { try Inflate.zlib(F.zlibZeros, expectedSize: 10) }
    }

    @Test func corruptStreamsNameTheProblem() throws {
        func message(_ body: () throws -> [UInt8]) -> String {
            do { _ = try body(); return "no error" } catch { return "\(error)" }
        }
        #expect(message { try Inflate.raw([0x07]) }.contains("invalid block type 3"))
        #expect(message { try Inflate.raw([0x01, 5, 0, 0, 0]) }.contains("does not match its complement"))
        // A fixed block whose first symbol is a match: nothing to copy from yet.
        var w = BitWriter()
        w.write(1, 1); w.write(1, 2)
        let c = DeflateEncoder.fixedLiteralCodes[257]
        w.write(c >> 4, c & 15); w.write(0, 5)
        w.alignToByte()
        #expect(message { try Inflate.raw(w.bytes) }.contains("too far back"))
        // Fixed distance code 30 is unassigned.
        var w2 = BitWriter()
        w2.write(1, 1); w2.write(1, 2)
        let lit = DeflateEncoder.fixedLiteralCodes[65]
        w2.write(lit >> 4, lit & 15); w2.write(c >> 4, c & 15); w2.write(DeflateEncoder.reversed(30, 5), 5)
        w2.alignToByte()
        #expect(message { try Inflate.raw(w2.bytes) }.contains("invalid Huffman code"))
        #expect(message { try Inflate.raw([]) } == "deflate stream is truncated")
        #expect(message { try Inflate.zlib([0x78, 0x9D, 0]) }.contains("header check failed"))
        #expect(message { try Inflate.zlib([0x79, 0x9C - 0x1E]) }.contains("not deflate"))
        #expect(message { try Inflate.gzip(F.zlib9) }.contains("bad magic bytes"))
        #expect(message { try Inflate.gzip(F.gzip9 + [1, 2, 3]) }.contains("trailing bytes"))
        var badCRC = F.gzip9
        badCRC[badCRC.count - 6] ^= 0x01
        #expect(message { try Inflate.gzip(badCRC) }.contains("gzip checksum mismatch"))
        var badSize = F.gzip9
        badSize[badSize.count - 2] ^= 0x01
        #expect(message { try Inflate.gzip(badSize) }.contains("expected"))
        var badAdler = F.zlib9
        badAdler[badAdler.count - 1] ^= 0x80
        #expect(message { try Inflate.zlib(badAdler) }.contains("zlib checksum mismatch"))
        let asFile = CompressionError.truncated(format: "gzip").inFile("data/x.gz")
        #expect(asFile.description == "data/x.gz: gzip stream is truncated")
    }

    @Test func everyTruncationThrows() {
        for stream in [F.zlibSmall, F.zlib9, F.zlib0] {
            for n in 0 ..< stream.count {
                #expect(throws: CompressionError.self) { try Inflate.zlib(Array(stream[..<n])) }
            }
        }
        for n in 0 ..< F.gzip1.count {
            #expect(throws: CompressionError.self) { try Inflate.gzip(Array(F.gzip1[..<n])) }
        }
        for n in 0 ..< F.raw9.count - 1 {
            #expect(throws: CompressionError.self) { try Inflate.raw(Array(F.raw9[..<n])) }
        }
    }

    @Test func randomByteFlipsNeverCrash() {
        var rng = PhiloxGenerator(seed: 2024)
        var detected = 0
        let trials = 600
        for trial in 0 ..< trials {
            var s = [F.gzip9, F.gzip1, F.zlib9, F.raw9][trial % 4]
            for _ in 0 ..< 1 + trial % 3 {
                let i = Int.random(in: 0 ..< s.count, using: &rng)
                s[i] ^= UInt8.random(in: 1 ... 255, using: &rng)
            }
            switch trial % 4 {
            case 0, 1: if (try? Inflate.gzip(s)) == nil { detected += 1 }
            case 2: if (try? Inflate.zlib(s)) == nil { detected += 1 }
            default:
                // A bare stream has no checksum: a flip may decode to other bytes, but never traps or overruns.
                if let out = try? Inflate.raw(s) { #expect(out.count <= s.count * 1032 + 65536) } else { detected += 1 }
            }
        }
        #expect(detected > trials * 3 / 4)
    }

    @Test func garbageNeverCrashes() {
        var rng = PhiloxGenerator(seed: 7)
        for length in [1, 2, 5, 17, 100, 1000] {
            for _ in 0 ..< 50 {
                let junk = (0 ..< length).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
                _ = try? Inflate.raw(junk)
                _ = try? Inflate.raw(junk, expectedSize: 64)
                _ = try? Inflate.zlib([0x78, 0x9C] + junk)
                _ = try? Inflate.gzip([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 255] + junk)
            }
        }
    }

    /// The shared data folder (`../shared/data` beside the checkout), or nil when it is absent.
    static let sharedData: URL? = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../../shared/data").standardized
        return FileManager.default.fileExists(atPath: url.appendingPathComponent("shd-like.h5.gz").path) ? url : nil
    }()

    /// The HDF5 sample's gzip copy inflates to exactly its bytes (skipped, and reported so, without ../shared).
    @Test(.enabled(if: sharedData != nil, "needs ../shared/data"))
    func sharedGzipFileMatchesOriginal() throws {
        let data = try #require(Self.sharedData)
        let gz = data.appendingPathComponent("shd-like.h5.gz").path, h5 = data.appendingPathComponent("shd-like.h5").path
        let expected = try [UInt8](AtomicFile.read(h5))
        #expect(expected.count == 96824)
        #expect(try Inflate.gzip([UInt8](AtomicFile.read(gz))) == expected)
    }
}
