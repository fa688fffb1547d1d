import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

/// Corrupt images whose checksums are made valid again, so the damage reaches the header parser, the filters and
/// the pixel unpacking: decoding must throw or return an image, never trap.
@Suite struct ImageFuzzTests {
    /// The chunks of a valid PNG file.
    static func chunks(_ png: [UInt8]) -> [(String, [UInt8])] {
        var out: [(String, [UInt8])] = []
        var p = 8
        while p + 12 <= png.count {
            let n = Int(png[p]) << 24 | Int(png[p + 1]) << 16 | Int(png[p + 2]) << 8 | Int(png[p + 3])
            out.append((String(decoding: png[p + 4 ..< p + 8], as: UTF8.self), Array(png[p + 8 ..< p + 8 + n])))
            p += 12 + n
        }
        return out
    }

    @Test func mutatedChunksWithValidCRC() throws {
        var rng = PhiloxGenerator(seed: 17)
        var decoded = 0
        for trial in 0 ..< 600 {
            let fixture = PNGFixtures.cases[trial % PNGFixtures.cases.count]
            var parts = Self.chunks(PNGFixtures.bytes(fixture.3))
            let idat = parts.filter { $0.0 == "IDAT" }.flatMap { $0.1 }
            parts.removeAll { $0.0 == "IDAT" }
            if trial % 2 == 0 {
                // Damage the decompressed scanlines: filter types, samples, palette indices.
                var raw = try Inflate.zlib(idat)
                for _ in 0 ..< 1 + trial % 4 {
                    raw[Int.random(in: 0 ..< raw.count, using: &rng)] = UInt8.random(in: 0 ... 255, using: &rng)
                }
                if trial % 10 == 0 { raw.removeLast(Int.random(in: 1 ... raw.count, using: &rng)) }
                parts.insert(("IDAT", Deflate.zlib(raw)), at: parts.count - 1)
            } else {
                // Damage a header or palette field, or the compressed stream.
                parts.insert(("IDAT", idat), at: parts.count - 1)
                let k = Int.random(in: 0 ..< parts.count - 1, using: &rng)
                if !parts[k].1.isEmpty {
                    let i = Int.random(in: 0 ..< parts[k].1.count, using: &rng)
                    parts[k].1[i] = UInt8.random(in: 0 ... 255, using: &rng)
                }
            }
            if (try? GrayImage.decode(PNGBuilder.png(parts))) != nil { decoded += 1 }
        }
        #expect(decoded > 0)  // some damage leaves a valid (different) image
    }

    @Test func mutatedNetpbm() {
        let samples: [[UInt8]] = [
            Array("P2\n# c\n3 2\n255\n0 10 20\n30 40 255\n".utf8),
            Array("P5 3 2 255\n".utf8) + [0, 1, 2, 3, 4, 5],
            Array("P6 2 1 65535\n".utf8) + [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 255, 255],
            Array("P4 9 2\n".utf8) + [0xFF, 0x80, 0x00, 0x00],
            Array("P1 3 1 0 1 0".utf8),
        ]
        var rng = PhiloxGenerator(seed: 23)
        for trial in 0 ..< 1000 {
            var s = samples[trial % samples.count]
            let i = Int.random(in: 2 ..< s.count, using: &rng)
            s[i] = [UInt8(ascii: "9"), UInt8(ascii: " "), UInt8(ascii: "#"), 0, 255, UInt8(ascii: "0")][trial % 6]
            if trial % 7 == 0 { s.removeLast(Int.random(in: 0 ..< s.count - 2, using: &rng)) }
            _ = try? GrayImage.decode(s)
        }
    }
}
