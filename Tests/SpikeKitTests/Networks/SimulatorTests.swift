import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

/// Engine properties that need no reference files: determinism of stochastic runs, gradients against finite
/// differences where the loss is smooth, input validation.
@Suite struct SimulatorTests {
    /// A small stochastic network: conv-LIF with recurrent conv, dense LIF with recurrent dense, readout.
    func network() throws -> (NetworkArchitecture, NetworkParameters) {
        let spike = try SpikeFunction(escape: .sigmoid(beta: 5), surrogate: .matched)
        let d = NetworkDescription(dt: 1e-3, input: InputDescription(shape: [2, 30]), layers: [
            LayerDescription(kind: .convLIF, channels: 4, kernel: 5, stride: 2, padding: 1, tauMem: 0.01, tauSyn: 0.005,
                             recurrent: RecurrentDescription(kind: .conv, kernel: 3, padding: 1), spike: spike),
            LayerDescription(kind: .lif, units: 7, tauMem: 0.01, tauSyn: 0.005, reset: .sameStep,
                             recurrent: RecurrentDescription(kind: .dense), spike: spike),
            LayerDescription(kind: .readout, units: 3, tauMem: 0.02, tauSyn: 0.005),
        ])
        let a = try NetworkArchitecture(d)
        var g = PhiloxGenerator(seed: 5)
        func draw(_ shape: [Int], _ s: Double) -> Tensor {
            try! Tensor(shape: shape, scalars: (0 ..< shape.reduce(1, *)).map { _ in Float(g.normal() * s) })
        }
        let p = NetworkParameters(
            feedForward: a.layers.map { draw($0.feedForward.weightShape, 3) },
            recurrent: a.layers.map { $0.recurrent.map { draw($0.weightShape, 1) } })
        return (a, p)
    }

    func inputs(batch: Int, steps: Int, units: Int, seed: UInt64) throws -> [SpikeTrains] {
        var g = PhiloxGenerator(seed: seed)
        return try (0 ..< batch).map { _ in
            try SpikeTrains(raster: ArraySlice((0 ..< steps * units).map { _ in g.uniform() < 0.1 ? Float(1) : 0 }),
                            steps: steps, units: units)
        }
    }

    @Test func sameSeedGivesIdenticalSpikesAndGradientsForAnyThreadCount() throws {
        let (a, p) = try network()
        let x = try inputs(batch: 5, steps: 25, units: 60, seed: 1)
        var runs: [SimulationResult] = []
        for threads in [1, 2, 4, 1] {
            let sim = Simulator(architecture: a, threads: threads)
            try sim.load(p)
            runs.append(try sim.run(inputs: x, loss: .maxOverTimeCrossEntropy(activityRegularizer: nil),
                                    targets: .labels([0, 1, 2, 1, 0]), noise: .philox(seed: 99, iteration: 3),
                                    gradients: true, record: true))
        }
        #expect(runs[0].spikeCounts.reduce(0, +) > 0)
        for r in runs.dropFirst() {
            #expect(r.spikes == runs[0].spikes)
            #expect(r.gradients == runs[0].gradients)
            #expect(r.loss == runs[0].loss)
        }
        // Another seed or iteration gives other spikes.
        let sim = Simulator(architecture: a, threads: 2)
        try sim.load(p)
        let other = try sim.run(inputs: x, noise: .philox(seed: 99, iteration: 4), record: true)
        #expect(other.spikes != runs[0].spikes)
    }

    /// Trials of one stimulus share the first layer's drive; their spikes and outputs equal those of the same samples
    /// in a batch whose inputs differ (which computes every drive separately).
    @Test func sharedFirstLayerDriveGivesTheSameResults() throws {
        let (a, p) = try network()
        let x = try inputs(batch: 2, steps: 25, units: 60, seed: 3)
        let sim = Simulator(architecture: a, threads: 2)
        try sim.load(p)
        let shared = try sim.run(inputs: [x[0], x[0], x[0]], noise: .philox(seed: 5, iteration: 1), record: true)
        let mixed = try sim.run(inputs: [x[0], x[0], x[1]], noise: .philox(seed: 5, iteration: 1), record: true)
        let perSample = 25 * a.outputShape.count
        #expect(Array(shared.output!.scalars[0 ..< 2 * perSample]) == Array(mixed.output!.scalars[0 ..< 2 * perSample]))
        for (s, m) in zip(shared.spikes!, mixed.spikes!) {
            let n = s.count / 3
            #expect(Array(s.scalars[0 ..< 2 * n]) == Array(m.scalars[0 ..< 2 * n]))
        }
    }

