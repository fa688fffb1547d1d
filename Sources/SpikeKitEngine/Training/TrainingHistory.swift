import SpikeKitFormats
import SpikeKitKernels

/// The metrics of every completed epoch in a compact, column-wise form: one array per metric, one entry per epoch
/// (per-layer metrics: one array per layer). A checkpoint stores it as one JSON string (`trainer.history`), about
/// 20 bytes per number, instead of one JSON object per epoch.
public struct TrainingHistory: Codable, Equatable, Sendable {
    public var epoch: [Int] = []
    public var trainLoss: [Double] = []
    public var trainAccuracy: [Double?] = []
    public var trainRates: [[Double]] = []
    public var validLoss: [Double?] = []
    public var validAccuracy: [Double?] = []
    public var validRates: [[Double]?] = []
    public var validSamples: [Int?] = []
    public var testLoss: [Double?] = []
    public var testAccuracy: [Double?] = []
    public var testRates: [[Double]?] = []
    public var testSamples: [Int?] = []
    public var fano: [[Double?]] = []
    public var trainingSeconds: [Double] = []
    public var evaluationSeconds: [Double] = []

    private enum CodingKeys: String, CodingKey {
        case epoch, fano
        case trainLoss = "train_loss", trainAccuracy = "train_accuracy", trainRates = "train_rates"
        case validLoss = "valid_loss", validAccuracy = "valid_accuracy", validRates = "valid_rates", validSamples = "valid_samples"
        case testLoss = "test_loss", testAccuracy = "test_accuracy", testRates = "test_rates", testSamples = "test_samples"
        case trainingSeconds = "training_seconds", evaluationSeconds = "evaluation_seconds"
    }

    /// The columns of `metrics`.
    public init(_ metrics: [EpochMetrics]) {
        for m in metrics {
            epoch.append(m.epoch)
            trainLoss.append(m.trainLoss)
            trainAccuracy.append(m.trainAccuracy)
            trainRates.append(m.trainRates)
            validLoss.append(m.validation?.loss)
            validAccuracy.append(m.validation?.accuracy)
            validRates.append(m.validation?.rates)
            validSamples.append(m.validation?.samples)
            testLoss.append(m.test?.loss)
            testAccuracy.append(m.test?.accuracy)
            testRates.append(m.test?.rates)
            testSamples.append(m.test?.samples)
            fano.append(m.fano)
            trainingSeconds.append(m.trainingSeconds)
            evaluationSeconds.append(m.evaluationSeconds)
        }
    }

    /// The epochs' metrics again.
    /// - Throws: `SpikeKitError.shapeMismatch` when the columns differ in length.
    public func metrics() throws -> [EpochMetrics] {
        let n = epoch.count
        let lengths = [trainLoss.count, trainAccuracy.count, trainRates.count, validLoss.count, validAccuracy.count,
                       validRates.count, validSamples.count, testLoss.count, testAccuracy.count, testRates.count,
                       testSamples.count, fano.count, trainingSeconds.count, evaluationSeconds.count]
        guard lengths.allSatisfy({ $0 == n }) else {
            throw SpikeKitError.shapeMismatch("training history columns have lengths \(lengths), expected \(n) epochs each")
        }
        func evaluation(_ loss: Double?, _ accuracy: Double?, _ rates: [Double]?, _ samples: Int?) -> Evaluation? {
            guard let loss, let rates, let samples else { return nil }
            return Evaluation(loss: loss, accuracy: accuracy, rates: rates, samples: samples)
        }
        return (0 ..< n).map { k in
            EpochMetrics(epoch: epoch[k], trainLoss: trainLoss[k], trainAccuracy: trainAccuracy[k], trainRates: trainRates[k],
                         validation: evaluation(validLoss[k], validAccuracy[k], validRates[k], validSamples[k]),
                         test: evaluation(testLoss[k], testAccuracy[k], testRates[k], testSamples[k]),
                         fano: fano[k], trainingSeconds: trainingSeconds[k], evaluationSeconds: evaluationSeconds[k])
        }
    }
}
