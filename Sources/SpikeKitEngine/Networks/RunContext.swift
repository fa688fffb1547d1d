import SpikeKitFormats
import SpikeKitKernels
import Foundation

/// Everything one batch run shares between worker threads, and the per-sample pipeline: input lists, forward
/// through every layer, the loss and its gradient, and BPTT back through every layer into the slot's gradient.
/// Workers touch disjoint parts of the output buffers (their own samples, their own slots).
struct RunContext: @unchecked Sendable {
    let architecture: NetworkArchitecture
    let passes: [LayerPass]
    let inputs: [SpikeTrains]
    let loss: LossFunction?
    let targets: Targets?
    let batch: Int
    let steps: Int
    let gradients: Bool
    let slotGrads: UnsafeMutablePointer<Float>?
    let gradientSize: Int
    /// Floats per gradient slot: the packed gradients, then (with `sharedInputGradient`) the first layer's
    /// dL/dI[n+1] summed over the slot's samples, `[T][N]`.
    let slotStride: Int
    /// Every sample has the same input and the first layer spikes: its feed-forward weight gradient
    /// Σ_b Σ_n S_in[n] ⊗ dL_b/dI[n+1] = Σ_n S_in[n] ⊗ (Σ_b dL_b/dI[n+1]) is formed once per batch from the summed
    /// factors instead of once per sample.
    let sharedInputGradient: Bool
    let ffGradOffset: [Int]
    let recGradOffset: [Int]
    let biasGradOffset: [Int]
    /// Where each layer's dL/dλ_m and dL/dλ_s (one per neuron, internal order) start; -1 when not learned.
    let tauMemGradOffset: [Int]
    let tauSynGradOffset: [Int]
    /// Where each layer's dL/dθ (one per neuron, internal order) starts; -1 when the threshold is not learned.
    let thresholdGradOffset: [Int]
    let lossOut: UnsafeMutablePointer<Double>
    let countOut: UnsafeMutablePointer<Int>
    let outputOut: UnsafeMutablePointer<Float>?
    let spikesOut: [UnsafeMutablePointer<Float>?]
    let surrogatesOut: [UnsafeMutablePointer<Float>?]
    let supplied: [Int: [Float]]
    let philox: Philox
    let iteration: UInt32
    /// The first layer's feed-forward drive `[T][N]`, when every sample has the same input (trials of one
    /// stimulus): computed once per batch instead of once per sample.
    let sharedFirstDrive: UnsafePointer<Float>?
    /// Per layer: the dropout probability p acting in this run (0: none, and always 0 at evaluation).
    let dropoutRate: [Float]
    /// Keep masks supplied per layer `[B][T][N]` in internal order (else Philox draws).
    let suppliedMasks: [Int: [Float]]
    let dropoutPhilox: Philox
    let dropoutIteration: UInt32
    /// When recording: every dropout layer's keep masks `[B, T, *shape]` (canonical order).
    let masksOut: [UnsafeMutablePointer<Float>?]
    /// Real-valued input: every sample's first-layer drive `[B][T][N]` (W·x[n] + b), read in place.
    var currentDrives: UnsafePointer<Float>? = nil
    /// Real-valued input with gradients: where each sample leaves its first layer's dL/dI[n+1] `[B][T][N]`.
    var currentFactors: UnsafeMutablePointer<Float>? = nil

    /// 1/(1-p) for a layer whose dropout acts in this run, else 1.
    func dropoutScale(_ l: Int) -> Float { dropoutRate[l] > 0 ? 1 / (1 - dropoutRate[l]) : 1 }

    /// The spike lists layer `l` (> 0) reads: the previous layer's kept spikes when its dropout acts, else all.
    @inline(__always)
    func inputLists(of l: Int, _ W: SampleWorkspace) -> (UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>) {
        if passes[l].feedForwardDelay > 1 { return delayedInputLists(of: l, W) }
        if l == 0 { return (W.inputIndex, W.inputStart) }
        let p = W.layers[l - 1]
        return dropoutRate[l - 1] > 0 ? (p.keptIndex, p.keptStart) : (p.index, p.start)
    }

