import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

@Suite struct ImageProcessingTests {
    @Test func areaAveragingDownAndUp() throws {
        let image = try GrayImage(width: 4, height: 2, pixels: [0, 1, 0.5, 0.5, 1, 0, 0.25, 0.75])
        let half = try image.resized(width: 2, height: 1)
        #expect(half.pixels == [0.5, 0.5])
        let row = try GrayImage(width: 2, height: 1, pixels: [0, 1])
        #expect(try row.resized(width: 4, height: 1).pixels == [0, 0, 1, 1])
        #expect(try row.resized(width: 3, height: 2).pixels.map { ($0 * 1000).rounded() / 1000 } == [0, 0.5, 1, 0, 0.5, 1])
        #expect(throws: SpikeKitError.self) { try image.resized(width: 0, height: 3) }
    }

    @Test func resizingKeepsTheMean() throws {
        var rng = PhiloxGenerator(seed: 3)
        let image = try GrayImage(width: 50, height: 40, pixels: (0 ..< 2000).map { _ in Float(rng.uniform()) })
        let mean = image.pixels.reduce(0, +) / 2000
        for (w, h) in [(17, 13), (189, 200), (50, 7)] {
            let r = try image.resized(width: w, height: h)
            #expect(abs(r.pixels.reduce(0, +) / Float(w * h) - mean) < 1e-4)
        }
    }

    @Test func floydSteinbergPreservesGrayLevel() throws {
        for level: Float in [0.1, 0.25, 0.5, 0.8] {
            let d = GrayImage(width: 120, height: 100, value: level).dithered()
            #expect(d.isBinary)
            #expect(abs(d.blackFraction - Double(1 - level)) < 0.01, "\(level): \(d.blackFraction)")
        }
        let ramp = try GrayImage(width: 64, height: 8, pixels: (0 ..< 512).map { Float($0 % 64) / 63 })
        #expect(ramp.dithered() == ramp.dithered())
        #expect(ramp.thresholded().pixels.prefix(64).filter { $0 == 0 }.count == 32)
    }
}
