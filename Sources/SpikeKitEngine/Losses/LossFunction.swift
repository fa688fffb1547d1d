import SpikeKitFormats
import SpikeKitKernels
/// The upper-bound activity regularizer of SPEC section 6, per spiking layer l:
/// `strength · mean_b relu((1/N_l) Σ_i count_{b,i} - threshold)²`, with `count` the spikes of neuron i over all T steps.
public struct ActivityRegularizer: Equatable, Sendable, Codable {
    public var threshold: Double
    public var strength: Double

    public init(threshold: Double, strength: Double) {
        self.threshold = threshold
        self.strength = strength
    }
}

/// The training objectives (SPEC section 7). Every loss is a mean over the batch of per-sample terms.
public enum LossFunction: Equatable, Sendable {
    /// `(1/(2N)) Σ_n Σ_i (S_i[n] - target_i[n])²` on the last layer's spikes, N its neurons.
    case l2Spikes
    /// `CE(softmax(max_{n} U_c[n]), label)` on the readout membrane, plus the activity regularizer on every
    /// spiking layer when given.
    case maxOverTimeCrossEntropy(activityRegularizer: ActivityRegularizer?)

    /// The regularizer, if any.
    public var activityRegularizer: ActivityRegularizer? {
        if case .maxOverTimeCrossEntropy(let r) = self { return r }
        return nil
    }
}

/// What the loss compares against, one entry per sample.
public enum Targets: Sendable, Equatable {
    /// Target spike rasters `[T][N]` (canonical order) for `l2Spikes`.
    case spikes([[Float]])
    /// Class labels for cross-entropy.
    case labels([Int])

    var count: Int {
        switch self {
        case .spikes(let s): return s.count
        case .labels(let l): return l.count
        }
    }
}