    /// Dropout on layer `l`'s spikes for sample `b`: the keep mask m (supplied, or m = 1[u ≥ p] from the Philox
    /// stream (layer, iteration, sample) with counter word `DropoutSource.philoxWord`, element t·N + q) into
    /// `keep`, and the kept spikes' index lists.
    func applyDropout(_ l: Int, sample b: Int, workspace W: SampleWorkspace) {
        let S = W.layers[l], n = S.n, T = steps, total = T * n
        if let m = suppliedMasks[l] {
            m.withUnsafeBufferPointer { a in
                let base = a.baseAddress! + b * total
                for e in 0 ..< total { S.keep[e] = base[e] != 0 ? 1 : 0 }
            }
        } else {
            let p = dropoutRate[l], window = W.noiseWindow
            var lo = 0
            while lo < total {
                let hi = min(lo + W.noiseCapacity, total)
                dropoutPhilox.fillUniform(UnsafeMutableBufferPointer(start: window, count: hi - lo), stream: UInt32(l),
                                          a: dropoutIteration, b: UInt32(truncatingIfNeeded: b), c: DropoutSource.philoxWord,
                                          firstElement: lo)
                for e in lo ..< hi { S.keep[e] = window[e - lo] >= p ? 1 : 0 }
                lo = hi
            }
        }
        var c: Int32 = 0
        S.keptStart[0] = 0
        for t in 0 ..< T {
            let row = S.keep + t * n
            for k in Int(S.start[t]) ..< Int(S.start[t + 1]) {
                let q = S.index[k]
                if row[Int(q)] != 0 {
                    S.keptIndex[Int(c)] = q
                    c += 1
                }
            }
            S.keptStart[t + 1] = c
        }
        if let out = masksOut[l] {
            let shape = architecture.layers[l].shape, base = out + b * total
            for t in 0 ..< T {
                for q in 0 ..< n { base[t * n + shape.canonicalIndex(internal: q)] = Float(S.keep[t * n + q]) }
            }
        }
    }

    /// Builds the spike index lists (internal order) of one input in `W`.
    static func buildInputLists(_ x: SpikeTrains, shape inShape: ActivityShape, steps T: Int, workspace W: SampleWorkspace) {
        var c: Int32 = 0
        W.inputStart[0] = 0
        x.offsets.withUnsafeBufferPointer { off in
            x.indices.withUnsafeBufferPointer { idx in
                for t in 0 ..< T {
                    for k in Int(off[t]) ..< Int(off[t + 1]) {
                        W.inputIndex[Int(c)] = Int32(inShape.internalIndex(canonical: Int(idx[k])))
                        c += 1
                    }
                    W.inputStart[t + 1] = c
                }
            }
        }
    }

    /// What the backward pass of one sample needs from its forward pass: the activity regularizers' gradients per
    /// layer (a constant per step and neuron, and per neuron for the lower bound).
    struct BackwardSeed {
        var regGrad: [Float]
        var lowerGrad: [[Float]?]
    }

    /// Forward, loss and BPTT of sample `b` into slot `slot`'s gradient.
    func runSample(_ b: Int, slot: Int, workspace W: SampleWorkspace) throws {
        guard let seed = try forwardAndLoss(b, workspace: W) else { return }
        for l in stride(from: architecture.layers.count - 1, through: 0, by: -1) {
            let (inputGrad, inputCount) = prepareBackward(l, sample: b, workspace: W, seed: seed)
            backwardCore(l, slot: slot, workspace: W, inputGrad: inputGrad, inputCount: inputCount)
            finishBackward(l, sample: b, slot: slot, workspace: W, seed: seed)
        }
    }

