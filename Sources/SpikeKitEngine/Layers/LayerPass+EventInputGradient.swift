import SpikeKitFormats
import SpikeKitKernels

/// The input gradient of a dense, non-recurrent LIF layer from the events of its error signal.
///
/// The layer's input gradient is `dL/dS_in[m] = Wᵀ D[m + d_ff − 1]` with `D[t] = dL/dI[t+1]`, which the dense path
/// forms for every step as one sequence-wide product (`T × N × N_in` multiply-adds). With scalar time constants, no
/// recurrence and a detached reset, the reverse recursion of the layer is
/// ```
/// G[t−1] = gs[t] ⊙ SD[t] + λ_m (1 − S[t]) ⊙ G[t]          G[t] = dL/dU[t+1], gs[t] = dL/dS[t]
/// D[t−1] = λ_s D[t] + (1 − λ_m) k[t] ⊙ G[t]                k = 1 − S (next-step reset), else 1
/// ```
/// (subtractive reset: no factor 1 − S), the same linear map for every neuron except at its spikes. Multiplying by
/// Wᵀ, with `P[t] = Wᵀ G[t]` and `R[t] = Wᵀ D[t]` (both zero at t = T − 1):
/// ```
/// P[t−1] = λ_m P[t] + Wᵀ v[t],          v[t] = gs[t] ⊙ SD[t] − λ_m S[t] ⊙ G[t]   (subtract: gs[t] ⊙ SD[t])
/// R[t−1] = λ_s R[t] + (1 − λ_m) P[t] + Wᵀ w[t],   w[t] = −(1 − λ_m) S[t] ⊙ G[t]  (next-step reset only, else 0)
/// ```
/// v and w are non-zero only where the layer's error dL/dS or its spikes are: for a spiking output layer under a
/// spike-train loss (`S − target`), about a quarter of the entries in the paper's spike-train matching. The reverse loop lists each step's events
/// (`eventStep`); afterwards `eventInputSequence` runs the recursion for one block of 32 input columns at a time (48
/// on AVX-512 builds), every step, so that the block of W (N × 32 floats, read from the row-aligned copy
/// `ConnectionKernel.alignedRows`) stays in L1 and P and R stay in registers: each event costs
/// one row of the block, where the dense product costs all N rows per step. The result is the dense product's up to
/// rounding (the sums are formed in a different order); each sample decides alone, so results stay the same for any
/// thread count.
extension LayerArchitecture {
    /// Whether `LayerPass.eventInputEligible` can hold for this layer (it is decided there from the resolved pass;
    /// this may include more layers, never fewer): the layers whose feed-forward weights keep a row-aligned copy
    /// (`PackedConnection.alignedRowCopy`).
    var mayTakeEventInputGradient: Bool {
        isSpiking && !isConv && recurrent == nil && !usesAdaptivePass && !(spike?.bpReset ?? false)
    }
}

extension LayerPass {
    /// Whether this sample's input gradient is formed event-driven: the layer is eligible, its feed-forward weight
    /// gradient is formed here (so its drive buffer is free for the events' values), and the non-zero entries of
    /// dL/dS (in `L.drive` on entry to the backward pass) plus the spikes are at most `eventInputLimit` of `T × N`.
    func takesEventInputGradient(_ L: LayerScratch, steps T: Int, formsWeightGradient: Bool) -> Bool {
        guard eventInputEligible, formsWeightGradient, T > 0 else { return false }
        let total = T * n
        let limit = Int(eventInputLimit * Double(total))
        var events = Int(L.start[T])
        guard events <= limit else { return false }
        // Count the non-zeros of dL/dS in blocks, stopping as soon as the limit is passed.
        let g = UnsafeRawPointer(L.drive)
        var k = 0
        while k < total {
            let end = min(total, k + 4096)
            var counts = SIMD16<Int32>()
            while k + 16 <= end {
                counts &+= SIMD16<Int32>(repeating: 0).replacing(with: 1, where: g.loadUnaligned(fromByteOffset: 4 * k, as: SIMD16<Float>.self) .!= 0)
                k += 16
            }
            events += Int(counts.wrappedSum())
            while k < end {
                if L.drive[k] != 0 { events += 1 }
                k += 1
            }
            if events > limit { return false }
        }
        L.eventStart[T] = 0
        return true
    }

