import SpikeKitFormats
import SpikeKitKernels

/// Loss, accuracy and firing rates of a network on a data set.
public struct Evaluation: Codable, Equatable, Sendable {
    /// Mean over the samples of the loss (with the regularizer, when the loss has one).
    public var loss: Double
    /// Share of samples whose largest max-over-time readout is the label's; nil for spike targets.
    public var accuracy: Double?
    /// Mean firing rate (Hz) of every spiking layer.
    public var rates: [Double]
    public var samples: Int

    public init(loss: Double, accuracy: Double?, rates: [Double], samples: Int) {
        self.loss = loss
        self.accuracy = accuracy
        self.rates = rates
        self.samples = samples
    }
}

/// The metrics of one training epoch.
public struct EpochMetrics: Codable, Equatable, Sendable {
    /// The epoch, 1-based.
    public var epoch: Int
    /// Mean loss and accuracy of the epoch's training batches (noise on, weights changing during the epoch).
    public var trainLoss: Double
    public var trainAccuracy: Double?
    /// Mean firing rate (Hz) of every spiking layer during the epoch's training.
    public var trainRates: [Double]
    public var validation: Evaluation?
    public var test: Evaluation?
    /// Fano factor of every spiking layer (nil when not measured or undefined).
    public var fano: [Double?]
    /// Seconds of training batches and of evaluation.
    public var trainingSeconds: Double
    public var evaluationSeconds: Double

    public init(epoch: Int, trainLoss: Double, trainAccuracy: Double?, trainRates: [Double], validation: Evaluation?,
                test: Evaluation?, fano: [Double?], trainingSeconds: Double, evaluationSeconds: Double) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.trainRates = trainRates
        self.validation = validation
        self.test = test
        self.fano = fano
        self.trainingSeconds = trainingSeconds
        self.evaluationSeconds = evaluationSeconds
    }
}

/// What one training batch gave.
public struct BatchResult: Sendable, Equatable {
    /// The epoch (0-based) and the batch within it (0-based).
    public var epoch: Int
    public var batch: Int
    /// The batch's mean loss and accuracy (nil for spike targets).
    public var loss: Double
    public var accuracy: Double?
    public var samples: Int
    /// The learning rate η of this batch's step (the schedule's; the optimizer's own without one).
    public var learningRate: Float
    /// The global L2 norm of the gradients before clipping (after the per-layer factors).
    public var gradientNorm: Double
    /// Whether clipping scaled the gradients down.
    public var clipped: Bool
}

/// Where a run stands: with the weights and the optimizer state, enough to continue bit-identically.
public struct TrainingPosition: Codable, Equatable, Sendable {
    /// Completed epochs, and completed batches of the current epoch.
    public var epoch = 0
    public var batch = 0
    /// Running sums of the current epoch.
    public var lossSum = 0.0
    public var correct = 0
    public var seen = 0
    public var spikeCounts: [Int] = []
    public var trainingSeconds = 0.0
    /// Set when a callback (early stopping) ended the run.
    public var stopped: String?

    public init() {}
}