    /// Samples `samples` (of one slot, in order) on workspaces `spaces` (one per sample): each sample's forward pass
    /// and loss, then BPTT layer by layer. A layer whose backward pass gains from several samples at once (a dense
    /// recurrence with delay ≥ 2: `LayerPass.groupsBackward`) runs them together, the others one after the other.
    func runSamples(_ samples: Range<Int>, slot: Int, workspaces spaces: ArraySlice<SampleWorkspace>) throws {
        guard samples.count > 1 else { return try runSample(samples.lowerBound, slot: slot, workspace: spaces[spaces.startIndex]) }
        let forward = try samples.enumerated().map { g, b in try forwardAndLoss(b, workspace: spaces[spaces.startIndex + g]) }
        let seeds = forward.compactMap { $0 }
        guard seeds.count == samples.count else { return }
        let W = Array(spaces.prefix(samples.count))
        for l in stride(from: architecture.layers.count - 1, through: 0, by: -1) {
            var inputGrads: [UnsafeMutablePointer<Float>?] = [], inputCount = 0
            for (g, b) in samples.enumerated() {
                let (ig, c) = prepareBackward(l, sample: b, workspace: W[g], seed: seeds[g])
                inputGrads.append(ig)
                inputCount = c
            }
            if passes[l].groupsBackward {
                let lists = W.map { inputLists(of: l, $0) }, into = gradientTargets(l, slot: slot)
                passes[l].backwardSpikingDelayed(
                    W.enumerated().map { g, w in
                        DelayedBackwardSample(scratch: w.layers[l], inputIndex: lists[g].0, inputStart: lists[g].1,
                                              inputGrad: inputGrads[g])
                    },
                    steps: steps, gradFF: into.feedForward, gradRec: into.recurrent, gradBias: into.bias,
                    gradDecay: into.decay, inputCount: inputCount)
            } else {
                for g in W.indices { backwardCore(l, slot: slot, workspace: W[g], inputGrad: inputGrads[g], inputCount: inputCount) }
            }
            for (g, b) in samples.enumerated() { finishBackward(l, sample: b, slot: slot, workspace: W[g], seed: seeds[g]) }
        }
    }

