import Atomics
import SpikeKitFormats
import SpikeKitKernels
import Foundation

/// What a simulation returns.
public struct SimulationResult: Sendable {
    /// The batch-mean loss (0 when no loss was given).
    public var loss: Double
    /// dLoss/dparameters in canonical layout (when gradients were requested).
    public var gradients: NetworkParameters?
    /// When recording: the last layer's output `[B, T, *shape]` (spikes, or the readout's U[n]).
    public var output: Tensor?
    /// When recording: the spikes of every spiking layer `[B, T, *shape]` (canonical order).
    public var spikes: [Tensor]?
    /// When recording surrogates: SD(U[n] - θ) of every spiking layer `[B, T, *shape]` (canonical order).
    public var surrogates: [Tensor]?
    /// Spikes per spiking layer, summed over the batch and the steps (index: layer).
    public var spikeCounts: [Int]
    /// Per-sample loss terms (batch order).
    public var sampleLosses: [Double]
    /// When recording with dropout acting: the keep masks m (0 or 1) of every layer with dropout `[B, T, *shape]`
    /// (canonical order), keyed by layer index.
    public var dropoutMasks: [Int: Tensor]?
}

/// Runs a network over a batch of spike trains: forward, loss and BPTT, one sample at a time per thread.
///
/// Every sample's forward and backward pass is independent, so the batch is split into fixed slots of samples;
/// each slot accumulates its own gradient in sample order and the slots are summed in slot order. The result is
/// therefore bit-identical for any thread count. With a `BatchExchange` of P processes each process computes a
/// contiguous block of the slots and the blocks are exchanged before the slot-order sum, so the result is also
/// bit-identical for any P (see `BatchExchange`). Memory is per thread (one sample's T × neurons buffers), so BPTT
/// memory does not grow with the batch.
public final class Simulator: @unchecked Sendable {
    public let architecture: NetworkArchitecture
    /// Worker threads used for a batch.
    public let threads: Int
    /// The processes sharing each batch (`SingleProcess` unless built for a cluster run).
    public let exchange: any BatchExchange
    let feedForward: [PackedConnection]
    private let recurrent: [PackedConnection?]
    private let passes: [LayerPass]
    private var workspaces: [SampleWorkspace] = []
    /// Where each layer's packed gradients start in a slot's gradient buffer.
    private let ffGradOffset: [Int]
    private let recGradOffset: [Int]
    /// Where each layer's bias gradient (internal neuron order, one value per neuron) starts; -1 without a bias.
    private let biasGradOffset: [Int]
    /// Each layer's bias expanded to its neurons in internal order (nil without a bias), read by the time loops.
    let biasBuffers: [UnsafeMutablePointer<Float>?]
    /// Where each layer's dL/dλ_m, dL/dλ_s (internal order, one per neuron) start; -1 when the τ is not learned.
    private let tauMemGradOffset: [Int]
    private let tauSynGradOffset: [Int]
    /// Where each layer's dL/dθ (internal order, one per neuron) starts; -1 when the threshold is not learned.
    private let thresholdGradOffset: [Int]
    /// The threshold θ_k of every neuron (internal order) of layers on the general loop (`usesAdaptivePass`).
    private let thresholdBuffers: [UnsafeMutablePointer<Float>?]
    /// Per-neuron decays `[λ_m][1 - λ_m][λ_s]` (internal order) of layers with heterogeneous or learnable τ (and of
    /// layers on the general loop, which always reads per-neuron decays).
    private let decayBuffers: [UnsafeMutablePointer<Float>?]
    /// The current time constants per channel (seconds) of those layers, for dλ/dρ = λ Δt / τ.
    private var channelTaus: [(mem: [Double], syn: [Double])?]
    private let gradientSize: Int
    /// Per-slot gradient buffers, kept between runs (no page faults in steady state).
    private var slotGradientBuffer: UnsafeMutablePointer<Float>?
    private var slotGradientCapacity = 0
    /// The batch's summed gradient (packed layout), kept between runs like the slots.
    private var totalGradient: UnsafeMutablePointer<Float>?
    /// The first layer's drive shared by trials of one stimulus, kept between runs like the slots.
    private var sharedDriveBuffer: UnsafeMutablePointer<Float>?
    private var sharedDriveCapacity = 0
    /// Sums the slots into `totalGradient` while they are filled (single process), re-armed for every batch.
    private let runningSum = OrderedSlotSum()
    /// The next slot of the batch that no worker has taken yet.
    private let nextSlot = ManagedAtomic<Int>(0)

    deinit {
        slotGradientBuffer?.deallocate()
        totalGradient?.deallocate()
        sharedDriveBuffer?.deallocate()
        for b in biasBuffers { b?.deallocate() }
        for b in decayBuffers { b?.deallocate() }
        for b in thresholdBuffers { b?.deallocate() }
    }

    /// Upper bound on gradient slots (fixed, independent of the thread count).
    static let maxSlots = 64

