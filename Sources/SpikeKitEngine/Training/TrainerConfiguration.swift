import SpikeKitFormats
import SpikeKitKernels

/// How a `Trainer` runs: epochs, batches, the seed of every random draw, per-layer learning-rate factors, the
/// learning-rate schedule, gradient-norm clipping, the initialization and the Fano-factor measurement. Saved in every checkpoint (`trainer.configuration`).
public struct TrainerConfiguration: Codable, Equatable, Sendable {
    /// Epochs to train (a resumed run may raise it).
    public var epochs: Int
    /// Samples per training batch (the last batch of an epoch may be smaller).
    public var batchSize: Int
    /// Samples per simulation when evaluating; it fixes the noise addressing of an evaluation (nil: `batchSize`).
    public var evaluationBatchSize: Int?
    /// The seed of the initial weights, the shuffles and the escape noise.
    public var seed: UInt64
    /// Shuffle the training samples every epoch (`BatchSchedule`).
    public var shuffle: Bool
    /// One factor per layer multiplying that layer's gradients (feed-forward and recurrent) before the optimizer
    /// step; nil: 1 for every layer. With gradient descent, layer l learns with rate η·s_l exactly; an adaptive
    /// optimizer (SMORMS3, Adam) normalises most of a constant factor away.
    public var learningRateScales: [Double]?
    /// The learning rate of each batch from the optimizer's base rate η₀ (`LearningRateSchedule`); nil: η₀ always.
    public var learningRateSchedule: LearningRateSchedule?
    /// Clip the gradients (after the per-layer factors, before the optimizer step) to this global L2 norm, with
    /// `torch.nn.utils.clip_grad_norm_` semantics (`NetworkParameters.clipGlobalNorm`); nil: no clipping.
    public var gradientClipNorm: Double?
    /// The initial weights when none are given: fluctuation-driven (σ_u, ν, α), drawn from `seed`.
    public var initialization: FluctuationDrivenInit
    /// Trials of the Fano-factor measurement on one sample of the test set (else validation); 0 or 1: never. Only
    /// networks with a stochastic layer are measured (a deterministic network's Fano factor is 0 by construction).
    public var fanoTrials: Int
    /// Sliding window of the Fano factor in steps.
    public var fanoWindow: Int
    /// The sample measured.
    public var fanoSample: Int
    /// Measure every n epochs (and after the last); 0: after the last epoch only.
    public var fanoEvery: Int

    public init(epochs: Int = 10, batchSize: Int = 64, evaluationBatchSize: Int? = nil, seed: UInt64 = 1,
                shuffle: Bool = true, learningRateScales: [Double]? = nil,
                learningRateSchedule: LearningRateSchedule? = nil, gradientClipNorm: Double? = nil,
                initialization: FluctuationDrivenInit = FluctuationDrivenInit(sigmaU: 1, nu: 10, alpha: 0.9),
                fanoTrials: Int = 0, fanoWindow: Int = 10, fanoSample: Int = 0, fanoEvery: Int = 0) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.evaluationBatchSize = evaluationBatchSize
        self.seed = seed
        self.shuffle = shuffle
        self.learningRateScales = learningRateScales
        self.learningRateSchedule = learningRateSchedule
        self.gradientClipNorm = gradientClipNorm
        self.initialization = initialization
        self.fanoTrials = fanoTrials
        self.fanoWindow = fanoWindow
        self.fanoSample = fanoSample
        self.fanoEvery = fanoEvery
    }

    /// Rejects impossible values with a message naming the parameter.
    public func validate(layers: Int) throws {
        func bad(_ m: String) -> SpikeKitError { .invalidConfiguration(m) }
        guard epochs >= 0 else { throw bad("epochs must be at least 0, got \(epochs)") }
        guard batchSize >= 1 else { throw bad("batch size must be at least 1, got \(batchSize)") }
        if let e = evaluationBatchSize, e < 1 { throw bad("evaluation batch size must be at least 1, got \(e)") }
        if let s = learningRateScales {
            guard s.count == layers else { throw bad("\(s.count) learning-rate factors for \(layers) layers") }
            if let v = s.first(where: { !($0.isFinite && $0 >= 0) }) { throw bad("learning-rate factor \(v) is not a non-negative number") }
        }
        try learningRateSchedule?.validate()
        if let c = gradientClipNorm, !(c.isFinite && c > 0) { throw bad("the gradient clipping norm must be positive, got \(c)") }
        try initialization.validate(layers: layers)
        guard fanoTrials >= 0, fanoWindow >= 1, fanoSample >= 0, fanoEvery >= 0 else {
            throw bad("Fano trials, window, sample and interval must be non-negative (window at least 1)")
        }
    }
}
