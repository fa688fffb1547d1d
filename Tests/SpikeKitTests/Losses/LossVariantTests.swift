import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
import SpikeKit

/// The readout and spike-count losses beyond the paper's (issue #11 item 7). Each is checked against PyTorch
/// autograd by an `l-loss-*` verify case; here the readout weights' gradients against central finite differences
/// behind a spiking layer whose spikes do not move, and the spike-count loss against its closed form.
@Suite struct LossVariantTests {
    static let regularizer = ActivityRegularizer(threshold: 1, strength: 0.01, lowerThreshold: 4, lowerStrength: 0.02)
    static let losses: [LossFunction] = [
        .sumOverTimeCrossEntropy(activityRegularizer: regularizer),
        .meanMembraneCrossEntropy(activityRegularizer: nil),
        .lastStepCrossEntropy(activityRegularizer: regularizer),
        .maxOverTimeCrossEntropy(activityRegularizer: regularizer),
    ]

    static let spike = try! SpikeFunction(escape: .step, surrogate: .superspike(beta: 10))

    func weightsAndInputs() -> (NetworkParameters, [SpikeTrains]) {
        var g = PhiloxGenerator(seed: 21)
        func draw(_ shape: [Int], _ s: Double) -> Tensor {
            try! Tensor(shape: shape, scalars: (0 ..< shape.reduce(1, *)).map { _ in Float(g.normal() * s) })
        }
        let p = NetworkParameters(feedForward: [draw([6, 8], 6), draw([3, 6], 1)], recurrent: [nil, nil])
        let x = (0 ..< 2).map { _ in
            try! SpikeTrains(raster: ArraySlice((0 ..< 30 * 8).map { _ in g.uniform() < 0.15 ? Float(1) : 0 }), steps: 30, units: 8)
        }
        return (p, x)
    }

    @Test(arguments: losses)
    func readoutGradientMatchesFiniteDifferences(loss: LossFunction) throws {
        let a = try NetworkArchitecture(NetworkDescription(dt: 1e-3, input: InputDescription(shape: [8]), layers: [
            LayerDescription(kind: .lif, units: 6, tauMem: 0.01, tauSyn: 0.005, spike: Self.spike),
            LayerDescription(kind: .readout, units: 3, tauMem: 0.02, tauSyn: 0.005),
        ]))
        let (p, x) = weightsAndInputs()
        let sim = Simulator(architecture: a, threads: 1)
        try sim.load(p)
        let r = try sim.run(inputs: x, loss: loss, targets: .labels([2, 0]), gradients: true, record: true)
        #expect(r.spikeCounts[0] > 0)
        for k in [0, 7, 12, 17] {
            var plus = p, minus = p
            let h: Float = 1e-2
            plus.feedForward[1].scalars[k] += h
            minus.feedForward[1].scalars[k] -= h
            try sim.load(plus)
            let lp = try sim.run(inputs: x, loss: loss, targets: .labels([2, 0])).loss
            try sim.load(minus)
            let lm = try sim.run(inputs: x, loss: loss, targets: .labels([2, 0])).loss
            let fd = (lp - lm) / Double(2 * h)
            #expect(abs(fd - Double(r.gradients!.feedForward[1].scalars[k])) < 2e-3, "\(loss) weight \(k)")
        }
    }

    @Test func spikeCountLossAndLowerBoundHaveTheirClosedForms() throws {
        let a = try NetworkArchitecture(NetworkDescription(dt: 1e-3, input: InputDescription(shape: [8]), layers: [
            LayerDescription(kind: .lif, units: 6, tauMem: 0.01, tauSyn: 0.005, spike: Self.spike),
            LayerDescription(kind: .lif, units: 3, tauMem: 0.01, tauSyn: 0.005, spike: Self.spike),
        ]))
        var (p, x) = weightsAndInputs()
        p.feedForward[1].scalars = p.feedForward[1].scalars.map { $0 * 8 }
        let sim = Simulator(architecture: a, threads: 1)
        try sim.load(p)
        let reg = ActivityRegularizer(threshold: 1e9, strength: 0, lowerThreshold: 3, lowerStrength: 0.5)
        let loss = LossFunction.spikeCountMSE(correctRate: 0.3, incorrectRate: 0.05, activityRegularizer: reg)
        let r = try sim.run(inputs: x, loss: loss, targets: .labels([1, 2]), record: true)
        #expect(r.spikeCounts[1] > 0)
        func count(_ s: [Float], neuron i: Int, of n: Int) -> Double { (0 ..< 30).reduce(0.0) { $0 + Double(s[$1 * n + i]) } }
        var expected = 0.0
        for (b, label) in [1, 2].enumerated() {
            let out = Array(r.spikes![1].scalars[b * 90 ..< (b + 1) * 90]), hid = Array(r.spikes![0].scalars[b * 180 ..< (b + 1) * 180])
            for c in 0 ..< 3 {
                let d = count(out, neuron: c, of: 3) - 30 * (c == label ? 0.3 : 0.05)
                expected += d * d / 3 / 2
            }
            for (spikes, n) in [(hid, 6), (out, 3)] {
                for i in 0 ..< n { expected += 0.5 * pow(max(0, 3 - count(spikes, neuron: i, of: n)), 2) / Double(n) / 2 }
            }
        }
        #expect(abs(r.loss - expected) < 1e-9 * max(1, expected))
        // A spike-count loss needs a spiking output; cross-entropy a readout.
        let readout = try NetworkArchitecture(NetworkDescription(dt: 1e-3, input: InputDescription(shape: [8]), layers: [
            LayerDescription(kind: .readout, units: 3, tauMem: 0.02, tauSyn: 0.005)]))
        #expect(throws: SpikeKitError.self) { try Simulator(architecture: readout, threads: 1).run(inputs: x, loss: loss, targets: .labels([0, 1])) }
        #expect(throws: SpikeKitError.self) {
            try sim.run(inputs: x, loss: .lastStepCrossEntropy(activityRegularizer: nil), targets: .labels([0, 1]))
        }
    }
}
