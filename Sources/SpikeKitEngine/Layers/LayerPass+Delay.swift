import SpikeKitFormats
import SpikeKitKernels

/// Synaptic delays of more than one step (`LayerArchitecture.feedForwardDelay`, `.recurrentDelay`):
/// ```
/// I[n+1] = λ_s I[n] + W·S_in[n - (d_ff - 1)] + V·S[n - (d_rec - 1)] + b        (S[m] = S_in[m] = 0 for m < 0)
/// dL/dS_in[m] = Wᵀ dL/dI[m + d_ff],   dL/dS[m] ∋ Vᵀ dL/dI[m + d_rec]           (dL/dI[k] = 0 for k ≥ T)
/// ```
/// A feed-forward delay is a shift of the input's spike lists by d_ff - 1 steps (`DelayLine.shift`): step n of
/// the shifted lists holds the spikes of step n - (d_ff - 1), so the drive, the weight gradient
/// Σ_n S_in[n - (d_ff - 1)] ⊗ dL/dI[n+1] and the shared-input paths run unchanged, and the input gradient reads the
/// deltas d_ff - 1 rows later (`backpropagateInput`). A recurrent delay runs the time loops below: forward, step n
/// adds V·S[n - (d_rec - 1)] from the layer's own stored spike lists (every step's spikes are kept for BPTT, so no
/// copy is needed); backward, a ring of the last d_rec vectors dL/dI[k] (`LayerScratch.delayRing`, d_rec × N,
/// allocated with the workspace) hands dL/dI[n + d_rec] to step n. With d = 1 none of this runs: the layer takes
/// the unchanged one-step loops of `LayerPass`.
extension LayerPass {
    /// Adds the input gradient dL/dS_in[m] = Wᵀ dL/dI[m + d_ff] to `g[m]` for m = 0 ..< T - (d_ff - 1), from the
    /// deltas `[T][N]` with row n = dL/dI[n+1].
    @inline(__always)
    func backpropagateInput(deltas: UnsafePointer<Float>, steps T: Int, into g: UnsafeMutablePointer<Float>) {
        let shift = feedForwardDelay - 1
        guard T > shift else { return }
        feedForward.backpropagateSequence(deltas: deltas + shift * n, steps: T - shift, into: g)
    }

    /// The spiking time loop with a recurrent delay d_rec > 1: as `forwardSpiking`, except that step t adds the
    /// recurrent term V·S[t - (d_rec - 1)] (from the stored lists of that step) to I[t+1].
    func forwardSpikingDelayed(_ L: LayerScratch, drive sharedDrive: UnsafePointer<Float>?, steps T: Int, training: Bool,
                               noise: (Int) -> UnsafePointer<Float>) {
        let driveBase = sharedDrive ?? UnsafePointer(L.drive)
        let spike = architecture.spike!
        let stochastic = spike.escape.isStochastic
        let lm = lambdaMem, ls = lambdaSyn, th = threshold, cm = 1 - lambdaMem
        let lag = recurrentDelay - 1
        L.u.update(repeating: 0, count: n)
        L.i.update(repeating: 0, count: n)
        var count: Int32 = 0
        L.start[0] = 0
        for t in 0 ..< T {
            let s = L.spikes + t * n
            let drive = driveBase + t * n
            for k in 0 ..< n { L.x[k] = L.u[k] - th }
            let xi = stochastic ? noise(t) : UnsafePointer(L.xi)
            SpikeKernels.decide(spike.escape, x: L.x, xi: xi, into: s, count: n)
            if training {
                SpikeKernels.surrogate(spike.resolvedSurrogate, x: L.x, s: s, into: L.sd + t * n, count: n)
                if bpReset && !subtract {
                    // d U[t+1] / d S[t] without the sign: λ_m U + (1-λ_m) I (next-step) or λ_m U (same-step).
                    let r = L.resetTerm + t * n
                    for k in 0 ..< n {
                        let lmk = decays?[k] ?? lm, cmk = decays?[n + k] ?? cm
                        r[k] = nextStep ? lmk * L.u[k] + cmk * L.i[k] : lmk * L.u[k]
                    }
                }
                if recordsState {
                    (L.uTrace + t * n).update(from: L.u, count: n)
                    (L.iTrace + t * n).update(from: L.i, count: n)
                }
            }
            // One branch-free loop per reset kind (so that they vectorise), the same arithmetic in each.
            if let dv = decays {
                stepNeuronDecays(L, spikes: s, drive: drive, decays: dv)
            } else if subtract {
                for k in 0 ..< n {
                    let u = lm * L.u[k], ci = cm * L.i[k]
                    L.u[k] = u + ci - (s[k] != 0 ? th : 0)
                    L.i[k] = ls * L.i[k] + drive[k]
                }
            } else if nextStep {
                for k in 0 ..< n {
                    let u = lm * L.u[k], ci = cm * L.i[k]
                    L.u[k] = s[k] != 0 ? 0 : u + ci
                    L.i[k] = ls * L.i[k] + drive[k]
                }
            } else {
                for k in 0 ..< n {
                    let u = lm * L.u[k], ci = cm * L.i[k]
                    L.u[k] = (s[k] != 0 ? 0 : u) + ci
                    L.i[k] = ls * L.i[k] + drive[k]
                }
            }
            count = SpikeLists.append(spikes: s, count: n, into: L.index, at: count)
            L.start[t + 1] = count
            // I[t+1] += V·S[t - lag]: that step's spikes are already in the lists.
            if t >= lag, let rec = recurrent {
                let a = Int(L.start[t - lag]), b = Int(L.start[t - lag + 1])
                if b > a { rec.accumulate(active: L.index + a, count: b - a, into: L.i) }
            }
        }
    }

