import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
import SpikeKit

/// The van Rossum loss (issue #11 item 7): its closed form on a small example, its gradient with respect to the
/// output against central finite differences, the engine's loss and gradient against the formula, errors, the
/// JSON form and training. The full chain through BPTT is checked against PyTorch by the `l-loss-van-rossum-*`
/// verify cases.
@Suite struct VanRossumLossTests {
    static let spike = try! SpikeFunction(escape: .step, surrogate: .superspike(beta: 10))

    @Test func closedFormOfOneSpike() {
        // One output spike at n = 0, empty target: D = (1, λ, λ²), L = ½ (1 + λ² + λ⁴), G[m] = Σ_{n≥m} λ^{n-m} D[n].
        let lam = VanRossumLoss.decay(tau: 0.005, dt: 0.001)
        #expect(abs(lam - exp(-0.2)) < 1e-15)
        let (l, g) = VanRossumLoss.evaluate(output: [1, 0, 0], target: [0, 0, 0], steps: 3, units: 1, decay: lam)
        #expect(abs(l - 0.5 * (1 + pow(lam, 2) + pow(lam, 4))) < 1e-14)
        let expected = [1 + pow(lam, 2) + pow(lam, 4), lam + pow(lam, 3), pow(lam, 2)]
        for k in 0 ..< 3 { #expect(abs(g[k] - expected[k]) < 1e-14) }
        // Equal trains: zero loss and gradient; a target spike one step late leaves a decaying difference.
        let same = VanRossumLoss.evaluate(output: [0, 1, 0, 1], target: [0, 1, 0, 1], steps: 4, units: 1, decay: lam)
        #expect(same.loss == 0 && same.gradient.allSatisfy { $0 == 0 })
        let late = VanRossumLoss.evaluate(output: [1, 0], target: [0, 1], steps: 2, units: 1, decay: lam)
        #expect(abs(late.loss - 0.5 * (1 + pow(lam - 1, 2))) < 1e-14)
    }

    @Test func gradientMatchesFiniteDifferences() {
        var g = PhiloxGenerator(seed: 5)
        let T = 17, N = 3
        let out = (0 ..< T * N).map { _ in g.uniform() }, tgt = (0 ..< T * N).map { _ in g.uniform() < 0.3 ? 1.0 : 0 }
        let lam = VanRossumLoss.decay(tau: 0.004, dt: 0.001)
        let (_, grad) = VanRossumLoss.evaluate(output: out, target: tgt, steps: T, units: N, decay: lam)
        for k in 0 ..< T * N {
            var p = out, m = out
            let h = 1e-6
            p[k] += h
            m[k] -= h
            let fd = (VanRossumLoss.evaluate(output: p, target: tgt, steps: T, units: N, decay: lam).loss
                - VanRossumLoss.evaluate(output: m, target: tgt, steps: T, units: N, decay: lam).loss) / (2 * h)
            #expect(abs(fd - grad[k]) < 1e-6 * max(1, abs(grad[k])), "element \(k)")
        }
    }

    func network(stochastic: Bool = false) throws -> (NetworkArchitecture, NetworkParameters, [SpikeTrains], [[Float]]) {
        let hidden = stochastic ? try SpikeFunction(escape: .sigmoid(beta: 8), surrogate: .superspike(beta: 10)) : Self.spike
        let a = try NetworkArchitecture(NetworkDescription(dt: 1e-3, input: InputDescription(shape: [8]), layers: [
            LayerDescription(kind: .lif, units: 6, tauMem: 0.01, tauSyn: 0.005, recurrent: RecurrentDescription(kind: .dense), spike: hidden),
            LayerDescription(kind: .lif, units: 3, tauMem: 0.01, tauSyn: 0.005, spike: Self.spike),
        ]))
        var g = PhiloxGenerator(seed: 8)
        func draw(_ shape: [Int], _ s: Double) -> Tensor {
            try! Tensor(shape: shape, scalars: (0 ..< shape.reduce(1, *)).map { _ in Float(g.normal() * s) })
        }
        let p = NetworkParameters(feedForward: [draw([6, 8], 8), draw([3, 6], 8)], recurrent: [draw([6, 6], 1), nil])
        let x = try (0 ..< 3).map { _ in
            try SpikeTrains(raster: ArraySlice((0 ..< 30 * 8).map { _ in g.uniform() < 0.15 ? Float(1) : 0 }), steps: 30, units: 8)
        }
        let t = (0 ..< 3).map { _ in (0 ..< 30 * 3).map { _ in g.uniform() < 0.1 ? Float(1) : 0 } }
        return (a, p, x, t)
    }

    /// A user loss that is the van Rossum loss written with the library's formula: the engine must give the same
    /// loss and, since both gradients reach BPTT as Float(g) · Float(1/B), bit-identical weight gradients.
    struct UserVanRossum: SampleLoss {
        let tau: Double, dt: Double
        var name: String { "user-van-rossum" }
        var usesLabels: Bool { false }
        func evaluate(_ output: LossOutput, target: SampleTarget) throws -> (loss: Double, gradient: [Double]) {
            guard case .spikes(let t) = target else { throw SpikeKitError.invalidConfiguration("needs spikes") }
            return VanRossumLoss.evaluate(output: output.values.map(Double.init), target: t.map(Double.init), steps: output.steps,
                                          units: output.units, decay: VanRossumLoss.decay(tau: tau, dt: dt))
        }
    }

    @Test(arguments: [false, true])
    func engineLossAndGradientMatchTheFormula(stochastic: Bool) throws {
        let (a, p, x, t) = try network(stochastic: stochastic)
        let sim = Simulator(architecture: a, threads: 2)
        try sim.load(p)
        let noise = NoiseSource.philox(seed: 3, iteration: 1)
        let r = try sim.run(inputs: x, loss: .vanRossum(tau: 0.005), targets: .spikes(t), noise: noise, gradients: true, record: true)
        #expect(r.spikeCounts[1] > 0)
        var expected = 0.0
        for b in 0 ..< 3 {
            let out = r.spikes![1].scalars[b * 90 ..< (b + 1) * 90].map(Double.init)
            expected += VanRossumLoss.evaluate(output: out, target: t[b].map(Double.init), steps: 30, units: 3,
                                               decay: exp(-0.001 / 0.005)).loss / 3
        }
        #expect(abs(r.loss - expected) < 1e-9 * expected)
        let u = try sim.run(inputs: x, loss: .user(UserLoss(UserVanRossum(tau: 0.005, dt: 1e-3))), targets: .spikes(t), noise: noise,
                            gradients: true)
        #expect(u.loss == r.loss)
        #expect(u.gradients! == r.gradients!)
        // A longer kernel weighs the same differences more: the loss grows with τ_vr.
        let longer = try sim.run(inputs: x, loss: .vanRossum(tau: 0.02), targets: .spikes(t), noise: noise)
        #expect(longer.loss > r.loss)
    }

    @Test func badInputIsAnError() throws {
        let (a, p, x, t) = try network()
        let sim = Simulator(architecture: a, threads: 1)
        try sim.load(p)
        for tau in [0.0, -0.01, .nan, .infinity] {
            #expect(throws: SpikeKitError.self) { try sim.run(inputs: x, loss: .vanRossum(tau: tau), targets: .spikes(t)) }
            #expect(throws: SpikeKitError.self) { try LossFunction(name: "van-rossum", tauVR: tau) }
        }
        // Missing targets, labels instead of spikes, wrong target shape, a readout as the last layer.
        #expect(throws: SpikeKitError.self) { try sim.run(inputs: x, loss: .vanRossum(tau: 0.01), targets: nil, gradients: true) }
        #expect(throws: SpikeKitError.self) { try sim.run(inputs: x, loss: .vanRossum(tau: 0.01), targets: .labels([0, 1, 2])) }
        #expect(throws: SpikeKitError.self) {
            try sim.run(inputs: x, loss: .vanRossum(tau: 0.01), targets: .spikes(t.map { Array($0.dropLast()) }))
        }
        #expect(throws: SpikeKitError.self) { try sim.run(inputs: x, loss: .vanRossum(tau: 0.01), targets: .spikes(Array(t.dropLast()))) }
        let readout = try NetworkArchitecture(NetworkDescription(dt: 1e-3, input: InputDescription(shape: [8]), layers: [
            LayerDescription(kind: .readout, units: 3, tauMem: 0.02, tauSyn: 0.005)]))
        #expect(throws: SpikeKitError.self) {
            try Simulator(architecture: readout, threads: 1).run(inputs: x, loss: .vanRossum(tau: 0.01), targets: .spikes(t))
        }
        #expect(throws: SpikeKitError.self) { try LossFunction(name: "cross-entropy", tauVR: 0.01) }
        #expect(throws: SpikeKitError.self) {
            try LossFunction(name: "van-rossum", regularizer: ActivityRegularizer(threshold: 1, strength: 1))
        }
    }

    @Test func jsonForm() throws {
        let l = try LossFunction(name: "van-rossum", tauVR: 0.02)
        #expect(l == .vanRossum(tau: 0.02))
        #expect(try LossFunction(name: "van-rossum") == .vanRossum(tau: LossFunction.defaultTauVR))
        let text = String(decoding: try JSONEncoder().encode(l), as: UTF8.self)
        #expect(text.contains("\"kind\":\"van-rossum\"") && text.contains("\"tau_vr\":0.02"))
        #expect(try JSONDecoder().decode(LossFunction.self, from: Data(text.utf8)) == l)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(LossFunction.self, from: Data(#"{"kind": "van-rossum", "tau_vr": 0}"#.utf8))
        }
        #expect(LossFunction.names.contains("van-rossum"))
        #expect(!l.usesLabels && !l.needsReadout && l.comparesSpikeTrains && l.activityRegularizer == nil)
    }

    @Test func trainerLowersTheLoss() throws {
        let (a, _, x, t) = try network()
        _ = a
        let desc = NetworkDescription(dt: 1e-3, input: InputDescription(shape: [8]), layers: [
            LayerDescription(kind: .lif, units: 12, tauMem: 0.01, tauSyn: 0.005, spike: Self.spike),
            LayerDescription(kind: .lif, units: 3, tauMem: 0.01, tauSyn: 0.005, spike: Self.spike),
        ])
        let data = try SpikeTrainDataset(samples: x, targets: t.map { .spikes($0) }, steps: 30, units: 8, dt: 1e-3)
        var trainer = try Trainer(network: desc, loss: .vanRossum(tau: 0.005), optimizer: Adam(learningRate: 5e-3),
                                  training: data, configuration: TrainerConfiguration(epochs: 30, batchSize: 3, seed: 2,
                                  initialization: FluctuationDrivenInit(sigmaU: 2, nu: 50, alpha: 0.9)), threads: 1)
        try trainer.fit()
        let first = trainer.history.first!.trainLoss, last = trainer.history.last!.trainLoss
        #expect(last < 0.8 * first, "\(first) -> \(last)")
        // Labels are refused for a spike-train loss.
        let labelled = try SpikeTrainDataset(samples: x, labels: [0, 1, 2], steps: 30, units: 8, dt: 1e-3)
        #expect(throws: SpikeKitError.self) {
            try Trainer(network: desc, loss: .vanRossum(tau: 0.005), optimizer: Adam(learningRate: 1e-3), training: labelled)
        }
    }
}
