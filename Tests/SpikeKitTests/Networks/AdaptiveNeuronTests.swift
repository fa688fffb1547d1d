import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
import SpikeKit

/// Adaptive LIF layers (`alif`) and learned thresholds (issue #11 items 3 and 2). The surrogate gradients are
/// checked against PyTorch autograd by the `l-alif-*` and `l-threshold-*` verify cases; these tests check BPTT
/// against central finite differences of a Double reference written from docs/ModelFormat.md (with every spike
/// replaced by its first-order expansion around the run's spikes, S = S₀ + SD(x₀)(x − x₀), whose exact gradient is
/// the surrogate gradient), that the general loop reproduces the LIF loops bit for bit where it must, the errors,
/// and training, checkpoints and `spikekit train` with an ALIF model file.
@Suite struct AdaptiveNeuronTests {
    func inputs(units: Int, steps: Int, batch: Int, rate: Double = 0.2, seed: UInt64) throws -> [SpikeTrains] {
        var g = PhiloxGenerator(seed: seed)
        return try (0 ..< batch).map { _ in
            try SpikeTrains(raster: ArraySlice((0 ..< steps * units).map { _ in g.uniform() < rate ? Float(1) : 0 }),
                            steps: steps, units: units)
        }
    }

    /// input (8) → hidden (6, dense recurrence, learned threshold) → readout (3).
    func network(kind: LayerKind, reset: ResetMode, bpReset: Bool, stochastic: Bool, beta: Double = 0.3,
                 learnThreshold: Bool = true) throws -> NetworkDescription {
        let spike = try SpikeFunction(escape: stochastic ? .sigmoid(beta: 6) : .step, surrogate: .superspike(beta: 10),
                                      bpReset: bpReset)
        var hidden = LayerDescription(kind: kind, units: 6, tauMem: 0.01, tauSyn: 0.005, reset: reset,
                                      recurrent: RecurrentDescription(kind: .dense), spike: spike)
        if kind == .alif {
            hidden.tauAdapt = 0.02
            hidden.adaptStrength = beta
        }
        hidden.learnThreshold = learnThreshold ? true : nil
        return NetworkDescription(dt: 1e-3, input: InputDescription(shape: [8]), layers: [
            hidden, LayerDescription(kind: .readout, units: 3, tauMem: 0.02, tauSyn: 0.005),
        ])
    }

    func parameters(_ a: NetworkArchitecture, seed: UInt64) -> NetworkParameters {
        var g = PhiloxGenerator(seed: seed)
        func draw(_ shape: [Int], _ s: Double, mean: Double = 0) -> Tensor {
            try! Tensor(shape: shape, scalars: (0 ..< shape.reduce(1, *)).map { _ in Float(mean + g.normal() * s) })
        }
        var p = NetworkParameters(zerosFor: a)
        p.feedForward = [draw([6, 8], 6), draw([3, 6], 1)]
        p.recurrent = [draw([6, 6], 0.5), nil]
        if a.layers[0].learnsThreshold { p.thresholds[0] = draw([6], 0.2, mean: 1) }
        return p
    }

    /// The Double reference of `network`: sum-over-time cross-entropy of the readout, batch mean. Every spike is
    /// S[n] = S₀[n] + SD(x₀[n]) (x[n] − x₀[n]) with x[n] = U[n] − θ − β a[n], S₀ the run's spikes and x₀ the
    /// spike arguments at the parameters of the run (SD: SuperSpike β = 10); the reset uses S₀ unless `bpReset`.
    /// Returns the loss and x per sample `[T][N]`.
    struct Reference {
        var steps: Int, dt = 1e-3, reset: ResetMode, bpReset: Bool, rho: Double, beta: Double
        var w: [Double], v: [Double], theta: [Double], wOut: [Double]

