import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
import SpikeKit

/// Biases (issue #11 item 1): I[n+1] = λ_s I[n] + W·S_in[n] + V·S[n] + b, one b per neuron (dense, readout) or per
/// channel (conv). The surrogate gradients of every layer are checked against PyTorch autograd by the `l-bias-*`
/// verify cases; these tests check what finite differences and closed forms can.
@Suite struct BiasTests {
    func description(conv: Bool) -> NetworkDescription {
        let spike = try! SpikeFunction(escape: .step, surrogate: .superspike(beta: 10))
        let first = conv
            ? LayerDescription(kind: .convLIF, channels: 3, kernel: 3, stride: 1, padding: 1, tauMem: 0.01, tauSyn: 0.005,
                               spike: spike, bias: "b0")
            : LayerDescription(kind: .lif, units: 5, tauMem: 0.01, tauSyn: 0.005, recurrent: RecurrentDescription(kind: .dense),
                               spike: spike, bias: "b0")
        return NetworkDescription(dt: 1e-3, input: InputDescription(shape: conv ? [2, 6] : [6]), layers: [
            first, LayerDescription(kind: .readout, units: 3, tauMem: 0.02, tauSyn: 0.005, bias: "b1"),
        ])
    }

    func parameters(_ a: NetworkArchitecture, seed: UInt64) -> NetworkParameters {
        var g = PhiloxGenerator(seed: seed)
        func draw(_ shape: [Int], _ s: Double) -> Tensor {
            try! Tensor(shape: shape, scalars: (0 ..< shape.reduce(1, *)).map { _ in Float(g.normal() * s) })
        }
        return NetworkParameters(feedForward: a.layers.map { draw($0.feedForward.weightShape, 5) },
                                 recurrent: a.layers.map { $0.recurrent.map { draw($0.weightShape, 0.5) } },
                                 biases: a.layers.map { draw($0.biasShape, 1) })
    }

    func inputs(_ a: NetworkArchitecture) throws -> [SpikeTrains] {
        var g = PhiloxGenerator(seed: 9)
        return try (0 ..< 2).map { _ in
            try SpikeTrains(raster: ArraySlice((0 ..< 25 * a.input.count).map { _ in g.uniform() < 0.15 ? Float(1) : 0 }),
                            steps: 25, units: a.input.count)
        }
    }

    @Test(arguments: [false, true])
    func readoutBiasGradientMatchesFiniteDifferences(conv: Bool) throws {
        let a = try NetworkArchitecture(description(conv: conv))
        #expect(a.layers.map(\.biasShape) == [conv ? [3] : [5], [3]])
        let p = parameters(a, seed: conv ? 2 : 1)
        let x = try inputs(a)
        let loss = LossFunction.maxOverTimeCrossEntropy(activityRegularizer: nil)
        let sim = Simulator(architecture: a, threads: 1)
        try sim.load(p)
        let r = try sim.run(inputs: x, loss: loss, targets: .labels([0, 2]), gradients: true, record: true)
        #expect(r.spikeCounts[0] > 0)
        let g = r.gradients!
        #expect(g.biases.map { $0?.shape } == [a.layers[0].biasShape, [3]])
        for k in 0 ..< 3 {
            var plus = p, minus = p
            let h: Float = 1e-2
            plus.biases[1]!.scalars[k] += h
            minus.biases[1]!.scalars[k] -= h
            try sim.load(plus)
            let rp = try sim.run(inputs: x, loss: loss, targets: .labels([0, 2]), record: true)
            try sim.load(minus)
            let rm = try sim.run(inputs: x, loss: loss, targets: .labels([0, 2]), record: true)
            #expect(rp.spikes! == r.spikes! && rm.spikes! == r.spikes!)
            let fd = (rp.loss - rm.loss) / Double(2 * h)
            #expect(abs(fd - Double(g.biases[1]!.scalars[k])) < 2e-3, "readout bias \(k)")
        }
    }

    @Test func aBiasAloneDrivesTheMembraneAsAConstantInput() throws {
        // No input spikes: a readout with bias b follows I[n+1] = λ_s I[n] + b, U[n+1] = λ_m U[n] + (1-λ_m) I[n].
        let d = NetworkDescription(dt: 1e-3, input: InputDescription(shape: [2]), layers: [
            LayerDescription(kind: .readout, units: 2, tauMem: 0.02, tauSyn: 0.005, bias: "b"),
        ])
        let a = try NetworkArchitecture(d)
        let sim = Simulator(architecture: a, threads: 1)
        try sim.load(NetworkParameters(feedForward: [Tensor(zeros: [2, 2])], recurrent: [nil],
                                       biases: [try Tensor(shape: [2], scalars: [0.5, -1.25])]))
        let x = try SpikeTrains(raster: ArraySlice([Float](repeating: 0, count: 40)), steps: 20, units: 2)
        let u = try sim.run(inputs: [x], recordOutput: true).output!.scalars
        let lm = exp(-1e-3 / 0.02), ls = exp(-1e-3 / 0.005)
        for (k, b) in [0.5, -1.25].enumerated() {
            var uu = 0.0, ii = 0.0
            for n in 0 ..< 20 {
                #expect(abs(Double(u[n * 2 + k]) - uu) < 1e-5)
                (uu, ii) = (lm * uu + (1 - lm) * ii, ls * ii + b)
            }
        }
    }

    @Test func biasesTrainAndSurviveCheckpoints() throws {
        let d = description(conv: true)
        let a = try NetworkArchitecture(d)
        var p = try FluctuationDrivenInit(sigmaU: 1, nu: 15.8, alpha: 0.9).parameters(for: a, seed: 4)
        #expect(p.biases.allSatisfy { $0?.scalars.allSatisfy { $0 == 0 } == true }, "biases start at zero")
        var opt = Adam(learningRate: 0.01)
        let sim = Simulator(architecture: a, threads: 2)
        try sim.load(p)
        let g = try sim.run(inputs: try inputs(a), loss: .maxOverTimeCrossEntropy(activityRegularizer: nil),
                            targets: .labels([1, 2]), gradients: true).gradients!
        opt.step(parameters: &p, gradients: g)
        #expect(p.biases[1]!.scalars.contains { $0 != 0 })
        #expect(p.named.map(\.name) == ["layer0.weight", "layer0.bias", "layer1.weight", "layer1.bias"])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("spikekit-bias-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Checkpoint(model: d, parameters: p, optimizer: opt, seed: 4, epoch: 1).save(to: path)
        let loaded = try Checkpoint.load(path: path)
        #expect(loaded.parameters == p)
        #expect(try Safetensors.read(path: path).tensors["layer0.bias"]?.shape == [3])
        // A bias of the wrong shape, or a missing one, is rejected with the layer's name.
        var wrong = p
        wrong.biases[0] = Tensor(zeros: [4])
        #expect(throws: SpikeKitError.shapeMismatch("layer0.bias has shape [4], expected [3]")) { try sim.load(wrong) }
        wrong.biases[0] = nil
        #expect(throws: SpikeKitError.shapeMismatch("layer0 needs a bias")) { try sim.load(wrong) }
    }
}