    /// Sample `b`'s input lists, forward pass through every layer, recorded outputs and loss; with gradients, the
    /// loss gradient in the last layer's drive buffer and the seed of its backward pass (nil without gradients).
    func forwardAndLoss(_ b: Int, workspace W: SampleWorkspace) throws -> BackwardSeed? {
        let T = steps
        let layers = architecture.layers
        let L = layers.count
        // Input spike lists in internal order.
        RunContext.buildInputLists(inputs[b], shape: architecture.input, steps: T, workspace: W)
        // Forward.
        for l in 0 ..< L {
            let S = W.layers[l], pass = passes[l]
            let (idx, st) = inputLists(of: l, W)
            // The first layer's drive, when shared by every sample, is read in place.
            let shared = l == 0 ? (currentDrives.map { $0 + b * T * S.n } ?? sharedFirstDrive) : nil
            if shared == nil {
                pass.computeDrive(S, steps: T, inputIndex: idx, inputStart: st, inputScale: l == 0 ? 1 : dropoutScale(l - 1))
            } else if !passes[l].isSpiking {
                S.drive.update(from: shared!, count: T * S.n)
            }
            if passes[l].isSpiking {
                let n = S.n
                if let arr = supplied[l] {
                    arr.withUnsafeBufferPointer { a in
                        pass.forwardSpiking(S, drive: shared, steps: T, training: gradients || surrogatesOut[l] != nil) { t in
                            a.baseAddress! + (b * T + t) * n
                        }
                    }
                } else {
                    // ξ of step t and neuron k is element t·N + k of the stream (layer, iteration, sample); one fill
                    // of the window covers several steps.
                    let ph = philox, it = iteration, layer = UInt32(l), sample = UInt32(truncatingIfNeeded: b)
                    let window = W.noiseWindow, capacity = W.noiseCapacity
                    var lo = 0, hi = 0
                    pass.forwardSpiking(S, drive: shared, steps: T, training: gradients || surrogatesOut[l] != nil) { t in
                        let first = t * n
                        if first + n > hi {
                            lo = first / 128 * 128
                            hi = min(lo + capacity, T * n)
                            ph.fillUniform(UnsafeMutableBufferPointer(start: window, count: hi - lo), stream: layer, a: it,
                                           b: sample, c: 0, firstElement: lo)
                        }
                        return UnsafePointer(window + (first - lo))
                    }
                }
                countOut[b * L + l] = Int(S.start[T])
                if dropoutRate[l] > 0 { applyDropout(l, sample: b, workspace: W) }
                if let out = surrogatesOut[l] {
                    let shape = layers[l].shape
                    let base = out + b * T * n
                    if shape.positions == 1 {
                        base.update(from: S.sd, count: T * n)
                    } else {
                        for t in 0 ..< T {
                            for q in 0 ..< n { base[t * n + shape.canonicalIndex(internal: q)] = S.sd[t * n + q] }
                        }
                    }
                }
                if let out = spikesOut[l] {
                    let shape = layers[l].shape
                    let base = out + b * T * n
                    for t in 0 ..< T {
                        for k in Int(S.start[t]) ..< Int(S.start[t + 1]) {
                            base[t * n + shape.canonicalIndex(internal: Int(S.index[k]))] = 1
                        }
                    }
                }
            } else {
                pass.forwardReadout(S, steps: T)
            }
        }
        let last = W.layers[L - 1]
        let lastShape = layers[L - 1].shape
        let N = lastShape.count
        if let out = outputOut {
            let base = out + b * T * N, spiking = passes[L - 1].isSpiking
            for t in 0 ..< T {
                for q in 0 ..< N {
                    let v: Float = spiking ? Float(last.spikes[t * N + q]) : last.trace[t * N + q]
                    base[t * N + lastShape.canonicalIndex(internal: q)] = v
                }
            }
        }
        guard let loss else { return nil }
        // Loss and its gradient with respect to the last layer's output (written into its drive buffer).
        let invB = 1 / Float(batch)
        var sampleLoss = 0.0
        switch (loss, targets) {
        case (.l2Spikes, .spikes(let tg)?):
            let target = tg[b]
            var sum = 0.0
            let scale = invB / Float(N)
            target.withUnsafeBufferPointer { tp in
                let dense = lastShape.positions == 1
                if dense {
                    // Spikes and targets are 0/1, so every d² is 0 or 1 and the float sums are exact in any order.
                    sum = Double(VectorKernels.l2SpikeError(spikes: last.spikes, targets: tp.baseAddress!, count: T * N,
                                                            scale: scale, gradient: last.drive))
                    return
                }
                for t in 0 ..< T {
                    var rowSum: Float = 0
                    for q in 0 ..< N {
                        let d = Float(last.spikes[t * N + q]) - tp[t * N + (dense ? q : lastShape.canonicalIndex(internal: q))]
                        rowSum += d * d
                        last.drive[t * N + q] = d * scale
                    }
                    sum += Double(rowSum)
                }
            }
            sampleLoss = sum / Double(2 * N)
        case (.sumOverTimeCrossEntropy, .labels(let labels)?), (.meanMembraneCrossEntropy, .labels(let labels)?),
             (.lastStepCrossEntropy, .labels(let labels)?):
            // Logits a_c = Σ_n w_n U_c[n]: w = 1 (sum), 1/T (mean), or 1 at n = T-1 only (last step).
            let label = labels[b]
            var first = 0, weight = 1.0
            if case .meanMembraneCrossEntropy = loss { weight = 1 / Double(T) }
            if case .lastStepCrossEntropy = loss { first = T - 1 }
            var logits = [Double](repeating: 0, count: N)
            for t in first ..< T {
                for q in 0 ..< N { logits[q] += Double(last.trace[t * N + q]) }
            }
            for q in 0 ..< N { logits[q] *= weight }
            let m = logits.max()!
            let logZ = m + log(logits.reduce(0) { $0 + exp($1 - m) })
            let labelIndex = lastShape.internalIndex(canonical: label)
            sampleLoss = logZ - logits[labelIndex]
            last.drive.update(repeating: 0, count: T * N)
            for q in 0 ..< N {
                let g = Float((exp(logits[q] - logZ) - (q == labelIndex ? 1 : 0)) * weight) * invB
                for t in first ..< T { last.drive[t * N + q] = g }
            }
        case (.spikeCountMSE(let correct, let incorrect, _), .labels(let labels)?):
            let labelIndex = lastShape.internalIndex(canonical: labels[b])
            var counts = [Int](repeating: 0, count: N)
            for k in 0 ..< Int(last.start[T]) { counts[Int(last.index[k])] += 1 }
            var sum = 0.0
            for q in 0 ..< N {
                let d = Double(counts[q]) - Double(T) * (q == labelIndex ? correct : incorrect)
                sum += d * d
                let g = Float(2 * d / Double(N)) * invB
                for t in 0 ..< T { last.drive[t * N + q] = g }
            }
            sampleLoss = sum / Double(N)
        case (.maxOverTimeCrossEntropy, .labels(let labels)?):
            let label = labels[b]
            var peak = [Double](repeating: -.infinity, count: N)
            var at = [Int](repeating: 0, count: N)
            for t in 0 ..< T {
                for q in 0 ..< N where Double(last.trace[t * N + q]) > peak[q] {
                    peak[q] = Double(last.trace[t * N + q])
                    at[q] = t
                }
            }
            let m = peak.max()!
            let z = peak.reduce(0) { $0 + exp($1 - m) }
            let logZ = m + log(z)
            sampleLoss = logZ - peak[label]
            last.drive.update(repeating: 0, count: T * N)
            for q in 0 ..< N {
                let p = exp(peak[q] - logZ) - (q == label ? 1 : 0)
                last.drive[at[q] * N + q] = Float(p) * invB
            }
        case (.vanRossum(let tau), .spikes(let tg)?):
            sampleLoss = VanRossumLoss.sample(spikes: last.spikes, target: tg[b], steps: T, units: N,
                                              decay: VanRossumLoss.decay(tau: tau, dt: architecture.dt),
                                              canonical: lastShape.canonicalIndex(internal:), invB: invB, gradient: last.drive)
        case (.user(let u), let tg?):
            let target: SampleTarget
            switch tg {
            case .labels(let l): target = .label(l[b])
            case .spikes(let s): target = .spikes(s[b])
            }
            sampleLoss = try u.evaluate(steps: T, units: N, isSpiking: passes[L - 1].isSpiking, spikes: last.spikes,
                                        trace: last.trace, canonical: lastShape.canonicalIndex(internal:), target: target,
                                        invB: invB, drive: last.drive)
        default:
            throw SpikeKitError.invalidConfiguration("loss and targets do not match")
        }
        // Activity regularizers: the upper bound gives a constant gradient for every neuron and step of a spiking
        // layer, the lower bound one per neuron (constant over the steps).
        var regGrad = [Float](repeating: 0, count: L)
        var lowerGrad = [[Float]?](repeating: nil, count: L)
        if let reg = loss.activityRegularizer {
            for l in 0 ..< L where passes[l].isSpiking {
                let pop = Double(countOut[b * L + l]) / Double(passes[l].n)
                let excess = pop - reg.threshold
                if excess > 0 {
                    sampleLoss += reg.strength * excess * excess
                    regGrad[l] = Float(reg.strength * 2 * excess / Double(passes[l].n)) * invB
                }
                if let lt = reg.lowerThreshold, let ls = reg.lowerStrength, ls != 0 {
                    let S = W.layers[l], n = S.n
                    var counts = [Int](repeating: 0, count: n)
                    for k in 0 ..< Int(S.start[T]) { counts[Int(S.index[k])] += 1 }
                    var term = 0.0, g = [Float](repeating: 0, count: n), any = false
                    for q in 0 ..< n {
                        let deficit = lt - Double(counts[q])
                        guard deficit > 0 else { continue }
                        term += deficit * deficit
                        g[q] = Float(-2 * ls * deficit / Double(n)) * invB
                        any = true
                    }
                    sampleLoss += ls * term / Double(n)
                    if any { lowerGrad[l] = g }
                }
            }
        }
        lossOut[b] = sampleLoss
        guard gradients, slotGrads != nil else { return nil }
        if regGrad[L - 1] != 0 {
            for k in 0 ..< T * N { last.drive[k] += regGrad[L - 1] }
        }
        if let g = lowerGrad[L - 1] {
            for t in 0 ..< T { VectorKernels.add(g, into: last.drive + t * N, count: N) }
        }
        return BackwardSeed(regGrad: regGrad, lowerGrad: lowerGrad)
    }

