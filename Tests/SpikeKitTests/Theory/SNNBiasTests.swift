import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
import SpikeKit

/// Issue 13: exact gradients and estimators for small stochastic LIF networks.
@Suite struct SNNBiasTests {
    static func spike(_ beta: Double = 3, surrogate: SurrogateDerivative = .superspike(beta: 10), bpReset: Bool = false) -> SpikeFunction {
        try! SpikeFunction(escape: .sigmoid(beta: beta), surrogate: surrogate, bpReset: bpReset)
    }

    /// A network from a description with weights `(mean + sd·z)` into spiking layers (scaled by the fan-in), N(0, 1)
    /// into a readout, and a random input raster.
    static func network(_ d: NetworkDescription, steps: Int, objective: (NetworkArchitecture) -> LIFObjective,
                        seed: UInt64, gain: Double = 2.5) throws -> StochasticLIFNetwork {
        let a = try NetworkArchitecture(d)
        var rng = PhiloxGenerator(seed: seed, stream: 3)
        var events: [(step: Int, unit: Int)] = []
        for t in 0..<steps { for j in 0..<a.input.count where rng.uniform() < 0.5 { events.append((t, j)) } }
        let input = try SpikeTrains(steps: steps, units: a.input.count, events: events)
        var w: [Double] = []
        for l in a.layers {
            let fan = Double(l.feedForward.fanIn)
            for _ in 0..<l.feedForward.weightShape.reduce(1, *) {
                w.append(l.isSpiking ? gain * (0.5 + 0.8 * rng.normal()) / fan : rng.normal())
            }
            if let r = l.recurrent { for _ in 0..<r.weightShape.reduce(1, *) { w.append(0.4 * rng.normal()) } }
        }
        return try StochasticLIFNetwork(architecture: a, flatParameters: w, input: input, objective: objective(a))
    }

    static func lif(_ n: Int, _ s: SpikeFunction, reset: ResetMode = .nextStep, recurrent: Bool = false) -> LayerDescription {
        LayerDescription(kind: .lif, units: n, tauMem: 2e-3, tauSyn: 1e-3, reset: reset,
                         recurrent: recurrent ? RecurrentDescription(kind: .dense) : nil, spike: s)
    }

    static func readout(_ n: Int) -> LayerDescription {
        LayerDescription(kind: .readout, units: n, tauMem: 3e-3, tauSyn: 1e-3, initialMem: 0.1)
    }

    static func l2Target(_ a: NetworkArchitecture, steps: Int, seed: UInt64) -> LIFObjective {
        var rng = PhiloxGenerator(seed: seed, stream: 9)
        return .l2Spikes(target: (0..<(steps * a.outputShape.count)).map { _ in rng.uniform() < 0.3 ? 1 : 0 })
    }

    // MARK: the Double simulator is SpikeKit's engine

