import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
import SpikeKit

/// Dropout on a layer's spikes (issue #11 item 6): the next layer reads S̃[n] = m[n] ⊙ S[n] / (1-p) while training,
/// S[n] at evaluation. The surrogate gradients through the mask are checked against PyTorch autograd by the
/// `l-dropout-*` verify cases; these tests check finite differences, closed forms, the mask statistics and the
/// addressing of the Philox masks.
@Suite struct DropoutTests {
    static let spike = try! SpikeFunction(escape: .step, surrogate: .superspike(beta: 10))

    /// lif (dense recurrence, dropout p) → readout with a bias; `conv` puts a conv-lif layer first instead.
    func description(p: Double?, conv: Bool = false, stochastic: Bool = false) -> NetworkDescription {
        let s = stochastic ? try! SpikeFunction(escape: .sigmoid(beta: 8), surrogate: .superspike(beta: 10)) : Self.spike
        let first = conv
            ? LayerDescription(kind: .convLIF, channels: 3, kernel: 3, stride: 1, padding: 1, tauMem: 0.01, tauSyn: 0.005,
                               spike: s, dropout: p)
            : LayerDescription(kind: .lif, units: 6, tauMem: 0.01, tauSyn: 0.005, recurrent: RecurrentDescription(kind: .dense),
                               spike: s, dropout: p)
        return NetworkDescription(dt: 1e-3, input: InputDescription(shape: conv ? [2, 5] : [8]), layers: [
            first, LayerDescription(kind: .readout, units: 3, tauMem: 0.02, tauSyn: 0.005, bias: "b1"),
        ])
    }

    func parameters(_ a: NetworkArchitecture, seed: UInt64) -> NetworkParameters {
        var g = PhiloxGenerator(seed: seed)
        func draw(_ shape: [Int], _ s: Double) -> Tensor {
            try! Tensor(shape: shape, scalars: (0 ..< shape.reduce(1, *)).map { _ in Float(g.normal() * s) })
        }
        return NetworkParameters(feedForward: a.layers.map { draw($0.feedForward.weightShape, $0.isSpiking ? 5 : 1) },
                                 recurrent: a.layers.map { $0.recurrent.map { draw($0.weightShape, 0.5) } },
                                 biases: a.layers.map { $0.hasBias ? draw($0.biasShape, 0.3) : nil })
    }

    func inputs(_ a: NetworkArchitecture, batch: Int = 2, steps: Int = 30, seed: UInt64 = 9) throws -> [SpikeTrains] {
        var g = PhiloxGenerator(seed: seed)
        return try (0 ..< batch).map { _ in
            try SpikeTrains(raster: ArraySlice((0 ..< steps * a.input.count).map { _ in g.uniform() < 0.15 ? Float(1) : 0 }),
                            steps: steps, units: a.input.count)
        }
    }

    /// A fixed keep mask for layer 0 `[B, T, *shape]` (canonical), drawn here with P(keep) = 1 - p.
    func mask(_ a: NetworkArchitecture, batch: Int, steps: Int, p: Double, seed: UInt64) -> [Float] {
        var g = PhiloxGenerator(seed: seed, stream: 77)
        return (0 ..< batch * steps * a.layers[0].shape.count).map { _ in g.uniform() >= p ? 1 : 0 }
    }