    /// Builds a simulator for `architecture` with `threads` workers (default: `Parallel.defaultThreadCount`),
    /// sharing every batch with the processes of `exchange`. Every process of the exchange must call `run` with the
    /// same arguments in the same order.
    public init(architecture: NetworkArchitecture, threads: Int? = nil, exchange: any BatchExchange = SingleProcess()) {
        self.architecture = architecture
        self.exchange = exchange
        self.threads = max(1, threads ?? Parallel.defaultThreadCount)
        feedForward = architecture.layers.map {
            PackedConnection(geometry: $0.feedForward, alignedRowCopy: $0.mayTakeEventInputGradient)
        }
        recurrent = architecture.layers.map { $0.recurrent.map { PackedConnection(geometry: $0) } }
        var off = 0
        var ffo: [Int] = [], reco: [Int] = [], bo: [Int] = [], tmo: [Int] = [], tso: [Int] = [], tho: [Int] = []
        for (i, l) in architecture.layers.enumerated() {
            ffo.append(off)
            off += feedForward[i].weightCount
            reco.append(off)
            off += recurrent[i]?.weightCount ?? 0
            bo.append(l.hasBias ? off : -1)
            off += l.hasBias ? l.shape.count : 0
            tmo.append(l.learnsTauMem ? off : -1)
            off += l.learnsTauMem ? l.shape.count : 0
            tso.append(l.learnsTauSyn ? off : -1)
            off += l.learnsTauSyn ? l.shape.count : 0
            tho.append(l.learnsThreshold ? off : -1)
            off += l.learnsThreshold ? l.shape.count : 0
        }
        thresholdGradOffset = tho
        tauMemGradOffset = tmo
        tauSynGradOffset = tso
        ffGradOffset = ffo
        recGradOffset = reco
        biasGradOffset = bo
        gradientSize = off
        let buffers: [UnsafeMutablePointer<Float>?] = architecture.layers.map { l in
            guard l.hasBias else { return nil }
            let p = UnsafeMutablePointer<Float>.allocate(capacity: l.shape.count)
            p.initialize(repeating: 0, count: l.shape.count)
            return p
        }
        biasBuffers = buffers
        let thresholds: [UnsafeMutablePointer<Float>?] = architecture.layers.map { l in
            guard l.usesAdaptivePass else { return nil }
            let p = UnsafeMutablePointer<Float>.allocate(capacity: l.shape.count)
            p.initialize(repeating: Float(architecture.threshold), count: l.shape.count)
            return p
        }
        thresholdBuffers = thresholds
        let decays: [UnsafeMutablePointer<Float>?] = architecture.layers.map { l in
            guard l.hasNeuronTimeConstants || l.usesAdaptivePass else { return nil }
            let p = UnsafeMutablePointer<Float>.allocate(capacity: 3 * l.shape.count)
            p.initialize(repeating: 0, count: 3 * l.shape.count)
            return p
        }
        decayBuffers = decays
        channelTaus = architecture.layers.map { l in
            guard l.hasNeuronTimeConstants || l.usesAdaptivePass else { return nil }
            let c = l.shape.channels
            return (l.tauMemValues ?? Array(repeating: l.tauMem, count: c), l.tauSynValues ?? Array(repeating: l.tauSyn, count: c))
        }
        let ffc = feedForward, recc = recurrent
        passes = architecture.layers.enumerated().map { i, l in
            LayerPass(l, dt: architecture.dt, threshold: architecture.threshold, feedForward: ffc[i].kernel,
                      recurrent: recc[i]?.kernel, bias: buffers[i].map { UnsafePointer($0) },
                      decays: decays[i].map { UnsafePointer($0) },
                      adaptive: thresholds[i].map { AdaptiveNeurons(thresholds: UnsafePointer($0), rho: Float(l.adaptDecay(dt: architecture.dt)),
                                                                    beta: Float(l.adaptStrength), adapts: l.isAdaptive) })
        }
        for i in architecture.layers.indices { fillDecays(layer: i) }
    }

    /// Sets every layer's `LayerPass.eventInputLimit` (tests compare the event-driven and the dense input gradients).
    func setEventInputLimit(_ limit: Double) {
        for p in passes { p.eventInputLimit = limit }
    }

    /// Writes layer `i`'s per-neuron decays from `channelTaus`: λ = e^{-Δt/τ} in Double, rounded to Float, and
    /// 1 - λ in Float (as the scalar path forms them).
    private func fillDecays(layer i: Int) {
        guard let buffer = decayBuffers[i], let taus = channelTaus[i] else { return }
        let shape = architecture.layers[i].shape, n = shape.count, dt = architecture.dt
        for q in 0 ..< n {
            let c = q % shape.channels
            let lm = Float(exp(-dt / taus.mem[c]))
            buffer[q] = lm
            buffer[n + q] = 1 - lm
            buffer[2 * n + q] = Float(exp(-dt / taus.syn[c]))
        }
    }