    /// Trials of one stimulus form the first layer's weight gradient once, from their summed factors: with the same
    /// noise in every trial, the batch gradient equals the gradient of one trial.
    @Test func sharedInputGradientEqualsTheGradientOfOneTrial() throws {
        let (a, p) = try network()
        let x = try inputs(batch: 1, steps: 25, units: 60, seed: 3)[0]
        var g = PhiloxGenerator(seed: 8)
        var one: [Int: [Float]] = [:], three: [Int: [Float]] = [:]
        for (i, l) in a.layers.enumerated() where l.isSpiking {
            let xi = (0 ..< 25 * l.shape.count).map { _ in Float(g.uniform()) }
            one[i] = xi
            three[i] = xi + xi + xi
        }
        let loss = LossFunction.maxOverTimeCrossEntropy(activityRegularizer: ActivityRegularizer(threshold: 0.5, strength: 0.1))
        for threads in [1, 2] {
            let sim = Simulator(architecture: a, threads: threads)
            try sim.load(p)
            let single = try sim.run(inputs: [x], loss: loss, targets: .labels([1]), noise: .supplied(one), gradients: true)
            let batch = try sim.run(inputs: [x, x, x], loss: loss, targets: .labels([1, 1, 1]), noise: .supplied(three),
                                    gradients: true)
            let s = single.gradients!, b = batch.gradients!
            let largest = s.feedForward[0].scalars.map(abs).max() ?? 0
            for (u, v) in zip(s.feedForward + s.recurrent.compactMap { $0 }, b.feedForward + b.recurrent.compactMap { $0 }) {
                for (e, f) in zip(u.scalars, v.scalars) { #expect(abs(e - f) <= 1e-5 * max(1, abs(e)), "\(e) vs \(f)") }
            }
            #expect(largest > 1e-3, "the first layer's gradient is not trivially zero")
            #expect(abs(single.loss - batch.loss) < 1e-9)
        }
    }

    /// Trials of one stimulus through a wide dense first layer: the shared drive (split by steps) and the shared
    /// input gradient (split by columns of 16) give identical spikes and gradients for 1, 2 and 3 threads.
    @Test func sharedTrialPathsAreBitIdenticalForAnyThreadCount() throws {
        let spike = try SpikeFunction(escape: .sigmoid(beta: 5), surrogate: .superspike(beta: 10))
        let d = NetworkDescription(dt: 1e-3, input: InputDescription(shape: [30]), layers: [
            LayerDescription(kind: .lif, units: 40, tauMem: 0.01, tauSyn: 0.005, spike: spike),
            LayerDescription(kind: .lif, units: 20, tauMem: 0.01, tauSyn: 0.005, spike: spike),
        ])
        let a = try NetworkArchitecture(d)
        var g = PhiloxGenerator(seed: 12)
        let p = NetworkParameters(
            feedForward: a.layers.map { l in
                try! Tensor(shape: l.feedForward.weightShape,
                            scalars: (0 ..< l.feedForward.weightShape.reduce(1, *)).map { _ in Float(g.normal() * 1.5) })
            },
            recurrent: [nil, nil])
        let x = try inputs(batch: 1, steps: 33, units: 30, seed: 4)[0]
        let target = (0 ..< 33 * 20).map { _ in g.uniform() < 0.2 ? Float(1) : 0 }
        var runs: [SimulationResult] = []
        for threads in [1, 2, 3] {
            let sim = Simulator(architecture: a, threads: threads)
            try sim.load(p)
            runs.append(try sim.run(inputs: [SpikeTrains](repeating: x, count: 5), loss: .l2Spikes,
                                    targets: .spikes([[Float]](repeating: target, count: 5)),
                                    noise: .philox(seed: 3, iteration: 2), gradients: true, record: true))
        }
        #expect(runs[0].gradients!.feedForward[0].scalars.contains { $0 != 0 })
        for r in runs.dropFirst() {
            #expect(r.spikes == runs[0].spikes)
            #expect(r.gradients == runs[0].gradients)
        }
    }

    /// With only a readout the loss is smooth in the weights: BPTT equals a central finite difference.
    @Test func readoutGradientMatchesFiniteDifferences() throws {
        let d = NetworkDescription(dt: 1e-3, input: InputDescription(shape: [6]), layers: [
            LayerDescription(kind: .readout, units: 3, tauMem: 0.004, tauSyn: 0.002, initialMem: -0.01),
        ])
        let a = try NetworkArchitecture(d)
        var g = PhiloxGenerator(seed: 3)
        let w = try Tensor(shape: [3, 6], scalars: (0 ..< 18).map { _ in Float(g.normal()) })
        let p = NetworkParameters(feedForward: [w], recurrent: [nil])
        let x = try inputs(batch: 2, steps: 20, units: 6, seed: 2)
        let loss = LossFunction.maxOverTimeCrossEntropy(activityRegularizer: nil)
        let sim = Simulator(architecture: a, threads: 1)
        try sim.load(p)
        let r = try sim.run(inputs: x, loss: loss, targets: .labels([2, 0]), gradients: true)
        for k in [0, 4, 9, 17] {
            var plus = p, minus = p
            let h: Float = 1e-2
            plus.feedForward[0].scalars[k] += h
            minus.feedForward[0].scalars[k] -= h
            try sim.load(plus)
            let lp = try sim.run(inputs: x, loss: loss, targets: .labels([2, 0])).loss
            try sim.load(minus)
            let lm = try sim.run(inputs: x, loss: loss, targets: .labels([2, 0])).loss
            let fd = (lp - lm) / Double(2 * h)
            #expect(abs(fd - Double(r.gradients!.feedForward[0].scalars[k])) < 2e-3, "weight \(k)")
        }
    }

    /// Subtractive reset: the readout weights' gradient behind a subtract-reset hidden layer against central finite
    /// differences (the hidden spikes do not change under the small perturbation; the hidden layer's own
    /// surrogate gradients are checked against PyTorch autograd by the `l-subtract-reset-*` verify cases).
    @Test(arguments: [false, true])
    func subtractResetReadoutGradientMatchesFiniteDifferences(bpReset: Bool) throws {
        let spike = try SpikeFunction(escape: .step, surrogate: .superspike(beta: 10), bpReset: bpReset)
        let d = NetworkDescription(dt: 1e-3, input: InputDescription(shape: [8]), layers: [
            LayerDescription(kind: .lif, units: 6, tauMem: 0.01, tauSyn: 0.005, reset: .subtract,
                             recurrent: RecurrentDescription(kind: .dense), spike: spike),
            LayerDescription(kind: .readout, units: 3, tauMem: 0.02, tauSyn: 0.005),
        ])
        let a = try NetworkArchitecture(d)
        var g = PhiloxGenerator(seed: 11)
        func draw(_ shape: [Int], _ s: Double) -> Tensor {
            try! Tensor(shape: shape, scalars: (0 ..< shape.reduce(1, *)).map { _ in Float(g.normal() * s) })
        }
        let p = NetworkParameters(feedForward: [draw([6, 8], 6), draw([3, 6], 1)], recurrent: [draw([6, 6], 0.5), nil])
        let x = try inputs(batch: 2, steps: 30, units: 8, seed: 4)
        let loss = LossFunction.maxOverTimeCrossEntropy(activityRegularizer: nil)
        let sim = Simulator(architecture: a, threads: 1)
        try sim.load(p)
        let r = try sim.run(inputs: x, loss: loss, targets: .labels([1, 2]), gradients: true, record: true)
        #expect(r.spikeCounts[0] > 10, "the hidden layer must spike")
        // Subtractive reset keeps what exceeded θ: a neuron driven far above threshold fires on consecutive steps,
        // which a reset to zero (next-step) never allows.
        for k in [0, 5, 11, 17] {
            var plus = p, minus = p
            let h: Float = 1e-2
            plus.feedForward[1].scalars[k] += h
            minus.feedForward[1].scalars[k] -= h
            try sim.load(plus)
            let rp = try sim.run(inputs: x, loss: loss, targets: .labels([1, 2]), record: true)
            try sim.load(minus)
            let rm = try sim.run(inputs: x, loss: loss, targets: .labels([1, 2]), record: true)
            #expect(rp.spikes![0] == r.spikes![0] && rm.spikes![0] == r.spikes![0])
            let fd = (rp.loss - rm.loss) / Double(2 * h)
            #expect(abs(fd - Double(r.gradients!.feedForward[1].scalars[k])) < 2e-3, "readout weight \(k)")
        }
    }

    @Test func subtractResetFiresOnConsecutiveSteps() throws {
        // One neuron with a constant strong drive: U grows past 2θ between spikes only if the reset subtracts.
        let spike = try SpikeFunction(escape: .step, surrogate: .superspike(beta: 10))
        func spikes(_ reset: ResetMode) throws -> [Float] {
            let d = NetworkDescription(dt: 1e-3, input: InputDescription(shape: [1]), layers: [
                LayerDescription(kind: .lif, units: 1, tauMem: 0.01, tauSyn: 0.005, reset: reset, spike: spike),
            ])
            let sim = Simulator(architecture: try NetworkArchitecture(d), threads: 1)
            try sim.load(NetworkParameters(feedForward: [try Tensor(shape: [1, 1], scalars: [40])], recurrent: [nil]))
            let x = try SpikeTrains(raster: ArraySlice([Float](repeating: 1, count: 60)), steps: 60, units: 1)
            return try sim.run(inputs: [x], record: true).spikes![0].scalars
        }
        let sub = try spikes(.subtract), next = try spikes(.nextStep)
        let consecutive = { (s: [Float]) in zip(s, s.dropFirst()).contains { $0 == 1 && $1 == 1 } }
        #expect(consecutive(sub) && !consecutive(next))
        #expect(sub.reduce(0, +) > next.reduce(0, +))
        // Independent recomputation of the subtract dynamics in Double.
        let lm = exp(-1e-3 / 0.01), ls = exp(-1e-3 / 0.005)
        var u = 0.0, i = 0.0, expected: [Float] = []
        for _ in 0 ..< 60 {
            let s = u - 1 > 0 ? 1.0 : 0.0
            expected.append(Float(s))
            (u, i) = (lm * u + (1 - lm) * i - s, ls * i + 40)
        }
        #expect(sub == expected)
    }

    @Test func rejectsInputsOfTheWrongShape() throws {
        let (a, p) = try network()
        let sim = Simulator(architecture: a, threads: 1)
        try sim.load(p)
        let x = try inputs(batch: 1, steps: 10, units: 59, seed: 1)
        #expect(throws: SpikeKitError.self) { try sim.run(inputs: x) }
        var bad = p
        bad.feedForward[1].scalars[0] = .nan
        #expect(throws: SpikeKitError.self) { try sim.load(bad) }
        #expect(throws: SpikeKitError.self) { try sim.run(inputs: []) }
        let ok = try inputs(batch: 2, steps: 10, units: 60, seed: 1)
        #expect(throws: SpikeKitError.self) {
            try sim.run(inputs: ok, loss: .maxOverTimeCrossEntropy(activityRegularizer: nil), targets: .labels([0, 3]))
        }
    }

    @Test func spikeTrainsRejectNonBinaryAndNaN() {
        #expect(throws: SpikeKitError.self) { try SpikeTrains(raster: [0, 1, .nan, 0], steps: 2, units: 2) }
        #expect(throws: SpikeKitError.self) { try SpikeTrains(raster: [0, 1, 0.5, 0], steps: 2, units: 2) }
        #expect(throws: SpikeKitError.self) { try SpikeTrains(raster: [0, 1, 0], steps: 2, units: 2) }
    }
}