    /// With the mask fixed the loss is smooth in the readout's weights and bias: BPTT against central finite
    /// differences (in Double), the hidden spikes unchanged by the perturbation. The readout reads m ⊙ S / (1-p),
    /// so its weight gradient carries the mask and the scale.
    @Test(arguments: [false, true])
    func readoutGradientMatchesFiniteDifferencesWithAFixedMask(conv: Bool) throws {
        let p = 0.4
        let a = try NetworkArchitecture(description(p: p, conv: conv))
        let params = parameters(a, seed: conv ? 5 : 3)
        let x = try inputs(a)
        let loss = LossFunction.maxOverTimeCrossEntropy(activityRegularizer: nil)
        let masks = [0: mask(a, batch: 2, steps: 30, p: p, seed: 1)]
        let sim = Simulator(architecture: a, threads: 1)
        func run(_ q: NetworkParameters, gradients: Bool = false) throws -> SimulationResult {
            try sim.load(q)
            return try sim.run(inputs: x, loss: loss, targets: .labels([0, 2]), dropout: .supplied(masks), gradients: gradients,
                               record: true)
        }
        let r = try run(params, gradients: true)
        #expect(r.spikeCounts[0] > 20, "the hidden layer must spike")
        #expect(r.dropoutMasks?[0]?.scalars == masks[0])
        let g = r.gradients!
        let h: Float = 1e-2
        var checked = 0
        for k in stride(from: 0, to: params.feedForward[1].count, by: 2) {
            var plus = params, minus = params
            plus.feedForward[1].scalars[k] += h
            minus.feedForward[1].scalars[k] -= h
            let rp = try run(plus), rm = try run(minus)
            #expect(rp.spikes! == r.spikes! && rm.spikes! == r.spikes!)
            let fd = (rp.loss - rm.loss) / Double(2 * h)
            let bptt = Double(g.feedForward[1].scalars[k])
            #expect(abs(fd - bptt) < 2e-3 * max(1, abs(fd)), "readout weight \(k): fd \(fd), bptt \(bptt)")
            if abs(fd) > 1e-2 { checked += 1 }
        }
        #expect(checked >= 3, "too few weights with a gradient to check")
        for k in 0 ..< 3 {
            var plus = params, minus = params
            plus.biases[1]!.scalars[k] += h
            minus.biases[1]!.scalars[k] -= h
            let fd = (try run(plus).loss - run(minus).loss) / Double(2 * h)
            #expect(abs(fd - Double(g.biases[1]!.scalars[k])) < 2e-3, "readout bias \(k)")
        }
        // Without dropout the same weights give another loss: the mask acts.
        try sim.load(params)
        #expect(try sim.run(inputs: x, loss: loss, targets: .labels([0, 2])).loss != r.loss)
    }

