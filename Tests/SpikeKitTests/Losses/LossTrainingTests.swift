import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitEngine
import SpikeKit

/// The loss variants in the general `Trainer`: names and JSON round trips, the prediction each loss reads, the
/// data checks, and learning above chance with a readout-free spiking output (spike-count MSE).
@Suite struct LossTrainingTests {
    @Test func everyLossRoundTripsThroughItsNameAndJSON() throws {
        let reg = ActivityRegularizer(threshold: 7, strength: 0.01, lowerThreshold: 1, lowerStrength: 0.5)
        for name in LossFunction.names where !["l2-spikes", "van-rossum"].contains(name) {  // spike-train losses take no regularizer
            let loss = try LossFunction(name: name, regularizer: reg, correctRate: name == "spike-count-mse" ? 0.7 : nil)
            #expect(loss.name == name)
            #expect(loss.activityRegularizer == reg)
            let back = try JSONDecoder().decode(LossFunction.self, from: JSONEncoder().encode(loss))
            #expect(back == loss)
        }
        #expect(try LossFunction(name: "spike-count-mse") == .spikeCountMSE(correctRate: 0.8, incorrectRate: 0.2, activityRegularizer: nil))
        #expect(throws: SpikeKitError.self) { try LossFunction(name: "spike-count-mse", correctRate: 1.5) }
        #expect(throws: SpikeKitError.self) { try LossFunction(name: "cross-entropy", correctRate: 0.5) }
        #expect(throws: SpikeKitError.self) { try LossFunction(name: "hinge") }
    }

    /// One sample, two classes over three steps: class 0 has the largest maximum, class 1 the largest sum, and
    /// the last step favours class 0 again only if it is read last.
    @Test func eachLossPredictsAsItReadsTheOutput() throws {
        // [B=1, T=3, C=2]: c0 = (5, 0, 0.1), c1 = (2, 2, 0.0)
        let out = try Tensor(shape: [1, 3, 2], scalars: [5, 2, 0, 2, 0.1, 0])
        #expect(LossFunction.maxOverTimeCrossEntropy(activityRegularizer: nil).predictedClasses(output: out) == [0])
        #expect(LossFunction.sumOverTimeCrossEntropy(activityRegularizer: nil).predictedClasses(output: out) == [0])
        let later = try Tensor(shape: [1, 3, 2], scalars: [3, 2, 0, 2, 0, 0.5])
        #expect(LossFunction.maxOverTimeCrossEntropy(activityRegularizer: nil).predictedClasses(output: later) == [0])
        #expect(LossFunction.sumOverTimeCrossEntropy(activityRegularizer: nil).predictedClasses(output: later) == [1])
        #expect(LossFunction.meanMembraneCrossEntropy(activityRegularizer: nil).predictedClasses(output: later) == [1])
        #expect(LossFunction.lastStepCrossEntropy(activityRegularizer: nil).predictedClasses(output: later) == [1])
        let spikes = try Tensor(shape: [1, 3, 2], scalars: [1, 0, 0, 1, 0, 1])
        #expect(LossFunction.spikeCountMSE(correctRate: 0.8, incorrectRate: 0.2, activityRegularizer: nil).predictedClasses(output: spikes) == [1])
        #expect(LossFunction.l2Spikes.predictedClasses(output: spikes) == nil)
    }

    @Test func dataChecksNameTheLoss() throws {
        let d = try TrainerTests.randman()
        let readoutNet = try ModelTemplate.recurrent.description(inputs: 10, hidden: 8, classes: 3)
        #expect(throws: SpikeKitError.self) {
            try Trainer(network: readoutNet, loss: try LossFunction(name: "spike-count-mse"), optimizer: Adam(learningRate: 1e-3), training: d)
        }
        var spikingNet = readoutNet
        spikingNet.layers[1] = spikingNet.layers[0]
        spikingNet.layers[1].units = 3
        spikingNet.layers[1].recurrent = nil
        #expect(throws: SpikeKitError.self) {
            try Trainer(network: spikingNet, loss: .lastStepCrossEntropy(activityRegularizer: nil), optimizer: Adam(learningRate: 1e-3), training: d)
        }
        _ = try Trainer(network: spikingNet, loss: try LossFunction(name: "spike-count-mse"), optimizer: Adam(learningRate: 1e-3), training: d)
    }

    @Test(arguments: ["sum-over-time-ce", "spike-count-mse"]) func learnsRandmanAboveChance(loss name: String) throws {
        let (train, valid, test) = try TrainerTests.randman(classes: 3, units: 20, perClass: 100).split(seed: 3, validationFraction: 0.1, testFraction: 0.1)
        var net = try ModelTemplate.recurrent.description(inputs: 20, hidden: 32, classes: 3, stochastic: false)
        net.layers[1].tauMem = 0.08
        if name == "spike-count-mse" {
            net.layers[1] = net.layers[0]
            net.layers[1].units = 3
            net.layers[1].recurrent = nil
        }
        let loss = try LossFunction(name: name, correctRate: name == "spike-count-mse" ? 0.3 : nil,
                                    incorrectRate: name == "spike-count-mse" ? 0.02 : nil)
        var t = try Trainer(network: net, loss: loss, optimizer: Adam(learningRate: 0.01), training: train, validation: valid, test: test,
                            configuration: TrainerConfiguration(epochs: 10, batchSize: 16, seed: 3))
        let before = try t.evaluate(on: test)!
        try t.fit()
        let after = try t.evaluate(on: test)!
        #expect(after.loss < before.loss)
        #expect(after.accuracy! > 0.6, "\(name): test accuracy \(after.accuracy!)")
    }
}