    /// Reverse step t: on entry `L.gu` holds G[t] and `L.gs` dL/dS[t]. Writes v[t] densely to row t of `L.drive` (read
    /// already), lists its non-zeros after those of the later steps, and for next-step reset stores w at the step's
    /// spikes.
    @inline(__always)
    func eventStep(_ L: LayerScratch, step t: Int, surrogate sd: UnsafePointer<Float>) {
        let gs = L.gs, gu = L.gu, v = L.drive + t * n
        let lm = lambdaMem, cm = 1 - lambdaMem
        let listed = Int(L.eventStart[t + 1])
        guard t > 0 else {
            L.eventStart[t] = Int32(listed)
            return
        }
        for k in 0 ..< n { v[k] = gs[k] * sd[k] }
        let first = Int(L.start[t]), spikeCount = Int(L.start[t + 1]) - first
        for e in 0 ..< spikeCount {
            let k = Int(L.index[first + e])
            if !subtract { v[k] -= lm * gu[k] }
            if nextStep { L.eventSpikeValue[first + e] = -cm * gu[k] }
        }
        // The non-zeros of v through a byte mask, listed eight neurons at a time without branches.
        let mask = L.eventMask
        let rest = SpikeKernels.vectors(n) { k in SpikeKernels.store(SpikeKernels.load(v + k) .!= 0, mask + k) }
        for k in rest { mask[k] = v[k] != 0 ? 1 : 0 }
        L.eventStart[t] = SpikeLists.append(spikes: mask, count: n, into: L.eventIndex, at: Int32(listed))
    }

    /// After the reverse loop: `g[m] += R[m + d_ff − 1]` for every step, from the listed events, in blocks of 48
    /// (AVX-512 builds) and 32 input columns (then 16, 8, 4 and single columns).
    func eventInputSequence(_ L: LayerScratch, steps T: Int, into g: UnsafeMutablePointer<Float>) {
        let nIn = feedForward.inputCount
        var c = 0
        #if SPIKEKIT_WIDE_REGISTERS
        // 48 columns per pass on AVX-512 (12 of the 32 vector registers for P, R and the accumulators): the block of W
        // (N × 48 floats, 38 KiB at N = 200) still fits the 48 KiB L1, and each listed event's index, offset and
        // broadcast serve three multiply-adds instead of two. Every column's arithmetic is the same in any blocking.
        while c + 48 <= nIn {
            eventInputBlock(L, steps: T, column: c, into: g, as: SIMD16<Float>.self, pair: true, triple: true)
            c += 48
        }
        #endif
        while c + 32 <= nIn {
            eventInputBlock(L, steps: T, column: c, into: g, as: SIMD16<Float>.self, pair: true)
            c += 32
        }
        if c + 16 <= nIn {
            eventInputBlock(L, steps: T, column: c, into: g, as: SIMD8<Float>.self, pair: true)
            c += 16
        }
        if c + 8 <= nIn {
            eventInputBlock(L, steps: T, column: c, into: g, as: SIMD4<Float>.self, pair: true)
            c += 8
        }
        if c + 4 <= nIn {
            eventInputBlock(L, steps: T, column: c, into: g, as: SIMD2<Float>.self, pair: true)
            c += 4
        }
        if c + 2 <= nIn {
            eventInputBlock(L, steps: T, column: c, into: g, as: SIMD2<Float>.self, pair: false)
            c += 2
        }
        if c < nIn { eventInputColumn(L, steps: T, column: c, into: g) }
    }

