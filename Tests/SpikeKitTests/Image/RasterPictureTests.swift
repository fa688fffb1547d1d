import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

@Suite struct RasterPictureTests {
    @Test func layoutAndColours() throws {
        // 2 neurons × 3 steps, [step][neuron].
        let spikes: [Float] = [1, 0, 0, 1, 0, 0]
        let overlay: [Float] = [1, 1, 0, 0, 0, 0]
        let picture = try RasterPicture(neurons: 2, steps: 3, spikes: spikes, overlay: overlay, scale: 2)
        #expect(picture.width == 3 * 2 + 10 && picture.height == 2 * 2 + 10)
        let px = picture.rgbPixels()
        func color(_ x: Int, _ y: Int) -> [UInt8] { let i = (y * picture.width + x) * 3; return Array(px[i ..< i + 3]) }
        let origin = 5  // margin 4 + frame 1
        #expect(color(origin, origin) == [140, 0, 0])  // both spike: neuron 0, step 0
        #expect(color(origin + 1, origin + 1) == [140, 0, 0])
        #expect(color(origin, origin + 2) == [240, 130, 120])  // overlay only: neuron 1, step 0
        #expect(color(origin + 2, origin + 2) == [0, 0, 0])  // main only: neuron 1, step 1
        #expect(color(origin + 4, origin) == [255, 255, 255])
        #expect(color(4, 4) == [128, 128, 128] && color(picture.width - 5, picture.height - 5) == [128, 128, 128])
        #expect(color(0, 0) == [255, 255, 255])
    }

    @Test func pngRoundTripAndFile() throws {
        let target = try SpikeRasterTarget.builtIn(neurons: 60, steps: 50)
        let picture = try RasterPicture(target: target, scale: 3)
        let decoded = try GrayImage.decode(picture.pngData())
        #expect(decoded.width == 50 * 3 + 10 && decoded.height == 60 * 3 + 10)
        for i in 0 ..< 60 {
            for n in 0 ..< 50 {
                let v = decoded[x: 5 + 3 * n + 1, y: 5 + 3 * i + 1]
                #expect(v == (target[step: n, neuron: i] == 1 ? 0 : 1))
            }
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spikekit-raster-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("sub/raster.png").path
        try picture.write(path: path)
        #expect(try GrayImage.load(path: path) == decoded)
    }

    @Test func invalidPicturesAreRejected() {
        #expect(throws: SpikeKitError.self) { try RasterPicture(neurons: 2, steps: 2, spikes: [0, 0, 0]) }
        #expect(throws: SpikeKitError.self) { try RasterPicture(neurons: 2, steps: 2, spikes: [0, 0, 0, 0], overlay: [1]) }
        #expect(throws: SpikeKitError.self) { try RasterPicture(neurons: 2, steps: 2, spikes: [0, 0, 0, 0], scale: 0) }
        #expect(throws: SpikeKitError.self) { try RasterPicture(neurons: 0, steps: 2, spikes: []) }
    }
}