        func run(_ x: [SpikeTrains], labels: [Int], spikes s0: [[Float]], at x0: [[Double]]?) -> (loss: Double, x: [[Double]]) {
            let nIn = 8, n = 6, nOut = 3, T = steps
            let lm = exp(-dt / 0.01), ls = exp(-dt / 0.005), lmo = exp(-dt / 0.02), lso = exp(-dt / 0.005)
            var total = 0.0, xs: [[Double]] = []
            for (b, input) in x.enumerated() {
                let raster = input.raster
                var u = [Double](repeating: 0, count: n), i = u, a = u, uo = [Double](repeating: 0, count: nOut), io = uo
                var logits = uo, xb = [Double](repeating: 0, count: T * n)
                for t in 0 ..< T {
                    for c in 0 ..< nOut { logits[c] += uo[c] }
                    var s = [Double](repeating: 0, count: n), sr = s, th = s
                    for k in 0 ..< n {
                        th[k] = theta[k] + beta * a[k]
                        let xk = u[k] - th[k]
                        xb[t * n + k] = xk
                        let spike = Double(s0[b][t * n + k])
                        if let x0 {
                            let z = x0[b][t * n + k], sd = 1 / ((10 * abs(z) + 1) * (10 * abs(z) + 1))
                            s[k] = spike + sd * (xk - z)
                        } else {
                            s[k] = spike
                        }
                        sr[k] = bpReset ? s[k] : spike
                    }
                    for c in 0 ..< nOut {
                        var drive = 0.0
                        for k in 0 ..< n { drive += wOut[c * n + k] * s[k] }
                        uo[c] = lmo * uo[c] + (1 - lmo) * io[c]
                        io[c] = lso * io[c] + drive
                    }
                    for k in 0 ..< n {
                        var drive = 0.0
                        for j in 0 ..< nIn where raster[t * nIn + j] != 0 { drive += w[k * nIn + j] }
                        for j in 0 ..< n { drive += v[k * n + j] * s[j] }
                        switch reset {
                        case .nextStep: u[k] = (lm * u[k] + (1 - lm) * i[k]) * (1 - sr[k])
                        case .sameStep: u[k] = lm * u[k] * (1 - sr[k]) + (1 - lm) * i[k]
                        case .subtract: u[k] = lm * u[k] + (1 - lm) * i[k] - th[k] * sr[k]
                        }
                        i[k] = ls * i[k] + drive
                        a[k] = rho * a[k] + s[k]
                    }
                }
                let m = logits.max()!
                total += m + log(logits.reduce(0) { $0 + exp($1 - m) }) - logits[labels[b]]
                xs.append(xb)
            }
            return (total / Double(x.count), xs)
        }
    }

    static let gradientConfigurations: [(LayerKind, ResetMode, Bool, Bool)] = [
        (.alif, .subtract, false, false), (.alif, .subtract, true, true), (.alif, .nextStep, true, false),
        (.alif, .sameStep, false, true), (.lif, .subtract, true, false), (.lif, .nextStep, false, true),
    ]