    /// Before layer `l`'s backward pass: the buffer that receives its input gradient dL/dS_{l-1} (the previous
    /// layer's drive, holding the regularizers' terms, or zero behind dropout, where dL/dS̃ is first formed alone),
    /// and its width; nil and 0 for the first layer.
    func prepareBackward(_ l: Int, sample b: Int, workspace W: SampleWorkspace, seed: BackwardSeed) -> (UnsafeMutablePointer<Float>?, Int) {
        guard l > 0 else { return (nil, 0) }
        let dropped = dropoutRate[l - 1] > 0, prev = W.layers[l - 1], T = steps
        prev.drive.update(repeating: dropped ? 0 : seed.regGrad[l - 1], count: T * prev.n)
        if !dropped, let g = seed.lowerGrad[l - 1] {
            for t in 0 ..< T { VectorKernels.add(g, into: prev.drive + t * prev.n, count: prev.n) }
        }
        return (prev.drive, prev.n)
    }

    /// Layer `l`'s BPTT for one sample into slot `slot`'s gradient.
    func backwardCore(_ l: Int, slot: Int, workspace W: SampleWorkspace, inputGrad: UnsafeMutablePointer<Float>?, inputCount: Int) {
        let S = W.layers[l], pass = passes[l], T = steps, into = gradientTargets(l, slot: slot)
        let (idx, st) = inputLists(of: l, W)
        if pass.isSpiking {
            pass.backwardSpiking(S, steps: T, inputIndex: idx, inputStart: st, gradFF: into.feedForward,
                                 gradRec: into.recurrent, gradBias: into.bias, gradDecay: into.decay,
                                 gradThreshold: into.threshold, inputGrad: inputGrad, inputCount: inputCount)
        } else {
            pass.backwardReadout(S, steps: T, inputIndex: idx, inputStart: st, gradFF: into.feedForward!,
                                 gradBias: into.bias, gradDecay: into.decay, inputGrad: inputGrad, inputCount: inputCount)
        }
    }

