import SpikeKitFormats
import SpikeKitKernels
/// The time loops of one layer for one sample: the forward pass (feed-forward drive for all steps, then the
/// neuron dynamics with the recurrent term) and the reverse-time backward pass (BPTT), with the equations of
/// `LayerArchitecture`. Symbols follow SPEC section 2: U membrane, I synaptic current, S spikes, λ decays.
final class LayerPass: @unchecked Sendable {
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
    /// Per-neuron decays in internal order (owned by the simulator) when the layer has heterogeneous or learnable
    /// time constants: `[λ_m (N)] [1 - λ_m (N)] [λ_s (N)]`. Nil: the scalar `lambdaMem`, `lambdaSyn` (and the
    /// scalar loops, unchanged).
    let decays: UnsafePointer<Float>?
    /// Record U[n], I[n] for dL/dλ (the layer learns a time constant).
    let recordsState: Bool
    /// Connection delays in steps (1: the default one-step delay). A feed-forward delay shifts the input's spike
    /// lists (`DelayLine`); a recurrent delay of more than one step runs the delayed time loops (LayerPass+Delay).
    let feedForwardDelay: Int
    let recurrentDelay: Int
    /// An `alif` layer or a learned threshold: the general loops of `LayerPass+Adaptive` run instead (`decays` is
    /// then always given). Nil: the LIF loops below, unchanged.
    let adaptive: AdaptiveNeurons?
    /// `architecture.isSpiking`, stored: the per-sample pipeline asks for it several times per layer, and reading it
    /// through the architecture value copies that value (retaining its arrays) each time.
    let isSpiking: Bool
    /// The layer's input gradient may be formed event-driven (`LayerPass+EventInputGradient`): a dense, non-recurrent
    /// LIF layer with scalar time constants, a one-step recurrent delay (it has none) and a detached reset.
    let eventInputEligible: Bool
    /// The largest share of non-zero entries of dL/dS (plus spikes) over `T × N` at which a sample takes the
    /// event-driven input gradient; above it the dense sequence-wide product runs. An event costs about twice a dense
    /// row's share of work (measured on spike-train matching, AVX2), so the two break even near 0.45. 0 forces the
    /// dense product, 1 the event-driven one (tests compare the two).
    var eventInputLimit: Double = 0.4

    init(_ a: LayerArchitecture, dt: Double, threshold: Double, feedForward: ConnectionKernel, recurrent: ConnectionKernel?,
         bias: UnsafePointer<Float>? = nil, decays: UnsafePointer<Float>? = nil, adaptive: AdaptiveNeurons? = nil) {
        self.adaptive = adaptive
        isSpiking = a.isSpiking
        self.bias = bias
        self.decays = decays
        recordsState = a.learnsTauMem || a.learnsTauSyn
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
        feedForwardDelay = a.feedForwardDelay
        recurrentDelay = a.recurrent == nil ? 1 : a.recurrentDelay
        eventInputEligible = a.isSpiking && feedForward.conv == nil && recurrent == nil && decays == nil && adaptive == nil
            && !(a.spike?.bpReset ?? false)
    }

    /// Fills `L.drive[n] = W · S_in[n] + b` from the input's spike lists. Behind a layer with dropout the lists hold
    /// the kept spikes and `inputScale` is 1/(1-p): `L.drive[n] = (1/(1-p)) W · (m[n] ⊙ S_in[n]) + b`.
    @inline(__always)
    func computeDrive(_ L: LayerScratch, steps T: Int, inputIndex: UnsafePointer<Int32>, inputStart: UnsafePointer<Int32>,
                      inputScale: Float = 1) {
        computeDrive(into: L.drive, steps: 0 ..< T, inputIndex: inputIndex, inputStart: inputStart, inputScale: inputScale)
    }