    /// Forward spikes and the stochastic SG agree with the engine's `Simulator` for the same draws.
    @Test(arguments: [0, 1, 2])
    func doubleSimulatorMatchesEngine(variant: Int) throws {
        let T = 12
        let d: NetworkDescription
        var objective: (NetworkArchitecture) -> LIFObjective
        switch variant {
        case 0:  // recurrent, next-step reset, bpReset, spiking output with the L2 loss
            d = NetworkDescription(dt: 1e-3, input: InputDescription(shape: [3]), layers: [
                Self.lif(4, Self.spike(bpReset: true), recurrent: true), Self.lif(2, Self.spike(4, surrogate: .matched)),
            ])
            objective = { Self.l2Target($0, steps: T, seed: 1) }
        case 1:  // same-step reset, readout, cross-entropy with the activity regularizer
            d = NetworkDescription(dt: 1e-3, input: InputDescription(shape: [3]), layers: [
                Self.lif(4, Self.spike(surrogate: .sigmoid(beta: 2)), reset: .sameStep),
                Self.lif(3, Self.spike(2, bpReset: true), reset: .sameStep, recurrent: true), Self.readout(2),
            ])
            objective = { _ in .crossEntropy(label: 1, activityRegularizer: ActivityRegularizer(threshold: 0.5, strength: 0.3)) }
        default:  // conv-LIF with conv recurrence into a readout
            d = NetworkDescription(dt: 1e-3, input: InputDescription(shape: [2, 5]), layers: [
                LayerDescription(kind: .convLIF, channels: 2, kernel: 3, stride: 1, padding: 1, tauMem: 2e-3, tauSyn: 1e-3,
                                 recurrent: RecurrentDescription(kind: .conv, kernel: 3, padding: 1), spike: Self.spike(bpReset: true)),
                Self.readout(3),
            ])
            objective = { _ in .crossEntropy(label: 2, activityRegularizer: nil) }
        }
        let net = try Self.network(d, steps: T, objective: objective, seed: UInt64(10 + variant), gain: 4)
        var rng = PhiloxGenerator(seed: 5, stream: UInt64(variant))
        // Float draws, so that the engine and the Double simulator see the same ξ.
        let xiFloat: [Int: [Float]] = Dictionary(uniqueKeysWithValues: net.architecture.layers.enumerated().compactMap { l, a in
            a.spike?.escape.isStochastic == true ? (l, (0..<(T * a.shape.count)).map { _ in Float(rng.uniform()) }) : nil
        })
        let xi = LIFUniforms(values: net.architecture.layers.indices.map { xiFloat[$0].map { $0.map(Double.init) } ?? [] })
        let path = net.simulate(uniforms: xi)
        let sg = net.surrogateGradient(along: path)

        let sim = Simulator(architecture: net.architecture, threads: 1)
        try sim.load(try net.networkParameters())
        let input = try SpikeTrains(raster: net.input.map(Float.init)[...], steps: T, units: net.architecture.input.count)
        let loss: LossFunction, targets: Targets
        switch net.objective {
        case .l2Spikes(let t): (loss, targets) = (.l2Spikes, .spikes([t.map(Float.init)]))
        case .crossEntropy(let label, let r): (loss, targets) = (.maxOverTimeCrossEntropy(activityRegularizer: r), .labels([label]))
        case .outputSpikeCount: Issue.record("not an engine loss"); return
        }
        let result = try sim.run(inputs: [input], loss: loss, targets: targets, noise: .supplied(xiFloat), gradients: true, record: true)
        var spiking = 0
        var totalSpikes = 0.0
        for (l, a) in net.architecture.layers.enumerated() where a.isSpiking {
            let engine = result.spikes![spiking].scalars.map(Double.init)
            #expect(engine == path.spikes[l], "layer \(l) spikes differ")
            totalSpikes += engine.reduce(0, +)
            spiking += 1
        }
        #expect(totalSpikes > 3, "the test network should spike")
        #expect(abs(result.loss - net.loss(path)) < 1e-5 * max(1, abs(result.loss)))
        var engineGrad: [Double] = []
        for (_, t) in result.gradients!.named { engineGrad += t.scalars.map(Double.init) }
        let err = norm(difference(engineGrad, sg)) / norm(sg)
        #expect(norm(sg) > 0)
        #expect(err < 2e-5, "engine BPTT vs Double SG: relative error \(err)")
    }

    // MARK: exact gradient