    /// The recursion for columns `c ..< c + V.scalarCount` of P and R, or twice as many with `pair` (two vectors
    /// each), three times as many with `pair` and `triple`. Each step's events are summed in two accumulators (even and odd positions of the list), so
    /// consecutive events do not wait on each other.
    @inline(__always)
    private func eventInputBlock<V: SIMD>(_ L: LayerScratch, steps T: Int, column c: Int, into g: UnsafeMutablePointer<Float>,
                                          as _: V.Type, pair: Bool, triple: Bool = false) where V.Scalar == Float {
        let nIn = feedForward.inputCount, shift = feedForwardDelay - 1, h = 4 * V.scalarCount
        let stride = feedForward.alignedRowStride
        let w = UnsafeRawPointer(feedForward.alignedRows + c), out = UnsafeMutableRawPointer(g + c)
        let lm = V(repeating: lambdaMem), ls = V(repeating: lambdaSyn), cm = V(repeating: 1 - lambdaMem)
        let index = L.eventIndex, spikeIndex = L.index, spikeValue = L.eventSpikeValue
        var p0 = V(), p1 = V(), r0 = V(), r1 = V(), p2 = V(), r2 = V()
        for t in (0 ..< T).reversed() {
            if t >= shift {
                let o = 4 * (t - shift) * nIn
                out.storeBytes(of: out.loadUnaligned(fromByteOffset: o, as: V.self) + r0, toByteOffset: o, as: V.self)
                if pair { out.storeBytes(of: out.loadUnaligned(fromByteOffset: o + h, as: V.self) + r1, toByteOffset: o + h, as: V.self) }
                if triple { out.storeBytes(of: out.loadUnaligned(fromByteOffset: o + 2 * h, as: V.self) + r2, toByteOffset: o + 2 * h, as: V.self) }
            }
            guard t > 0 else { break }
            let v = L.drive + t * n
            var e = Int(L.eventStart[t + 1])
            let end = Int(L.eventStart[t])
            var a0 = V(), a1 = V(), b0 = V(), b1 = V(), a2 = V(), b2 = V()
            while e + 2 <= end {
                let k0 = Int(index[e]), k1 = Int(index[e + 1])
                let x0 = V(repeating: v[k0]), x1 = V(repeating: v[k1]), o0 = 4 * k0 * stride, o1 = 4 * k1 * stride
                a0 = a0.addingProduct(x0, w.loadUnaligned(fromByteOffset: o0, as: V.self))
                b0 = b0.addingProduct(x1, w.loadUnaligned(fromByteOffset: o1, as: V.self))
                if pair {
                    a1 = a1.addingProduct(x0, w.loadUnaligned(fromByteOffset: o0 + h, as: V.self))
                    b1 = b1.addingProduct(x1, w.loadUnaligned(fromByteOffset: o1 + h, as: V.self))
                }
                if triple {
                    a2 = a2.addingProduct(x0, w.loadUnaligned(fromByteOffset: o0 + 2 * h, as: V.self))
                    b2 = b2.addingProduct(x1, w.loadUnaligned(fromByteOffset: o1 + 2 * h, as: V.self))
                }
                e += 2
            }
            if e < end {
                let k0 = Int(index[e]), x0 = V(repeating: v[k0]), o0 = 4 * k0 * stride
                a0 = a0.addingProduct(x0, w.loadUnaligned(fromByteOffset: o0, as: V.self))
                if pair { a1 = a1.addingProduct(x0, w.loadUnaligned(fromByteOffset: o0 + h, as: V.self)) }
                if triple { a2 = a2.addingProduct(x0, w.loadUnaligned(fromByteOffset: o0 + 2 * h, as: V.self)) }
            }
            var q0 = ls * r0 + cm * p0, q1 = ls * r1 + cm * p1, q2 = ls * r2 + cm * p2
            if nextStep {
                for s in Int(L.start[t]) ..< Int(L.start[t + 1]) {
                    let x = V(repeating: spikeValue[s]), o = 4 * Int(spikeIndex[s]) * stride
                    q0 = q0.addingProduct(x, w.loadUnaligned(fromByteOffset: o, as: V.self))
                    if pair { q1 = q1.addingProduct(x, w.loadUnaligned(fromByteOffset: o + h, as: V.self)) }
                    if triple { q2 = q2.addingProduct(x, w.loadUnaligned(fromByteOffset: o + 2 * h, as: V.self)) }
                }
            }
            r0 = q0
            r1 = q1
            r2 = q2
            p0 = lm * p0 + (a0 + b0)
            p1 = lm * p1 + (a1 + b1)
            p2 = lm * p2 + (a2 + b2)
        }
    }

    /// `eventInputBlock` for the single column c, in scalars.
    private func eventInputColumn(_ L: LayerScratch, steps T: Int, column c: Int, into g: UnsafeMutablePointer<Float>) {
        let nIn = feedForward.inputCount, shift = feedForwardDelay - 1, w = feedForward.transposed + c
        let lm = lambdaMem, ls = lambdaSyn, cm = 1 - lambdaMem
        var p: Float = 0, r: Float = 0
        for t in (0 ..< T).reversed() {
            if t >= shift { g[(t - shift) * nIn + c] += r }
            guard t > 0 else { break }
            let v = L.drive + t * n
            var a: Float = 0, b: Float = 0
            var e = Int(L.eventStart[t + 1])
            let end = Int(L.eventStart[t])
            while e + 2 <= end {
                let k0 = Int(L.eventIndex[e]), k1 = Int(L.eventIndex[e + 1])
                a = a.addingProduct(v[k0], w[k0 * nIn])
                b = b.addingProduct(v[k1], w[k1 * nIn])
                e += 2
            }
            if e < end {
                let k0 = Int(L.eventIndex[e])
                a = a.addingProduct(v[k0], w[k0 * nIn])
            }
            var q = ls * r + cm * p
            if nextStep {
                for s in Int(L.start[t]) ..< Int(L.start[t + 1]) {
                    q = q.addingProduct(L.eventSpikeValue[s], w[Int(L.index[s]) * nIn])
                }
            }
            r = q
            p = lm * p + (a + b)
        }
    }
}
