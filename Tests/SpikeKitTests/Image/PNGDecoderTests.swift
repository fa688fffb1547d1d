import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

/// Builds PNG files chunk by chunk, so tests can write headers a normal encoder never would.
enum PNGBuilder {
    static func ihdr(width: Int, height: Int, depth: UInt8, color: UInt8, interlace: UInt8 = 0) -> [UInt8] {
        var d = [UInt8]()
        for v in [width, height] { d += [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        return d + [depth, color, 0, 0, interlace]
    }

    static func png(_ chunks: [(String, [UInt8])]) -> [UInt8] {
        var out = PNGDecoder.signature
        for (type, data) in chunks { PNGEncoder.appendChunk(type, data, to: &out) }
        return out
    }

    /// An 8-bit grayscale image with the given raw (filtered) scanlines.
    static func gray(width: Int, height: Int, raw: [UInt8], depth: UInt8 = 8, color: UInt8 = 0, extra: [(String, [UInt8])] = []) -> [UInt8] {
        png([("IHDR", ihdr(width: width, height: height, depth: depth, color: color))] + extra
            + [("IDAT", Deflate.zlib(raw)), ("IEND", [])])
    }
}

@Suite struct PNGDecoderTests {
    /// The paper's target picture in `../shared/data` beside the checkout, or nil when it is absent.
    static let radcliffePath: String? = {
        let p = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../../shared/data/radcliffe-camera-dithered.png").standardized.path
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }()

    func message(_ bytes: [UInt8], path: String = "t.png") -> String {
        do { _ = try GrayImage.decode(bytes, path: path); return "no error" } catch { return "\(error)" }
    }

    @Test(arguments: PNGFixtures.cases.map { $0.0 })
    func decodesIndependentlyWrittenPNG(name: String) throws {
        let (_, width, height, png, expected) = try #require(PNGFixtures.cases.first { $0.0 == name })
        let image = try GrayImage.decode(PNGFixtures.bytes(png), path: name)
        #expect(image.width == width && image.height == height)
        let want = PNGFixtures.floats(expected)
        #expect(want.count == width * height)
        let worst = zip(image.pixels, want).map { abs($0 - $1) }.max() ?? 1
        #expect(worst < 2e-6, "largest difference \(worst)")
    }

    @Test(.enabled(if: radcliffePath != nil, "needs ../shared/data"))
    func radcliffeCameraTarget() throws {
        let path = try #require(Self.radcliffePath)
        let image = try GrayImage.load(path: path)
        #expect(image.width == 189 && image.height == 200)
        #expect(image.isBinary)
        let target = try SpikeRasterTarget(image: image, neurons: 200, steps: 189)
        #expect(target.neurons == 200 && target.steps == 189)
        #expect(abs(target.spikeFraction - 0.274) <= 0.001, "\(target.spikeFraction)")
        // Used as it is: the target's picture is the file's picture.
        #expect(target.image == image)
        #expect(target[step: 0, neuron: 0] == (image[x: 0, y: 0] == 0 ? 1 : 0))
    }

    @Test func signatureCRCAndTruncation() {
        let good = PNGBuilder.gray(width: 3, height: 2, raw: [0, 10, 20, 30, 2, 1, 1, 1])
        #expect(message(good) == "no error")
        var badSignature = good
        badSignature[6] = 0
        #expect(message(badSignature) == "t.png: PNG: bad signature (damaged file header)")
        #expect(message(Array("hello".utf8)).contains("unrecognised magic bytes"))
        var badCRC = good
        badCRC[20] ^= 1  // inside IHDR's data
        #expect(message(badCRC) == "t.png: PNG: bad CRC in IHDR chunk at byte 8")
        for n in 0 ..< good.count {
            let m = message(Array(good[..<n]))
            #expect(m.hasPrefix("t.png: "), "\(n): \(m)")
        }
        #expect(message(Array(good.dropLast(12))).contains("truncated"))
        let decoded = try? GrayImage.decode(good)
        #expect(decoded?.pixels == [10, 20, 30, 11, 21, 31].map { Float($0) / 255 })
    }

    @Test func rejectsBadHeaders() {
        func header(_ w: Int, _ h: Int, depth: UInt8 = 8, color: UInt8 = 0, interlace: UInt8 = 0) -> String {
            message(PNGBuilder.png([("IHDR", PNGBuilder.ihdr(width: w, height: h, depth: depth, color: color, interlace: interlace)),
                                    ("IDAT", Deflate.zlib([0, 0])), ("IEND", [])]))
        }
        #expect(header(0, 5).contains("zero image size 0 × 5"))
        #expect(header(100_000, 100_000).contains("exceeds the limit of 2^28 pixels"))
        #expect(header(1, 1, color: 1).contains("unsupported colour type 1"))
        #expect(header(1, 1, color: 5).contains("unsupported colour type 5"))
        #expect(header(1, 1, depth: 4, color: 2).contains("unsupported bit depth 4 for colour type 2"))
        #expect(header(1, 1, depth: 16, color: 3).contains("unsupported bit depth 16 for colour type 3"))
        #expect(header(1, 1, interlace: 2).contains("unknown interlace method 2"))
        #expect(message(PNGBuilder.png([("tEXt", [65]), ("IEND", [])])).contains("not IHDR"))
    }

    @Test func rejectsBadImageData() {
        #expect(message(PNGBuilder.gray(width: 2, height: 1, raw: [5, 1, 2])).contains("invalid filter type 5 in row 0"))
        #expect(message(PNGBuilder.gray(width: 2, height: 2, raw: [0, 1, 2])).contains("image data"))
        #expect(message(PNGBuilder.gray(width: 2, height: 1, raw: [0, 1, 2], extra: [("zzZz", [])])) == "no error")
        #expect(message(PNGBuilder.gray(width: 2, height: 1, raw: [0, 1, 2], extra: [("ABCD", [])]))
            .contains("unsupported critical chunk ABCD"))
        #expect(message(PNGBuilder.gray(width: 2, height: 1, raw: [0, 1, 2], color: 3)).contains("without a PLTE chunk"))
        let palette: (String, [UInt8]) = ("PLTE", [0, 0, 0, 255, 255, 255])
        #expect(message(PNGBuilder.gray(width: 2, height: 1, raw: [0, 1, 0], color: 3, extra: [palette])) == "no error")
        #expect(message(PNGBuilder.gray(width: 2, height: 1, raw: [0, 1, 2], color: 3, extra: [palette]))
            .contains("palette index 2 is beyond the 2 PLTE entries"))
        #expect(message(PNGBuilder.png([("IHDR", PNGBuilder.ihdr(width: 1, height: 1, depth: 8, color: 0)), ("IEND", [])]))
            .contains("no IDAT chunk"))
    }

    @Test func randomByteFlipsNeverCrash() throws {
        let fixtures = PNGFixtures.cases.map { PNGFixtures.bytes($0.3) }
        var rng = PhiloxGenerator(seed: 99)
        var rejected = 0
        for trial in 0 ..< 400 {
            var png = fixtures[trial % fixtures.count]
            let i = Int.random(in: 8 ..< png.count, using: &rng)
            png[i] ^= UInt8.random(in: 1 ... 255, using: &rng)
            if (try? GrayImage.decode(png)) == nil { rejected += 1 }
        }
        // Every flip lands in a CRC-protected chunk.
        #expect(rejected == 400)
    }

    @Test func encoderRoundTrips() throws {
        var rng = PhiloxGenerator(seed: 5)
        var gray = [UInt8](repeating: 0, count: 37 * 23)
        for i in gray.indices { gray[i] = i % 7 == 0 ? UInt8.random(in: 0 ... 255, using: &rng) : UInt8(i % 256) }
        let g = try GrayImage.decode(PNGEncoder.encode(width: 37, height: 23, kind: .gray, pixels: gray))
        #expect(g.width == 37 && g.height == 23)
        #expect(g.pixels == gray.map { Float($0) / 255 })
        var rgb = [UInt8](repeating: 0, count: 19 * 11 * 3)
        for i in rgb.indices { rgb[i] = UInt8.random(in: 0 ... 255, using: &rng) }
        let c = try GrayImage.decode(PNGEncoder.encode(width: 19, height: 11, kind: .rgb, pixels: rgb))
        for i in 0 ..< 19 * 11 {
            let r: Float = Float(rgb[3 * i]), g: Float = Float(rgb[3 * i + 1]), b: Float = Float(rgb[3 * i + 2])
            let want: Float = (0.299 * r + 0.587 * g + 0.114 * b) / 255
            #expect(abs(c.pixels[i] - want) < 1e-5)
        }
        let image = try GrayImage(width: 16, height: 16, pixels: (0 ..< 256).map { Float($0) / 255 })
        #expect(try GrayImage.decode(image.pngData()) == image)
        #expect(throws: SpikeKitError.self) { try PNGEncoder.checkedEncode(width: 2, height: 2, kind: .rgb, pixels: [1, 2]) }
    }

    @Test func writeAndLoadFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spikekit-png-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("g.png").path
        let image = try GrayImage(width: 3, height: 1, pixels: [0, 1, 0])
        try image.write(path: path)
        #expect(try GrayImage.load(path: path) == image)
        #expect(throws: SpikeKitError.io(path: path + ".missing", message: "no such file")) {
            try GrayImage.load(path: path + ".missing")
        }
    }
}
