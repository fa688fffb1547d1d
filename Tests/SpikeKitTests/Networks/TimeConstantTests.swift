import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
import SpikeKit

/// Heterogeneous and learnable time constants (issue #11 item 2). The surrogate gradients through spiking layers
/// are checked against PyTorch autograd by the `l-tau-*` verify cases; these tests check the initialisations, that
/// the per-neuron path reproduces the scalar one, dL/dρ against central finite differences of a Double
/// reference, and training and checkpoints.
@Suite struct TimeConstantTests {
    static let spike = try! SpikeFunction(escape: .step, surrogate: .superspike(beta: 10))

    func inputs(units: Int, steps: Int = 30, batch: Int = 2, rate: Float = 0.15, seed: UInt64 = 9) throws -> [SpikeTrains] {
        var g = PhiloxGenerator(seed: seed)
        return try (0 ..< batch).map { _ in
            try SpikeTrains(raster: ArraySlice((0 ..< steps * units).map { _ in g.uniform() < Double(rate) ? Float(1) : 0 }),
                            steps: steps, units: units)
        }
    }

    func weights(_ a: NetworkArchitecture, seed: UInt64, std: Double = 3) -> NetworkParameters {
        var g = PhiloxGenerator(seed: seed)
        func draw(_ shape: [Int], _ s: Double) -> Tensor {
            try! Tensor(shape: shape, scalars: (0 ..< shape.reduce(1, *)).map { _ in Float(g.normal() * s) })
        }
        var p = NetworkParameters(zerosFor: a)
        p.feedForward = a.layers.map { draw($0.feedForward.weightShape, std) }
        p.recurrent = a.layers.map { $0.recurrent.map { draw($0.weightShape, 0.3) } }
        return p
    }

    // MARK: Initialisations

    @Test func gammaDrawsHaveTheMeanAndShapeOfPerezNieves() throws {
        let n = 20_000
        let v = try TimeConstantInit.gamma(shape: 3, seed: 4).resolve(count: n, nominal: 0.02, stream: 0)
        let mean = v.reduce(0, +) / Double(n)
        let variance = v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
        // Γ(k = 3, θ = τ̄/3): mean τ̄, variance k θ² = τ̄²/3.
        #expect(abs(mean / 0.02 - 1) < 0.02)
        #expect(abs(variance / (0.02 * 0.02 / 3) - 1) < 0.05)
        #expect(v.allSatisfy { $0 > 0 })
        // Shape below 1 (the u^{1/k} branch) keeps the mean.
        let small = try TimeConstantInit.gamma(shape: 0.5, seed: 1).resolve(count: n, nominal: 0.01, stream: 3)
        #expect(abs(small.reduce(0, +) / Double(n) / 0.01 - 1) < 0.05)
        // Seeded and per stream.
        #expect(try TimeConstantInit.gamma(shape: 3, seed: 4).resolve(count: 5, nominal: 0.02, stream: 0) == Array(v.prefix(5)))
        #expect(try TimeConstantInit.gamma(shape: 3, seed: 4).resolve(count: 5, nominal: 0.02, stream: 1) != Array(v.prefix(5)))
        #expect(try TimeConstantInit.gamma(shape: 3, seed: 5).resolve(count: 5, nominal: 0.02, stream: 0) != Array(v.prefix(5)))
    }

    @Test func uniformConstantAndValuesInitialisations() throws {
        let u = try TimeConstantInit.uniform(low: 0.005, high: 0.05, seed: 2).resolve(count: 5000, nominal: 0.02, stream: 0)
        #expect(u.allSatisfy { $0 >= 0.005 && $0 < 0.05 })
        #expect(abs(u.reduce(0, +) / 5000 - 0.0275) < 0.001)
        #expect(try TimeConstantInit.constant.resolve(count: 3, nominal: 0.02, stream: 0) == [0.02, 0.02, 0.02])
        #expect(try TimeConstantInit.values([0.01, 0.03]).resolve(count: 2, nominal: 0.02, stream: 0) == [0.01, 0.03])
    }