    /// Rows `steps` of the drive `[T][N]` into `drive`: each row is formed alone, so rows computed on different
    /// threads equal those of one call over every step.
    func computeDrive(into drive: UnsafeMutablePointer<Float>, steps: Range<Int>, inputIndex: UnsafePointer<Int32>,
                      inputStart: UnsafePointer<Int32>, inputScale: Float = 1) {
        for t in steps {
            let a = Int(inputStart[t]), row = drive + t * n
            // Each row is cleared just before its spikes are added, so the adds find it in L1 (one clear of the
            // whole [T][N] buffer first leaves the early rows in L3 or memory by the time they are reached).
            row.update(repeating: 0, count: n)
            feedForward.accumulate(active: inputIndex + a, count: Int(inputStart[t + 1]) - a, into: row)
            if inputScale != 1 { for k in 0 ..< n { row[k] *= inputScale } }
            if let bias { VectorKernels.add(bias, into: row, count: n) }
        }
    }

    /// Adds the feed-forward weight gradient `Σ_n S_in[n] ⊗ factors[n]` (packed layout) for n = 0 ..< T - 1, with the
    /// factors `[T][N]` that `backwardSpiking` leaves in `L.drive` when it is given no `gradFF`.
    /// Only the columns `columns` of every weight segment (`ConnectionKernel.width` wide) are formed when given: the
    /// elements of different column ranges are independent sums, so ranges on different threads give the result
    /// of one call.
    func accumulateFeedForwardGradient(factors: UnsafePointer<Float>, steps T: Int, inputIndex: UnsafePointer<Int32>,
                                       inputStart: UnsafePointer<Int32>, into gradFF: UnsafeMutablePointer<Float>,
                                       columns: Range<Int>? = nil) {
        for t in 0 ..< T - 1 {
            let a = Int(inputStart[t])
            feedForward.accumulateGradient(active: inputIndex + a, count: Int(inputStart[t + 1]) - a, delta: factors + t * n,
                                           into: gradFF, columns: columns ?? 0 ..< feedForward.width)
        }
    }

