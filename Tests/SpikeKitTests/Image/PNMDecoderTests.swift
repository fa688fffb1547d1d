import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

@Suite struct PNMDecoderTests {
    func decode(_ text: String) throws -> GrayImage { try GrayImage.decode(Array(text.utf8), path: "t.pgm") }
    func message(_ bytes: [UInt8]) -> String {
        do { _ = try GrayImage.decode(bytes, path: "t.pgm"); return "no error" } catch { return "\(error)" }
    }

    @Test func plainFormatsWithComments() throws {
        let p2 = try decode("P2\n# a comment\n3 2 # trailing\n4\n0 1 2\n3 4 # end\n 0\n")
        #expect(p2.width == 3 && p2.height == 2)
        #expect(p2.pixels == [0, 0.25, 0.5, 0.75, 1, 0])
        let p3 = try decode("P3 2 1 255  255 0 0  0 0 255")
        #expect(abs(p3.pixels[0] - 0.299) < 1e-6 && abs(p3.pixels[1] - 0.114) < 1e-6)
        let p1 = try decode("P1\n4 2\n0101\n1 1 0 0")
        #expect(p1.pixels == [1, 0, 1, 0, 0, 0, 1, 1])
    }

    @Test func rawFormats() throws {
        let p5 = try GrayImage.decode(Array("P5 2 2 255\n".utf8) + [0, 51, 204, 255])
        #expect(p5.pixels == [0, 0.2, 0.8, 1])
        let p5wide = try GrayImage.decode(Array("P5\n2 1\n65535\n".utf8) + [0xFF, 0xFF, 0x80, 0x00])
        #expect(p5wide.pixels == [1, Float(0x8000) / 65535])
        let p6 = try GrayImage.decode(Array("P6 1 1 255 ".utf8) + [0, 255, 0])
        #expect(abs(p6.pixels[0] - 0.587) < 1e-6)
        let p4 = try GrayImage.decode(Array("P4 10 1\n".utf8) + [0b1010_0000, 0b0100_0000])
        #expect(p4.pixels == [0, 1, 0, 1, 1, 1, 1, 1, 1, 0])
    }

    @Test func errorsNameTheFile() {
        #expect(message(Array("P5 2 2 255\n".utf8) + [1, 2, 3]).contains("t.pgm: Netpbm: truncated (3 bytes of pixel data, expected 4)"))
        #expect(message(Array("P2 2 1 0 0 0".utf8)).contains("maxval 0 is not in 1...65535"))
        #expect(message(Array("P2 2 1 70000 0 0".utf8)).contains("maxval 70000"))
        #expect(message(Array("P2 2 1 10 0 11".utf8)).contains("sample 11 exceeds maxval 10"))
        #expect(message(Array("P2 0 1 10".utf8)).contains("zero image size"))
        #expect(message(Array("P5 100000 100000 255\n".utf8)).contains("exceeds the limit"))
        #expect(message(Array("P2 2 1 10 5".utf8)).contains("truncated"))
        #expect(message(Array("P2 x".utf8)).contains("expected a number for the width"))
        #expect(message(Array("P2 99999999999 1".utf8)).contains("too large"))
        let header = Array("P6\n# c\n3 3 65535\n".utf8)
        for n in 0 ... header.count { #expect(message(Array(header[..<n])) != "no error") }
    }
}
