import SpikeKitFormats
import SpikeKitKernels
/// Where the uniform draws ξ of stochastic spikes (S = 1[ξ < p]) come from.
public enum NoiseSource: Sendable, Equatable {
    /// Counter-based Philox draws addressed by (layer, iteration, sample) and element step · N + neuron:
    /// reproducible from the seed for any thread count. Use a new `iteration` for every training step so draws
    /// never repeat.
    case philox(seed: UInt64, iteration: UInt32)
    /// Draws supplied from outside, one array per layer index `[B, T, *layer shape]` in canonical order (the
    /// verification fixtures do this). Every stochastic layer needs an entry.
    case supplied([Int: [Float]])
}