    /// The exact gradient equals central finite differences of the enumerated E[L] (relative error < 1e-6).
    @Test(arguments: [0, 1, 2, 3])
    func exactGradientMatchesFiniteDifferences(variant: Int) throws {
        let T: Int
        let d: NetworkDescription
        var objective: (NetworkArchitecture) -> LIFObjective = { _ in .crossEntropy(label: 0, activityRegularizer: nil) }
        switch variant {
        case 0:  // recurrence, next-step reset, readout
            T = 5
            d = NetworkDescription(dt: 1e-3, input: InputDescription(shape: [3]), layers: [
                Self.lif(3, Self.spike(), recurrent: true), Self.readout(2)])
        case 1:  // two hidden layers, same-step reset
            T = 6
            d = NetworkDescription(dt: 1e-3, input: InputDescription(shape: [3]), layers: [
                Self.lif(2, Self.spike(), reset: .sameStep), Self.lif(2, Self.spike(2), reset: .sameStep), Self.readout(2)])
        case 2:  // two stochastic layers with a spiking output and the L2 loss, next-step reset, erf noise
            T = 4
            let erf = try SpikeFunction(escape: .erf(sigma: 0.4), surrogate: .matched)
            d = NetworkDescription(dt: 1e-3, input: InputDescription(shape: [3]), layers: [
                Self.lif(2, Self.spike(), recurrent: true), Self.lif(2, erf)])
            objective = { Self.l2Target($0, steps: 4, seed: 2) }
        default:  // the activity regularizer makes every neuron-step count; same-step reset with recurrence
            T = 4
            d = NetworkDescription(dt: 1e-3, input: InputDescription(shape: [2]), layers: [
                Self.lif(3, Self.spike(), reset: .sameStep, recurrent: true), Self.readout(2)])
            objective = { _ in .crossEntropy(label: 1, activityRegularizer: ActivityRegularizer(threshold: 0.3, strength: 0.5)) }
        }
        let net = try Self.network(d, steps: T, objective: objective, seed: UInt64(20 + variant))
        #expect(net.stochasticNeuronSteps >= 8)
        let exact = try net.exactExpectation(surrogate: false)
        let h = 1e-5
        var fd = [Double](repeating: 0, count: net.parameterCount)
        for k in fd.indices {
            var w = net.parameters
            w[k] += h
            let plus = try net.with(parameters: w).exactMeanLoss()
            w[k] -= 2 * h
            let minus = try net.with(parameters: w).exactMeanLoss()
            fd[k] = (plus - minus) / (2 * h)
        }
        let err = norm(difference(fd, exact.gradient)) / norm(exact.gradient)
        #expect(norm(exact.gradient) > 1e-3)
        #expect(err < 1e-6, "variant \(variant): exact vs finite differences, relative error \(err)")
        #expect(abs(try net.exactMeanLoss() - exact.meanLoss) < 1e-12)
    }

    @Test func enumerationRefusesLargeNetworks() throws {
        let d = NetworkDescription(dt: 1e-3, input: InputDescription(shape: [3]), layers: [Self.lif(5, Self.spike()), Self.readout(2)])
        let net = try Self.network(d, steps: 8, objective: { _ in .crossEntropy(label: 0, activityRegularizer: nil) }, seed: 1)
        #expect(net.stochasticNeuronSteps == 30)
        #expect(throws: SpikeKitError.self) { try net.exactExpectation() }
        do {
            _ = try net.exactMeanLoss()
        } catch {
            #expect("\(error)".contains("K = 30"))
        }
    }

    // MARK: estimators