    /// Samples per group: the rows of one register tile of `VectorKernels.accumulateRowsSequential`, two per sample.
    static let groupSize = VectorKernels.sequentialTileRows / 2

    /// Whether the backward pass runs several samples at once (`backwardSpikingDelayed` with a group): a spiking
    /// layer with a dense recurrence of delay ≥ 2 and no adaptation, whose per-step product Vᵀ then reads V once for
    /// two steps of every sample of the group.
    var groupsBackward: Bool {
        isSpiking && adaptive == nil && recurrentDelay > 1 && recurrent != nil && recurrent!.conv == nil
    }

    /// BPTT with a recurrent delay d_rec > 1 of one sample: `backwardSpikingDelayed` with a group of one.
    func backwardSpikingDelayed(_ L: LayerScratch, steps T: Int, inputIndex: UnsafePointer<Int32>, inputStart: UnsafePointer<Int32>,
                                gradFF: UnsafeMutablePointer<Float>?, gradRec: UnsafeMutablePointer<Float>?,
                                gradBias: UnsafeMutablePointer<Float>?, gradDecay: DecayGradients,
                                inputGrad: UnsafeMutablePointer<Float>?, inputCount: Int) {
        backwardSpikingDelayed([DelayedBackwardSample(scratch: L, inputIndex: inputIndex, inputStart: inputStart, inputGrad: inputGrad)],
                               steps: T, gradFF: gradFF, gradRec: gradRec, gradBias: gradBias, gradDecay: gradDecay,
                               inputCount: inputCount)
    }