    /// An all-ones mask with probability p is the same network with the next layer's weights scaled by 1/(1-p):
    /// same loss and output, the same gradient of the dropout layer's own weights (the mask multiplies the
    /// gradient that reaches its spikes), and the next layer's weight gradient scaled by 1/(1-p).
    @Test func allKeptMaskEqualsScaledWeights() throws {
        let p = 0.25, scale = Float(1 / (1 - p))
        let a = try NetworkArchitecture(description(p: p))
        let plain = try NetworkArchitecture(description(p: nil))
        let params = parameters(a, seed: 8)
        var scaled = params
        for k in scaled.feedForward[1].scalars.indices { scaled.feedForward[1].scalars[k] *= scale }
        let x = try inputs(a)
        let loss = LossFunction.maxOverTimeCrossEntropy(activityRegularizer: ActivityRegularizer(threshold: 1, strength: 0.01))
        let ones = [Float](repeating: 1, count: 2 * 30 * 6)
        let sim = Simulator(architecture: a, threads: 1), ref = Simulator(architecture: plain, threads: 1)
        try sim.load(params)
        try ref.load(scaled)
        let r = try sim.run(inputs: x, loss: loss, targets: .labels([1, 2]), dropout: .supplied([0: ones]), gradients: true,
                            record: true)
        let e = try ref.run(inputs: x, loss: loss, targets: .labels([1, 2]), gradients: true, record: true)
        #expect(r.spikes! == e.spikes!)
        #expect(abs(r.loss - e.loss) < 1e-5 * max(1, abs(e.loss)))
        func close(_ u: Tensor, _ v: Tensor, _ f: Float = 1, _ name: String) {
            let largest = v.scalars.map { abs($0 * f) }.max() ?? 0
            #expect(largest > 1e-4, "\(name) is trivially zero")
            for (s, t) in zip(u.scalars, v.scalars) { #expect(abs(s - t * f) <= 1e-4 * max(1, largest), "\(name): \(s) vs \(t * f)") }
        }
        let g = r.gradients!, ge = e.gradients!
        close(g.feedForward[0], ge.feedForward[0], 1, "layer0.weight")
        close(g.recurrent[0]!, ge.recurrent[0]!, 1, "layer0.recurrent")
        close(g.feedForward[1], ge.feedForward[1], scale, "layer1.weight")
        close(g.biases[1]!, ge.biases[1]!, 1, "layer1.bias")
    }

    /// An all-zero mask cuts the readout off the hidden layer: the readout follows its bias alone, and without a
    /// regularizer no gradient reaches the hidden layer's weights.
    @Test func allDroppedMaskCutsTheGradient() throws {
        let a = try NetworkArchitecture(description(p: 0.5))
        let params = parameters(a, seed: 8)
        let x = try inputs(a)
        let sim = Simulator(architecture: a, threads: 1)
        try sim.load(params)
        let zeros = [Float](repeating: 0, count: 2 * 30 * 6)
        let r = try sim.run(inputs: x, loss: .maxOverTimeCrossEntropy(activityRegularizer: nil), targets: .labels([1, 2]),
                            dropout: .supplied([0: zeros]), gradients: true, record: true)
        #expect(r.spikeCounts[0] > 0, "the hidden layer still spikes (its own dynamics see S undropped)")
        let g = r.gradients!
        #expect(g.feedForward[0].scalars.allSatisfy { $0 == 0 } && g.recurrent[0]!.scalars.allSatisfy { $0 == 0 })
        #expect(g.feedForward[1].scalars.allSatisfy { $0 == 0 })
        // Both samples see the same bias-only readout trajectory.
        let out = r.output!.scalars, half = out.count / 2
        #expect(Array(out[..<half]) == Array(out[half...]))
    }

    /// Evaluation (`dropout: .off`, the default) is mask-free: bit-identical to the same network without dropout,
    /// loss, output, spikes and gradients; training with Philox masks differs.
    @Test(arguments: [false, true])
    func evaluationIsMaskFree(conv: Bool) throws {
        let a = try NetworkArchitecture(description(p: 0.5, conv: conv, stochastic: true))
        let plain = try NetworkArchitecture(description(p: nil, conv: conv, stochastic: true))
        let zero = try NetworkArchitecture(description(p: 0, conv: conv, stochastic: true))
        #expect(zero.layers[0].dropout == 0)
        let params = parameters(a, seed: 2)
        let x = try inputs(a)
        let loss = LossFunction.maxOverTimeCrossEntropy(activityRegularizer: nil)
        var results: [SimulationResult] = []
        for (arch, source) in [(a, DropoutSource.off), (plain, .off), (plain, .philox(seed: 3, iteration: 4)),
                               (zero, .philox(seed: 3, iteration: 4)), (a, .philox(seed: 3, iteration: 4))] {
            let sim = Simulator(architecture: arch, threads: 2)
            try sim.load(params)
            results.append(try sim.run(inputs: x, loss: loss, targets: .labels([0, 1]), noise: .philox(seed: 3, iteration: 4),
                                       dropout: source, gradients: true, record: true))
        }
        for r in results[1 ... 3] {
            #expect(r.loss == results[0].loss && r.output == results[0].output && r.spikes! == results[0].spikes!)
            #expect(r.gradients == results[0].gradients)
            #expect(r.dropoutMasks == nil)
        }
        let trained = results[4]
        #expect(trained.dropoutMasks?[0] != nil)
        #expect(trained.spikes![0] == results[0].spikes![0], "dropout does not change the layer's own spikes")
        #expect(trained.output != results[0].output && trained.gradients != results[0].gradients)
    }

    /// The Philox masks keep a fraction 1 - p of the spikes (within four standard errors over many draws), differ
    /// between iterations, samples and layers, and are the same for any thread count, as are the results.
    @Test func maskStatisticsAndThreadIndependence() throws {
        let spike = try SpikeFunction(escape: .sigmoid(beta: 8), surrogate: .superspike(beta: 10))
        let d = NetworkDescription(dt: 1e-3, input: InputDescription(shape: [10]), layers: [
            LayerDescription(kind: .lif, units: 50, tauMem: 0.01, tauSyn: 0.005, spike: spike, dropout: 0.3),
            LayerDescription(kind: .lif, units: 40, tauMem: 0.01, tauSyn: 0.005, spike: spike, dropout: 0.7),
            LayerDescription(kind: .readout, units: 3, tauMem: 0.02, tauSyn: 0.005),
        ])
        let a = try NetworkArchitecture(d)
        let params = parameters(a, seed: 4)
        let B = 6, T = 60
        let x = try inputs(a, batch: B, steps: T, seed: 5)
        let loss = LossFunction.maxOverTimeCrossEntropy(activityRegularizer: nil)
        let labels = Targets.labels((0 ..< B).map { $0 % 3 })
        var results: [SimulationResult] = []
        for threads in [1, 2, 3] {
            let sim = Simulator(architecture: a, threads: threads)
            try sim.load(params)
            results.append(try sim.run(inputs: x, loss: loss, targets: labels, noise: .philox(seed: 7, iteration: 2),
                                       dropout: .philox(seed: 7, iteration: 2), gradients: true, record: true))
        }
        for r in results.dropFirst() {
            #expect(r.loss == results[0].loss && r.output == results[0].output)
            #expect(r.gradients == results[0].gradients && r.dropoutMasks == results[0].dropoutMasks)
        }
        let masks = results[0].dropoutMasks!
        #expect(Set(masks.keys) == [0, 1])
        var all: [Float] = []
        for (l, p) in [(0, 0.3), (1, 0.7)] {
            let m = masks[l]!
            #expect(m.shape == [B, T, a.layers[l].shape.count])
            #expect(m.scalars.allSatisfy { $0 == 0 || $0 == 1 })
            // Many draws: other iterations too.
            var kept = 0.0, n = 0.0
            for it in UInt32(0) ..< 5 {
                let sim = Simulator(architecture: a, threads: 2)
                try sim.load(params)
                let s = try sim.run(inputs: x, dropout: .philox(seed: 11, iteration: it), record: true).dropoutMasks![l]!
                kept += s.scalars.reduce(0.0) { $0 + Double($1) }
                n += Double(s.count)
                if it == 0 { all = s.scalars } else { #expect(s.scalars != all, "iteration \(it) repeats iteration 0") }
            }
            let se = (p * (1 - p) / n).squareRoot()
            #expect(abs(kept / n - (1 - p)) < 4 * se, "layer \(l): kept \(kept / n), expected \(1 - p) ± \(4 * se)")
            let perSample = m.count / B
            #expect(Array(m.scalars[0 ..< perSample]) != Array(m.scalars[perSample ..< 2 * perSample]), "samples share a mask")
        }
        // The masks do not depend on the escape noise's seed or iteration.
        let sim = Simulator(architecture: a, threads: 1)
        try sim.load(params)
        let other = try sim.run(inputs: x, noise: .philox(seed: 99, iteration: 0), dropout: .philox(seed: 7, iteration: 2),
                                record: true)
        #expect(other.dropoutMasks == masks)
        #expect(other.spikes![0] != results[0].spikes![0], "the noise did change")
    }

    /// One clear line for each bad setting.
    @Test func badSettingsAreRejected() throws {
        func layers(_ p: Double?, onReadout: Double? = nil) -> NetworkDescription {
            NetworkDescription(dt: 1e-3, input: InputDescription(shape: [4]), layers: [
                LayerDescription(kind: .lif, units: 3, tauMem: 0.01, tauSyn: 0.005, spike: Self.spike, dropout: p),
                LayerDescription(kind: .readout, units: 2, tauMem: 0.01, tauSyn: 0.005, dropout: onReadout),
            ])
        }
        for p in [1.0, -0.1, 1.5, .nan, .infinity] {
            #expect(throws: SpikeKitError.invalidConfiguration("layer 0 (lif): dropout must be in [0, 1), got \(p)")) {
                try NetworkArchitecture(layers(p))
            }
        }
        #expect(throws: SpikeKitError.invalidConfiguration(
            "layer 1 (readout): a readout has no dropout (dropout acts on a spiking layer's output spikes)")) {
            try NetworkArchitecture(layers(nil, onReadout: 0.2))
        }
        let last = NetworkDescription(dt: 1e-3, input: InputDescription(shape: [4]), layers: [
            LayerDescription(kind: .lif, units: 3, tauMem: 0.01, tauSyn: 0.005, spike: Self.spike, dropout: 0.2),
        ])
        #expect(throws: SpikeKitError.invalidConfiguration(
            "layer 0: dropout needs a next layer (it acts on the spikes the next layer receives)")) { try NetworkArchitecture(last) }
        let a = try NetworkArchitecture(layers(0.5))
        let sim = Simulator(architecture: a, threads: 1)
        try sim.load(parameters(a, seed: 1))
        let x = try inputs(a, batch: 1, steps: 5)
        #expect(throws: SpikeKitError.invalidConfiguration("layer 0 has dropout but no mask was supplied")) {
            try sim.run(inputs: x, dropout: .supplied([:]))
        }
        #expect(throws: SpikeKitError.shapeMismatch("dropout mask for layer 0 has 4 values, expected 1 × 5 × [3]")) {
            try sim.run(inputs: x, dropout: .supplied([0: [1, 0, 1, 1]]))
        }
        #expect(throws: SpikeKitError.invalidConfiguration("dropout mask for layer 0 holds values other than 0 and 1")) {
            try sim.run(inputs: x, dropout: .supplied([0: [Float](repeating: 0.5, count: 15)]))
        }
    }

    /// The model field round-trips through JSON as "dropout" and "dropout_mask".
    @Test func modelFieldRoundTrips() throws {
        var d = description(p: 0.2)
        d.layers[0].dropoutMask = "m.npy"
        let json = String(decoding: try JSONEncoder().encode(d), as: UTF8.self)
        #expect(json.contains("\"dropout\":0.2") && json.contains("\"dropout_mask\":\"m.npy\""))
        #expect(try JSONDecoder().decode(NetworkDescription.self, from: Data(json.utf8)) == d)
        let none = String(decoding: try JSONEncoder().encode(description(p: nil)), as: UTF8.self)
        #expect(!none.contains("dropout"))
    }

    /// The Trainer trains with dropout (batch b of epoch e: Philox iteration e · batches + b) and evaluates without.
    @Test func trainerTrainsWithDropoutAndEvaluatesWithout() throws {
        let d = description(p: 0.5)
        let plain = description(p: nil)
        let a = try NetworkArchitecture(d)
        let x = try inputs(a, batch: 8, steps: 30, seed: 12)
        let data = try SpikeTrainDataset(samples: x, labels: (0 ..< 8).map { $0 % 3 }, steps: 30, units: 8, dt: 1e-3)
        let start = parameters(a, seed: 6)
        let config = TrainerConfiguration(epochs: 1, batchSize: 4, seed: 3, shuffle: false)
        func trainer(_ n: NetworkDescription) throws -> Trainer {
            try Trainer(network: n, parameters: start, loss: .maxOverTimeCrossEntropy(activityRegularizer: nil),
                        optimizer: GradientDescent(learningRate: 0.1), training: data, configuration: config, threads: 2)
        }
        var t = try trainer(d), u = try trainer(plain)
        #expect(try t.evaluate(on: data)!.loss == u.evaluate(on: data)!.loss, "evaluation sees no mask")
        let bt = try t.trainBatch(), bu = try u.trainBatch()
        #expect(bt.loss != bu.loss, "the training batch applies dropout")
        // The batch's loss is the simulator's with the masks of iteration 0.
        let sim = Simulator(architecture: a, threads: 1)
        try sim.load(start)
        let r = try sim.run(inputs: Array(x[0 ..< 4]), loss: .maxOverTimeCrossEntropy(activityRegularizer: nil),
                            targets: .labels([0, 1, 2, 0]), noise: .philox(seed: 3, iteration: 0),
                            dropout: .philox(seed: 3, iteration: 0))
        #expect(r.loss == bt.loss)
    }
}