    /// Where layer `l`'s parameter gradients go in slot `slot` (nil: the layer has no such parameter, or, for the
    /// first layer's feed-forward weights, the gradient is formed once from the shared input gradient or the
    /// real-valued input's factors instead of per sample).
    private func gradientTargets(_ l: Int, slot: Int) -> LayerGradientTargets {
        let grads = slotGrads! + slot * slotStride, pass = passes[l]
        let shareFF = pass.isSpiking && l == 0 && (sharedInputGradient || currentFactors != nil)
        func at(_ offset: Int) -> UnsafeMutablePointer<Float>? { offset < 0 ? nil : grads + offset }
        return LayerGradientTargets(feedForward: shareFF ? nil : grads + ffGradOffset[l],
                                    recurrent: pass.recurrent == nil ? nil : grads + recGradOffset[l],
                                    bias: at(biasGradOffset[l]), decay: decayGradients(l, grads),
                                    threshold: at(thresholdGradOffset[l]))
    }

    /// After layer `l`'s backward pass: the first layer's factors dL/dI[n+1] (left in its drive buffer) go to the
    /// shared input gradient or the real-valued input's factors; behind dropout, dL/dS[n] = m[n] ⊙ dL/dS̃[n] / (1-p)
    /// plus the regularizers' terms (they see S undropped).
    func finishBackward(_ l: Int, sample b: Int, slot: Int, workspace W: SampleWorkspace, seed: BackwardSeed) {
        let S = W.layers[l], T = steps
        if l == 0 {
            if let f = currentFactors {
                (f + b * T * S.n).update(from: S.drive, count: T * S.n)
            } else if sharedInputGradient && passes[0].isSpiking {
                VectorKernels.add(S.drive, into: slotGrads! + slot * slotStride + gradientSize, count: T * S.n)
            }
        }
        if l > 0 && dropoutRate[l - 1] > 0 {
            let prev = W.layers[l - 1], np = prev.n, scale = dropoutScale(l - 1), reg = seed.regGrad[l - 1]
            for e in 0 ..< T * np { prev.drive[e] = (prev.keep[e] != 0 ? prev.drive[e] * scale : 0) + reg }
            if let g = seed.lowerGrad[l - 1] {
                for t in 0 ..< T { VectorKernels.add(g, into: prev.drive + t * np, count: np) }
            }
        }
    }

    /// Layer `l`'s dL/dλ accumulators in the slot gradient `grads`.
    private func decayGradients(_ l: Int, _ grads: UnsafeMutablePointer<Float>) -> DecayGradients {
        DecayGradients(mem: tauMemGradOffset[l] < 0 ? nil : grads + tauMemGradOffset[l],
                       syn: tauSynGradOffset[l] < 0 ? nil : grads + tauSynGradOffset[l])
    }
}

/// One layer's parameter-gradient destinations in a gradient slot (`RunContext.gradientTargets`).
struct LayerGradientTargets {
    let feedForward: UnsafeMutablePointer<Float>?
    let recurrent: UnsafeMutablePointer<Float>?
    let bias: UnsafeMutablePointer<Float>?
    let decay: DecayGradients
    let threshold: UnsafeMutablePointer<Float>?
}
