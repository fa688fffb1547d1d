import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
import SpikeKit

/// User losses (issue #11 item 7): a `SampleLoss` returns each sample's loss and dL/d(output) at every step and
/// the engine back-propagates it. Built-in losses written as user losses give the built-in results (bit-identical
/// for max-over-time cross-entropy, whose gradient reaches BPTT as Float(g) · Float(1/B) in both; within Float
/// rounding for the L2 spike loss), a loss on the readout membrane matches finite differences, and the Trainer
/// trains, checkpoints and resumes with one.
@Suite struct UserLossTests {
    static let spike = try! SpikeFunction(escape: .step, surrogate: .superspike(beta: 10))

    /// The paper's max-over-time cross-entropy, written from its formula.
    struct MaxOverTimeCE: SampleLoss {
        var name: String { "user-max-ce" }
        var usesLabels: Bool { true }
        func evaluate(_ o: LossOutput, target: SampleTarget) throws -> (loss: Double, gradient: [Double]) {
            guard case .label(let label) = target else { throw SpikeKitError.invalidConfiguration("needs a label") }
            var peak = [Double](repeating: -.infinity, count: o.units), at = [Int](repeating: 0, count: o.units)
            for t in 0 ..< o.steps {
                for c in 0 ..< o.units where Double(o[t, c]) > peak[c] { (peak[c], at[c]) = (Double(o[t, c]), t) }
            }
            let m = peak.max()!, logZ = m + log(peak.reduce(0) { $0 + exp($1 - m) })
            var g = [Double](repeating: 0, count: o.steps * o.units)
            for c in 0 ..< o.units { g[at[c] * o.units + c] = exp(peak[c] - logZ) - (c == label ? 1 : 0) }
            return (logZ - peak[label], g)
        }
    }

    /// The L2 spike loss (1/(2N)) Σ_n Σ_i (S - S*)².
    struct L2: SampleLoss {
        var name: String { "user-l2" }
        var usesLabels: Bool { false }
        func evaluate(_ o: LossOutput, target: SampleTarget) throws -> (loss: Double, gradient: [Double]) {
            guard case .spikes(let t) = target else { throw SpikeKitError.invalidConfiguration("needs spikes") }
            let d = zip(o.values, t).map { Double($0) - Double($1) }
            return (d.reduce(0) { $0 + $1 * $1 } / Double(2 * o.units), d.map { $0 / Double(o.units) })
        }
    }

    /// ½ Σ_n Σ_c (U_c[n] - r_c[n])² on the readout membrane against a fixed curve r: smooth in the readout weights.
    struct MembraneMSE: SampleLoss {
        var name: String { "membrane-mse" }
        var usesLabels: Bool { true }
        func evaluate(_ o: LossOutput, target: SampleTarget) throws -> (loss: Double, gradient: [Double]) {
            guard case .label(let label) = target, !o.isSpiking else { throw SpikeKitError.invalidConfiguration("needs a readout and a label") }
            var l = 0.0, g = [Double](repeating: 0, count: o.values.count)
            for t in 0 ..< o.steps {
                for c in 0 ..< o.units {
                    let d = Double(o[t, c]) - (c == label ? 0.02 * Double(t) : 0)
                    l += d * d / 2
                    g[t * o.units + c] = d
                }
            }
            return (l, g)
        }
    }

    /// Returns a gradient of the wrong size.
    struct Broken: SampleLoss {
        var name: String { "broken" }
        var usesLabels: Bool { true }
        func evaluate(_ o: LossOutput, target: SampleTarget) throws -> (loss: Double, gradient: [Double]) { (0, [1, 2, 3]) }
    }

