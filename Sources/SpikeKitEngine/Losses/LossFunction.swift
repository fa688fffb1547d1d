import SpikeKitFormats
import SpikeKitKernels
/// Activity regularizers on every spiking layer l, with `c_{b,i}` the spikes of neuron i over all T steps:
/// - the upper bound of SPEC section 6 on the population mean, `strength · mean_b relu((1/N_l) Σ_i c_{b,i} - threshold)²`;
/// - optionally stork's lower bound per neuron, `lowerStrength · mean_b (1/N_l) Σ_i relu(lowerThreshold - c_{b,i})²`,
///   which keeps neurons from falling silent.
public struct ActivityRegularizer: Equatable, Sendable, Codable {
    public var threshold: Double
    public var strength: Double
    /// The lower bound's threshold (spikes per neuron and sample) and strength; nil: no lower bound.
    public var lowerThreshold: Double?
    public var lowerStrength: Double?

    public init(threshold: Double, strength: Double, lowerThreshold: Double? = nil, lowerStrength: Double? = nil) {
        self.threshold = threshold
        self.strength = strength
        self.lowerThreshold = lowerThreshold
        self.lowerStrength = lowerStrength
    }

    private enum CodingKeys: String, CodingKey {
        case threshold, strength, lowerThreshold = "lower_threshold", lowerStrength = "lower_strength"
    }
}

/// The training objectives (SPEC section 7). Every loss is a mean over the batch of per-sample terms.
public enum LossFunction: Equatable, Sendable {
    /// `(1/(2N)) Σ_n Σ_i (S_i[n] - target_i[n])²` on the last layer's spikes, N its neurons.
    case l2Spikes
    /// `CE(softmax(max_{n} U_c[n]), label)` on the readout membrane, plus the activity regularizer on every
    /// spiking layer when given.
    case maxOverTimeCrossEntropy(activityRegularizer: ActivityRegularizer?)
    /// `CE(softmax(Σ_n U_c[n]), label)`: the readout membrane summed over the steps n = 0..T-1.
    case sumOverTimeCrossEntropy(activityRegularizer: ActivityRegularizer?)
    /// `CE(softmax((1/T) Σ_n U_c[n]), label)`: the mean readout membrane.
    case meanMembraneCrossEntropy(activityRegularizer: ActivityRegularizer?)
    /// `CE(softmax(U_c[T-1]), label)`: the readout membrane at the last step.
    case lastStepCrossEntropy(activityRegularizer: ActivityRegularizer?)
    /// snnTorch's `mse_count_loss` on a spiking output: `(1/N) Σ_c (Σ_n S_c[n] - T·r_c)²` with `r_c = correctRate`
    /// for the label and `incorrectRate` for every other output neuron (spikes per step).
    case spikeCountMSE(correctRate: Double, incorrectRate: Double, activityRegularizer: ActivityRegularizer?)
    /// The van Rossum loss on the last layer's spikes against target spike trains: both filtered with the causal
    /// kernel e^{-t/τ_vr} (`F[n] = λ F[n-1] + S[n]`, λ = e^{-Δt/τ_vr}), `½ Σ_n Σ_i (F_i[n] - F*_i[n])²`
    /// (`VanRossumLoss`). `tau` is τ_vr in seconds.
    case vanRossum(tau: Double)
    /// A loss written outside the library (`SampleLoss`): it returns each sample's loss and dL/d(output) at every
    /// step, which the engine back-propagates.
    case user(UserLoss)

    /// The regularizer, if any.
    public var activityRegularizer: ActivityRegularizer? {
        switch self {
        case .l2Spikes, .vanRossum, .user: return nil
        case .maxOverTimeCrossEntropy(let r), .sumOverTimeCrossEntropy(let r), .meanMembraneCrossEntropy(let r),
             .lastStepCrossEntropy(let r), .spikeCountMSE(_, _, let r):
            return r
        }
    }

    /// Whether the loss reads class labels (every built-in loss but `l2Spikes` and `vanRossum`; a user loss says).
    public var usesLabels: Bool {
        switch self {
        case .l2Spikes, .vanRossum: return false
        case .user(let u): return u.loss.usesLabels
        default: return true
        }
    }

    /// Whether the loss compares the last layer's spikes with target spike trains (`l2Spikes`, `vanRossum`).
    public var comparesSpikeTrains: Bool {
        switch self {
        case .l2Spikes, .vanRossum: return true
        default: return false
        }
    }

    /// Whether the loss reads a readout's membrane (the cross-entropies) rather than spikes.
    public var needsReadout: Bool {
        switch self {
        case .l2Spikes, .spikeCountMSE, .vanRossum, .user: return false
        default: return true
        }
    }
}

/// What the loss compares against, one entry per sample.
public enum Targets: Sendable, Equatable {
    /// Target spike rasters `[T][N]` (canonical order) for `l2Spikes` and `vanRossum`.
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