    /// The spiking time loop. `noise(t)` returns ξ of step t, n draws read in place (stochastic layers only). When `training` is
    /// false the surrogate derivatives are not computed. The feed-forward drive is read from `drive` (`L.drive`
    /// unless the caller shares one drive among samples).
    @inline(__always)
    func forwardSpiking(_ L: LayerScratch, drive sharedDrive: UnsafePointer<Float>? = nil, steps T: Int, training: Bool,
                        noise: (Int) -> UnsafePointer<Float>) {
        if let adaptive {
            forwardAdaptive(L, drive: sharedDrive, steps: T, training: training, adaptive: adaptive, noise: noise)
            return
        }
        if recurrentDelay > 1 { return forwardSpikingDelayed(L, drive: sharedDrive, steps: T, training: training, noise: noise) }
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
            let xi = stochastic ? noise(t) : UnsafePointer(L.xi)
            let fused = training && SpikeKernels.decideMatchedSigmoid(spike.escape, spike.resolvedSurrogate, x: L.x, xi: xi,
                                                                       spikes: s, surrogate: L.sd + t * n, count: n)
            if !fused { SpikeKernels.decide(spike.escape, x: L.x, xi: xi, into: s, count: n) }
            if training {
                if !fused { SpikeKernels.surrogate(spike.resolvedSurrogate, x: L.x, s: s, into: L.sd + t * n, count: n) }
                if bpReset && !subtract, let dv = decays {
                    let r = L.resetTerm + t * n, cmv = dv + n
                    if nextStep {
                        for k in 0 ..< n { r[k] = dv[k] * L.u[k] + cmv[k] * L.i[k] }
                    } else {
                        for k in 0 ..< n { r[k] = dv[k] * L.u[k] }
                    }
                } else if bpReset && !subtract {
                    let r = L.resetTerm + t * n
                    if nextStep {
                        for k in 0 ..< n { r[k] = lm * L.u[k] + cm * L.i[k] }
                    } else {
                        for k in 0 ..< n { r[k] = lm * L.u[k] }
                    }
                }
                if recordsState {
                    (L.uTrace + t * n).update(from: L.u, count: n)
                    (L.iTrace + t * n).update(from: L.i, count: n)
                }
            }
            if let dv = decays {
                stepNeuronDecays(L, spikes: s, drive: drive, decays: dv)
            } else if subtract {
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
            count = SpikeLists.append(spikes: s, count: n, into: L.index, at: count)
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
        if let dv = decays {
            let cmv = dv + n, lsv = dv + 2 * n
            for t in 0 ..< T {
                let out = L.trace + t * n
                let drive = L.drive + t * n
                if recordsState { (L.iTrace + t * n).update(from: L.i, count: n) }
                for k in 0 ..< n {
                    out[k] = L.u[k]
                    L.u[k] = dv[k] * L.u[k] + cmv[k] * L.i[k]
                    L.i[k] = lsv[k] * L.i[k] + drive[k]
                }
            }
            return
        }
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
                         gradBias: UnsafeMutablePointer<Float>? = nil, gradDecay: DecayGradients = DecayGradients(),
                         gradThreshold: UnsafeMutablePointer<Float>? = nil,
                         inputGrad: UnsafeMutablePointer<Float>?, inputCount: Int) {
        if let adaptive {
            backwardAdaptive(L, steps: T, inputIndex: inputIndex, inputStart: inputStart, gradFF: gradFF, gradRec: gradRec,
                             gradBias: gradBias, gradDecay: gradDecay, gradThreshold: gradThreshold, adaptive: adaptive,
                             inputGrad: inputGrad)
            return
        }
        if recurrentDelay > 1 {
            return backwardSpikingDelayed(L, steps: T, inputIndex: inputIndex, inputStart: inputStart, gradFF: gradFF, gradRec: gradRec,
                                          gradBias: gradBias, gradDecay: gradDecay, inputGrad: inputGrad, inputCount: inputCount)
        }
        let lm = lambdaMem, ls = lambdaSyn, cm = 1 - lambdaMem
        // gu, gi: dL/dU[t+1], dL/dI[t+1]; zero beyond the last step.
        L.gu.update(repeating: 0, count: n)
        L.gi.update(repeating: 0, count: n)
        let events = inputGrad != nil && takesEventInputGradient(L, steps: T, formsWeightGradient: gradFF != nil)
        for t in stride(from: T - 1, through: 0, by: -1) {
            let s = L.spikes + t * n
            let sd = L.sd + t * n
            let gs = L.gs
            gs.update(from: L.drive + t * n, count: n)
            if t < T - 1 {
                // dL/dI[t+1] reaches the recurrent input S[t], the feed-forward input S_in[t] and the weights.
                if let rec = recurrent {
                    // L.gi has zero margins for a stride-1 conv recurrence (`SampleWorkspace`).
                    if rec.takesPaddedStepDelta {
                        rec.backpropagateConvStep(paddedDelta: L.gi, into: gs)
                    } else {
                        rec.backpropagate(delta: L.gi, into: gs)
                    }
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
            if events {
                eventStep(L, step: t, surrogate: sd)
            } else if inputGrad != nil || gradFF == nil {
                // dL/dI[t+1] is dL/d(W·S_in[t]): keep it in the drive buffer for the input gradient after the loop.
                (L.drive + t * n).update(from: L.gi, count: n)
            }
            if let dv = decays {
                backstepNeuronDecays(L, step: t, spikes: s, surrogate: sd, decays: dv, gradDecay: gradDecay)
            } else if subtract {
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
        if let g = inputGrad {
            if events { eventInputSequence(L, steps: T, into: g) } else { backpropagateInput(deltas: L.drive, steps: T, into: g) }
        }
    }

    /// BPTT through a readout. On entry `L.drive[n]` holds dL/dU[n].
    @inline(__always)
    func backwardReadout(_ L: LayerScratch, steps T: Int, inputIndex: UnsafePointer<Int32>, inputStart: UnsafePointer<Int32>,
                         gradFF: UnsafeMutablePointer<Float>, gradBias: UnsafeMutablePointer<Float>? = nil,
                         gradDecay: DecayGradients = DecayGradients(),
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
            if let dv = decays {
                let cmv = dv + n, lsv = dv + 2 * n
                let u = L.trace + t * n, i = L.iTrace + t * n
                for k in 0 ..< n {
                    let gu1 = L.gu[k]
                    let g = L.gi[k]
                    // U[t+1] = λ_m U[t] + (1-λ_m) I[t], I[t+1] = λ_s I[t] + drive[t].
                    if let gm = gradDecay.mem { gm[k] += gu1 * (u[k] - i[k]) }
                    if let gsy = gradDecay.syn { gsy[k] += g * i[k] }
                    L.gu[k] = ext[k] + dv[k] * gu1
                    ext[k] = g
                    L.gi[k] = lsv[k] * g + cmv[k] * gu1
                }
                continue
            }
            for k in 0 ..< n {
                let gu1 = L.gu[k]
                let g = L.gi[k]
                L.gu[k] = ext[k] + lm * gu1
                ext[k] = g  // dL/dI[t+1], kept for the input gradient after the loop
                L.gi[k] = ls * g + cm * gu1
            }
        }
        if let g = inputGrad { backpropagateInput(deltas: L.drive, steps: T, into: g) }
    }

    /// One forward step of the neuron dynamics with per-neuron decays `dv` (layout of `decays`).
    @inline(__always)
    func stepNeuronDecays(_ L: LayerScratch, spikes s: UnsafePointer<UInt8>, drive: UnsafePointer<Float>,
                          decays dv: UnsafePointer<Float>) {
        let cmv = dv + n, lsv = dv + 2 * n, th = threshold
        if subtract {
            for k in 0 ..< n {
                let reset: Float = s[k] != 0 ? th : 0
                L.u[k] = dv[k] * L.u[k] + cmv[k] * L.i[k] - reset
                L.i[k] = lsv[k] * L.i[k] + drive[k]
            }
        } else if nextStep {
            for k in 0 ..< n {
                let keep: Float = s[k] != 0 ? 0 : 1
                L.u[k] = (dv[k] * L.u[k] + cmv[k] * L.i[k]) * keep
                L.i[k] = lsv[k] * L.i[k] + drive[k]
            }
        } else {
            for k in 0 ..< n {
                let keep: Float = s[k] != 0 ? 0 : 1
                L.u[k] = dv[k] * L.u[k] * keep + cmv[k] * L.i[k]
                L.i[k] = lsv[k] * L.i[k] + drive[k]
            }
        }
    }

    /// One backward step with per-neuron decays: on entry `L.gu`, `L.gi` hold dL/dU[t+1], dL/dI[t+1] and `L.gs`
    /// dL/dS[t]; on exit dL/dU[t], dL/dI[t]. With learnable time constants it adds
    /// dL/dλ_m += dL/dU[t+1] · ∂U[t+1]/∂λ_m, with ∂U[t+1]/∂λ_m = (U[t] - I[t]) (1 - S[t]) (next-step),
    /// U[t] (1 - S[t]) - I[t] (same-step), U[t] - I[t] (subtract), and dL/dλ_s += dL/dI[t+1] · I[t].
    @inline(__always)
    func backstepNeuronDecays(_ L: LayerScratch, step t: Int, spikes s: UnsafePointer<UInt8>,
                              surrogate sd: UnsafePointer<Float>, decays dv: UnsafePointer<Float>,
                              gradDecay: DecayGradients) {
        let cmv = dv + n, lsv = dv + 2 * n, gs = L.gs
        if let gm = gradDecay.mem {
            let u = L.uTrace + t * n, i = L.iTrace + t * n
            if subtract {
                for k in 0 ..< n { gm[k] += L.gu[k] * (u[k] - i[k]) }
            } else if nextStep {
                for k in 0 ..< n where s[k] == 0 { gm[k] += L.gu[k] * (u[k] - i[k]) }
            } else {
                for k in 0 ..< n { gm[k] += L.gu[k] * ((s[k] != 0 ? 0 : u[k]) - i[k]) }
            }
        }
        if let gsy = gradDecay.syn {
            let i = L.iTrace + t * n
            for k in 0 ..< n { gsy[k] += L.gi[k] * i[k] }
        }
        if subtract {
            for k in 0 ..< n {
                let gu1 = L.gu[k]
                L.gu[k] = gs[k] * sd[k] + gu1 * dv[k]
                L.gi[k] = lsv[k] * L.gi[k] + gu1 * cmv[k]
            }
        } else if nextStep {
            for k in 0 ..< n {
                let keep: Float = s[k] != 0 ? 0 : 1
                let gu1 = L.gu[k]
                L.gu[k] = gs[k] * sd[k] + gu1 * dv[k] * keep
                L.gi[k] = lsv[k] * L.gi[k] + gu1 * cmv[k] * keep
            }
        } else {
            for k in 0 ..< n {
                let keep: Float = s[k] != 0 ? 0 : 1
                let gu1 = L.gu[k]
                L.gu[k] = gs[k] * sd[k] + gu1 * dv[k] * keep
                L.gi[k] = lsv[k] * L.gi[k] + gu1 * cmv[k]
            }
        }
    }
}

/// Where a layer's BPTT accumulates dL/dλ_m and dL/dλ_s per neuron (internal order), nil for a decay not learned.
struct DecayGradients {
    var mem: UnsafeMutablePointer<Float>? = nil
    var syn: UnsafeMutablePointer<Float>? = nil
}

/// The spike lists the time loops keep for the event-driven products and BPTT.
enum SpikeLists {
    /// For each 8-bit mask, the positions of its set bits in increasing order, one per byte (unused bytes zero).
    nonisolated(unsafe) static let setPositions: UnsafeMutablePointer<UInt64> = {
        let p = UnsafeMutablePointer<UInt64>.allocate(capacity: 256)
        for m in 0 ..< 256 {
            var packed: UInt64 = 0, at: UInt64 = 0
            for bit in 0 ..< 8 where m & (1 << bit) != 0 {
                packed |= UInt64(bit) << (8 * at)
                at += 1
            }
            p[m] = packed
        }
        return p
    }()

    /// Appends the indices k of the set bytes `spikes[k] != 0` (k < count), in increasing order, to `index` from
    /// position `at`; returns the new length. Without branches: the eight 0/1 bytes of a word are packed into the
    /// bits of one byte by a multiply, `setPositions` gives their positions, eight indices are stored and the length
    /// advances by the number set. (A loop over the set bytes of each word mispredicts about once per word with a
    /// spike; at the paper's rates, 2-5 % per neuron and step, this costs less in the forward loops.) `index` must have
    /// room for 8 entries past the last index listed.
    @inline(__always)
    static func append(spikes s: UnsafePointer<UInt8>, count n: Int, into index: UnsafeMutablePointer<Int32>,
                            at start: Int32) -> Int32 {
        var count = Int(start)
        var k = 0
        let table = setPositions
        while k + 8 <= n {
            let word = UnsafeRawPointer(s + k).loadUnaligned(as: UInt64.self)
            let bits = Int(truncatingIfNeeded: (word &* 0x0102_0408_1020_4080) >> 56)
            let positions = SIMD8<Int32>(truncatingIfNeeded: unsafeBitCast(table[bits], to: SIMD8<UInt8>.self))
            UnsafeMutableRawPointer(index + count).storeBytes(of: positions &+ Int32(truncatingIfNeeded: k), as: SIMD8<Int32>.self)
            count += bits.nonzeroBitCount
            k += 8
        }
        while k < n {
            if s[k] != 0 {
                index[count] = Int32(truncatingIfNeeded: k)
                count += 1
            }
            k += 1
        }
        return Int32(truncatingIfNeeded: count)
    }
}
