import SpikeKitFormats
import SpikeKitKernels
/// The time loops of one layer for one sample: the forward pass (feed-forward drive for all steps, then the
/// neuron dynamics with the recurrent term) and the reverse-time backward pass (BPTT), with the equations of
/// `LayerArchitecture`. Symbols follow SPEC section 2: U membrane, I synaptic current, S spikes, λ decays.
struct LayerPass: @unchecked Sendable {
    let architecture: LayerArchitecture
    let n: Int
    let lambdaMem: Float
    let lambdaSyn: Float
    let threshold: Float
    let feedForward: ConnectionKernel
    let recurrent: ConnectionKernel?
    /// The bias per neuron in internal order (owned by the simulator), added to every step's drive.
    let bias: UnsafePointer<Float>?
    let nextStep: Bool
    /// Subtractive reset: U[n+1] = λ_m U[n] + (1-λ_m) I[n] - θ S[n].
    let subtract: Bool
    let bpReset: Bool

    init(_ a: LayerArchitecture, dt: Double, threshold: Double, feedForward: ConnectionKernel, recurrent: ConnectionKernel?,
         bias: UnsafePointer<Float>? = nil) {
        self.bias = bias
        architecture = a
        n = a.shape.count
        let d = a.decay(dt: dt)
        lambdaMem = Float(d.mem)
        lambdaSyn = Float(d.syn)
        self.threshold = Float(threshold)
        self.feedForward = feedForward
        self.recurrent = recurrent
        nextStep = a.reset == .nextStep
        subtract = a.reset == .subtract
        bpReset = a.spike?.bpReset ?? false
    }

    /// Fills `L.drive[n] = W · S_in[n] + b` from the input's spike lists. Behind a layer with dropout the lists hold
    /// the kept spikes and `inputScale` is 1/(1-p): `L.drive[n] = (1/(1-p)) W · (m[n] ⊙ S_in[n]) + b`.
    @inline(__always)
    func computeDrive(_ L: LayerScratch, steps T: Int, inputIndex: UnsafePointer<Int32>, inputStart: UnsafePointer<Int32>,
                      inputScale: Float = 1) {
        L.drive.update(repeating: 0, count: T * n)
        for t in 0 ..< T {
            let a = Int(inputStart[t])
            feedForward.accumulate(active: inputIndex + a, count: Int(inputStart[t + 1]) - a, into: L.drive + t * n)
            if inputScale != 1 { for k in 0 ..< n { L.drive[t * n + k] *= inputScale } }
            if let bias { VectorKernels.add(bias, into: L.drive + t * n, count: n) }
        }
    }

    /// Adds the feed-forward weight gradient `Σ_n S_in[n] ⊗ factors[n]` (packed layout) for n = 0 ..< T - 1, with the
    /// factors `[T][N]` that `backwardSpiking` leaves in `L.drive` when it is given no `gradFF`.
    func accumulateFeedForwardGradient(factors: UnsafePointer<Float>, steps T: Int, inputIndex: UnsafePointer<Int32>,
                                       inputStart: UnsafePointer<Int32>, into gradFF: UnsafeMutablePointer<Float>) {
        for t in 0 ..< T - 1 {
            let a = Int(inputStart[t])
            feedForward.accumulateGradient(active: inputIndex + a, count: Int(inputStart[t + 1]) - a, delta: factors + t * n,
                                           into: gradFF)
        }
    }