    /// Loads parameters (canonical layout) into the packed kernels.
    /// - Throws: `SpikeKitError.shapeMismatch` or `.nonFiniteValues` when they do not fit the architecture.
    public func load(_ parameters: NetworkParameters) throws {
        try parameters.validate(for: architecture)
        for (i, c) in feedForward.enumerated() { c.load(canonical: parameters.feedForward[i].scalars) }
        for (i, c) in recurrent.enumerated() { if let c { c.load(canonical: parameters.recurrent[i]!.scalars) } }
        for (i, l) in architecture.layers.enumerated() {
            guard let buffer = biasBuffers[i], let b = parameters.biases[i] else { continue }
            let shape = l.shape
            for q in 0 ..< shape.count { buffer[q] = b.scalars[q % shape.channels] }
        }
        for (i, l) in architecture.layers.enumerated() where l.learnsTauMem || l.learnsTauSyn {
            let taus = parameters.timeConstants(layer: i)
            if let m = taus.mem { channelTaus[i]!.mem = m }
            if let s = taus.syn { channelTaus[i]!.syn = s }
            fillDecays(layer: i)
        }
        for (i, l) in architecture.layers.enumerated() where l.learnsThreshold {
            let buffer = thresholdBuffers[i]!, v = parameters.thresholds[i]!.scalars, shape = l.shape
            for q in 0 ..< shape.count { buffer[q] = v[q % shape.channels] }
        }
    }

    /// Simulates a batch.
    /// - Parameters:
    ///   - inputs: one `SpikeTrains` per sample, all with the same steps and the input's unit count.
    ///   - loss, targets: the objective; required when `gradients` is true.
    ///   - noise: the source of ξ for stochastic layers.
    ///   - dropout: training (`.philox`, `.supplied`: the layers' dropout acts) or evaluation (`.off`, the default:
    ///     no dropout).
    ///   - gradients: compute dLoss/dparameters by BPTT.
    ///   - record: return the output and every layer's spikes as dense tensors.
    ///   - recordSurrogates: also return the surrogate derivative of every spiking layer at every step (for online
    ///     learning rules that work forward in time).
    ///   - recordOutput: return the last layer's output alone (without every layer's spikes), for example the
    ///     readout membrane a classifier needs, at a fraction of the memory of `record`.
    public func run(inputs: [SpikeTrains], loss: LossFunction? = nil, targets: Targets? = nil,
                    noise: NoiseSource = .philox(seed: 0, iteration: 0), dropout: DropoutSource = .off, gradients: Bool = false,
                    record: Bool = false, recordSurrogates: Bool = false, recordOutput: Bool = false) throws -> SimulationResult {
        try runBatch(inputs: inputs, loss: loss, targets: targets, noise: noise, dropout: dropout, gradients: gradients,
                     record: record, recordSurrogates: recordSurrogates, recordOutput: recordOutput, currents: nil)
    }

