import SpikeKitFormats
import SpikeKitKernels
/// Owns raw buffers and frees them together. Buffers are zero-initialised and start on a cache line
/// (`CacheLine`).
final class Arena: @unchecked Sendable {
    private var blocks: [UnsafeMutableRawPointer] = []

    private func zeroed<T>(_ n: Int, _ type: T.Type) -> UnsafeMutablePointer<T> {
        let p = CacheLine.allocate(type, capacity: n)
        blocks.append(UnsafeMutableRawPointer(p))
        return p
    }

    func floats(_ n: Int) -> UnsafeMutablePointer<Float> { zeroed(n, Float.self) }

    func int32s(_ n: Int) -> UnsafeMutablePointer<Int32> { zeroed(n, Int32.self) }

    func bytes(_ n: Int) -> UnsafeMutablePointer<UInt8> { zeroed(n, UInt8.self) }

    /// n floats with `margin` zeros before and after them (which no one writes).
    func floats(_ n: Int, margin: Int) -> UnsafeMutablePointer<Float> { zeroed(n + 2 * margin, Float.self) + margin }

    deinit {
        for b in blocks { b.deallocate() }
    }
}

/// One layer's buffers for one sample's pass (T steps, N neurons, internal order). Everything the backward pass
/// needs is kept here: spikes as bytes and as index lists, the surrogate derivative per step, and for
/// `bpReset` the reset term.
struct LayerScratch: @unchecked Sendable {
    let n: Int
    /// [T][N]: the feed-forward drive W·S_in[n] in the forward pass; dL/d(output)[n] in the backward pass.
    let drive: UnsafeMutablePointer<Float>
    /// [T][N]: SD(U[n] - θ) (spiking layers).
    let sd: UnsafeMutablePointer<Float>
    /// [T][N]: S[n] as 0/1 bytes (spiking layers).
    let spikes: UnsafeMutablePointer<UInt8>
    /// Spike index lists: step n's spikes are `index[start[n] ..< start[n+1]]`.
    let index: UnsafeMutablePointer<Int32>
    let start: UnsafeMutablePointer<Int32>
    /// [T][N]: d U[n+1] / d S[n] without the sign (bpReset only).
    let resetTerm: UnsafeMutablePointer<Float>
    /// [T][N]: the readout's U[n].
    let trace: UnsafeMutablePointer<Float>
    /// [T][N]: U[n] and I[n] of a spiking layer that learns a time constant (dL/dλ needs them; the readout's U[n]
    /// is in `trace`).
    let uTrace, iTrace: UnsafeMutablePointer<Float>
    /// State and scratch vectors of N. With a stride-1 conv recurrence, `gi` (dL/dI[t+1], the delta of the
    /// recurrent product) has the zero margins of `ConnectionGeometry.paddedStepMargin` around it.
    let u, i, gu, gi, gs, x, xi: UnsafeMutablePointer<Float>
    /// Dropout (layers with `dropout` > 0): the keep mask m[n] as 0/1 bytes `[T][N]`, and the kept spikes'
    /// index lists (step n's are `keptIndex[keptStart[n] ..< keptStart[n+1]]`), which the next layer reads.
    let keep: UnsafeMutablePointer<UInt8>
    let keptIndex: UnsafeMutablePointer<Int32>
    let keptStart: UnsafeMutablePointer<Int32>
    /// Delays (LayerPass+Delay): the ring of dL/dI vectors `[d_rec][N]` of a recurrent delay d_rec > 1, and the step
    /// offsets `[T + 1]` of the input's spike lists shifted by a feed-forward delay d_ff > 1.
    let delayRing: UnsafeMutablePointer<Float>
    let delayedStart: UnsafeMutablePointer<Int32>
    /// `alif` layers: the adaptation a[n] (forward) and dL/da[n+1] (backward), N each.
    let adapt, gAdapt: UnsafeMutablePointer<Float>
    /// The event-driven input gradient (`LayerPass+EventInputGradient`, dense non-recurrent LIF layers): one step's
    /// events as 0/1 bytes (N); every step's event indices (`[T][N]` at most, and 8 spare; step t's are `eventIndex[eventStart[t+1]
    /// ..< eventStart[t]]`, appended in reverse time); and for next-step reset the dL/dI events' values, one per
    /// spike, at the positions of the spike lists (`[T][N]`).
    let eventMask: UnsafeMutablePointer<UInt8>
    let eventIndex: UnsafeMutablePointer<Int32>
    let eventStart: UnsafeMutablePointer<Int32>
    let eventSpikeValue: UnsafeMutablePointer<Float>
}

