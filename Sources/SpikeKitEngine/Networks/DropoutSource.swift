import SpikeKitFormats
import SpikeKitKernels
/// Whether a simulation applies the dropout of its layers (`LayerDescription.dropout`), and where the keep masks
/// m ∈ {0, 1} come from. Training runs dropout; evaluation does not (`.off`: every layer's spikes reach the next
/// layer undropped and unscaled).
public enum DropoutSource: Sendable, Equatable {
    /// Evaluation: no dropout.
    case off
    /// Training, with counter-based Philox masks: m = 1[u ≥ p] for the uniform u that is element t · N + q (step t,
    /// neuron q in internal order) of the stream (layer, iteration, sample) with counter word c = 1
    /// (`DropoutSource.philoxWord`; escape noise uses c = 0, so the masks are independent of it). Reproducible from
    /// the seed for any thread count; use a new `iteration` for every training step.
    case philox(seed: UInt64, iteration: UInt32)
    /// Training, with keep masks supplied from outside, one array of 0s and 1s per layer index `[B, T, *layer shape]`
    /// in canonical order (the verification fixtures do this). Every layer with dropout needs an entry.
    case supplied([Int: [Float]])

    /// The fourth argument (`c`) of `Philox.fillUniform` for dropout masks; escape noise uses 0.
    public static let philoxWord: UInt32 = 1

    /// Whether dropout acts.
    public var isTraining: Bool { self != .off }
}