    @Test(arguments: 0 ..< 6)
    func surrogateGradientsMatchFiniteDifferencesOfTheLinearizedReference(configuration c: Int) throws {
        let (kind, reset, bp, stochastic) = Self.gradientConfigurations[c]
        let a = try NetworkArchitecture(network(kind: kind, reset: reset, bpReset: bp, stochastic: stochastic))
        let p = parameters(a, seed: 21 + UInt64(c))
        let x = try inputs(units: 8, steps: 30, batch: 2, seed: 5 + UInt64(c))
        let labels = [1, 2]
        let loss = LossFunction.sumOverTimeCrossEntropy(activityRegularizer: nil)
        let sim = Simulator(architecture: a, threads: 1)
        try sim.load(p)
        let r = try sim.run(inputs: x, loss: loss, targets: .labels(labels), noise: .philox(seed: 3, iteration: 0),
                            gradients: true, record: true)
        #expect(r.spikeCounts[0] > 10, "the hidden layer must spike")
        let spikes = (0 ..< 2).map { b in Array(r.spikes![0].scalars[(b * 30 * 6) ..< ((b + 1) * 30 * 6)]) }
        let d = Double.init(_:) as (Float) -> Double
        let ref = Reference(steps: 30, reset: reset, bpReset: bp, rho: kind == .alif ? exp(-1e-3 / 0.02) : 0,
                            beta: kind == .alif ? 0.3 : 0, w: p.feedForward[0].scalars.map(d), v: p.recurrent[0]!.scalars.map(d),
                            theta: p.thresholds[0]!.scalars.map(d), wOut: p.feedForward[1].scalars.map(d))
        let base = ref.run(x, labels: labels, spikes: spikes, at: nil)
        #expect(abs(base.loss - r.loss) < 1e-4 * max(1, abs(base.loss)), "reference loss \(base.loss), engine \(r.loss)")
        // The reference's own spike decisions agree with the engine's where the margin allows (deterministic).
        if !stochastic {
            for b in 0 ..< 2 {
                for e in 0 ..< 30 * 6 where abs(base.x[b][e]) > 1e-4 { #expect((base.x[b][e] > 0) == (spikes[b][e] != 0)) }
            }
        }
        func fd(_ perturb: (inout Reference, Double) -> Void) -> Double {
            let h = 1e-5
            var plus = ref, minus = ref
            perturb(&plus, h)
            perturb(&minus, -h)
            let lp = plus.run(x, labels: labels, spikes: spikes, at: base.x).loss
            let lmn = minus.run(x, labels: labels, spikes: spikes, at: base.x).loss
            return (lp - lmn) / (2 * h)
        }
        func check(_ got: Float, _ expected: Double, _ what: String) {
            #expect(abs(Double(got) - expected) < 2e-3 * max(abs(expected), 1e-2), "\(what): BPTT \(got), finite difference \(expected)")
        }
        let g = r.gradients!
        var nonzero = 0
        for k in 0 ..< 6 {
            let e = fd { $0.theta[k] += $1 }
            if abs(e) > 1e-3 { nonzero += 1 }
            check(g.thresholds[0]!.scalars[k], e, "dL/dθ[\(k)]")
        }
        #expect(nonzero >= 2, "the thresholds have gradients to check")
        for k in [0, 9, 20, 33, 47] { check(g.feedForward[0].scalars[k], fd { $0.w[k] += $1 }, "dL/dW[\(k)]") }
        for k in [1, 7, 14, 28, 35] { check(g.recurrent[0]!.scalars[k], fd { $0.v[k] += $1 }, "dL/dV[\(k)]") }
        for k in [0, 8, 17] { check(g.feedForward[1].scalars[k], fd { $0.wOut[k] += $1 }, "dL/dW_out[\(k)]") }
        // At the run's parameters the linearized reference is the reference itself.
        #expect(ref.run(x, labels: labels, spikes: spikes, at: base.x).loss == base.loss)
    }

    // MARK: The general loop against the LIF loops

    @Test(arguments: [ResetMode.nextStep, .sameStep, .subtract])
    func aLearnedThresholdAtThetaAndAnAlifLayerWithoutAdaptationRunAsLIF(reset: ResetMode) throws {
        for stochastic in [false, true] {
            let lif = try NetworkArchitecture(network(kind: .lif, reset: reset, bpReset: true, stochastic: stochastic, learnThreshold: false))
            var p = parameters(lif, seed: 40)
            let x = try inputs(units: 8, steps: 40, batch: 3, seed: 41)
            let loss = LossFunction.maxOverTimeCrossEntropy(activityRegularizer: nil)
            func run(_ a: NetworkArchitecture, _ p: NetworkParameters) throws -> SimulationResult {
                let sim = Simulator(architecture: a, threads: 2)
                try sim.load(p)
                return try sim.run(inputs: x, loss: loss, targets: .labels([0, 1, 2]), noise: .philox(seed: 9, iteration: 2),
                                   gradients: true, record: true)
            }
            let plain = try run(lif, p)
            #expect(plain.spikeCounts[0] > 10)
            let learned = try NetworkArchitecture(network(kind: .lif, reset: reset, bpReset: true, stochastic: stochastic))
            var q = p
            q.thresholds = learned.initialThresholds
            let withThreshold = try run(learned, q)
            let noAdaptation = try run(try NetworkArchitecture(network(kind: .alif, reset: reset, bpReset: true, stochastic: stochastic,
                                                                       beta: 0, learnThreshold: false)), p)
            for other in [withThreshold, noAdaptation] {
                #expect(other.loss == plain.loss && other.spikes! == plain.spikes!)
                #expect(other.gradients!.feedForward == plain.gradients!.feedForward)
                #expect(other.gradients!.recurrent == plain.gradients!.recurrent)
            }
            #expect(withThreshold.gradients!.thresholds[0]!.scalars.contains { $0 != 0 })
            p.thresholds = [nil, nil]
        }
    }

    @Test func aConvAlifLayerWithoutAdaptationRunsAsConvLIFAndAdaptationLowersItsRate() throws {
        func description(_ kind: LayerKind, beta: Double) throws -> NetworkDescription {
            var conv = LayerDescription(kind: kind, channels: 3, kernel: 5, stride: 2, padding: 1, tauMem: 0.02, tauSyn: 0.01,
                                        reset: .subtract, recurrent: RecurrentDescription(kind: .conv, kernel: 3, padding: 1),
                                        spike: try SpikeFunction(escape: .sigmoid(beta: 8), surrogate: .superspike(beta: 10), bpReset: true))
            if kind == .convALIF {
                conv.tauAdapt = 0.05
                conv.adaptStrength = beta
            }
            return NetworkDescription(dt: 2e-3, input: InputDescription(shape: [2, 30]), layers: [
                conv, LayerDescription(kind: .readout, units: 3, tauMem: 0.05, tauSyn: 0.01),
            ])
        }
        let lif = try NetworkArchitecture(description(.convLIF, beta: 0))
        var g = PhiloxGenerator(seed: 12)
        func draw(_ shape: [Int], _ s: Double) -> Tensor {
            try! Tensor(shape: shape, scalars: (0 ..< shape.reduce(1, *)).map { _ in Float(g.normal() * s) })
        }
        var p = NetworkParameters(zerosFor: lif)
        p.feedForward = [draw([3, 2, 5], 4), draw([3, 42], 0.3)]
        p.recurrent = [draw([3, 3, 3], 0.3), nil]
        let x = try inputs(units: 60, steps: 40, batch: 2, seed: 13)
        func run(_ d: NetworkDescription) throws -> SimulationResult {
            let sim = Simulator(architecture: try NetworkArchitecture(d), threads: 1)
            try sim.load(p)
            return try sim.run(inputs: x, loss: .maxOverTimeCrossEntropy(activityRegularizer: nil), targets: .labels([0, 2]),
                               noise: .philox(seed: 4, iteration: 1), gradients: true, record: true)
        }
        let plain = try run(description(.convLIF, beta: 0)), same = try run(description(.convALIF, beta: 0))
        #expect(plain.spikeCounts[0] > 20)
        #expect(same.loss == plain.loss && same.spikes! == plain.spikes! && same.gradients! == plain.gradients!)
        let adapting = try run(description(.convALIF, beta: 0.5))
        #expect(adapting.spikeCounts[0] < plain.spikeCounts[0])
    }

    @Test func adaptationSpacesTheSpikesOfAConstantlyDrivenNeuron() throws {
        // One neuron with a bias of 2 (above θ = 1): as LIF it fires regularly; as ALIF with β = 0.5, τ_a = 50 ms
        // every spike raises its threshold, so it fires less, and its intervals grow over the run.
        func counts(_ kind: LayerKind) throws -> [Int] {
            let spike = try SpikeFunction(escape: .step, surrogate: .superspike(beta: 10))
            var l = LayerDescription(kind: kind, units: 1, tauMem: 0.01, tauSyn: 0.005, reset: .subtract, spike: spike, bias: "b")
            if kind == .alif {
                l.tauAdapt = 0.05
                l.adaptStrength = 0.5
            }
            let a = try NetworkArchitecture(NetworkDescription(dt: 1e-3, input: InputDescription(shape: [1]), layers: [l]))
            var p = NetworkParameters(zerosFor: a)
            p.biases[0] = try Tensor(shape: [1], scalars: [2])
            let sim = Simulator(architecture: a, threads: 1)
            try sim.load(p)
            let r = try sim.run(inputs: [try SpikeTrains(steps: 200, units: 1, events: [])], record: true)
            let s = r.spikes![0].scalars
            return [s[0 ..< 100].filter { $0 != 0 }.count, s[100 ..< 200].filter { $0 != 0 }.count]
        }
        let lif = try counts(.lif), alif = try counts(.alif)
        #expect(lif[0] > 0 && alif[0] > 0)
        #expect(alif[0] + alif[1] < lif[0] + lif[1])
        #expect(alif[1] < alif[0], "the threshold keeps rising while the neuron fires: \(alif)")
        #expect(lif[1] >= lif[0], "LIF keeps its rate: \(lif)")
    }

    // MARK: Errors

    @Test func badValuesAreOneLineErrorsNamingTheLayer() throws {
        func expectError(_ edit: (inout NetworkDescription) -> Void, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
            var d = try! network(kind: .alif, reset: .subtract, bpReset: false, stochastic: false)
            edit(&d)
            do {
                _ = try NetworkArchitecture(d)
                Issue.record("accepted: \(fragment)", sourceLocation: sourceLocation)
            } catch SpikeKitError.invalidConfiguration(let m) {
                #expect(m.contains(fragment) && m.contains("layer") && !m.contains("\n"), "'\(m)'", sourceLocation: sourceLocation)
            } catch {
                Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
            }
        }
        expectError({ $0.layers[0].tauAdapt = 0 }, "tau_adapt must be positive and finite, got 0.0")
        expectError({ $0.layers[0].tauAdapt = -0.1 }, "tau_adapt must be positive and finite")
        expectError({ $0.layers[0].tauAdapt = .infinity }, "tau_adapt must be positive and finite")
        expectError({ $0.layers[0].tauAdapt = nil }, "needs 'tau_adapt'")
        expectError({ $0.layers[0].adaptStrength = .nan }, "adapt_strength must be finite and non-negative, got nan")
        expectError({ $0.layers[0].adaptStrength = -1 }, "adapt_strength must be finite and non-negative")
        expectError({ $0.layers[0].adaptStrength = nil }, "needs 'adapt_strength'")
        expectError({ $0.layers[0].kind = .lif }, "tau_adapt and adapt_strength belong to an alif or conv-alif layer")
        expectError({ $0.layers[1].learnThreshold = true }, "a readout has no threshold to learn")
        expectError({ $0.layers[1].tauAdapt = 0.1 }, "belong to an alif or conv-alif layer")
        // Parameters: a learned threshold must be there, fit the layer and be finite.
        let a = try NetworkArchitecture(network(kind: .alif, reset: .subtract, bpReset: false, stochastic: false))
        var p = parameters(a, seed: 1)
        p.thresholds[0]!.scalars[3] = .nan
        #expect(throws: SpikeKitError.nonFiniteValues("layer0.threshold holds NaN or infinite values")) { try p.validate(for: a) }
        p.thresholds[0] = Tensor(zeros: [5])
        #expect(throws: SpikeKitError.shapeMismatch("layer0.threshold has shape [5], expected [6]")) { try p.validate(for: a) }
        p.thresholds[0] = nil
        #expect(throws: SpikeKitError.shapeMismatch("layer0 learns its threshold and needs layer0.threshold")) { try p.validate(for: a) }
        // NIR cannot express either.
        let d = try network(kind: .alif, reset: .nextStep, bpReset: false, stochastic: false, learnThreshold: false)
        let pa = try NetworkArchitecture(d)
        #expect(throws: SpikeKitError.self) { try NIRMapping.export(d, parameters: parameters(pa, seed: 2)) }
        do {
            _ = try NIRMapping.export(d, parameters: parameters(pa, seed: 2))
        } catch SpikeKitError.invalidConfiguration(let m) {
            #expect(m.contains("alif") && m.contains("NIR"))
        }
        #expect(WeightDecay.l2(0.1).coefficient(for: "layer0.threshold") == 0)
        #expect(WeightDecay.l2(0.1).coefficient(for: "layer0.weight") == Float(0.1))
    }

    @Test func modelFilesWithBadAdaptationAreRejectedWithTheFileName() throws {
        let folder = TestPaths.temporaryFolder()
        let good = try String(contentsOfFile: TestPaths.root + "/Examples/models/alif-recurrent.json", encoding: .utf8)
        for (bad, fragment) in [("\"tau_adapt\": 0.2", "\"tau_adapt\": -1"), ("\"adapt_strength\": 0.05", "\"adapt_strength\": -0.5"),
                                ("\"kind\": \"readout\", \"units\": 10", "\"kind\": \"readout\", \"learn_threshold\": true, \"units\": 10")] {
            let path = folder + "/bad.json"
            try good.replacingOccurrences(of: bad, with: fragment).write(toFile: path, atomically: true, encoding: .utf8)
            #expect(throws: SpikeKitError.self) { _ = try NetworkArchitecture(try NetworkDescription.load(path: path)) }
        }
        let d = try NetworkDescription.load(path: TestPaths.root + "/Examples/models/alif-recurrent.json")
        let a = try NetworkArchitecture(d)
        #expect(a.layers[0].kind == .alif && a.layers[0].tauAdapt == 0.2 && a.layers[0].adaptStrength == 0.05 && a.layers[0].learnsThreshold)
        #expect(NetworkParameters(zerosFor: a).named.map(\.name) == ["layer0.weight", "layer0.recurrent", "layer0.threshold", "layer1.weight"])
    }

    // MARK: Training and checkpoints

    @Test func trainingMovesTheThresholdsAndCheckpointsRestoreThem() throws {
        var r = Randman.Configuration()
        r.classes = 3
        r.units = 10
        r.steps = 40
        r.samplesPerClass = 30
        r.maxFrequencies = 50
        r.seed = 5
        let data = try RandmanDataset.generate(r)
        let d = try ModelTemplate.alif.description(inputs: 10, hidden: 12, classes: 3, dt: 2e-3, stochastic: true, learnThreshold: true)
        let config = TrainerConfiguration(epochs: 2, batchSize: 15, seed: 3)
        var t = try Trainer(network: d, loss: .maxOverTimeCrossEntropy(activityRegularizer: nil),
                            optimizer: Adam(learningRate: 0.02, weightDecay: .decoupled(0.5)), training: data,
                            configuration: config, threads: 2)
        let start = t.parameters
        #expect(start.thresholds[0] == t.architecture.layers[0].initialThreshold(1) && start.thresholds[1] == nil)
        for _ in 0 ..< 4 { try t.trainBatch() }
        #expect(t.parameters.thresholds[0] != start.thresholds[0])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("alif-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try t.checkpoint().save(to: path)
        let ck = try Checkpoint.load(path: path)
        #expect(ck.parameters == t.parameters)
        #expect(ck.optimizerState.keys.contains { $0.hasPrefix("layer0.threshold.") })
        var resumed = try Trainer(resuming: ck, training: data, threads: 1)
        try t.trainBatch()
        try resumed.trainBatch()
        #expect(resumed.parameters == t.parameters)
    }
}