/// Per-thread scratch for one sample's forward and backward pass through every layer, reused across samples and
/// training steps (nothing is allocated inside the time loops).
final class SampleWorkspace: @unchecked Sendable {
    let steps: Int
    let arena = Arena()
    let layers: [LayerScratch]
    /// The input's spike index lists (internal order).
    let inputIndex: UnsafeMutablePointer<Int32>
    let inputStart: UnsafeMutablePointer<Int32>
    /// A window of a stochastic layer's draws: one Philox fill covers many steps (`noiseCapacity` floats, a
    /// multiple of 128 that holds any step's draws from a 128-aligned start).
    let noiseWindow: UnsafeMutablePointer<Float>
    let noiseCapacity: Int

    init(architecture: NetworkArchitecture, steps: Int) {
        self.steps = steps
        inputIndex = arena.int32s(steps * architecture.input.count)
        inputStart = arena.int32s(steps + 1)
        let widest = architecture.layers.map(\.shape.count).max() ?? 0
        noiseCapacity = (max(4096, widest + 128) + 127) / 128 * 128
        noiseWindow = arena.floats(noiseCapacity)
        var ls: [LayerScratch] = []
        for (index, l) in architecture.layers.enumerated() {
            let n = l.shape.count
            let tn = steps * n
            let spiking = l.isSpiking
            let bp = l.spike?.bpReset ?? false
            let learns = l.learnsTauMem || l.learnsTauSyn
            let drop = spiking && l.dropout > 0
            let adapts = l.isAdaptive
            // Only a layer with an input gradient (not the first) can form it event-driven.
            let events = index > 0 && spiking && !l.isConv && l.recurrent == nil
            ls.append(LayerScratch(
                n: n, drive: arena.floats(tn), sd: arena.floats(spiking ? tn : 0), spikes: arena.bytes(spiking ? tn : 0),
                index: arena.int32s(spiking ? tn + 8 : 0), start: arena.int32s(steps + 1),
                resetTerm: arena.floats(bp ? tn : 0), trace: arena.floats(spiking ? 0 : tn),
                uTrace: arena.floats(learns && spiking ? tn : 0), iTrace: arena.floats(learns ? tn : 0),
                u: arena.floats(n), i: arena.floats(n), gu: arena.floats(n),
                gi: arena.floats(n, margin: l.recurrent?.paddedStepMargin ?? 0), gs: arena.floats(n),
                x: arena.floats(n), xi: arena.floats(n), keep: arena.bytes(drop ? tn : 0),
                keptIndex: arena.int32s(drop ? tn : 0), keptStart: arena.int32s(drop ? steps + 1 : 0),
                delayRing: arena.floats(l.recurrent != nil && l.recurrentDelay > 1 ? (l.recurrentDelay + 1) * n : 0),
                delayedStart: arena.int32s(l.feedForwardDelay > 1 ? steps + 1 : 0),
                adapt: arena.floats(adapts ? n : 0), gAdapt: arena.floats(adapts ? n : 0),
                eventMask: arena.bytes(events ? n : 0), eventIndex: arena.int32s(events ? tn + 8 : 0),
                eventStart: arena.int32s(events ? steps + 1 : 0),
                eventSpikeValue: arena.floats(events && l.reset == .nextStep ? tn : 0)))
        }
        layers = ls
    }
}