    func readoutNetwork(recurrent: Bool = true) throws -> (NetworkArchitecture, NetworkParameters, [SpikeTrains]) {
        let a = try NetworkArchitecture(NetworkDescription(dt: 1e-3, input: InputDescription(shape: [8]), layers: [
            LayerDescription(kind: .lif, units: 6, tauMem: 0.01, tauSyn: 0.005,
                             recurrent: recurrent ? RecurrentDescription(kind: .dense) : nil, spike: Self.spike),
            LayerDescription(kind: .readout, units: 3, tauMem: 0.02, tauSyn: 0.005),
        ]))
        var g = PhiloxGenerator(seed: 21)
        func draw(_ shape: [Int], _ s: Double) -> Tensor {
            try! Tensor(shape: shape, scalars: (0 ..< shape.reduce(1, *)).map { _ in Float(g.normal() * s) })
        }
        let p = NetworkParameters(feedForward: [draw([6, 8], 6), draw([3, 6], 1)], recurrent: [recurrent ? draw([6, 6], 1) : nil, nil])
        let x = try (0 ..< 3).map { _ in
            try SpikeTrains(raster: ArraySlice((0 ..< 30 * 8).map { _ in g.uniform() < 0.15 ? Float(1) : 0 }), steps: 30, units: 8)
        }
        return (a, p, x)
    }

    @Test func maxOverTimeCrossEntropyAsUserLossIsBitIdentical() throws {
        let (a, p, x) = try readoutNetwork()
        let sim = Simulator(architecture: a, threads: 2)
        try sim.load(p)
        let builtIn = try sim.run(inputs: x, loss: .maxOverTimeCrossEntropy(activityRegularizer: nil), targets: .labels([2, 0, 1]),
                                  gradients: true)
        let user = try sim.run(inputs: x, loss: .user(UserLoss(MaxOverTimeCE())), targets: .labels([2, 0, 1]), gradients: true)
        #expect(builtIn.spikeCounts[0] > 0)
        #expect(user.sampleLosses == builtIn.sampleLosses)
        #expect(user.gradients! == builtIn.gradients!)
        #expect(user.gradients!.feedForward[0].scalars.contains { $0 != 0 })
    }

