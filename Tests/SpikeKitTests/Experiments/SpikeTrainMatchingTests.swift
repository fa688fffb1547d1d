import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

/// Spike-train matching on a small problem: learning, and resuming from a checkpoint with exactly the result of
/// an uninterrupted run.
@Suite struct SpikeTrainMatchingTests {
    func experiment(stochastic: Bool, rule: SpikeTrainMatching.UpdateRule = .bptt) throws -> SpikeTrainMatching {
        var c = SpikeTrainMatching.Configuration()
        c.inputs = 40
        c.hidden = 40
        c.trials = 3
        c.rule = rule
        c.seed = 9
        c.onlineHiddenLearningRate = 2e-5
        c.onlineOutputLearningRate = 2e-5
        let target = try SpikeRasterTarget.builtIn(neurons: 24, steps: 40)
        return try SpikeTrainMatching(configuration: c, stochastic: stochastic, target: target.spikes, neurons: 24, steps: 40)
    }

    @Test(arguments: [false, true])
    func resumingFromACheckpointEqualsAnUninterruptedRun(stochastic: Bool) throws {
        let exp = try experiment(stochastic: stochastic)
        let sim = Simulator(architecture: exp.architecture, threads: 2)
        var straight = try exp.initialState()
        try exp.train(&straight, until: 8, simulator: sim)

        let path = TestPaths.temporaryFolder() + "/ck.safetensors"
        var first = try exp.initialState()
        try exp.train(&first, until: 5, simulator: sim, checkpointEvery: 5, checkpointPath: path)
        var resumed = try exp.resume(from: path)
        #expect(resumed.epoch == 5)
        try exp.train(&resumed, until: 8, simulator: Simulator(architecture: exp.architecture, threads: 1))
        #expect(resumed.parameters == straight.parameters)
        #expect(resumed.history == straight.history)
    }

    @Test(arguments: [SpikeTrainMatching.UpdateRule.bptt, .online])
    func checkpointRecordsTheLossAndEachLayersLearningRate(rule: SpikeTrainMatching.UpdateRule) throws {
        let exp = try experiment(stochastic: false, rule: rule)
        let ck = try exp.checkpoint(exp.initialState())
        #expect(ck.metadata[Trainer.MetadataKey.loss] == #"{"kind":"l2-spikes"}"#)
        #expect(ck.metadata[Trainer.MetadataKey.learningRates] == (rule == .bptt ? "[1,40]" : "[2e-05,2e-05]"))
    }

    @Test func resumeRejectsAnotherVariantOrSeed() throws {
        let det = try experiment(stochastic: false), stoch = try experiment(stochastic: true)
        let path = TestPaths.temporaryFolder() + "/ck.safetensors"
        var s = try det.initialState()
        try det.train(&s, until: 1, simulator: Simulator(architecture: det.architecture, threads: 1), checkpointPath: path)
        #expect(throws: SpikeKitError.self) { try stoch.resume(from: path) }
        var c = det.configuration
        c.seed = 10
        let other = try SpikeTrainMatching(configuration: c, stochastic: false, target: det.target, neurons: 24, steps: 40)
        #expect(throws: SpikeKitError.self) { try other.resume(from: path) }
    }

    @Test(arguments: [SpikeTrainMatching.UpdateRule.bptt, .online])
    func deterministicNetworkLearns(rule: SpikeTrainMatching.UpdateRule) throws {
        let exp = try experiment(stochastic: false, rule: rule)
        let sim = Simulator(architecture: exp.architecture, threads: 2)
        var s = try exp.initialState()
        try exp.train(&s, until: 150, simulator: sim)
        let first = s.history[0], last = try exp.evaluate(epoch: 150, simulator: sim, parameters: s.parameters).metrics
        #expect(last.vanRossum! < 0.7 * first.vanRossum!, "van Rossum \(first.vanRossum!) → \(last.vanRossum!)")
        if rule == .bptt { #expect(last.loss < first.loss) }
    }

    @Test func stochasticNetworkLearnsWithTheChosenSurrogate() throws {
        let exp = try experiment(stochastic: true)
        #expect(exp.description.layers.map(\.spike?.surrogate) == [.superspike(beta: 10), .superspike(beta: 10)])
        var c = exp.configuration
        c.stochasticSurrogate = .matched
        let matched = try SpikeTrainMatching(configuration: c, stochastic: true, target: exp.target, neurons: 24, steps: 40)
        #expect(matched.description.layers.map(\.spike?.surrogate) == [.matched, .matched])
        #expect(matched.description.layers.map(\.spike?.escape) == exp.description.layers.map(\.spike?.escape))

        let sim = Simulator(architecture: exp.architecture, threads: 2)
        var s = try exp.initialState()
        try exp.train(&s, until: 150, simulator: sim)
        let first = s.history[0], last = try exp.evaluate(epoch: 150, simulator: sim, parameters: s.parameters).metrics
        #expect(last.loss < 0.9 * first.loss, "L2 \(first.loss) → \(last.loss)")
        #expect(last.vanRossum! < 0.7 * first.vanRossum!, "van Rossum \(first.vanRossum!) → \(last.vanRossum!)")
    }

    @Test func rejectsBadConfigurations() throws {
        var c = SpikeTrainMatching.Configuration()
        c.trials = 0
        #expect(throws: SpikeKitError.self) { try c.validate() }
        c = SpikeTrainMatching.Configuration()
        c.betaHidden = -1
        #expect(throws: SpikeKitError.self) { try c.validate() }
        #expect(throws: SpikeKitError.self) {
            try SpikeTrainMatching(configuration: SpikeTrainMatching.Configuration(), stochastic: false, target: [0, 1, 2], neurons: 1, steps: 3)
        }
    }
}