    /// The spiking time loop. `noise(t, buffer)` fills ξ for step t (stochastic layers only). When `training` is
    /// false the surrogate derivatives are not computed. The feed-forward drive is read from `drive` (`L.drive`
    /// unless the caller shares one drive among samples).
    @inline(__always)
    func forwardSpiking(_ L: LayerScratch, drive sharedDrive: UnsafePointer<Float>? = nil, steps T: Int, training: Bool,
                        noise: (Int, UnsafeMutablePointer<Float>) -> Void) {
        let driveBase = sharedDrive ?? UnsafePointer(L.drive)
        let spike = architecture.spike!
        let stochastic = spike.escape.isStochastic
        let lm = lambdaMem, ls = lambdaSyn, th = threshold, cm = 1 - lambdaMem
        L.u.update(repeating: 0, count: n)
        L.i.update(repeating: 0, count: n)
        var count: Int32 = 0
        L.start[0] = 0
        for t in 0 ..< T {
            let s = L.spikes + t * n
            let drive = driveBase + t * n
            for k in 0 ..< n { L.x[k] = L.u[k] - th }
            if stochastic { noise(t, L.xi) }
            let fused = training && SpikeKernels.decideMatchedSigmoid(spike.escape, spike.resolvedSurrogate, x: L.x, xi: L.xi,
                                                                       spikes: s, surrogate: L.sd + t * n, count: n)
            if !fused { SpikeKernels.decide(spike.escape, x: L.x, xi: L.xi, into: s, count: n) }
            if training {
                if !fused { SpikeKernels.surrogate(spike.resolvedSurrogate, x: L.x, s: s, into: L.sd + t * n, count: n) }
                if bpReset && !subtract {
                    let r = L.resetTerm + t * n
                    if nextStep {
                        for k in 0 ..< n { r[k] = lm * L.u[k] + cm * L.i[k] }
                    } else {
                        for k in 0 ..< n { r[k] = lm * L.u[k] }
                    }
                }
            }
            if subtract {
                for k in 0 ..< n {
                    let reset: Float = s[k] != 0 ? th : 0
                    L.u[k] = lm * L.u[k] + cm * L.i[k] - reset
                    L.i[k] = ls * L.i[k] + drive[k]
                }
            } else if nextStep {
                for k in 0 ..< n {
                    let keep: Float = s[k] != 0 ? 0 : 1
                    L.u[k] = (lm * L.u[k] + cm * L.i[k]) * keep
                    L.i[k] = ls * L.i[k] + drive[k]
                }
            } else {
                for k in 0 ..< n {
                    let keep: Float = s[k] != 0 ? 0 : 1
                    L.u[k] = lm * L.u[k] * keep + cm * L.i[k]
                    L.i[k] = ls * L.i[k] + drive[k]
                }
            }
            let first = count
            // Spikes are sparse: test 8 neurons at a time (their bytes as one word) and visit only the set bytes.
            var k = 0
            while k + 8 <= n {
                var w = UnsafeRawPointer(s + k).loadUnaligned(as: UInt64.self)
                while w != 0 {
                    let byte = w.trailingZeroBitCount >> 3
                    L.index[Int(count)] = Int32(k + byte)
                    count += 1
                    w &= ~(UInt64(0xFF) << UInt64(byte << 3))
                }
                k += 8
            }
            while k < n {
                if s[k] != 0 {
                    L.index[Int(count)] = Int32(k)
                    count += 1
                }
                k += 1
            }
            L.start[t + 1] = count
            if let rec = recurrent, count > first {
                rec.accumulate(active: L.index + Int(first), count: Int(count - first), into: L.i)
            }
        }
    }

    /// The readout's time loop: records U[n] for n = 0..T-1 in `L.trace`.
    @inline(__always)
    func forwardReadout(_ L: LayerScratch, steps T: Int) {
        let lm = lambdaMem, ls = lambdaSyn, cm = 1 - lambdaMem
        L.u.update(repeating: Float(architecture.initialMem), count: n)
        L.i.update(repeating: 0, count: n)
        for t in 0 ..< T {
            let out = L.trace + t * n
            let drive = L.drive + t * n
            for k in 0 ..< n {
                out[k] = L.u[k]
                L.u[k] = lm * L.u[k] + cm * L.i[k]
                L.i[k] = ls * L.i[k] + drive[k]
            }
        }
    }

