import SpikeKitFormats
import SpikeKitKernels
import RealModule

/// A learning-rate schedule: the rate of training batch b of epoch e as a pure function of (e, b), the batches per
/// epoch B and the run's epochs E, so a run resumed from a checkpoint (even mid-epoch) uses exactly the rates of the
/// uninterrupted run. The optimizer's `learningRate` is the base rate η₀; the `Trainer` sets the scheduled η for
/// each step and restores η₀ afterwards (checkpoints store η₀).
///
/// The schedule ticks once per epoch (`interval == .epoch`, the usual PyTorch loop that calls `scheduler.step()`
/// after each epoch: every batch of epoch e has the rate of tick t = e) or once per batch (`.batch`,
/// `scheduler.step()` after each batch: t = e·B + b). Lengths given in epochs count B ticks each in `.batch` mode.
/// With n = the tick's length unit (1 for `.epoch`, B for `.batch`):
///
/// - `constant`: η = η₀;
/// - `step` (`torch.optim.lr_scheduler.StepLR(step_size: k·n, gamma: γ)`): η = η₀ · γ^⌊e / k⌋ (in both modes
///   the rate drops at the first batch of epochs k, 2k, ...);
/// - `cosine` (`CosineAnnealingLR(T_max: T·n, eta_min: η_min)`, T = `cosineEpochs` or else E):
///   η = η_min + (η₀ − η_min) (1 + cos(π t / (T·n))) / 2 for t ≤ T·n, η_min afterwards;
///
/// times the linear warm-up factor (`LinearLR(start_factor: s, total_iters: W)`, combined multiplicatively as
/// `ChainedScheduler` combines it): f = s + (1 − s) · min(i, W) / W, with W = `warmupBatches` and i = e·B + b when
/// warm-up is counted in batches, else W = `warmupEpochs`·n and i = t. Computed in Double, then rounded to Float32.
public struct LearningRateSchedule: Codable, Equatable, Sendable {
    /// The shape of the decay.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case constant, step, cosine
    }

    /// When the rate changes: once per epoch or every batch.
    public enum Interval: String, Codable, Sendable, CaseIterable {
        case epoch, batch
    }

    public var kind: Kind
    /// When the rate changes.
    public var interval: Interval
    /// step: k, the epochs between drops (at least 1).
    public var stepEpochs: Int
    /// step: γ, the factor of each drop (positive).
    public var gamma: Double
    /// cosine: η_min, the rate at the end of the period (absolute, like PyTorch's `eta_min`).
    public var minimum: Double
    /// cosine: the period T in epochs; nil: the run's epochs (`TrainerConfiguration.epochs`).
    public var cosineEpochs: Int?
    /// The linear warm-up's length in epochs (0: none).
    public var warmupEpochs: Int
    /// The linear warm-up's length in batches (0: none; at most one of `warmupEpochs` and `warmupBatches`).
    public var warmupBatches: Int
    /// s, the warm-up's first factor, in (0, 1] (PyTorch's `LinearLR` default 1/3).
    public var warmupStartFactor: Double

    public init(kind: Kind = .constant, interval: Interval = .epoch, stepEpochs: Int = 1, gamma: Double = 0.1,
                minimum: Double = 0, cosineEpochs: Int? = nil, warmupEpochs: Int = 0, warmupBatches: Int = 0,
                warmupStartFactor: Double = 1.0 / 3) {
        self.kind = kind
        self.interval = interval
        self.stepEpochs = stepEpochs
        self.gamma = gamma
        self.minimum = minimum
        self.cosineEpochs = cosineEpochs
        self.warmupEpochs = warmupEpochs
        self.warmupBatches = warmupBatches
        self.warmupStartFactor = warmupStartFactor
    }

    /// The constant rate (no warm-up).
    public static let constant = LearningRateSchedule()

    /// `StepLR`: η₀ γ^⌊e/k⌋.
    public static func step(everyEpochs k: Int, gamma: Double = 0.1, interval: Interval = .epoch) -> LearningRateSchedule {
        LearningRateSchedule(kind: .step, interval: interval, stepEpochs: k, gamma: gamma)
    }

    /// `CosineAnnealingLR` from η₀ to `minimum` over `epochs` (nil: the run's epochs).
    public static func cosine(minimum: Double = 0, epochs: Int? = nil, interval: Interval = .epoch) -> LearningRateSchedule {
        LearningRateSchedule(kind: .cosine, interval: interval, minimum: minimum, cosineEpochs: epochs)
    }

    /// This schedule with a linear warm-up over `epochs` epochs or `batches` batches from `startFactor` · η.
    public func warmingUp(epochs: Int = 0, batches: Int = 0, startFactor: Double = 1.0 / 3) -> LearningRateSchedule {
        var s = self
        s.warmupEpochs = epochs
        s.warmupBatches = batches
        s.warmupStartFactor = startFactor
        return s
    }

    /// Whether every batch gets η₀ exactly.
    public var isConstant: Bool { kind == .constant && warmupEpochs == 0 && warmupBatches == 0 }

    /// Rejects impossible values with a message naming the parameter.
    public func validate() throws {
        func bad(_ m: String) -> SpikeKitError { .invalidConfiguration("learning-rate schedule: \(m)") }
        guard stepEpochs >= 1 else { throw bad("the step interval must be at least 1 epoch, got \(stepEpochs)") }
        guard gamma.isFinite, gamma > 0 else { throw bad("the step factor γ must be positive, got \(gamma)") }
        guard minimum.isFinite, minimum >= 0 else { throw bad("the cosine minimum must be a non-negative number, got \(minimum)") }
        if let t = cosineEpochs, t < 1 { throw bad("the cosine period must be at least 1 epoch, got \(t)") }
        guard warmupEpochs >= 0, warmupBatches >= 0 else { throw bad("warm-up lengths must be at least 0") }
        guard warmupEpochs == 0 || warmupBatches == 0 else { throw bad("give the warm-up in epochs or in batches, not both") }
        guard warmupStartFactor > 0, warmupStartFactor <= 1 else {
            throw bad("the warm-up start factor must be in (0, 1], got \(warmupStartFactor)")
        }
    }

    /// The rate of batch `batch` of epoch `epoch` from the base rate `base`, in Double (equations in the type's
    /// documentation).
    /// - Parameters:
    ///   - batchesPerEpoch: B.
    ///   - epochs: E, the run's epochs (the default cosine period).
    public func rate(base: Double, epoch: Int, batch: Int, batchesPerEpoch: Int, epochs: Int) -> Double {
        let perBatch = interval == .batch
        let n = perBatch ? batchesPerEpoch : 1
        let globalBatch = epoch * batchesPerEpoch + batch
        let t = perBatch ? globalBatch : epoch
        var eta: Double
        switch kind {
        case .constant:
            eta = base
        case .step:
            eta = base * Double.pow(gamma, Double(epoch / stepEpochs))
        case .cosine:
            let period = (cosineEpochs ?? epochs) * n
            if period <= 0 {
                eta = base
            } else if t >= period {
                eta = minimum
            } else {
                eta = minimum + (base - minimum) * (1 + Double.cos(Double.pi * Double(t) / Double(period))) / 2
            }
        }
        let (i, w) = warmupBatches > 0 ? (globalBatch, warmupBatches) : (t, warmupEpochs * n)
        if w > 0, i < w {
            eta *= warmupStartFactor + (1 - warmupStartFactor) * Double(i) / Double(w)
        }
        return eta
    }

    /// The Float32 rate of batch `batch` of epoch `epoch` from the base rate `base` (exactly `base` when the
    /// schedule `isConstant`).
    public func rate(base: Float, epoch: Int, batch: Int, batchesPerEpoch: Int, epochs: Int) -> Float {
        if isConstant { return base }
        return Float(rate(base: Double(base), epoch: epoch, batch: batch, batchesPerEpoch: batchesPerEpoch, epochs: epochs))
    }
}
