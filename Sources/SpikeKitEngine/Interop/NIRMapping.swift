import SpikeKitFormats
import SpikeKitKernels
import Foundation

/// The mapping between SpikeKit networks and NIR graphs (docs/NIR.md).
///
/// NIR's `CubaLIF` is the continuous-time system
/// ```
/// τ_syn dI/dt = -I + w_in x(t)        τ_mem dv/dt = (v_leak - v) + r I        spike when v > v_threshold, v -> v_reset
/// ```
/// where `x` is the output of the node before it (`Linear`: `W s(t)`). SpikeKit reads a discrete spike as a pulse of
/// height 1 lasting one step Δt (the convention of snnTorch's and Norse's NIR importers), so a spike raises `I`
/// by `w_in (Δt/τ_syn) W` and SpikeKit's jump `W_SpikeKit` is that with
/// ```
/// gain = r · w_in · Δt / τ_syn,   W_SpikeKit = gain · W_NIR,   θ = v_threshold - v_leak   (v_reset = v_leak)
/// ```
/// and its `(1-λ_m)` input scaling is the `r = 1` of `τ_mem dv/dt = -v + I`. The exporter writes `r = 1`,
/// `w_in = τ_syn/Δt`, `v_leak = v_reset = 0`, `v_threshold = θ`, and `W_NIR = W_SpikeKit` (float32, bit for bit);
/// the importer takes a gain within `gainTolerance` of 1 as exactly 1, so SpikeKit's own graphs re-import bit for
/// bit. `CubaLI` (readout) is the same without the spike. What NIR has no field for is node metadata (`Key`).
///
/// A bias is a constant input `x = b` (NIR's `Affine`: `x = W s + b`; `Conv1d`: `b` per output channel). It enters
/// `τ_syn dI/dt = -I + w_in x` exactly like a spike of weight `b` at every step: under the same discretisation it
/// raises `I` by `w_in (Δt/τ_syn) b` each step and, with `r` folded in like the weights, `b_SpikeKit = gain · b_NIR`
/// (snnTorch's and Norse's importers make `Affine` a `torch.nn.Linear` with bias, i.e. `W s[n] + b` at every step,
/// then apply `w_in`, the synapse and `r`, as they do to the weights). The exporter's gain is 1, so
/// `b_NIR = b_SpikeKit` bit for bit.
public enum NIRMapping {
    /// Metadata keys SpikeKit writes (all prefixed `spikekit.`).
    public enum Key {
        /// Graph: the format tag `"nir-1"`.
        public static let format = "spikekit.format"
        /// Graph and neuron nodes: Δt in seconds.
        public static let dt = "spikekit.dt"
        /// Graph: the network's threshold θ.
        public static let threshold = "spikekit.threshold"
        /// Graph: how a discrete spike enters NIR's equations.
        public static let inputConvention = "spikekit.input_convention"
        /// Neuron nodes: the discrete update SpikeKit runs (text).
        public static let discretisation = "spikekit.discretisation"
        /// Neuron nodes: `next-step` or `same-step`.
        public static let reset = "spikekit.reset"
        /// Neuron and connection nodes: the delay of a connection in steps (1: `I[n+1]` gets `W·S_in[n]`).
        public static let delaySteps = "spikekit.delay_steps"
        /// Spiking neuron nodes: the spike function as JSON (escape noise and its parameters, surrogate, bp_reset).
        public static let spike = "spikekit.spike"
        /// Spiking neuron nodes: the escape noise in words, e.g. `sigmoid(beta=10)`; `step` is deterministic.
        public static let escapeNoise = "spikekit.escape_noise"
        /// Readout nodes: U[0].
        public static let initialMem = "spikekit.initial_mem"
        /// Connection nodes of layers with a bias: the bias array's name (`layer<i>.bias`); it keeps the bias of a
        /// layer whose bias is all zero (without the key, an all-zero NIR bias means no bias).
        public static let bias = "spikekit.bias"
    }

    /// The value of `spikekit.format`.
    public static let formatTag = "nir-1"
    /// Gains `r · w_in · Δt / τ_syn` this close to 1 are taken as exactly 1.
    public static let gainTolerance = 1e-9
    /// The input convention, in words (graph metadata).
    public static let inputConvention =
        "a spike is a pulse of height 1 lasting one step dt (area dt): it raises I by w_in*(dt/tau_syn)*W"

    /// What the discretisation of a layer is, in words (neuron metadata).
    static func discretisation(_ kind: LayerKind, reset: ResetMode) -> String {
        let current = "I[n+1] = exp(-dt/tau_syn) I[n] + w_in (dt/tau_syn) x[n], x[n] = the incoming NIR edges at step n (one-step delay)"
        switch (kind, reset) {
        case (.readout, _):
            return current + "; U[n+1] = exp(-dt/tau_mem) U[n] + (1 - exp(-dt/tau_mem)) r I[n]; output U[n]"
        case (_, .nextStep):
            return current + "; S[n] = spike(U[n] - v_threshold); U[n+1] = (exp(-dt/tau_mem) U[n] + (1 - exp(-dt/tau_mem)) r I[n]) (1 - S[n])"
        case (_, .sameStep):
            return current + "; S[n] = spike(U[n] - v_threshold); U[n+1] = exp(-dt/tau_mem) U[n] (1 - S[n]) + (1 - exp(-dt/tau_mem)) r I[n]"
        case (_, .subtract):
            return current + "; S[n] = spike(U[n] - v_threshold); U[n+1] = exp(-dt/tau_mem) U[n] + (1 - exp(-dt/tau_mem)) r I[n] - v_threshold S[n]"
        }
    }

    /// Node names of layer `i`: its connection, its neurons, its recurrent connection, a flatten before it, and
    /// the name of its bias array (in the description's `bias` and in checkpoints).
    static func names(_ i: Int) -> (connection: String, neurons: String, recurrent: String, flatten: String, bias: String) {
        ("layer\(i).weight", "layer\(i)", "layer\(i).recurrent", "layer\(i).flatten", "layer\(i).bias")
    }

    /// A JSON string of an encodable value (sorted keys, so files are reproducible).
    static func json(_ v: some Encodable) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return String(decoding: try e.encode(v), as: UTF8.self)
    }
}