    /// BPTT with a recurrent delay d_rec > 1, for a group of G samples in step: as `backwardSpiking`, except that the
    /// recurrent input S[t] receives Vᵀ dL/dI[t + d_rec] and the recurrent weight gradient is Σ_t S[t] ⊗ dL/dI[t + d_rec],
    /// with dL/dI[t + d_rec] read from the sample's ring (slot t mod d_rec, written d_rec steps earlier in reverse time;
    /// zero while unwritten).
    ///
    /// Since dL/dI[t - 1 + d_rec] is in the ring too, Vᵀ for steps t and t - 1 is one pass over V: for one sample
    /// two vectors (`VectorKernels.accumulateRows2`; a 128 × 128 V of 64 KB is then read from L2 once per two steps,
    /// each load serving two FMAs), for a group the 2G vectors of all its samples, staged as the rows of a matrix in
    /// a staging buffer and multiplied in the register tiles of `VectorKernels.accumulateRowsSequential` (six
    /// rows on AVX2, eight on AVX-512, each weight load serving six or eight FMAs: `groupSize` samples fill one
    /// tile). The gradients of the group's samples go to the same buffers, step by step. The sums differ from
    /// one-sample runs only in rounding; deterministic, and independent of the thread count like every other product.
    func backwardSpikingDelayed(_ group: [DelayedBackwardSample], steps T: Int, gradFF: UnsafeMutablePointer<Float>?,
                                gradRec: UnsafeMutablePointer<Float>?, gradBias: UnsafeMutablePointer<Float>?,
                                gradDecay: DecayGradients, inputCount: Int) {
        let lm = lambdaMem, ls = lambdaSyn, cm = 1 - lambdaMem
        let d = recurrentDelay, G = group.count
        // 2G rows of deltas, then 2G rows of products.
        let stage: UnsafeMutablePointer<Float>? = G > 1 ? CacheLine.allocate(Float.self, capacity: 4 * G * n) : nil
        defer { stage?.deallocate() }
        for sample in group {
            let L = sample.scratch
            L.delayRing.update(repeating: 0, count: d * n)
            L.gu.update(repeating: 0, count: n)
            L.gi.update(repeating: 0, count: n)
        }
        // Slot d of each ring: Vᵀ dL/dI[t - 1 + d], formed beside step t's product, for step `pendingFor`.
        var pendingFor = -1
        for t in stride(from: T - 1, through: 0, by: -1) {
            if t + d < T, let rec = recurrent {
                if pendingFor == t {
                    // Vᵀ dL/dI[t + d] was formed at step t + 1 beside that step's product.
                    for sample in group {
                        let L = sample.scratch
                        L.gs.update(from: L.drive + t * n, count: n)
                        VectorKernels.add(L.delayRing + d * n, into: L.gs, count: n)
                    }
                } else if t >= 1 && G > 1 {
                    // Rows 2g, 2g + 1: dL/dI[t + d] and dL/dI[t - 1 + d] of sample g; one pass over V for all.
                    let a = stage!, c = stage! + 2 * G * n
                    for (g, sample) in group.enumerated() {
                        let ring = sample.scratch.delayRing
                        (a + 2 * g * n).update(from: ring + (t % d) * n, count: n)
                        (a + (2 * g + 1) * n).update(from: ring + ((t - 1) % d) * n, count: n)
                    }
                    c.update(repeating: 0, count: 2 * G * n)
                    VectorKernels.accumulateRowsSequential(a, lda: n, count: 2 * G, rec.transposed, rows: n, width: n, into: c, ldc: n)
                    for (g, sample) in group.enumerated() {
                        let L = sample.scratch
                        L.gs.update(from: L.drive + t * n, count: n)
                        VectorKernels.add(c + 2 * g * n, into: L.gs, count: n)
                        (L.delayRing + d * n).update(from: c + (2 * g + 1) * n, count: n)
                    }
                    pendingFor = t - 1
                } else {
                    for sample in group {
                        let L = sample.scratch, ring = L.delayRing, pending = ring + d * n
                        L.gs.update(from: L.drive + t * n, count: n)
                        if t >= 1 {
                            // dL/dI[t - 1 + d] is known too (d ≥ 2): one pass over V for both steps.
                            pending.update(repeating: 0, count: n)
                            rec.backpropagate(delta: ring + (t % d) * n, UnsafePointer(ring + ((t - 1) % d) * n),
                                              into: L.gs, pending)
                        } else {
                            rec.backpropagate(delta: ring + (t % d) * n, into: L.gs)
                        }
                    }
                    if t >= 1 { pendingFor = t - 1 }
                }
                // dL/dI[t + d] reaches the recurrent weights.
                for sample in group {
                    let L = sample.scratch, a = Int(L.start[t])
                    rec.accumulateGradient(active: L.index + a, count: Int(L.start[t + 1]) - a,
                                           delta: L.delayRing + (t % d) * n, into: gradRec!)
                }
            } else {
                for sample in group { sample.scratch.gs.update(from: sample.scratch.drive + t * n, count: n) }
            }
            for sample in group {
                let L = sample.scratch, s = L.spikes + t * n, sd = L.sd + t * n, gs = L.gs
                if t < T - 1 {
                    if let gradFF {
                        let a = Int(sample.inputStart[t])
                        feedForward.accumulateGradient(active: sample.inputIndex + a, count: Int(sample.inputStart[t + 1]) - a,
                                                       delta: L.gi, into: gradFF)
                    }
                    if let gradBias { VectorKernels.add(L.gi, into: gradBias, count: n) }
                    if bpReset {
                        if subtract {
                            for k in 0 ..< n { gs[k] -= L.gu[k] * threshold }
                        } else {
                            let r = L.resetTerm + t * n
                            for k in 0 ..< n { gs[k] -= L.gu[k] * r[k] }
                        }
                    }
                }
                if sample.inputGrad != nil || gradFF == nil { (L.drive + t * n).update(from: L.gi, count: n) }
                if let dv = decays {
                    backstepNeuronDecays(L, step: t, spikes: s, surrogate: sd, decays: dv, gradDecay: gradDecay)
                } else if subtract {
                    // keep = 1: the same arithmetic as below without the factor (x · 1 = x exactly).
                    for k in 0 ..< n {
                        let gu1 = L.gu[k]
                        L.gu[k] = gs[k] * sd[k] + gu1 * lm
                        L.gi[k] = ls * L.gi[k] + gu1 * cm
                    }
                } else if nextStep {
                    for k in 0 ..< n {
                        let keep: Float = s[k] == 0 ? 1 : 0
                        let gu1 = L.gu[k]
                        L.gu[k] = gs[k] * sd[k] + gu1 * lm * keep
                        L.gi[k] = ls * L.gi[k] + gu1 * cm * keep
                    }
                } else {
                    for k in 0 ..< n {
                        let keep: Float = s[k] == 0 ? 1 : 0
                        let gu1 = L.gu[k]
                        L.gu[k] = gs[k] * sd[k] + gu1 * lm * keep
                        L.gi[k] = ls * L.gi[k] + gu1 * cm
                    }
                }
                // L.gi is now dL/dI[t]; step t - d reads it from this slot.
                (L.delayRing + (t % d) * n).update(from: L.gi, count: n)
            }
        }
        for sample in group {
            if let g = sample.inputGrad { backpropagateInput(deltas: sample.scratch.drive, steps: T, into: g) }
        }
    }
}