    /// BPTT through a spiking layer. On entry `L.drive[n]` holds dL/dS[n] from the loss and the next layer.
    /// Accumulates the weight gradients (packed layout) into `gradFF` and `gradRec`, and adds dL/dS_in[n] to
    /// `inputGrad[n]` when it is given. Without `gradFF` the feed-forward weight gradient is left to the caller:
    /// `L.drive[n]` then holds dL/dI[n+1], the factor of the input spikes S_in[n] in it (zero at n = T - 1).
    @inline(__always)
    func backwardSpiking(_ L: LayerScratch, steps T: Int, inputIndex: UnsafePointer<Int32>, inputStart: UnsafePointer<Int32>,
                         gradFF: UnsafeMutablePointer<Float>?, gradRec: UnsafeMutablePointer<Float>?,
                         gradBias: UnsafeMutablePointer<Float>? = nil,
                         inputGrad: UnsafeMutablePointer<Float>?, inputCount: Int) {
        let lm = lambdaMem, ls = lambdaSyn, cm = 1 - lambdaMem
        // gu, gi: dL/dU[t+1], dL/dI[t+1]; zero beyond the last step.
        L.gu.update(repeating: 0, count: n)
        L.gi.update(repeating: 0, count: n)
        for t in stride(from: T - 1, through: 0, by: -1) {
            let s = L.spikes + t * n
            let sd = L.sd + t * n
            let gs = L.gs
            gs.update(from: L.drive + t * n, count: n)
            if t < T - 1 {
                // dL/dI[t+1] reaches the recurrent input S[t], the feed-forward input S_in[t] and the weights.
                if let rec = recurrent {
                    rec.backpropagate(delta: L.gi, into: gs)
                    let a = Int(L.start[t])
                    rec.accumulateGradient(active: L.index + a, count: Int(L.start[t + 1]) - a, delta: L.gi, into: gradRec!)
                }
                if let gradFF {
                    let a = Int(inputStart[t])
                    feedForward.accumulateGradient(active: inputIndex + a, count: Int(inputStart[t + 1]) - a, delta: L.gi, into: gradFF)
                }
                // dL/db = Σ_{n < T-1} dL/dI[n+1] (the bias is in every step's drive).
                if let gradBias { VectorKernels.add(L.gi, into: gradBias, count: n) }
                if bpReset {
                    if subtract {
                        // U[t+1] = ... - θ S[t]: dL/dS[t] gets -θ dL/dU[t+1].
                        let th = threshold
                        for k in 0 ..< n { gs[k] -= L.gu[k] * th }
                    } else {
                        let r = L.resetTerm + t * n
                        for k in 0 ..< n { gs[k] -= L.gu[k] * r[k] }
                    }
                }
            }
            // dL/dI[t+1] is dL/d(W·S_in[t]): keep it in the drive buffer for the input gradient after the loop.
            if inputGrad != nil || gradFF == nil { (L.drive + t * n).update(from: L.gi, count: n) }
            if subtract {
                for k in 0 ..< n {
                    let gu1 = L.gu[k]
                    L.gu[k] = gs[k] * sd[k] + gu1 * lm
                    L.gi[k] = ls * L.gi[k] + gu1 * cm
                }
            } else if nextStep {
                for k in 0 ..< n {
                    let keep: Float = s[k] != 0 ? 0 : 1
                    let gu1 = L.gu[k]
                    L.gu[k] = gs[k] * sd[k] + gu1 * lm * keep
                    L.gi[k] = ls * L.gi[k] + gu1 * cm * keep
                }
            } else {
                for k in 0 ..< n {
                    let keep: Float = s[k] != 0 ? 0 : 1
                    let gu1 = L.gu[k]
                    L.gu[k] = gs[k] * sd[k] + gu1 * lm * keep
                    L.gi[k] = ls * L.gi[k] + gu1 * cm
                }
            }
        }
        if let g = inputGrad { feedForward.backpropagateSequence(deltas: L.drive, steps: T, into: g) }
    }

    /// BPTT through a readout. On entry `L.drive[n]` holds dL/dU[n].
    @inline(__always)
    func backwardReadout(_ L: LayerScratch, steps T: Int, inputIndex: UnsafePointer<Int32>, inputStart: UnsafePointer<Int32>,
                         gradFF: UnsafeMutablePointer<Float>, gradBias: UnsafeMutablePointer<Float>? = nil,
                         inputGrad: UnsafeMutablePointer<Float>?, inputCount: Int) {
        let lm = lambdaMem, ls = lambdaSyn, cm = 1 - lambdaMem
        L.gu.update(repeating: 0, count: n)
        L.gi.update(repeating: 0, count: n)
        for t in stride(from: T - 1, through: 0, by: -1) {
            if t < T - 1 {
                let a = Int(inputStart[t])
                feedForward.accumulateGradient(active: inputIndex + a, count: Int(inputStart[t + 1]) - a, delta: L.gi, into: gradFF)
                if let gradBias { VectorKernels.add(L.gi, into: gradBias, count: n) }
            }
            let ext = L.drive + t * n
            for k in 0 ..< n {
                let gu1 = L.gu[k]
                let g = L.gi[k]
                L.gu[k] = ext[k] + lm * gu1
                ext[k] = g  // dL/dI[t+1], kept for the input gradient after the loop
                L.gi[k] = ls * g + cm * gu1
            }
        }
        if let g = inputGrad { feedForward.backpropagateSequence(deltas: L.drive, steps: T, into: g) }
    }
}