    /// `run(inputs:...)`, or with `currents` (`[B][T][input units]` in internal order, the `inputs` then empty
    /// trains of T steps) the real-valued input path of `run(currents:...)`.
    func runBatch(inputs: [SpikeTrains], loss: LossFunction?, targets: Targets?, noise: NoiseSource, dropout: DropoutSource,
                  gradients: Bool, record: Bool, recordSurrogates: Bool, recordOutput: Bool,
                  currents: UnsafePointer<Float>?) throws -> SimulationResult {
        let B = inputs.count
        guard B > 0 else { throw SpikeKitError.invalidConfiguration("a batch needs at least one sample") }
        let T = inputs[0].steps
        guard T > 0 else { throw SpikeKitError.invalidConfiguration("a simulation needs at least one step") }
        try architecture.validateDelays(steps: T)
        for (b, x) in inputs.enumerated() {
            guard x.steps == T, x.units == architecture.input.count else {
                throw SpikeKitError.shapeMismatch("sample \(b) has \(x.steps) steps × \(x.units) units, expected \(T) × \(architecture.input.count)")
            }
        }
        if gradients, loss == nil {
            throw SpikeKitError.invalidConfiguration("gradients need a loss function")
        }
        if let loss { try checkTargets(loss: loss, targets: targets, batch: B, steps: T) }
        let layers = architecture.layers
        let L = layers.count
        // Supplied noise in internal order.
        var suppliedNoise: [Int: [Float]] = [:]
        if case .supplied(let arrays) = noise {
            for (i, l) in layers.enumerated() where l.spike?.escape.isStochastic == true {
                guard let a = arrays[i] else { throw SpikeKitError.invalidConfiguration("layer \(i) is stochastic but no noise was supplied") }
                let n = l.shape.count
                guard a.count == B * T * n else {
                    throw SpikeKitError.shapeMismatch("noise for layer \(i) has \(a.count) values, expected \(B) × \(T) × \(l.shape.dimensions)")
                }
                var p = [Float](repeating: 0, count: a.count)
                for r in 0 ..< B * T {
                    for q in 0 ..< n { p[r * n + q] = a[r * n + l.shape.canonicalIndex(internal: q)] }
                }
                suppliedNoise[i] = p
            }
        }
        // Dropout acting in this run, and supplied masks in internal order.
        let dropoutRate: [Float] = layers.map { dropout.isTraining && $0.isSpiking ? Float($0.dropout) : 0 }
        var suppliedMasks: [Int: [Float]] = [:]
        if case .supplied(let arrays) = dropout {
            for (i, l) in layers.enumerated() where dropoutRate[i] > 0 {
                guard let a = arrays[i] else { throw SpikeKitError.invalidConfiguration("layer \(i) has dropout but no mask was supplied") }
                let n = l.shape.count
                guard a.count == B * T * n else {
                    throw SpikeKitError.shapeMismatch("dropout mask for layer \(i) has \(a.count) values, expected \(B) × \(T) × \(l.shape.dimensions)")
                }
                guard a.allSatisfy({ $0 == 0 || $0 == 1 }) else {
                    throw SpikeKitError.invalidConfiguration("dropout mask for layer \(i) holds values other than 0 and 1")
                }
                var p = [Float](repeating: 0, count: a.count)
                for r in 0 ..< B * T {
                    for q in 0 ..< n { p[r * n + q] = a[r * n + l.shape.canonicalIndex(internal: q)] }
                }
                suppliedMasks[i] = p
            }
        }
        // With a layer whose backward pass runs several samples at once, each worker holds one workspace per
        // sample of a group; the groups are consecutive samples of a slot, so they do not depend on the threads.
        let group = gradients && passes.contains(where: \.groupsBackward) ? LayerPass.groupSize : 1
        if workspaces.count < threads * group || workspaces.first?.steps != T {
            workspaces = (0 ..< threads * group).map { _ in SampleWorkspace(architecture: architecture, steps: T) }
        }
        let slots = min(B, Simulator.maxSlots)
        // Trials of one stimulus (every input the same) share the first layer's drive and the factors of its
        // weight gradient.
        let sameInput = currents == nil && B > 1 && inputs.dropFirst().allSatisfy({ $0 == inputs[0] })
        let sharedInputGradient = gradients && sameInput && architecture.layers[0].isSpiking
        let slotStride = gradientSize + (sharedInputGradient ? T * architecture.layers[0].shape.count : 0)
        var slotGrads: UnsafeMutablePointer<Float>? = nil
        if gradients {
            if slotGradientCapacity < slots * slotStride {
                slotGradientBuffer?.deallocate()
                slotGradientBuffer = CacheLine.allocate(Float.self, capacity: slots * slotStride)
                slotGradientCapacity = slots * slotStride
            }
            slotGrads = slotGradientBuffer
        }
        let lossBuf = UnsafeMutablePointer<Double>.allocate(capacity: B)
        lossBuf.initialize(repeating: 0, count: B)
        let countBuf = UnsafeMutablePointer<Int>.allocate(capacity: B * L)
        countBuf.initialize(repeating: 0, count: B * L)
        let outShape = architecture.outputShape
        let outputBuf: UnsafeMutablePointer<Float>? = record || recordOutput ? .allocate(capacity: B * T * outShape.count) : nil
        outputBuf?.initialize(repeating: 0, count: B * T * outShape.count)
        let spikeBufs: [UnsafeMutablePointer<Float>?] = layers.map { l in
            guard record, l.isSpiking else { return nil }
            let p = UnsafeMutablePointer<Float>.allocate(capacity: B * T * l.shape.count)
            p.initialize(repeating: 0, count: B * T * l.shape.count)
            return p
        }
        let sdBufs: [UnsafeMutablePointer<Float>?] = layers.map { l in
            guard recordSurrogates, l.isSpiking else { return nil }
            let p = UnsafeMutablePointer<Float>.allocate(capacity: B * T * l.shape.count)
            p.initialize(repeating: 0, count: B * T * l.shape.count)
            return p
        }
        let maskBufs: [UnsafeMutablePointer<Float>?] = layers.indices.map { i in
            guard record, dropoutRate[i] > 0 else { return nil }
            let p = UnsafeMutablePointer<Float>.allocate(capacity: B * T * layers[i].shape.count)
            p.initialize(repeating: 0, count: B * T * layers[i].shape.count)
            return p
        }
        defer {
            for p in maskBufs { p?.deallocate() }
            for p in sdBufs { p?.deallocate() }
            lossBuf.deallocate()
            countBuf.deallocate()
            outputBuf?.deallocate()
            for p in spikeBufs { p?.deallocate() }
        }
        let seed: UInt64, iteration: UInt32
        if case .philox(let s, let it) = noise { (seed, iteration) = (s, it) } else { (seed, iteration) = (0, 0) }
        let dropoutSeed: UInt64, dropoutIteration: UInt32
        if case .philox(let s, let it) = dropout { (dropoutSeed, dropoutIteration) = (s, it) } else { (dropoutSeed, dropoutIteration) = (0, 0) }
        // Trials of one stimulus share the first layer's drive: compute it once.
        var sharedDrive: UnsafeMutablePointer<Float>? = nil
        if sameInput {
            // Its steps are split over the workers (each row is formed alone, so the split does not change it).
            let W = workspaces[0], n0 = W.layers[0].n
            RunContext.buildInputLists(inputs[0], shape: architecture.input, steps: T, workspace: W)
            let start = UnsafeSendable(W.firstLayerInputStart(passes[0])), index = UnsafeSendable(W.inputIndex)
            // Kept between runs (allocated once per size): a fresh buffer every step fragments the heap.
            if sharedDriveCapacity < T * n0 {
                sharedDriveBuffer?.deallocate()
                sharedDriveBuffer = CacheLine.allocate(Float.self, capacity: T * n0)
                sharedDriveCapacity = T * n0
            }
            let drive = UnsafeSendable(sharedDriveBuffer!), first = passes[0]
            let parts = min(threads, T)
            Parallel.forEachWorker(parts) { p in
                first.computeDrive(into: drive.pointer, steps: Parallel.range(p, of: parts, count: T),
                                   inputIndex: index.pointer, inputStart: start.pointer)
            }
            sharedDrive = drive.pointer
        }
        // Real-valued input: every sample's first-layer drive W·x[n] + b in one matrix product, and room for the
        // factors dL/dI[n+1] of its weight gradient.
        var currentDrives: UnsafeMutablePointer<Float>? = nil, currentFactors: UnsafeMutablePointer<Float>? = nil
        defer { currentDrives?.deallocate(); currentFactors?.deallocate() }
        if let currents {
            currentDrives = currentDrive(currents, batch: B, steps: T)
            if gradients {
                let count = B * T * layers[0].shape.count
                currentFactors = .allocate(capacity: count)
                currentFactors!.initialize(repeating: 0, count: count)
            }
        }
        var setup = RunContext(
            architecture: architecture, passes: passes, inputs: inputs, loss: loss, targets: targets, batch: B, steps: T,
            gradients: gradients, slotGrads: slotGrads, gradientSize: gradientSize, slotStride: slotStride,
            sharedInputGradient: sharedInputGradient, ffGradOffset: ffGradOffset,
            recGradOffset: recGradOffset, biasGradOffset: biasGradOffset, tauMemGradOffset: tauMemGradOffset,
            tauSynGradOffset: tauSynGradOffset, thresholdGradOffset: thresholdGradOffset, lossOut: lossBuf, countOut: countBuf, outputOut: outputBuf,
            spikesOut: spikeBufs, surrogatesOut: sdBufs, supplied: suppliedNoise, philox: Philox(seed: seed), iteration: iteration,
            sharedFirstDrive: sharedDrive, dropoutRate: dropoutRate, suppliedMasks: suppliedMasks,
            dropoutPhilox: Philox(seed: dropoutSeed), dropoutIteration: dropoutIteration, masksOut: maskBufs)
        setup.currentDrives = currentDrives.map { UnsafePointer($0) }
        setup.currentFactors = currentFactors
        let context = setup
        // This process's block of slots and the samples in them (slot s starts at sample B·s/S).
        let P = exchange.size, rank = exchange.rank
        let slotOffsets = (0 ... P).map { slots * $0 / P }
        let sampleOffsets = slotOffsets.map { B * $0 / slots }
        let mySlots = slotOffsets[rank] ..< slotOffsets[rank + 1]
        let errors = ErrorBox()
        let workers = min(threads, mySlots.count)
        let spaces = workspaces
        // With a shared input gradient the slots never hold the first layer's feed-forward gradient (it starts the
        // packed layout): those elements are neither cleared nor summed.
        let unused = sharedInputGradient ? ffGradOffset[0] + feedForward[0].weightCount : 0
        let zeroSlots = slotGrads.map(UnsafeSendable.init), slotSize = slotStride
        // In one process the slots are summed as they are filled (in slot order, so the same bits), overlapping
        // the last slots' work; across processes they are summed after the exchange.
        let n0 = architecture.layers[0].shape.count, factorCount = T * n0 / passes[0].feedForward.width * passes[0].feedForward.width
        let progressive: OrderedSlotSum? = P == 1 && slotGrads != nil ? runningSum : nil
        if let progressive, let slotGrads {
            if totalGradient == nil { totalGradient = CacheLine.allocate(Float.self, capacity: gradientSize) }
            progressive.start(slotCount: slots, slots: slotGrads, stride: slotStride, first: unused, count: gradientSize - unused,
                              into: totalGradient!, factorOffset: gradientSize, factorCount: sharedInputGradient ? factorCount : 0)
        }
        // Each worker takes the next slot no one has taken, so a core that runs slower (a busy neighbour on a
        // virtual machine) takes fewer slots instead of holding up the batch. Which worker fills a slot changes
        // nothing in it: a sample's result depends only on the sample, and the slots are summed in slot order.
        let claims = nextSlot
        claims.store(mySlots.lowerBound, ordering: .relaxed)
        if workers > 0 { Parallel.forEachWorker(workers) { w in
            while true {
                let slot = claims.loadThenWrappingIncrement(ordering: .relaxed)
                guard slot < mySlots.upperBound else { break }
                // Each worker clears the slots it fills (in parallel, and leaving them in its cache).
                zeroSlots.map { ($0.pointer + slot * slotSize + unused).update(repeating: 0, count: slotSize - unused) }
                // The slot's samples in as few groups as fit, of nearly equal size (4 samples: 2 + 2 rather than 3 + 1).
                let samples = Parallel.range(slot, of: slots, count: B)
                let groups = (samples.count + group - 1) / group
                for k in 0 ..< groups {
                    let part = Parallel.range(k, of: groups, count: samples.count)
                    do {
                        try context.runSamples(samples.lowerBound + part.lowerBound ..< samples.lowerBound + part.upperBound, slot: slot,
                                               workspaces: spaces[w * group ..< (w + 1) * group])
                    } catch {
                        errors.set(error)
                    }
                }
                progressive?.complete(slot)
            }
        } }
        if P > 1 {
            try exchangeBlocks(failed: errors.error != nil, slotOffsets: slotOffsets, sampleOffsets: sampleOffsets,
                               slotGrads: slotGrads, slotStride: slotStride, losses: lossBuf, counts: countBuf,
                               output: outputBuf, spikes: spikeBufs, surrogates: sdBufs, steps: T)
        }
        if let e = errors.error { throw e }
        let sampleLoss = Array(UnsafeBufferPointer(start: lossBuf, count: B))
        let counts = Array(UnsafeBufferPointer(start: countBuf, count: B * L))
        var grads: NetworkParameters?
        if let slotGrads {
            if totalGradient == nil { totalGradient = CacheLine.allocate(Float.self, capacity: gradientSize) }
            let total = totalGradient!
            let size = gradientSize
            let parts = min(threads, max(1, size / 4096))
            let t = UnsafeSendable(total), g = UnsafeSendable(slotGrads)
            total.update(repeating: 0, count: unused)
            if progressive == nil { Parallel.forEachWorker(parts) { p in
                let part = Parallel.range(p, of: parts, count: size - unused)
                let r = part.lowerBound + unused ..< part.upperBound + unused
                for k in r { t.pointer[k] = g.pointer[k] }
                for s in 1 ..< slots {
                    let src = g.pointer + s * slotStride
                    for k in r { t.pointer[k] += src[k] }
                }
            } }
            if let currents, let currentFactors {
                if P > 1 {
                    try exchange.allGather(currentFactors, itemOffsets: sampleOffsets, valuesPerItem: T * layers[0].shape.count)
                }
                accumulateCurrentGradient(currents, factors: currentFactors, batch: B, steps: T, into: total + ffGradOffset[0])
            }
            if sharedInputGradient {
                // Σ over slots (in slot order) of the first layer's factors, then one event-driven pass over the
                // shared input spikes; both split over the workers by columns of the weight segments (whole SIMD
                // vectors), which are independent sums: the same result for any split.
                // (Summed already when the slots were summed as they were filled.) The input lists of workspace 0
                // are those of every sample, all of which have this input.
                let first = passes[0], width = first.feedForward.width
                let factors = UnsafeSendable(slotGrads + gradientSize), stride = slotStride, rows = T * n0 / width
                let W = workspaces[0]
                if progressive == nil { RunContext.buildInputLists(inputs[0], shape: architecture.input, steps: T, workspace: W) }
                let start = UnsafeSendable(W.firstLayerInputStart(passes[0])), index = UnsafeSendable(W.inputIndex)
                let gradient = UnsafeSendable(total + ffGradOffset[0])
                // Split only where the work outweighs waking a second thread (about a million multiply-adds).
                let vectors = (width + 15) / 16, work = Int(W.inputStart[T]) * width
                let parts = progressive == nil || work > 1 << 20 ? min(threads, vectors) : 1
                Parallel.forEachWorker(parts) { p in
                    let v = Parallel.range(p, of: parts, count: vectors)
                    let columns = 16 * v.lowerBound ..< min(width, 16 * v.upperBound)
                    if progressive == nil {
                        for r in 0 ..< rows {
                            let row = factors.pointer + r * width + columns.lowerBound
                            for s in 1 ..< slots { VectorKernels.add(row + s * stride, into: row, count: columns.count) }
                        }
                    }
                    first.accumulateFeedForwardGradient(factors: factors.pointer, steps: T, inputIndex: index.pointer,
                                                        inputStart: start.pointer, into: gradient.pointer, columns: columns)
                }
            }
            // Behind a layer with dropout the weight gradient is Σ_n S̃[n] ⊗ dL/dI[n+1] with S̃ = m ⊙ S / (1-p): the
            // slots summed the kept spikes, so scale by 1/(1-p).
            for i in 1 ..< max(L, 1) where dropoutRate[i - 1] > 0 {
                let scale = 1 / (1 - dropoutRate[i - 1]), g = total + ffGradOffset[i]
                for k in 0 ..< feedForward[i].weightCount { g[k] *= scale }
            }
            var ff: [Tensor] = [], rec: [Tensor?] = [], bias: [Tensor?] = [], logTauMem: [Tensor?] = [], logTauSyn: [Tensor?] = []
            var thresholdGrads: [Tensor?] = []
            for i in 0 ..< L {
                // dL/dρ = Σ_positions dL/dλ · dλ/dρ, with λ = exp(-Δt e^{-ρ}) and dλ/dρ = λ Δt / τ (in Double).
                func logTauGradient(_ offset: Int, _ taus: [Double]) throws -> Tensor? {
                    guard offset >= 0 else { return nil }
                    let shape = layers[i].shape, g = total + offset, dt = architecture.dt
                    var sum = [Double](repeating: 0, count: shape.channels)
                    for q in 0 ..< shape.count { sum[q % shape.channels] += Double(g[q]) }
                    return try Tensor(shape: layers[i].biasShape, scalars: sum.indices.map {
                        let tau = taus[$0]
                        return Float(sum[$0] * exp(-dt / tau) * dt / tau)
                    })
                }
                logTauMem.append(try logTauGradient(tauMemGradOffset[i], channelTaus[i]?.mem ?? []))
                logTauSyn.append(try logTauGradient(tauSynGradOffset[i], channelTaus[i]?.syn ?? []))
                if thresholdGradOffset[i] >= 0 {
                    // Per channel: the sum over its positions (internal order j·C + c), like the bias.
                    let shape = layers[i].shape, g = total + thresholdGradOffset[i]
                    var v = [Float](repeating: 0, count: shape.channels)
                    for q in 0 ..< shape.count { v[q % shape.channels] += g[q] }
                    thresholdGrads.append(try Tensor(shape: layers[i].biasShape, scalars: v))
                } else {
                    thresholdGrads.append(nil)
                }
                if biasGradOffset[i] >= 0 {
                    // Internal order j·C + c: a channel's gradient is the sum over its positions, in position order.
                    let shape = layers[i].shape, g = total + biasGradOffset[i]
                    var b = [Float](repeating: 0, count: shape.channels)
                    for q in 0 ..< shape.count { b[q % shape.channels] += g[q] }
                    bias.append(try Tensor(shape: layers[i].biasShape, scalars: b))
                } else {
                    bias.append(nil)
                }
                ff.append(try Tensor(shape: layers[i].feedForward.weightShape,
                                     scalars: feedForward[i].canonical(fromPacked: total + ffGradOffset[i])))
                if let r = recurrent[i] {
                    rec.append(try Tensor(shape: layers[i].recurrent!.weightShape, scalars: r.canonical(fromPacked: total + recGradOffset[i])))
                } else {
                    rec.append(nil)
                }
            }
            grads = NetworkParameters(feedForward: ff, recurrent: rec, biases: bias, logTauMem: logTauMem, logTauSyn: logTauSyn,
                                      thresholds: thresholdGrads)
        }
        var layerCounts = [Int](repeating: 0, count: L)
        for b in 0 ..< B { for l in 0 ..< L { layerCounts[l] += counts[b * L + l] } }
        var result = SimulationResult(loss: sampleLoss.reduce(0, +) / Double(B), gradients: grads, output: nil, spikes: nil,
                                      spikeCounts: layerCounts, sampleLosses: sampleLoss)
        if let outputBuf {
            result.output = try Tensor(shape: [B, T] + outShape.dimensions,
                                       scalars: Array(UnsafeBufferPointer(start: outputBuf, count: B * T * outShape.count)))
        }
        if record {
            result.spikes = try layers.enumerated().filter { $0.element.isSpiking }.map {
                try Tensor(shape: [B, T] + $0.element.shape.dimensions,
                           scalars: Array(UnsafeBufferPointer(start: spikeBufs[$0.offset]!, count: B * T * $0.element.shape.count)))
            }
        }
        if record, dropoutRate.contains(where: { $0 > 0 }) {
            var masks: [Int: Tensor] = [:]
            for (i, l) in layers.enumerated() where dropoutRate[i] > 0 {
                masks[i] = try Tensor(shape: [B, T] + l.shape.dimensions,
                                      scalars: Array(UnsafeBufferPointer(start: maskBufs[i]!, count: B * T * l.shape.count)))
            }
            result.dropoutMasks = masks
        }
        if recordSurrogates {
            result.surrogates = try layers.enumerated().filter { $0.element.isSpiking }.map {
                try Tensor(shape: [B, T] + $0.element.shape.dimensions,
                           scalars: Array(UnsafeBufferPointer(start: sdBufs[$0.offset]!, count: B * T * $0.element.shape.count)))
            }
        }
        return result
    }

