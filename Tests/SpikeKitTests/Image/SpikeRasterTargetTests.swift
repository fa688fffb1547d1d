import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

@Suite struct SpikeRasterTargetTests {
    @Test func rowsAreNeuronsColumnsAreSteps() throws {
        // 3 steps wide, 2 neurons high; black (0) is a spike.
        let image = try GrayImage(width: 3, height: 2, pixels: [0, 1, 1, 1, 1, 0])
        let t = try SpikeRasterTarget(image: image, neurons: 2, steps: 3)
        #expect(t.spikes == [1, 0, 0, 0, 0, 1])  // [step][neuron]
        #expect(t[step: 2, neuron: 1] == 1 && t[step: 0, neuron: 0] == 1 && t[step: 1, neuron: 0] == 0)
        #expect(t.image == image)
        #expect(abs(t.spikeFraction - 1.0 / 3) < 1e-12)
    }

    @Test func grayOrWrongSizedImagesAreScaledAndDithered() throws {
        let gray = GrayImage(width: 40, height: 30, value: 0.75)
        let t = try SpikeRasterTarget(image: gray, neurons: 60, steps: 80)
        #expect(t.neurons == 60 && t.steps == 80 && t.spikes.count == 4800)
        #expect(abs(t.spikeFraction - 0.25) < 0.01)
        let flat = try SpikeRasterTarget(image: gray, neurons: 60, steps: 80, dither: false)
        #expect(flat.spikeFraction == 0)
        let bits = try GrayImage(width: 4, height: 4, pixels: (0 ..< 16).map { Float($0 % 2) })
        let big = try SpikeRasterTarget(image: bits, neurons: 8, steps: 8)
        #expect(big.spikeFraction == 0.5)
        #expect(throws: SpikeKitError.self) { try SpikeRasterTarget(image: gray, neurons: 0, steps: 10) }
        #expect(throws: SpikeKitError.self) { try SpikeRasterTarget(neurons: 2, steps: 2, spikes: [0, 1, 0.5, 0]) }
        #expect(throws: SpikeKitError.self) { try SpikeRasterTarget(neurons: 2, steps: 2, spikes: [0, 1, 0]) }
    }

    @Test func builtInTargetIsDeterministicAndPlausible() throws {
        let t = try SpikeRasterTarget.builtIn(neurons: 200, steps: 189)
        #expect(t.neurons == 200 && t.steps == 189)
        #expect(t == (try SpikeRasterTarget.builtIn()))
        #expect(t.spikeFraction > 0.2 && t.spikeFraction < 0.35, "\(t.spikeFraction)")
        let image = t.image
        func density(_ xs: Range<Int>, _ ys: Range<Int>) -> Double {
            var black = 0
            for y in ys { for x in xs where image[x: x, y: y] == 0 { black += 1 } }
            return Double(black) / Double(xs.count * ys.count)
        }
        #expect(density(0 ..< 40, 0 ..< 40) < 0.05)  // sky in the top-left corner
        #expect(density(80 ..< 110, 30 ..< 55) > 0.2)  // the dome
        #expect(density(0 ..< 189, 182 ..< 200) > 0.3)  // the lawn
        let small = try SpikeRasterTarget.builtIn(neurons: 50, steps: 40)
        #expect(small.spikes.count == 2000)
        #expect(throws: SpikeKitError.self) { try SpikeRasterTarget.builtIn(neurons: -1, steps: 10) }
    }
}
