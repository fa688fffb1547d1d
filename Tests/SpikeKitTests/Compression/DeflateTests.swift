import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

@Suite struct DeflateTests {
    static func samples() -> [[UInt8]] {
        var rng = PhiloxGenerator(seed: 11)
        let random = (0 ..< 100_000).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
        let runs = (0 ..< 300_000).map { UInt8(($0 / 1000) % 3) }
        let text = Array(String(repeating: "spike raster target neuron step ", count: 4000).utf8)
        let small = (0 ..< 16).map { _ in UInt8.random(in: 0 ... 3, using: &rng) }
        let mixed = text.prefix(70_000) + random.prefix(70_000) + runs.prefix(70_000)
        return [[], [42], [1, 2, 3], small, random, runs, text, Array(mixed)]
    }

    @Test func roundTrips() throws {
        for s in Self.samples() {
            #expect(try Inflate.raw(Deflate.raw(s)) == s)
            #expect(try Inflate.raw(Deflate.raw(s), expectedSize: s.count) == s)
            #expect(try Inflate.zlib(Deflate.zlib(s)) == s)
            #expect(try Inflate.gzip(Deflate.gzip(s)) == s)
        }
    }

    @Test func compressesRedundantDataAndBoundsExpansion() {
        let samples = Self.samples()
        // Incompressible: stored blocks, 5 bytes per 65 535.
        #expect(Deflate.raw(samples[4]).count <= samples[4].count + 5 * 2 + 1)
        #expect(Deflate.raw(samples[5]).count < samples[5].count / 200)
        #expect(Deflate.raw(samples[6]).count < samples[6].count / 200)
    }

    @Test func choosesTheSmallestBlockType() {
        let samples = Self.samples()
        #expect((Deflate.raw(samples[6])[0] >> 1) & 3 == 2)  // text: dynamic Huffman
        #expect((Deflate.raw(samples[4])[0] >> 1) & 3 == 0)  // random: stored
        #expect((Deflate.raw([1, 2, 3])[0] >> 1) & 3 == 1)  // tiny: fixed Huffman
    }

    /// Fibonacci frequencies give the deepest optimal trees; the limited code must still be complete.
    @Test func lengthLimitedCodesAreComplete() {
        var fibonacci = [1, 1]
        while fibonacci.count < 30 { fibonacci.append(fibonacci[fibonacci.count - 1] + fibonacci[fibonacci.count - 2]) }
        for (frequencies, limit) in [(fibonacci, 15), (fibonacci.prefix(19).map { $0 }, 7), ([0, 5, 0], 15), ([0, 0, 0], 7),
                                     ([3, 3, 3, 3], 15)] {
            let lengths = DeflateEncoder.huffmanLengths(frequencies, limit: limit)
            #expect(lengths.max() ?? 0 <= limit)
            #expect(lengths.filter { $0 > 0 }.count >= 2)
            let kraft = lengths.filter { $0 > 0 }.reduce(0.0) { $0 + 1 / Double(1 << $1) }
            #expect(kraft == 1, "\(frequencies): \(lengths)")
            for (f, l) in zip(frequencies, lengths) where f > 0 { #expect(l > 0) }
        }
    }

    @Test func gzipAndZlibFraming() {
        let z = Deflate.zlib([1, 2, 3])
        #expect(z.prefix(2) == [0x78, 0x9C])
        #expect((Int(z[0]) << 8 | Int(z[1])) % 31 == 0)
        let g = Deflate.gzip([1, 2, 3])
        #expect(g.prefix(3) == [0x1F, 0x8B, 8])
        #expect(g.suffix(4) == [3, 0, 0, 0])
    }
}