    /// Hands every process every block of a batch: first whether any process failed (so that all of them stop
    /// together), then the slot gradients and the per-sample results.
    private func exchangeBlocks(failed: Bool, slotOffsets: [Int], sampleOffsets: [Int], slotGrads: UnsafeMutablePointer<Float>?,
                                slotStride: Int, losses: UnsafeMutablePointer<Double>, counts: UnsafeMutablePointer<Int>,
                                output: UnsafeMutablePointer<Float>?, spikes: [UnsafeMutablePointer<Float>?],
                                surrogates: [UnsafeMutablePointer<Float>?], steps T: Int) throws {
        let P = exchange.size
        var flags = [UInt8](repeating: 0, count: P)
        flags[exchange.rank] = failed ? 1 : 0
        try flags.withUnsafeMutableBufferPointer {
            try exchange.allGather($0.baseAddress!, itemOffsets: Array(0 ... P), valuesPerItem: 1)
        }
        if !failed, let q = flags.firstIndex(of: 1) {
            throw SpikeKitError.invalidConfiguration("process \(q) of \(P) failed on this batch")
        }
        if failed { return }
        if let slotGrads { try exchange.allGather(slotGrads, itemOffsets: slotOffsets, valuesPerItem: slotStride) }
        try exchange.allGather(losses, itemOffsets: sampleOffsets, valuesPerItem: 1)
        try exchange.allGather(counts, itemOffsets: sampleOffsets, valuesPerItem: architecture.layers.count)
        if let output { try exchange.allGather(output, itemOffsets: sampleOffsets, valuesPerItem: T * architecture.outputShape.count) }
        for (i, l) in architecture.layers.enumerated() {
            if let p = spikes[i] { try exchange.allGather(p, itemOffsets: sampleOffsets, valuesPerItem: T * l.shape.count) }
            if let p = surrogates[i] { try exchange.allGather(p, itemOffsets: sampleOffsets, valuesPerItem: T * l.shape.count) }
        }
    }