    /// Stochastic triples and REINFORCE (with and without a baseline) are unbiased: with 3000 samples (seed 3) the
    /// whole-gradient bias is within 3 standard errors of the exact gradient and most parameters are within 3 SE.
    @Test func unbiasedEstimatorsAgreeWithExactGradient() throws {
        var setup = SNNBiasSetup()
        setup.hidden = [2, 2]
        setup.steps = 6
        setup.escapeBeta = 3
        let net = try setup.network()
        let exact = try net.exactExpectation()
        var pilot = PhiloxGenerator(seed: 3, stream: 100)
        let b = net.sampledMeanLoss(samples: 200, using: &pilot)
        for (i, e) in [GradientEstimator.stochasticTriples, .reinforce(baseline: nil), .reinforce(baseline: b)].enumerated() {
            let s = EstimatorStatistics.measure(e, exact: exact.gradient, exactMean: nil, samples: 3000, sampleCounts: [],
                                                seed: 3, stream: UInt64(i)) { net.sampleGradient(e, using: &$0) }
            #expect(s.biasInStandardErrors < 3, "\(e): bias \(s.biasInStandardErrors) standard errors")
            #expect(s.fractionWithin(standardErrors: 3) >= 0.9, "\(e)")
        }
        // The sampled stochastic SG converges to its exact expectation over paths (not to the gradient).
        let sg = EstimatorStatistics.measure(.stochasticSurrogate, exact: exact.surrogateGradientMean!, exactMean: nil,
                                             samples: 3000, sampleCounts: [], seed: 3, stream: 9) {
            net.sampleGradient(.stochasticSurrogate, using: &$0)
        }
        #expect(sg.biasInStandardErrors < 3)
        // Exact variance of the stochastic SG and of REINFORCE against the sampled ones (within 15 %).
        let ratio = sg.meanVariance / (exact.surrogateGradientVariance!.reduce(0, +) / Double(net.parameterCount))
        #expect(abs(ratio - 1) < 0.15, "SG variance sampled / exact = \(ratio)")
    }

    /// Finite differences with common random numbers: unbiased for the difference quotient of E[L] (≈ the gradient
    /// for small h), and far less variable than with independent draws.
    @Test func finiteDifferencesWithCommonRandomNumbers() throws {
        let net = try SNNBiasSetup().network()
        let exact = try net.exactExpectation(surrogate: false)
        let h = 0.05
        // The exact expectation of the estimator: the central difference quotient of the enumerated E[L].
        let quotient = try (0..<net.parameterCount).map { k in
            var w = net.parameters
            w[k] += h
            let plus = try net.with(parameters: w).exactMeanLoss()
            w[k] -= 2 * h
            return (plus - (try net.with(parameters: w).exactMeanLoss())) / (2 * h)
        }
        #expect(norm(difference(quotient, exact.gradient)) / norm(exact.gradient) < 0.02)
        let crn = EstimatorStatistics.measure(.finiteDifference(step: h, commonRandomNumbers: true), exact: quotient,
                                              exactMean: nil, samples: 2000, sampleCounts: [], seed: 4, stream: 0) {
            net.sampleGradient(.finiteDifference(step: h, commonRandomNumbers: true), using: &$0)
        }
        let ind = EstimatorStatistics.measure(.finiteDifference(step: h, commonRandomNumbers: false), exact: quotient,
                                              exactMean: nil, samples: 200, sampleCounts: [], seed: 4, stream: 1) {
            net.sampleGradient(.finiteDifference(step: h, commonRandomNumbers: false), using: &$0)
        }
        #expect(crn.biasInStandardErrors < 3, "CRN bias \(crn.biasInStandardErrors) SE")
        #expect(crn.meanVariance * 5 < ind.meanVariance, "variance CRN \(crn.meanVariance), independent \(ind.meanVariance)")
    }

    /// Theory (claim 2): one stochastic layer, one step that depends on the weights, an objective linear in the
    /// spikes and the matched surrogate: E[SG] is the exact gradient. Two layers, or more steps (the reset couples
    /// them), and it is not.
    @Test func stochasticSurrogateIsExactOnlyForOneLayerAndOneStep() throws {
        let control = try SNNBiasAnalysis.singleLayerControl(seed: 1, escapeBeta: 3)
        #expect(norm(try control.network.exactExpectation().gradient) > 1e-3)
        #expect(control.bias < 1e-12, "one layer, one step: ‖E[SG] - g‖/‖g‖ = \(control.bias)")
        let longer = try SNNBiasAnalysis.singleLayerControl(seed: 1, escapeBeta: 3, steps: 5)
        #expect(longer.bias > 1e-2, "one layer, three steps: \(longer.bias)")
        let spike = try SpikeFunction(escape: .sigmoid(beta: 3), surrogate: .matched)
        let d = NetworkDescription(dt: 1e-3, input: InputDescription(shape: [3]), layers: [Self.lif(2, spike), Self.lif(2, spike)])
        let deep = try Self.network(d, steps: 5, objective: { _ in .outputSpikeCount }, seed: 4)
        let exact = try deep.exactExpectation()
        let bias = norm(difference(exact.surrogateGradientMean!, exact.gradient)) / norm(exact.gradient)
        #expect(bias > 1e-2, "two layers: \(bias)")
        // Measurably: the sampled SG's mean is many standard errors away from the exact gradient.
        let s = EstimatorStatistics.measure(.stochasticSurrogate, exact: exact.gradient, exactMean: nil, samples: 20000,
                                            sampleCounts: [], seed: 8, stream: 0) { deep.sampleGradient(.stochasticSurrogate, using: &$0) }
        #expect(s.biasInStandardErrors > 5, "sampled SG bias \(s.biasInStandardErrors) SE")
    }

