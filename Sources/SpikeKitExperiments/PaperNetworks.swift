import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine
/// The two networks of the paper's experiments, as model descriptions.
public enum PaperNetworks {
    /// Spike-train matching (SPEC section 5): 200 inputs → 200 LIF → 200 LIF, Δt = 1 ms, τ_mem = 10 ms,
    /// τ_syn = 5 ms, same-step reset. Deterministic: step escape noise with SuperSpike(β = 10). Stochastic: sigmoid
    /// escape noise with β = 10 (hidden) and β = 100 (output) and `stochasticSurrogate` (the SPEC's matched sigmoid
    /// surrogate unless given).
    public static func spikeTrainMatching(inputs: Int = 200, hidden: Int = 200, outputs: Int = 200, stochastic: Bool,
                                          betaHidden: Double = 10, betaOutput: Double = 100,
                                          surrogateBeta: Double = 10,
                                          stochasticSurrogate: SurrogateDerivative = .matched) throws -> NetworkDescription {
        let hiddenSpike = stochastic
            ? try SpikeFunction(escape: .sigmoid(beta: betaHidden), surrogate: stochasticSurrogate)
            : try SpikeFunction(escape: .step, surrogate: .superspike(beta: surrogateBeta))
        let outputSpike = stochastic
            ? try SpikeFunction(escape: .sigmoid(beta: betaOutput), surrogate: stochasticSurrogate)
            : try SpikeFunction(escape: .step, surrogate: .superspike(beta: surrogateBeta))
        return NetworkDescription(dt: 1e-3, input: InputDescription(shape: [inputs]), layers: [
            LayerDescription(kind: .lif, units: hidden, tauMem: 0.01, tauSyn: 0.005, reset: .sameStep, spike: hiddenSpike),
            LayerDescription(kind: .lif, units: outputs, tauMem: 0.01, tauSyn: 0.005, reset: .sameStep, spike: outputSpike),
        ])
    }

    /// The recurrent convolutional SNN for SHD (SPEC section 6): input 1 × 700 → conv-LIF 16 (k 21, s 10) →
    /// conv-LIF 32 (k 7, s 3) → conv-LIF 64 (k 7, s 3), each with a recurrent conv (k 5, s 1, p 2), → readout of
    /// `classes` units (τ_mem 0.7 s, U[0] = -1e-3). Δt = 2 ms, τ_mem = 20 ms, τ_syn = 10 ms, next-step reset.
    /// Deterministic: step + SuperSpike(10); stochastic: sigmoid(10) + SuperSpike(10).
    public static func shdCSNN(channels: [Int] = [16, 32, 64], kernels: [Int] = [21, 7, 7], strides: [Int] = [10, 3, 3],
                               inputUnits: Int = 700, classes: Int = 20, stochastic: Bool, beta: Double = 10,
                               surrogateBeta: Double = 10) throws -> NetworkDescription {
        guard channels.count == kernels.count, kernels.count == strides.count, !channels.isEmpty else {
            throw SpikeKitError.invalidConfiguration("channels, kernels and strides need the same positive number of entries")
        }
        let spike = try SpikeFunction(escape: stochastic ? .sigmoid(beta: beta) : .step, surrogate: .superspike(beta: surrogateBeta))
        var layers = zip(channels, zip(kernels, strides)).map { c, ks in
            LayerDescription(kind: .convLIF, channels: c, kernel: ks.0, stride: ks.1, padding: 0, tauMem: 0.02, tauSyn: 0.01,
                             reset: .nextStep, recurrent: RecurrentDescription(kind: .conv, kernel: 5, padding: 2, stride: 1),
                             spike: spike)
        }
        layers.append(LayerDescription(kind: .readout, units: classes, tauMem: 0.7, tauSyn: 0.01, initialMem: -1e-3))
        return NetworkDescription(dt: 2e-3, input: InputDescription(shape: [1, inputUnits]), layers: layers)
    }
}