    private func checkTargets(loss: LossFunction, targets: Targets?, batch B: Int, steps T: Int) throws {
        let last = architecture.layers[architecture.layers.count - 1]
        if case .vanRossum(let tau) = loss { try VanRossumLoss.validate(tau: tau) }
        switch (loss, targets) {
        case (.user(let u), .spikes(let s)?) where !u.loss.usesLabels:
            try checkSpikeTargets(s, batch: B, steps: T, units: last.shape.count)
        case (.user(let u), .labels(let l)?) where u.loss.usesLabels:
            guard l.count == B else { throw SpikeKitError.shapeMismatch("\(l.count) labels for \(B) samples") }
        case (.user(let u), _):
            throw SpikeKitError.invalidConfiguration("the user loss \(u.loss.name) needs \(u.loss.usesLabels ? "labels" : "target spike rasters")")
        case (.vanRossum, .spikes(let s)?):
            guard last.isSpiking else { throw SpikeKitError.invalidConfiguration("the van Rossum loss needs a spiking last layer") }
            try checkSpikeTargets(s, batch: B, steps: T, units: last.shape.count)
        case (.l2Spikes, .spikes(let s)?):
            guard last.isSpiking else { throw SpikeKitError.invalidConfiguration("the L2 spike loss needs a spiking last layer") }
            guard s.count == B else { throw SpikeKitError.shapeMismatch("\(s.count) targets for \(B) samples") }
            var checked: UnsafePointer<Float>? = nil
            for (b, t) in s.enumerated() {
                guard t.count == T * last.shape.count else {
                    throw SpikeKitError.shapeMismatch("target \(b) has \(t.count) values, expected \(T) × \(last.shape.count)")
                }
                guard Simulator.allFinite(t, after: &checked) else { throw SpikeKitError.nonFiniteValues("target \(b) holds NaN or infinite values") }
            }
        case (_, .labels(let l)?) where loss.usesLabels:
            if loss.needsReadout {
                guard !last.isSpiking else { throw SpikeKitError.invalidConfiguration("cross-entropy needs a readout as the last layer") }
            } else {
                guard last.isSpiking else { throw SpikeKitError.invalidConfiguration("the spike-count loss needs a spiking last layer") }
            }
            guard l.count == B else { throw SpikeKitError.shapeMismatch("\(l.count) labels for \(B) samples") }
            for v in l where !(0 ..< last.shape.count).contains(v) {
                throw SpikeKitError.invalidConfiguration("label \(v) is outside 0..<\(last.shape.count)")
            }
        default:
            throw SpikeKitError.invalidConfiguration("the loss needs \(loss.comparesSpikeTrains ? "target spike rasters" : "labels")")
        }
    }