    @Test func badInitialisationsFailWithTheLayerAndTheReason() throws {
        func message(_ layer: String) -> String {
            let json = #"{"dt": 0.001, "input": {"shape": [3]}, "layers": [\#(layer)]}"#
            do {
                _ = try NetworkArchitecture(JSONDecoder().decode(NetworkDescription.self, from: Data(json.utf8)))
                return "no error"
            } catch { return "\(error)" }
        }
        let base = #""kind": "readout", "units": 2, "tau_mem": 0.02, "tau_syn": 0.01"#
        #expect(message("{\(base), \"tau_mem_init\": {\"kind\": \"values\", \"values\": [0.01]}}")
            .contains("layer 0 (readout): tau_mem_init: values lists 1 time constants, the layer needs 2"))
        #expect(message("{\(base), \"tau_syn_init\": {\"kind\": \"values\", \"values\": [0.01, -1]}}")
            .contains("tau_syn_init: every time constant must be positive and finite, got -1"))
        #expect(message("{\(base), \"tau_mem_init\": {\"kind\": \"uniform\", \"low\": 0.02, \"high\": 0.01}}")
            .contains("uniform needs 0 < low < high"))
        #expect(message("{\(base), \"tau_mem_init\": {\"kind\": \"gamma\", \"shape\": 0}}").contains("gamma needs a positive shape"))
        #expect(message("{\(base), \"tau_mem_init\": {\"kind\": \"lognormal\"}}").contains("unknown time-constant initialisation 'lognormal'"))
        #expect(message("{\(base), \"learn_tau_mem\": true}") == "no error")
    }

    @Test func descriptionRoundTripsAndResolvesPerChannelForConv() throws {
        let json = #"""
        {"dt": 0.001, "input": {"shape": [2, 12]}, "layers": [
          {"kind": "conv-lif", "channels": 3, "kernel": 3, "padding": 1, "tau_mem": 0.02, "tau_syn": 0.01,
           "tau_mem_init": {"kind": "gamma", "shape": 3, "seed": 7}, "learn_tau_mem": true, "learn_tau_syn": true,
           "spike": {"escape": {"kind": "step"}, "surrogate": {"kind": "superspike", "beta": 10}}},
          {"kind": "readout", "units": 2, "tau_mem": 0.05, "tau_syn": 0.01,
           "tau_syn_init": {"kind": "uniform", "low": 0.005, "high": 0.02}}]}
        """#
        let d = try JSONDecoder().decode(NetworkDescription.self, from: Data(json.utf8))
        let again = try JSONDecoder().decode(NetworkDescription.self, from: Data(try d.json().utf8))
        #expect(again == d)
        let a = try NetworkArchitecture(d)
        #expect(a.layers[0].tauMemValues?.count == 3 && a.layers[0].tauSynValues == [0.01, 0.01, 0.01])
        #expect(a.layers[1].tauMemValues == nil && a.layers[1].tauSynValues?.count == 2 && !a.layers[1].learnsTauSyn)
        let p = NetworkParameters(zerosFor: a)
        #expect(p.named.map(\.name) == ["layer0.weight", "layer0.log_tau_mem", "layer0.log_tau_syn", "layer1.weight"])
        #expect(p.timeConstants(layer: 0).mem!.enumerated().allSatisfy { abs($0.element / a.layers[0].tauMemValues![$0.offset] - 1) < 1e-6 })
        // A draw depends on the model file alone.
        #expect(try NetworkArchitecture(again) == a)
    }

    // MARK: The per-neuron path

    func recurrentNetwork(conv: Bool, reset: ResetMode, init tauInit: TimeConstantInit?, learn: Bool = false,
                          bpReset: Bool = false) -> NetworkDescription {
        let spike = try! SpikeFunction(escape: .step, surrogate: .superspike(beta: 10), bpReset: bpReset)
        var first = conv
            ? LayerDescription(kind: .convLIF, channels: 3, kernel: 3, stride: 1, padding: 1, tauMem: 0.01, tauSyn: 0.005, reset: reset,
                               recurrent: RecurrentDescription(kind: .conv, kernel: 3, padding: 1), spike: spike)
            : LayerDescription(kind: .lif, units: 6, tauMem: 0.01, tauSyn: 0.005, reset: reset,
                               recurrent: RecurrentDescription(kind: .dense), spike: spike)
        var readout = LayerDescription(kind: .readout, units: 3, tauMem: 0.02, tauSyn: 0.005)
        first.tauMemInit = tauInit
        first.tauSynInit = tauInit
        readout.tauMemInit = tauInit
        readout.tauSynInit = tauInit
        if learn {
            first.learnTauMem = true
            first.learnTauSyn = true
            readout.learnTauMem = true
            readout.learnTauSyn = true
        }
        return NetworkDescription(dt: 1e-3, input: InputDescription(shape: conv ? [2, 6] : [6]), layers: [first, readout])
    }

    @Test(arguments: [(false, ResetMode.nextStep, false), (false, .sameStep, false), (false, .subtract, true),
                      (true, .nextStep, true), (true, .sameStep, false)])
    func constantPerNeuronTimeConstantsReproduceTheScalarPathBitForBit(conv: Bool, reset: ResetMode, bpReset: Bool) throws {
        let scalar = try NetworkArchitecture(recurrentNetwork(conv: conv, reset: reset, init: nil, bpReset: bpReset))
        let vector = try NetworkArchitecture(recurrentNetwork(conv: conv, reset: reset, init: .constant, bpReset: bpReset))
        #expect(!scalar.layers[0].hasNeuronTimeConstants && vector.layers.allSatisfy(\.hasNeuronTimeConstants))
        let p = weights(scalar, seed: 3)
        let x = try inputs(units: scalar.input.count)
        let loss = LossFunction.maxOverTimeCrossEntropy(activityRegularizer: nil)
        func run(_ a: NetworkArchitecture) throws -> SimulationResult {
            let sim = Simulator(architecture: a, threads: 1)
            try sim.load(p)
            return try sim.run(inputs: x, loss: loss, targets: .labels([0, 2]), gradients: true, record: true)
        }
        let r0 = try run(scalar), r1 = try run(vector)
        #expect(r0.spikeCounts[0] > 0)
        #expect(r0.loss == r1.loss && r0.output == r1.output && r0.spikes! == r1.spikes!)
        #expect(r0.gradients == r1.gradients)
    }

    @Test func loadedLogTimeConstantsActAsTheCorrespondingFixedValues() throws {
        // A learnable network with ρ set to ln τ' runs exactly as the fixed heterogeneous network with τ = e^ρ.
        let learn = try NetworkArchitecture(recurrentNetwork(conv: true, reset: .nextStep, init: .gamma(shape: 3, seed: 1), learn: true))
        var p = weights(learn, seed: 5)
        var g = PhiloxGenerator(seed: 11)
        for i in 0 ..< 2 {
            p.logTauMem[i]!.scalars = p.logTauMem[i]!.scalars.map { $0 + Float(0.3 * g.normal()) }
            p.logTauSyn[i]!.scalars = p.logTauSyn[i]!.scalars.map { $0 + Float(0.3 * g.normal()) }
        }
        var fixed = recurrentNetwork(conv: true, reset: .nextStep, init: nil)
        for i in 0 ..< 2 {
            let t = p.timeConstants(layer: i)
            fixed.layers[i].tauMemInit = .values(t.mem!)
            fixed.layers[i].tauSynInit = .values(t.syn!)
        }
        let fa = try NetworkArchitecture(fixed)
        var fp = p
        fp.logTauMem = [nil, nil]
        fp.logTauSyn = [nil, nil]
        let x = try inputs(units: learn.input.count)
        let s1 = Simulator(architecture: learn, threads: 1), s2 = Simulator(architecture: fa, threads: 1)
        try s1.load(p)
        try s2.load(fp)
        let loss = LossFunction.sumOverTimeCrossEntropy(activityRegularizer: nil)
        let r1 = try s1.run(inputs: x, loss: loss, targets: .labels([1, 0]), gradients: true, record: true)
        let r2 = try s2.run(inputs: x, loss: loss, targets: .labels([1, 0]), gradients: true, record: true)
        #expect(r1.spikeCounts[0] > 0)
        #expect(r1.output == r2.output && r1.loss == r2.loss && r1.gradients!.feedForward == r2.gradients!.feedForward)
        // And differently from the initial τ.
        try s1.load(weights(learn, seed: 5))
        #expect(try s1.run(inputs: x, recordOutput: true).output != r1.output)
    }

    @Test func parametersMustMatchTheLearnableTimeConstants() throws {
        let a = try NetworkArchitecture(recurrentNetwork(conv: false, reset: .nextStep, init: nil, learn: true))
        var p = NetworkParameters(zerosFor: a)
        p.logTauMem[1] = nil
        #expect(throws: SpikeKitError.shapeMismatch("layer1 learns its time constant and needs layer1.log_tau_mem")) { try p.validate(for: a) }
        p = NetworkParameters(zerosFor: a)
        p.logTauSyn[0]!.scalars[2] = .nan
        #expect(throws: SpikeKitError.nonFiniteValues("layer0.log_tau_syn holds NaN or infinite values")) { try p.validate(for: a) }
        let scalar = try NetworkArchitecture(recurrentNetwork(conv: false, reset: .nextStep, init: nil))
        #expect(throws: SpikeKitError.self) { try NetworkParameters(zerosFor: a).validate(for: scalar) }
    }

    // MARK: dL/dρ against central finite differences in Double

    /// A Double reference of an input → readout network with per-neuron τ: U[n+1] = λ_m U[n] + (1-λ_m) I[n],
    /// I[n+1] = λ_s I[n] + W·S_in[n]; loss: sum-over-time cross-entropy, batch mean.
    func referenceLoss(w: [Float], logTauMem: [Double], logTauSyn: [Double], inputs x: [SpikeTrains], labels: [Int],
                       units: Int, dt: Double) -> Double {
        var total = 0.0
        for (b, s) in x.enumerated() {
            let raster = s.raster
            let nIn = s.units
            var u = [Double](repeating: 0, count: units), i = u, logits = u
            for t in 0 ..< s.steps {
                for k in 0 ..< units {
                    logits[k] += u[k]
                    let lm = Foundation.exp(-dt / Foundation.exp(logTauMem[k])), ls = Foundation.exp(-dt / Foundation.exp(logTauSyn[k]))
                    var drive = 0.0
                    for j in 0 ..< nIn where raster[t * nIn + j] != 0 { drive += Double(w[k * nIn + j]) }
                    u[k] = lm * u[k] + (1 - lm) * i[k]
                    i[k] = ls * i[k] + drive
                }
            }
            let m = logits.max()!
            let logZ = m + Foundation.log(logits.reduce(0) { $0 + Foundation.exp($1 - m) })
            total += logZ - logits[labels[b]]
        }
        return total / Double(x.count)
    }

    @Test func readoutTimeConstantGradientsMatchCentralFiniteDifferences() throws {
        let units = 4, dt = 1e-3
        var layer = LayerDescription(kind: .readout, units: units, tauMem: 0.02, tauSyn: 0.005,
                                     tauMemInit: .gamma(shape: 3, seed: 2), tauSynInit: .uniform(low: 0.002, high: 0.01, seed: 3),
                                     learnTauMem: true, learnTauSyn: true)
        layer.weights = nil
        let a = try NetworkArchitecture(NetworkDescription(dt: dt, input: InputDescription(shape: [8]), layers: [layer]))
        let p = weights(a, seed: 4, std: 0.05)
        let x = try inputs(units: 8, steps: 40, batch: 3, rate: 0.2)
        let labels = [0, 3, 1]
        let sim = Simulator(architecture: a, threads: 2)
        try sim.load(p)
        let r = try sim.run(inputs: x, loss: .sumOverTimeCrossEntropy(activityRegularizer: nil), targets: .labels(labels), gradients: true)
        let rhoM = p.logTauMem[0]!.scalars.map(Double.init), rhoS = p.logTauSyn[0]!.scalars.map(Double.init)
        let w = p.feedForward[0].scalars
        let l0 = referenceLoss(w: w, logTauMem: rhoM, logTauSyn: rhoS, inputs: x, labels: labels, units: units, dt: dt)
        #expect(abs(l0 - r.loss) < 1e-4 * abs(l0))
        let h = 1e-5
        for k in 0 ..< units {
            for (which, got) in [("mem", r.gradients!.logTauMem[0]!.scalars[k]), ("syn", r.gradients!.logTauSyn[0]!.scalars[k])] {
                var plus = which == "mem" ? rhoM : rhoS, minus = plus
                plus[k] += h
                minus[k] -= h
                let lp = referenceLoss(w: w, logTauMem: which == "mem" ? plus : rhoM, logTauSyn: which == "syn" ? plus : rhoS,
                                       inputs: x, labels: labels, units: units, dt: dt)
                let lm = referenceLoss(w: w, logTauMem: which == "mem" ? minus : rhoM, logTauSyn: which == "syn" ? minus : rhoS,
                                       inputs: x, labels: labels, units: units, dt: dt)
                let fd = (lp - lm) / (2 * h)
                #expect(abs(fd) > 1e-4, "τ_\(which) \(k) has a gradient to check")
                #expect(abs(Double(got) - fd) < 1e-3 * max(abs(fd), 1e-2), "dL/dρ_\(which)[\(k)]: \(got) vs finite difference \(fd)")
            }
        }
    }

    @Test func readoutTimeConstantGradientsBehindASpikingConvLayerMatchFiniteDifferences() throws {
        // With the hidden spikes unchanged by ±h, the readout's ρ gradient behind a spiking conv layer is exact;
        // the surrogate path through the hidden layer is checked by the l-tau-* PyTorch cases.
        let a = try NetworkArchitecture(recurrentNetwork(conv: true, reset: .sameStep, init: .gamma(shape: 3, seed: 8), learn: true))
        let p = weights(a, seed: 6)
        let x = try inputs(units: a.input.count)
        let loss = LossFunction.sumOverTimeCrossEntropy(activityRegularizer: nil)
        let sim = Simulator(architecture: a, threads: 1)
        try sim.load(p)
        let r = try sim.run(inputs: x, loss: loss, targets: .labels([0, 2]), gradients: true, record: true)
        #expect(r.spikeCounts[0] > 0)
        for k in 0 ..< 3 {
            for mem in [true, false] {
                var plus = p, minus = p
                let h: Float = 2e-2
                if mem { plus.logTauMem[1]!.scalars[k] += h; minus.logTauMem[1]!.scalars[k] -= h } else {
                    plus.logTauSyn[1]!.scalars[k] += h; minus.logTauSyn[1]!.scalars[k] -= h
                }
                try sim.load(plus)
                let rp = try sim.run(inputs: x, loss: loss, targets: .labels([0, 2]), record: true)
                try sim.load(minus)
                let rm = try sim.run(inputs: x, loss: loss, targets: .labels([0, 2]), record: true)
                #expect(rp.spikes! == r.spikes! && rm.spikes! == r.spikes!)
                let fd = (rp.loss - rm.loss) / Double(2 * h)
                let got = Double((mem ? r.gradients!.logTauMem[1]! : r.gradients!.logTauSyn[1]!).scalars[k])
                #expect(abs(fd - got) < 2e-3 * max(abs(fd), 1), "readout ρ_\(mem ? "mem" : "syn")[\(k)]: \(got) vs \(fd)")
            }
        }
    }

    // MARK: Training and checkpoints

    @Test func trainingMovesTheTimeConstantsAndCheckpointsRestoreThem() throws {
        var r = Randman.Configuration()
        r.classes = 3
        r.units = 10
        r.steps = 40
        r.samplesPerClass = 30
        r.maxFrequencies = 50
        r.seed = 5
        let data = try RandmanDataset.generate(r)
        var d = try ModelTemplate.recurrent.description(inputs: 10, hidden: 12, classes: 3, dt: 2e-3, stochastic: false)
        d.layers[1].tauMem = 0.08
        d.layers[0].tauMemInit = .gamma(shape: 3, seed: 1)
        d.layers[0].learnTauMem = true
        d.layers[0].learnTauSyn = true
        d.layers[1].learnTauMem = true
        let config = TrainerConfiguration(epochs: 2, batchSize: 15, seed: 3)
        func trainer() throws -> Trainer {
            try Trainer(network: d, loss: .maxOverTimeCrossEntropy(activityRegularizer: nil), optimizer: Adam(learningRate: 0.02),
                        training: data, configuration: config, threads: 2)
        }
        var t = try trainer()
        let start = t.parameters
        #expect(start.logTauMem[0] == t.architecture.layers[0].initialLogTauMem && start.logTauSyn[1] == nil)
        for _ in 0 ..< 4 { try t.trainBatch() }
        #expect(t.parameters.logTauMem[0] != start.logTauMem[0] && t.parameters.logTauSyn[0] != start.logTauSyn[0])
        #expect(t.parameters.logTauMem[1] != start.logTauMem[1])
        #expect(t.parameters.timeConstants(layer: 0).mem!.allSatisfy { $0 > 0 })
        // Save, load, resume: the continuation is the uninterrupted run's.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tau-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try t.checkpoint().save(to: path)
        let ck = try Checkpoint.load(path: path)
        #expect(ck.parameters == t.parameters)
        #expect(ck.optimizerState.keys.contains { $0.hasPrefix("layer0.log_tau_syn.") })
        var resumed = try Trainer(resuming: ck, training: data, threads: 1)
        try t.trainBatch()
        try resumed.trainBatch()
        #expect(resumed.parameters == t.parameters)
    }
}
