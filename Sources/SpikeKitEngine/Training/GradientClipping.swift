import SpikeKitFormats
import SpikeKitKernels

extension NetworkParameters {
    /// The global L2 norm over every element of every array, ‖g‖ = √(Σ over all arrays Σ_k g_k²), accumulated in
    /// Double (`torch.nn.utils.clip_grad_norm_`'s total norm with `norm_type=2`).
    public var globalNorm: Double {
        var sum = 0.0
        func add(_ t: Tensor) { t.scalars.withUnsafeBufferPointer { for x in $0 { sum += Double(x) * Double(x) } } }
        for t in feedForward { add(t) }
        for case let t? in recurrent { add(t) }
        for case let t? in biases { add(t) }
        for case let t? in logTauMem { add(t) }
        for case let t? in logTauSyn { add(t) }
        for case let t? in thresholds { add(t) }
        return sum.squareRoot()
    }

    /// Multiplies every element of every array by `factor`.
    public mutating func scale(by factor: Float) {
        func mul(_ t: inout Tensor) { t.scalars.withUnsafeMutableBufferPointer { for k in $0.indices { $0[k] *= factor } } }
        for i in feedForward.indices { mul(&feedForward[i]) }
        for i in recurrent.indices where recurrent[i] != nil { mul(&recurrent[i]!) }
        for i in biases.indices where biases[i] != nil { mul(&biases[i]!) }
        for i in logTauMem.indices where logTauMem[i] != nil { mul(&logTauMem[i]!) }
        for i in logTauSyn.indices where logTauSyn[i] != nil { mul(&logTauSyn[i]!) }
        for i in thresholds.indices where thresholds[i] != nil { mul(&thresholds[i]!) }
    }

    /// Clips gradients by their global norm with `torch.nn.utils.clip_grad_norm_(parameters, maxNorm)` semantics:
    /// with ‖g‖ the global L2 norm (`globalNorm`), every array is multiplied by c = maxNorm / (‖g‖ + 10⁻⁶) when
    /// c < 1 (that is, when ‖g‖ > maxNorm − 10⁻⁶; PyTorch multiplies by min(c, 1), and a factor 1 changes
    /// nothing). Returns ‖g‖ before clipping.
    /// - Precondition: `maxNorm` is finite and positive.
    @discardableResult
    public mutating func clipGlobalNorm(maxNorm: Double) -> Double {
        precondition(maxNorm.isFinite && maxNorm > 0, "the clipping norm must be positive, got \(maxNorm)")
        let norm = globalNorm
        let c = maxNorm / (norm + 1e-6)
        if c < 1 { scale(by: Float(c)) }
        return norm
    }
}
