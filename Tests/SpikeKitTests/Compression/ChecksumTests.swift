import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

@Suite struct ChecksumTests {
    @Test func crc32CheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
        // Python: zlib.crc32(b"The quick brown fox jumps over the lazy dog") == 0x414fa339
        #expect(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
    }

    @Test func nonContiguousSequences() {
        let text = "123456789".utf8
        #expect(CRC32.checksum(text.lazy.map { $0 }) == 0xCBF4_3926)
        #expect(Adler32.checksum("Wikipedia".utf8.lazy.map { $0 }) == 0x11E6_0398)
    }

    @Test func crc32Chains() {
        let a = Array("spiking ".utf8), b = Array("networks".utf8)
        #expect(CRC32.checksum(b, initial: CRC32.checksum(a)) == CRC32.checksum(a + b))
    }

    @Test func adler32CheckValues() {
        #expect(Adler32.checksum(Array("Wikipedia".utf8)) == 0x11E6_0398)
        #expect(Adler32.checksum([UInt8]()) == 1)
        // Python: zlib.adler32(bytes(range(256)) * 100) == 0x7e8d7e9a... computed independently below instead.
        let long = [UInt8](repeating: 0xFF, count: 100_000)
        var a: UInt32 = 1, b: UInt32 = 0
        for x in long { a = (a + UInt32(x)) % 65521; b = (b + a) % 65521 }
        #expect(Adler32.checksum(long) == b << 16 | a)
        let half = Adler32.checksum(Array(long[..<33333]))
        #expect(Adler32.checksum(Array(long[33333...]), initial: half) == b << 16 | a)
    }
}