/// One sample of a group in `LayerPass.backwardSpikingDelayed`: its layer buffers, the input spike lists the layer
/// read, and where its input gradient goes (nil for the first layer).
struct DelayedBackwardSample {
    let scratch: LayerScratch
    let inputIndex: UnsafePointer<Int32>
    let inputStart: UnsafePointer<Int32>
    let inputGrad: UnsafeMutablePointer<Float>?
}

/// Spike lists delayed by whole steps.
enum DelayLine {
    /// Writes the step offsets `out[0 ... T]` of the lists (index, `start`) delayed by `d` - 1 steps: step t of the
    /// result holds the spikes of step t - (d - 1) (none for t < d - 1), the same index array read through
    /// `out[t] = start[max(0, t - (d - 1))]`. The spikes of the last d - 1 steps fall beyond the run.
    @inline(__always)
    static func shift(start: UnsafePointer<Int32>, steps T: Int, delay d: Int, into out: UnsafeMutablePointer<Int32>) {
        let lag = d - 1
        for t in 0 ... T { out[t] = start[max(0, t - lag)] }
    }
}

extension RunContext {
    /// The spike lists layer `l` reads through a feed-forward delay d_ff > 1: those of `inputLists(of:)` (the input,
    /// or the previous layer's spikes, kept spikes behind dropout) shifted by d_ff - 1 steps into
    /// `W.layers[l].delayedStart`.
    func delayedInputLists(of l: Int, _ W: SampleWorkspace) -> (UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>) {
        let index: UnsafeMutablePointer<Int32>, start: UnsafeMutablePointer<Int32>
        if l == 0 {
            (index, start) = (W.inputIndex, W.inputStart)
        } else {
            let p = W.layers[l - 1]
            (index, start) = dropoutRate[l - 1] > 0 ? (p.keptIndex, p.keptStart) : (p.index, p.start)
        }
        let out = W.layers[l].delayedStart
        DelayLine.shift(start: start, steps: steps, delay: passes[l].feedForwardDelay, into: out)
        return (index, out)
    }
}

extension SampleWorkspace {
    /// The input's step offsets as layer 0 reads them: `inputStart`, or shifted by the first layer's feed-forward
    /// delay (into its `delayedStart`).
    func firstLayerInputStart(_ pass: LayerPass) -> UnsafeMutablePointer<Int32> {
        guard pass.feedForwardDelay > 1 else { return inputStart }
        DelayLine.shift(start: inputStart, steps: steps, delay: pass.feedForwardDelay, into: layers[0].delayedStart)
        return layers[0].delayedStart
    }
}

extension NetworkArchitecture {
    /// Checks that every connection's delay fits a run of `steps` steps (d ≤ T).
    /// - Throws: `SpikeKitError.invalidConfiguration` naming the layer, the connection and the delay.
    public func validateDelays(steps T: Int) throws {
        for (i, l) in layers.enumerated() {
            if l.feedForwardDelay > T {
                throw SpikeKitError.invalidConfiguration("layer \(i): delay \(l.feedForwardDelay) exceeds the \(T) steps of the run")
            }
            if l.recurrent != nil, l.recurrentDelay > T {
                throw SpikeKitError.invalidConfiguration("layer \(i): recurrent delay \(l.recurrentDelay) exceeds the \(T) steps of the run")
            }
        }
    }
}
