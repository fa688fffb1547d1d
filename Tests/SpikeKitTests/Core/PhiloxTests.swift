import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

@Suite struct PhiloxTests {
    /// Known-answer values of Random123's Philox4x32-10 (kat_vectors).
    @Test func knownAnswers() {
        #expect(Philox(seed: 0).block(0, 0, 0, 0) == SIMD4(0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8))
        let k = Philox(seed: UInt64(0x299F_31D0) << 32 | 0xA409_3822)
        #expect(k.block(0x243F_6A88, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344)
            == SIMD4(0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x2412_6EA1))
    }

    /// The SIMD fill gives exactly the values of the scalar blocks in the documented order, for lengths with and without a partial chunk.
    @Test func vectorFillMatchesScalarBlocks() {
        let p = Philox(seed: 1234)
        for n in [1, 63, 64, 65, 127, 128, 129, 200, 256, 1088] {
            let buf = UnsafeMutableBufferPointer<Float>.allocate(capacity: n)
            defer { buf.deallocate() }
            p.fillUniform(buf, stream: 3, a: 7, b: 11, c: 13)
            for i in 0 ..< n {
                let r = p.block(UInt32(8 * (i / 32) + i % 8), 13, 11, 7 ^ (3 << 24))
                #expect(buf[i] == Philox.unitFloat(r[(i % 32) / 8]), "element \(i) of \(n)")
            }
        }
    }

    /// A fill that starts at element 128·m gives exactly the elements of a fill from 0.
    @Test func fillFromAnOffsetContinuesTheStream() {
        let p = Philox(seed: 77)
        let whole = UnsafeMutableBufferPointer<Float>.allocate(capacity: 1000)
        let part = UnsafeMutableBufferPointer<Float>.allocate(capacity: 300)
        defer { whole.deallocate(); part.deallocate() }
        p.fillUniform(whole, stream: 1, a: 2, b: 3, c: 0)
        for start in [128, 256, 640] {
            let count = min(300, 1000 - start)
            p.fillUniform(UnsafeMutableBufferPointer(rebasing: part[0 ..< count]), stream: 1, a: 2, b: 3, c: 0, firstElement: start)
            for k in 0 ..< count { #expect(part[k] == whole[start + k], "element \(start + k)") }
        }
    }
}