    /// One target raster `[T][N]` of finite values per sample.
    private func checkSpikeTargets(_ s: [[Float]], batch B: Int, steps T: Int, units N: Int) throws {
        guard s.count == B else { throw SpikeKitError.shapeMismatch("\(s.count) targets for \(B) samples") }
        var checked: UnsafePointer<Float>? = nil
        for (b, t) in s.enumerated() {
            guard t.count == T * N else { throw SpikeKitError.shapeMismatch("target \(b) has \(t.count) values, expected \(T) × \(N)") }
            guard Simulator.allFinite(t, after: &checked) else { throw SpikeKitError.nonFiniteValues("target \(b) holds NaN or infinite values") }
        }
    }

    /// Whether `values` are all finite; an array with the same storage as the one checked before (`checked`: trials
    /// of one target share it) is not scanned again.
    private static func allFinite(_ values: [Float], after checked: inout UnsafePointer<Float>?) -> Bool {
        values.withUnsafeBufferPointer { v in
            if let p = v.baseAddress, p == checked { return true }
            checked = v.baseAddress
            return FiniteCheck.allFinite(v)
        }
    }

}

/// A raw pointer handed to worker threads; the caller guarantees disjoint access.
struct UnsafeSendable<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>
    init(_ p: UnsafeMutablePointer<T>) { pointer = p }
}

/// The first error thrown by any worker.
final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var error: Error?
    func set(_ e: Error) {
        lock.lock()
        if error == nil { error = e }
        lock.unlock()
    }
}
