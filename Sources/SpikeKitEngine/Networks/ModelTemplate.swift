import SpikeKitFormats
import SpikeKitKernels

/// Starting model files for `spikekit model new`: small networks of the common shapes, each ending in a readout
/// for classification. Neurons: Δt 2 ms (unless given), τ_mem 20 ms, τ_syn 10 ms, next-step reset; spiking layers
/// use step escape noise (deterministic) or sigmoid(β) escape noise (stochastic) with the SuperSpike(β = 10)
/// surrogate; the readout integrates with τ_mem = 0.2 s and starts at U[0] = -1e-3.
public enum ModelTemplate: String, CaseIterable, Sendable {
    /// inputs → LIF hidden → LIF hidden → readout (stork's feed-forward Randman network has this shape).
    case feedForward = "feed-forward"
    /// inputs → LIF hidden with dense recurrence → readout.
    case recurrent
    /// [1, inputs] → conv-LIF 16 (k 21, s 10) with a conv recurrence (k 5, p 2) → conv-LIF 32 (k 7, s 3) → readout.
    case conv
    /// inputs → adaptive LIF hidden (τ_a 0.2 s, β 0.05) with dense recurrence → readout (Bellec et al. 2018's LSNN
    /// with every neuron adaptive).
    case alif

    /// What the template builds, in one line.
    public var summary: String {
        switch self {
        case .feedForward: return "inputs -> LIF(hidden) -> LIF(hidden) -> readout(classes)"
        case .recurrent: return "inputs -> recurrent LIF(hidden) -> readout(classes)"
        case .conv: return "[1, inputs] -> conv-LIF 16 (k21 s10, recurrent conv k5) -> conv-LIF 32 (k7 s3) -> readout(classes)"
        case .alif: return "inputs -> recurrent ALIF(hidden, tau_adapt 0.2 s, adapt_strength 0.05) -> readout(classes)"
        }
    }

    /// The description for `inputs` input units, `hidden` neurons per hidden layer (dense templates), `classes`
    /// readout units, step `dt` (s), stochastic (sigmoid escape noise with `beta`) or deterministic spikes, and
    /// optionally dropout p on every hidden layer and a learned threshold per hidden neuron (channel).
    /// - Throws: `SpikeKitError.invalidConfiguration` when the sizes do not give a valid network.
    public func description(inputs: Int = 100, hidden: Int = 64, classes: Int = 10, dt: Double = 2e-3,
                            stochastic: Bool = false, beta: Double = 10, dropout: Double? = nil,
                            learnThreshold: Bool = false) throws -> NetworkDescription {
        let spike = try SpikeFunction(escape: stochastic ? .sigmoid(beta: beta) : .step, surrogate: .superspike(beta: 10))
        func lif(_ n: Int, recurrent: Bool = false) -> LayerDescription {
            LayerDescription(kind: .lif, units: n, tauMem: 0.02, tauSyn: 0.01, reset: .nextStep,
                             recurrent: recurrent ? RecurrentDescription(kind: .dense) : nil, spike: spike)
        }
        let readout = LayerDescription(kind: .readout, units: classes, tauMem: 0.2, tauSyn: 0.01, initialMem: -1e-3)
        let d: NetworkDescription
        switch self {
        case .feedForward:
            d = NetworkDescription(dt: dt, input: InputDescription(shape: [inputs]), layers: [lif(hidden), lif(hidden), readout])
        case .recurrent:
            d = NetworkDescription(dt: dt, input: InputDescription(shape: [inputs]), layers: [lif(hidden, recurrent: true), readout])
        case .alif:
            var l = lif(hidden, recurrent: true)
            l.kind = .alif
            l.tauAdapt = 0.2
            l.adaptStrength = 0.05
            d = NetworkDescription(dt: dt, input: InputDescription(shape: [inputs]), layers: [l, readout])
        case .conv:
            d = NetworkDescription(dt: dt, input: InputDescription(shape: [1, inputs]), layers: [
                LayerDescription(kind: .convLIF, channels: 16, kernel: 21, stride: 10, padding: 0, tauMem: 0.02, tauSyn: 0.01,
                                 reset: .nextStep, recurrent: RecurrentDescription(kind: .conv, kernel: 5, padding: 2, stride: 1),
                                 spike: spike),
                LayerDescription(kind: .convLIF, channels: 32, kernel: 7, stride: 3, padding: 0, tauMem: 0.02, tauSyn: 0.01,
                                 reset: .nextStep, spike: spike),
                readout,
            ])
        }
        var out = d
        for i in out.layers.indices where out.layers[i].kind != .readout {
            out.layers[i].dropout = dropout
            if learnThreshold { out.layers[i].learnThreshold = true }
        }
        _ = try NetworkArchitecture(out)
        return out
    }
}