    @Test func badObjectivesAreRejected() throws {
        let a = try NetworkArchitecture(NetworkDescription(dt: 1e-3, input: InputDescription(shape: [2]), layers: [Self.lif(2, Self.spike()), Self.readout(2)]))
        let input = try SpikeTrains(steps: 3, units: 2, events: [(0, 0)])
        let w = [Double](repeating: 0.5, count: 8)
        #expect(throws: SpikeKitError.self) { try StochasticLIFNetwork(architecture: a, flatParameters: w, input: input, objective: .outputSpikeCount) }
        #expect(throws: SpikeKitError.self) { try StochasticLIFNetwork(architecture: a, flatParameters: w, input: input, objective: .crossEntropy(label: 2, activityRegularizer: nil)) }
        #expect(throws: SpikeKitError.self) { try StochasticLIFNetwork(architecture: a, flatParameters: [Double](repeating: .nan, count: 8), input: input, objective: .crossEntropy(label: 0, activityRegularizer: nil)) }
        #expect(throws: SpikeKitError.self) { try StochasticLIFNetwork(architecture: a, flatParameters: [0.5], input: input, objective: .crossEntropy(label: 0, activityRegularizer: nil)) }
    }
}

/// Issue 13, item 4: the learning experiment trains, and its runs see the same minibatches and evaluation draws.
@Suite struct SNNLearningTests {
    static func experiment(updates: Int) throws -> SNNLearningExperiment {
        var c = SNNLearningExperiment.Configuration()
        c.data.classes = 2
        c.data.samplesPerClass = 150
        c.updates = updates
        c.seconds = 0
        c.evaluateEvery = 50
        c.seed = 0
        return try SNNLearningExperiment(c)
    }

    @Test func surrogateGradientTrainingLowersTheTestLoss() throws {
        let e = try Self.experiment(updates: 250)
        let run = try e.run(.stochasticSurrogate)
        #expect(run.points.map(\.update) == [0, 50, 100, 150, 200, 250])
        #expect(run.points.last!.samples == 250 * e.configuration.batch)
        let first = run.points[0], last = run.points.last!
        #expect(last.testLoss < first.testLoss - 0.03, "test loss \(first.testLoss) -> \(last.testLoss)")
        #expect(last.testAccuracy > 0.6, "accuracy \(last.testAccuracy)")
        // The initial evaluation is the same for every estimator (same weights, same draws).
        let triples = try Self.experiment(updates: 2).run(.stochasticTriples)
        #expect(triples.points[0] == first)
        #expect(triples.points.count == 2)
    }

    @Test func impossibleConfigurationsAreRejected() {
        var c = SNNLearningExperiment.Configuration()
        c.testFraction = 1
        #expect(throws: SpikeKitError.self) { try SNNLearningExperiment(c) }
        c = SNNLearningExperiment.Configuration()
        c.learningRate = .nan
        #expect(throws: SpikeKitError.self) { try SNNLearningExperiment(c) }
    }
}