    @Test(arguments: [false, true])
    func l2SpikeLossAsUserLossMatches(stochastic: Bool) throws {
        let hidden = stochastic ? try SpikeFunction(escape: .sigmoid(beta: 8), surrogate: .sigmoid(beta: 8)) : Self.spike
        let a = try NetworkArchitecture(NetworkDescription(dt: 1e-3, input: InputDescription(shape: [8]), layers: [
            LayerDescription(kind: .lif, units: 6, tauMem: 0.01, tauSyn: 0.005, recurrent: RecurrentDescription(kind: .dense), spike: hidden),
            LayerDescription(kind: .lif, units: 4, tauMem: 0.01, tauSyn: 0.005, spike: Self.spike),
        ]))
        var g = PhiloxGenerator(seed: 4)
        func draw(_ shape: [Int], _ s: Double) -> Tensor {
            try! Tensor(shape: shape, scalars: (0 ..< shape.reduce(1, *)).map { _ in Float(g.normal() * s) })
        }
        let p = NetworkParameters(feedForward: [draw([6, 8], 8), draw([4, 6], 8)], recurrent: [draw([6, 6], 1), nil])
        let x = try (0 ..< 2).map { _ in
            try SpikeTrains(raster: ArraySlice((0 ..< 25 * 8).map { _ in g.uniform() < 0.2 ? Float(1) : 0 }), steps: 25, units: 8)
        }
        let t = Targets.spikes((0 ..< 2).map { _ in (0 ..< 25 * 4).map { _ in g.uniform() < 0.2 ? Float(1) : 0 } })
        let sim = Simulator(architecture: a, threads: 1)
        try sim.load(p)
        let noise = NoiseSource.philox(seed: 9, iteration: 2)
        let builtIn = try sim.run(inputs: x, loss: .l2Spikes, targets: t, noise: noise, gradients: true)
        let user = try sim.run(inputs: x, loss: .user(UserLoss(L2())), targets: t, noise: noise, gradients: true)
        #expect(abs(user.loss - builtIn.loss) < 1e-12)
        let ug = user.gradients!.feedForward + user.gradients!.recurrent.compactMap { $0 }
        let bg = builtIn.gradients!.feedForward + builtIn.gradients!.recurrent.compactMap { $0 }
        var scale: Float = 0
        for t in bg { for v in t.scalars { scale = max(scale, abs(v)) } }
        #expect(scale > 0)
        for (u, b) in zip(ug, bg) {
            for (x, y) in zip(u.scalars, b.scalars) { #expect(abs(x - y) <= 1e-6 * scale) }
        }
    }

    @Test func membraneLossMatchesFiniteDifferences() throws {
        let (a, p, x) = try readoutNetwork(recurrent: false)
        let sim = Simulator(architecture: a, threads: 1)
        try sim.load(p)
        let loss = LossFunction.user(UserLoss(MembraneMSE()))
        let labels = Targets.labels([2, 0, 1])
        let r = try sim.run(inputs: x, loss: loss, targets: labels, gradients: true, record: true)
        #expect(r.spikeCounts[0] > 0)
        for k in [0, 5, 7, 12, 17] {
            var plus = p, minus = p
            let h: Float = 1e-2
            plus.feedForward[1].scalars[k] += h
            minus.feedForward[1].scalars[k] -= h
            try sim.load(plus)
            let lp = try sim.run(inputs: x, loss: loss, targets: labels).loss
            try sim.load(minus)
            let lm = try sim.run(inputs: x, loss: loss, targets: labels).loss
            let fd = (lp - lm) / Double(2 * h)
            let g = Double(r.gradients!.feedForward[1].scalars[k])
            #expect(abs(fd - g) < 2e-3 * max(1, abs(g)), "weight \(k): fd \(fd), bptt \(g)")
        }
    }

    @Test func errorsAreReported() throws {
        let (a, p, x) = try readoutNetwork()
        let sim = Simulator(architecture: a, threads: 1)
        try sim.load(p)
        #expect(throws: SpikeKitError.self) {
            try sim.run(inputs: x, loss: .user(UserLoss(Broken())), targets: .labels([0, 1, 2]), gradients: true)
        }
        // A loss that reads labels given spike targets, and one that reads spikes given labels.
        #expect(throws: SpikeKitError.self) {
            try sim.run(inputs: x, loss: .user(UserLoss(MaxOverTimeCE())), targets: .spikes([[Float]](repeating: [], count: 3)))
        }
        #expect(throws: SpikeKitError.self) { try sim.run(inputs: x, loss: .user(UserLoss(L2())), targets: .labels([0, 1, 2])) }
        // Equality is identity; the JSON form names the loss and is not readable back.
        let u = UserLoss(L2())
        #expect(LossFunction.user(u) == .user(u))
        #expect(LossFunction.user(u) != .user(UserLoss(L2())))
        let text = String(decoding: try JSONEncoder().encode(LossFunction.user(u)), as: UTF8.self)
        #expect(text.contains("user-l2"))
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(LossFunction.self, from: Data(text.utf8)) }
    }

    @Test func trainerTrainsAndResumesWithAUserLoss() throws {
        let (_, _, x) = try readoutNetwork()
        let desc = NetworkDescription(dt: 1e-3, input: InputDescription(shape: [8]), layers: [
            LayerDescription(kind: .lif, units: 10, tauMem: 0.01, tauSyn: 0.005, spike: Self.spike),
            LayerDescription(kind: .readout, units: 3, tauMem: 0.02, tauSyn: 0.005),
        ])
        let data = try SpikeTrainDataset(samples: x + x, labels: [0, 1, 2, 0, 1, 2], steps: 30, units: 8, dt: 1e-3)
        let config = TrainerConfiguration(epochs: 4, batchSize: 2, seed: 3)
        let loss = LossFunction.user(UserLoss(MaxOverTimeCE()))
        var user = try Trainer(network: desc, loss: loss, optimizer: Adam(learningRate: 1e-2), training: data, configuration: config, threads: 1)
        var builtIn = try Trainer(network: desc, loss: .maxOverTimeCrossEntropy(activityRegularizer: nil), optimizer: Adam(learningRate: 1e-2),
                                  training: data, configuration: config, threads: 1)
        for _ in 0 ..< 2 { _ = try user.trainBatch(); _ = try builtIn.trainBatch() }
        #expect(user.parameters == builtIn.parameters)
        let ck = try user.checkpoint()
        #expect(throws: SpikeKitError.self) { try Trainer(resuming: ck, training: data) }
        #expect(throws: SpikeKitError.self) {
            try Trainer(resuming: ck, training: data, loss: .maxOverTimeCrossEntropy(activityRegularizer: nil))
        }
        var resumed = try Trainer(resuming: ck, training: data, threads: 1, loss: loss)
        try user.fit()
        try resumed.fit()
        #expect(resumed.parameters == user.parameters)
        #expect(user.history.count == 4 && user.history.allSatisfy { $0.trainLoss.isFinite })
    }
}
