import SpikeKitFormats
/// A synaptic connection from one activity shape to another: dense, or conv1d over positions
/// (`out[o, j] = Σ_c Σ_k W[o, c, k] · x_padded[c, j·s + k]`, cross-correlation with zero padding, as
/// `torch.nn.functional.conv1d`).
public enum ConnectionGeometry: Equatable, Sendable {
    case dense(input: ActivityShape, outputs: Int)
    case conv(input: ActivityShape, outChannels: Int, kernel: Int, stride: Int, padding: Int)

    /// The input activity shape.
    public var input: ActivityShape {
        switch self {
        case .dense(let i, _), .conv(let i, _, _, _, _): return i
        }
    }

    /// The output activity shape.
    public var output: ActivityShape {
        switch self {
        case .dense(_, let n): return ActivityShape(units: n)
        case .conv(let i, let c, let k, let s, let p):
            return ActivityShape(channels: c, positions: (i.positions - k + 2 * p) / s + 1)
        }
    }

    /// For a stride-1 conv: the zero margin, in floats, that `ConnectionKernel.backpropagateConvStep(paddedDelta:into:)`
    /// needs before and after a delta vector (the output positions that the windows of the first and last input
    /// positions reach past the output, times `C_out`); nil for dense and strided connections.
    public var paddedStepMargin: Int? {
        guard case .conv(let i, let c, let k, let s, let p) = self, s == 1 else { return nil }
        let before = max(0, k - 1 - p), after = max(0, i.positions - 1 + p - (output.positions - 1))
        return max(before, after) * c
    }

    /// The canonical (PyTorch) weight shape: dense `(out, in)`, conv `(out_channels, in_channels, kernel)`.
    public var weightShape: [Int] {
        switch self {
        case .dense(let i, let n): return [n, i.count]
        case .conv(let i, let c, let k, _, _): return [c, i.channels, k]
        }
    }

    /// The number of inputs that reach each output neuron (fan-in): `in` for dense, `in_channels × kernel` for conv.
    public var fanIn: Int {
        switch self {
        case .dense(let i, _): return i.count
        case .conv(let i, _, let k, _, _): return i.channels * k
        }
    }

    /// The largest neuron count, weight count or synapse-segment count of one connection: the packed form indexes
    /// them with `Int32`.
    package static let sizeLimit = Int(Int32.max)

    /// Checks that the geometry produces at least one output and that every size the packed form derives from it
    /// (neurons in and out, weights, segments) is positive and fits `sizeLimit`.
    ///
    /// The values come from model files and options, and this module is compiled `-Ounchecked`: every product and
    /// sum is formed with overflow-reporting arithmetic, so no value wraps before it is compared.
    package func validate(context: String) throws {
        func bad(_ m: String) -> SpikeKitError { .invalidConfiguration("\(context): \(m)") }
        func product(_ factors: Int...) -> Int? {
            var p = 1
            for f in factors {
                let (r, o) = p.multipliedReportingOverflow(by: f)
                guard !o, r <= Self.sizeLimit else { return nil }
                p = r
            }
            return p
        }
        let i = input
        guard i.channels > 0, i.positions > 0, product(i.channels, i.positions) != nil else {
            throw bad("input shape \(i) must be positive and at most \(Self.sizeLimit) neurons")
        }
        switch self {
        case .dense(_, let n):
            guard n > 0 else { throw bad("dense connection needs positive sizes") }
            guard product(n, i.channels, i.positions) != nil else {
                throw bad("dense connection of \(i.count) × \(n) weights exceeds \(Self.sizeLimit)")
            }
        case .conv(_, let c, let k, let s, let p):
            guard c > 0, k > 0, s > 0, p >= 0 else {
                throw bad("conv needs positive channels, kernel and stride and padding >= 0")
            }
            // positions - k + 2p, formed without wrapping.
            let (twoP, o1) = p.multipliedReportingOverflow(by: 2)
            let (padded, o2) = i.positions.addingReportingOverflow(twoP)
            guard !o1, !o2, padded <= Self.sizeLimit else { throw bad("padding \(p) is too large") }
            guard padded - k >= 0 else {
                throw bad("kernel \(k) with padding \(p) does not fit \(i.positions) input positions")
            }
            let outPositions = (padded - k) / s + 1
            guard product(c, outPositions) != nil, product(c, i.channels, k) != nil,
                  product(i.channels, i.positions, k) != nil else {
                throw bad("conv of \(c) channels, kernel \(k) on \(i) exceeds \(Self.sizeLimit) neurons, weights or segments")
            }
        }
    }
}

/// A connection in the kernels' form: weights packed so that the synapses of one presynaptic neuron are runs of
/// contiguous floats ("segments", each `width` long) that update contiguous postsynaptic neurons.
///
/// Dense: input `q` has one segment of all `N_out` outputs, packed weights `Wt[q, o]`. Conv: input `(j_in, c)` has
/// one segment per kernel tap `k` that lands on an output position `j` (`j·s + k = j_in + pad`), covering all
/// output channels at `j`; packed weights `Wp[c, k, o]`. The three operations the engine needs are then the same
/// loop for both: event-driven accumulation of spikes, event-driven weight gradients, and the transposed product
/// for the input gradient. The storage is owned by this object and exposed to the time loops as raw pointers.
package final class PackedConnection: @unchecked Sendable {
    package let geometry: ConnectionGeometry
    package let inputCount: Int
    package let outputCount: Int
    /// Length of every segment (output neurons updated together).
    package let width: Int
    /// Number of packed weights.
    package let weightCount: Int
    private let start: UnsafeMutablePointer<Int32>
    private let target: UnsafeMutablePointer<Int32>
    private let weightOffset: UnsafeMutablePointer<Int32>
    private let weights: UnsafeMutablePointer<Float>
    /// The weights again for the transposed product, inputs contiguous: dense `W[o, q]`; conv the taps by residue
    /// class, reversed (`ConnectionKernel.Conv.transposedRow`).
    private let transposed: UnsafeMutablePointer<Float>
    /// Dense: `transposed` again with every row padded to `alignedRowStride`, a multiple of 16 floats, so that each
    /// row starts on a 64-byte cache line (the padding is zero). With 200 inputs a row is 800 bytes, and every second
    /// row of `transposed` starts half-way into a line: each 512-bit load from it then touches two lines. The
    /// event-driven input gradient (`LayerPass.eventInputSequence`) loads one row segment per event and reads this
    /// copy. Where the rows are aligned already (a multiple of 16 inputs), for conv, and unless the connection is built
    /// with `alignedRowCopy`, it is `transposed` itself (the kernel is then correct, only slower).
    private let alignedRows: UnsafeMutablePointer<Float>
    package let alignedRowStride: Int

    /// `alignedRowCopy`: keep the row-aligned copy of the weights (`alignedRows`) that the event-driven input gradient
    /// reads; only layers that can take that path need it.
    package init(geometry: ConnectionGeometry, alignedRowCopy: Bool = false) {
        self.geometry = geometry
        let inShape = geometry.input, outShape = geometry.output
        inputCount = inShape.count
        outputCount = outShape.count
        var starts: [Int32] = [0], targets: [Int32] = [], offsets: [Int32] = []
        switch geometry {
        case .dense(_, let n):
            width = n
            for q in 0 ..< inputCount {
                targets.append(0)
                offsets.append(Int32(q * n))
                starts.append(Int32(targets.count))
            }
            weightCount = inputCount * n
        case .conv(let i, let cOut, let k, let s, let p):
            width = cOut
            let pOut = outShape.positions
            for q in 0 ..< inputCount {
                let jIn = q / i.channels, c = q % i.channels
                for tap in 0 ..< k {
                    let t = jIn + p - tap
                    guard t >= 0, t % s == 0, t / s < pOut else { continue }
                    targets.append(Int32(t / s * cOut))
                    offsets.append(Int32((c * k + tap) * cOut))
                }
                starts.append(Int32(targets.count))
            }
            weightCount = i.channels * k * cOut
        }
        start = .allocate(capacity: starts.count)
        start.initialize(from: starts, count: starts.count)
        target = .allocate(capacity: max(1, targets.count))
        target.initialize(from: targets, count: targets.count)
        weightOffset = .allocate(capacity: max(1, offsets.count))
        weightOffset.initialize(from: offsets, count: offsets.count)
        weights = CacheLine.allocate(Float.self, capacity: weightCount)
        transposed = CacheLine.allocate(Float.self, capacity: weightCount)
        (alignedRows, alignedRowStride) = alignedRowCopy
            ? Self.alignedCopy(of: transposed, rows: width, width: inputCount, dense: geometry) : (transposed, inputCount)
    }

    deinit {
        start.deallocate()
        target.deallocate()
        weightOffset.deallocate()
        weights.deallocate()
        transposed.deallocate()
        if alignedRows != transposed { alignedRows.deallocate() }
    }

    /// For a dense connection whose rows of `width` floats are not a multiple of 16: a zeroed buffer of `rows` rows
    /// padded to the next multiple of 16, and that stride; otherwise `base` itself and `width`.
    private static func alignedCopy(of base: UnsafeMutablePointer<Float>, rows: Int, width: Int,
                                    dense geometry: ConnectionGeometry) -> (UnsafeMutablePointer<Float>, Int) {
        guard case .dense = geometry, width % 16 != 0 else { return (base, width) }
        let stride = (width + 15) / 16 * 16
        let copy = CacheLine.allocate(Float.self, capacity: rows * stride)
        copy.initialize(repeating: 0, count: rows * stride)
        return (copy, stride)
    }

    /// Loads canonical (PyTorch-layout) weights into the packed form.
    package func load(canonical w: [Float]) {
        switch geometry {
        case .dense(let i, let n) where i.positions == 1:
            // Internal order is canonical: `transposed` is W itself, `weights` its transpose.
            w.withUnsafeBufferPointer { src in
                transposed.update(from: src.baseAddress!, count: n * inputCount)
                PackedConnection.transpose(src.baseAddress!, rows: n, columns: inputCount, into: weights)
            }
            copyAlignedRows(count: n)
        case .dense(let i, let n):
            for q in 0 ..< inputCount {
                let col = i.canonicalIndex(internal: q)
                for o in 0 ..< n {
                    weights[q * n + o] = w[o * i.count + col]
                    transposed[o * inputCount + q] = w[o * i.count + col]
                }
            }
            copyAlignedRows(count: n)
        case .conv(let i, let cOut, let k, _, _):
            let geometry = kernel.conv!
            for c in 0 ..< i.channels {
                for tap in 0 ..< k {
                    let row = geometry.transposedRow(tap: tap)
                    for o in 0 ..< cOut {
                        let v = w[(o * i.channels + c) * k + tap]
                        weights[(c * k + tap) * cOut + o] = v
                        transposed[(row + o) * i.channels + c] = v
                    }
                }
            }
        }
    }

    /// Refreshes `alignedRows` from the `rows` rows of `transposed` (nothing to do where they are the same).
    private func copyAlignedRows(count rows: Int) {
        guard alignedRows != transposed else { return }
        for o in 0 ..< rows {
            (alignedRows + o * alignedRowStride).update(from: transposed + o * inputCount, count: inputCount)
        }
    }

    /// `dst[c · rows + r] = src[r · columns + c]`, in 8 × 8 blocks held in vector registers: eight rows of eight
    /// floats are loaded, transposed by three rounds of `unzip`, and stored as eight columns (3.4-5 × faster than an
    /// element-wise 16 × 16 tiled copy on a 200 × 200 matrix, measured on AVX2; this runs at every weight load and
    /// gradient read-out). The rows and columns left over by the blocks are copied element by element.
    package static func transpose(_ src: UnsafePointer<Float>, rows: Int, columns: Int, into dst: UnsafeMutablePointer<Float>) {
        let s = UnsafeRawPointer(src), d = UnsafeMutableRawPointer(dst)
        var r0 = 0
        while r0 + 8 <= rows {
            var c0 = 0
            while c0 + 8 <= columns {
                func row(_ i: Int) -> SIMD8<Float> {
                    s.loadUnaligned(fromByteOffset: 4 * ((r0 + i) * columns + c0), as: SIMD8<Float>.self)
                }
                let t = unzip(unzip(unzip((row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7)))))
                func store(_ i: Int, _ v: SIMD8<Float>) {
                    d.storeBytes(of: v, toByteOffset: 4 * ((c0 + i) * rows + r0), as: SIMD8<Float>.self)
                }
                store(0, t.0); store(1, t.1); store(2, t.2); store(3, t.3)
                store(4, t.4); store(5, t.5); store(6, t.6); store(7, t.7)
                c0 += 8
            }
            for r in r0 ..< r0 + 8 {
                for c in c0 ..< columns { dst[c * rows + r] = src[r * columns + c] }
            }
            r0 += 8
        }
        for r in r0 ..< rows {
            for c in 0 ..< columns { dst[c * rows + r] = src[r * columns + c] }
        }
    }

    /// Eight vectors of eight floats.
    package typealias Block8 = (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>,
                                SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)

    /// One round of an 8 × 8 transpose: row i < 4 becomes the even elements of rows 2i and 2i + 1 side by side, row
    /// i + 4 their odd elements. Element (r, c) moves to ((c mod 2)·4 + r / 2, (r mod 2)·4 + c / 2): the six bits
    /// (r₂r₁r₀ c₂c₁c₀) rotate right by one place, so three rounds rotate them by three, (c₂c₁c₀ r₂r₁r₀): the transpose.
    @inline(__always)
    static func unzip(_ r: Block8) -> Block8 {
        (SIMD8(lowHalf: r.0.evenHalf, highHalf: r.1.evenHalf), SIMD8(lowHalf: r.2.evenHalf, highHalf: r.3.evenHalf),
         SIMD8(lowHalf: r.4.evenHalf, highHalf: r.5.evenHalf), SIMD8(lowHalf: r.6.evenHalf, highHalf: r.7.evenHalf),
         SIMD8(lowHalf: r.0.oddHalf, highHalf: r.1.oddHalf), SIMD8(lowHalf: r.2.oddHalf, highHalf: r.3.oddHalf),
         SIMD8(lowHalf: r.4.oddHalf, highHalf: r.5.oddHalf), SIMD8(lowHalf: r.6.oddHalf, highHalf: r.7.oddHalf))
    }

    /// Converts a gradient in packed layout to canonical layout.
    package func canonical(fromPacked g: UnsafePointer<Float>) -> [Float] {
        // Every element is written below (each layout is a permutation), so the array is not cleared first.
        [Float](unsafeUninitializedCapacity: weightCount) { buffer, initialized in
            let out = buffer.baseAddress!
            switch geometry {
            case .dense(let i, let n) where i.positions == 1:
                PackedConnection.transpose(g, rows: inputCount, columns: n, into: out)
            case .dense(let i, let n):
                for q in 0 ..< inputCount {
                    let col = i.canonicalIndex(internal: q)
                    for o in 0 ..< n { out[o * i.count + col] = g[q * n + o] }
                }
            case .conv(let i, let cOut, let k, _, _):
                for c in 0 ..< i.channels {
                    for tap in 0 ..< k {
                        for o in 0 ..< cOut { out[(o * i.channels + c) * k + tap] = g[(c * k + tap) * cOut + o] }
                    }
                }
            }
            initialized = weightCount
        }
    }

    /// The raw view used inside the time loops; valid while this object lives.
    package var kernel: ConnectionKernel {
        var conv: ConnectionKernel.Conv?
        if case .conv(let i, let cOut, let k, let s, let p) = geometry {
            conv = ConnectionKernel.Conv(inChannels: i.channels, inPositions: i.positions, outChannels: cOut,
                                         outPositions: geometry.output.positions, kernel: k, stride: s, padding: p)
        }
        return ConnectionKernel(width: width, inputCount: inputCount, start: start, target: target,
                                weightOffset: weightOffset, weights: weights, transposed: transposed,
                                alignedRows: alignedRows, alignedRowStride: alignedRowStride,
                                paddedStepMargin: geometry.paddedStepMargin, conv: conv)
    }
}

/// Raw-pointer views of a packed connection, used inside the time loops (no retain/release, no bounds checks).
package struct ConnectionKernel: @unchecked Sendable {
    package let width: Int
    package let inputCount: Int
    package let start: UnsafePointer<Int32>
    package let target: UnsafePointer<Int32>
    package let weightOffset: UnsafePointer<Int32>
    package let weights: UnsafePointer<Float>
    /// The weights with inputs contiguous (dense `W[o, q]`; conv by residue class, `Conv`).
    package let transposed: UnsafePointer<Float>
    /// `transposed` with rows `alignedRowStride` floats apart, each on a cache line (dense; `PackedConnection`).
    package let alignedRows: UnsafePointer<Float>
    package let alignedRowStride: Int
    /// `ConnectionGeometry.paddedStepMargin`: the zero margin a delta vector needs for
    /// `backpropagateConvStep(paddedDelta:into:)` (nil where that step does not apply).
    package let paddedStepMargin: Int?
    /// Geometry of a conv connection (nil for dense).
    package let conv: Conv?

    /// The geometry of a conv connection, and the layout of its transposed weights.
    ///
    /// The input position p receives `Σ_{j·s + k − pad = p} Σ_o δ[j, o] · Wb[k, o, :]`. Its taps are those with
    /// `k ≡ ρ (mod s)`, ρ = (p + pad) mod s: `k = ρ + m·s` for m < n_ρ = ⌈(K − ρ)/s⌉, meeting output positions
    /// `j = u − m` with `u = (p + pad − ρ)/s`. Those j are consecutive, so their deltas `δ[j, :]` are one contiguous
    /// run of `n_ρ · C_out` floats starting at `δ[u − n_ρ + 1, 0]`, and the whole sum is one row product of that depth
    /// when the taps of class ρ are stored in reverse: `transposed` holds the classes ρ = 0 ..< min(s, K) one after
    /// the other, class ρ as rows `(m', o)`, m' < n_ρ, equal to `Wb[ρ + (n_ρ − 1 − m')·s, o, 0 ..< C_in]`.
    package struct Conv {
        let inChannels, inPositions, outChannels, outPositions, kernel, stride, padding: Int

        /// n_ρ: the taps of residue class ρ.
        func taps(residue rho: Int) -> Int { rho < kernel ? (kernel - rho + stride - 1) / stride : 0 }

        /// The first row (in units of weight rows of `C_in` floats) of tap `k`'s `C_out` rows in `transposed`.
        func transposedRow(tap k: Int) -> Int {
            let rho = k % stride
            let before = (0 ..< rho).reduce(0) { $0 + taps(residue: $1) }
            return (before + taps(residue: rho) - 1 - k / stride) * outChannels
        }

        /// The class-ρ positions as the range of u (p = ρ − pad + s·u) whose p lies in the input and which meet at
        /// least one output position; nil when none.
        func positions(residue rho: Int) -> ClosedRange<Int>? {
            let lowest = padding > rho ? (padding - rho + stride - 1) / stride : 0
            let lastInput = inPositions - 1 + padding - rho
            guard lastInput >= 0 else { return nil }
            let highest = min(lastInput / stride, outPositions + taps(residue: rho) - 2)
            return lowest <= highest ? lowest ... highest : nil
        }

        /// For position u of class ρ: the rows m' of the class that meet an output position (`j = u − n_ρ + 1 + m'`
        /// inside the output), or nil.
        func rows(residue rho: Int, position u: Int) -> ClosedRange<Int>? {
            let n = taps(residue: rho), j0 = u - n + 1
            let lo = max(0, -j0), hi = min(n - 1, outPositions - 1 - j0)
            return lo <= hi ? lo ... hi : nil
        }
    }

    /// `out += W · s` for the active inputs `active[0..<n]` (event-driven: one vector add per synapse segment).
    @inlinable @inline(__always)
    package func accumulate(active: UnsafePointer<Int32>, count n: Int, into out: UnsafeMutablePointer<Float>) {
        if conv == nil { return accumulateDense(active: active, count: n, into: out) }
        for a in 0 ..< n {
            let q = Int(active[a])
            var g = Int(start[q])
            let end = Int(start[q + 1])
            while g < end {
                VectorKernels.add(weights + Int(weightOffset[g]), into: out + Int(target[g]), count: width)
                g += 1
            }
        }
    }

    /// `accumulate` for a dense connection, whose input q has one segment, the row `weights[q · width ..< (q + 1) ·
    /// width]` onto all outputs: 64 outputs at a time are held in registers while the rows of every active input are
    /// added, so each output is loaded and stored once per call rather than once per input (the segment loop spends
    /// three memory operations per vector add). Each output's sum runs over the inputs in the same order, so the
    /// result is the segment loop's to the bit.
    @inlinable @inline(__always)
    package func accumulateDense(active: UnsafePointer<Int32>, count n: Int, into out: UnsafeMutablePointer<Float>) {
        guard n > 0 else { return }
        let w = width, ro = UnsafeMutableRawPointer(out), rw = UnsafeRawPointer(weights)
        var c = 0
        while c + 64 <= w {
            var a0 = ro.loadUnaligned(fromByteOffset: 4 * c, as: SIMD16<Float>.self)
            var a1 = ro.loadUnaligned(fromByteOffset: 4 * c + 64, as: SIMD16<Float>.self)
            var a2 = ro.loadUnaligned(fromByteOffset: 4 * c + 128, as: SIMD16<Float>.self)
            var a3 = ro.loadUnaligned(fromByteOffset: 4 * c + 192, as: SIMD16<Float>.self)
            for a in 0 ..< n {
                let row = 4 * (Int(active[a]) * w + c)
                a0 += rw.loadUnaligned(fromByteOffset: row, as: SIMD16<Float>.self)
                a1 += rw.loadUnaligned(fromByteOffset: row + 64, as: SIMD16<Float>.self)
                a2 += rw.loadUnaligned(fromByteOffset: row + 128, as: SIMD16<Float>.self)
                a3 += rw.loadUnaligned(fromByteOffset: row + 192, as: SIMD16<Float>.self)
            }
            ro.storeBytes(of: a0, toByteOffset: 4 * c, as: SIMD16<Float>.self)
            ro.storeBytes(of: a1, toByteOffset: 4 * c + 64, as: SIMD16<Float>.self)
            ro.storeBytes(of: a2, toByteOffset: 4 * c + 128, as: SIMD16<Float>.self)
            ro.storeBytes(of: a3, toByteOffset: 4 * c + 192, as: SIMD16<Float>.self)
            c += 64
        }
        while c + 16 <= w {
            var a0 = ro.loadUnaligned(fromByteOffset: 4 * c, as: SIMD16<Float>.self)
            for a in 0 ..< n { a0 += rw.loadUnaligned(fromByteOffset: 4 * (Int(active[a]) * w + c), as: SIMD16<Float>.self) }
            ro.storeBytes(of: a0, toByteOffset: 4 * c, as: SIMD16<Float>.self)
            c += 16
        }
        if c + 8 <= w {
            // The last 8 of 200 outputs (the spike-train-matching layers) would otherwise take the scalar loop.
            var a0 = ro.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self)
            for a in 0 ..< n { a0 += rw.loadUnaligned(fromByteOffset: 4 * (Int(active[a]) * w + c), as: SIMD8<Float>.self) }
            ro.storeBytes(of: a0, toByteOffset: 4 * c, as: SIMD8<Float>.self)
            c += 8
        }
        while c < w {
            var sum = out[c]
            for a in 0 ..< n { sum += weights[Int(active[a]) * w + c] }
            out[c] = sum
            c += 1
        }
    }

    /// `gW += δ ⊗ s` for the active inputs (event-driven weight gradient), `gW` in packed layout.
    @inlinable @inline(__always)
    package func accumulateGradient(active: UnsafePointer<Int32>, count n: Int, delta: UnsafePointer<Float>,
                            into gW: UnsafeMutablePointer<Float>) {
        accumulateGradient(active: active, count: n, delta: delta, into: gW, columns: 0 ..< width)
    }

    /// `accumulateGradient` restricted to the columns `columns` of every segment (the outputs, or conv output channels,
    /// of those indices): disjoint column ranges touch disjoint weights.
    @inlinable @inline(__always)
    package func accumulateGradient(active: UnsafePointer<Int32>, count n: Int, delta: UnsafePointer<Float>,
                                    into gW: UnsafeMutablePointer<Float>, columns: Range<Int>) {
        let c0 = columns.lowerBound, w = columns.count
        for a in 0 ..< n {
            let q = Int(active[a])
            var g = Int(start[q])
            let end = Int(start[q + 1])
            while g < end {
                VectorKernels.add(delta + Int(target[g]) + c0, into: gW + Int(weightOffset[g]) + c0, count: w)
                g += 1
            }
        }
    }

    /// `gIn[t] += Wᵀ δ[t]` for every step t of a sequence (`deltas` is `[steps][outputs]`, `gIn` is
    /// `[steps][inputs]`): the same product as `backpropagate` for all steps at once, several steps at a time so
    /// that each weight load serves several rows (the register tiles of `VectorKernels.accumulateRowsSequential`).
    /// Conv: every input position is one product of depth `n_ρ · C_out` (`Conv`) whose rows are the steps, taken
    /// in blocks of 48 steps so that the deltas and gradients of a block stay in cache (the steps that fill no
    /// register tile one at a time, `accumulateRows`).
    @inline(__always)
    package func backpropagateSequence(deltas: UnsafePointer<Float>, steps T: Int, into gIn: UnsafeMutablePointer<Float>) {
        if let c = conv {
            let cIn = c.inChannels, cOut = c.outChannels, nOut = cOut * c.outPositions, block = 48
            var t0 = 0
            while t0 < T {
                let count = min(block, T - t0), d = deltas + t0 * nOut, g = gIn + t0 * inputCount
                var m = transposed
                for rho in 0 ..< min(c.stride, c.kernel) {
                    let n = c.taps(residue: rho)
                    defer { m += n * cOut * cIn }
                    guard let us = c.positions(residue: rho) else { continue }
                    for u in us {
                        guard let r = c.rows(residue: rho, position: u) else { continue }
                        let j = u - n + 1 + r.lowerBound, p = rho - c.padding + c.stride * u
                        let a = d + j * cOut, w = m + r.lowerBound * cOut * cIn, tiled = VectorKernels.tiledRows(of: count)
                        VectorKernels.accumulateRowsSequential(a, lda: nOut, count: tiled, w, rows: r.count * cOut, width: cIn,
                                                               into: g + p * cIn, ldc: inputCount)
                        for t in tiled ..< count {
                            VectorKernels.accumulateRows(a + t * nOut, w, rows: r.count * cOut, width: cIn, into: g + t * inputCount + p * cIn)
                        }
                    }
                }
                t0 += count
            }
        } else {
            // Steps below the last multiple of four sum each element in row order (one accumulator); the last
            // T mod 4 steps in four interleaved accumulators (`accumulateRows`), as the single-step product does.
            let nOut = width, blocked = T & ~3
            VectorKernels.accumulateRowsSequential(deltas, lda: nOut, count: blocked, transposed, rows: nOut,
                                                   width: inputCount, into: gIn, ldc: inputCount)
            for t in blocked ..< T {
                VectorKernels.accumulateRows(deltas + t * nOut, transposed, rows: nOut, width: inputCount, into: gIn + t * inputCount)
            }
        }
    }

    /// One step of the conv transposed product (`Conv`): the positions of a residue class whose rows all meet the
    /// output are rows of one tiled product over consecutive deltas (`lda` = C_out, `ldc` = s·C_in); the few at
    /// the edges, and those the tiles leave over, are single products (`accumulateRows`, four accumulators) of
    /// their depth.
    @inline(__always)
    package func backpropagateConvStep(_ c: Conv, delta: UnsafePointer<Float>, into gIn: UnsafeMutablePointer<Float>) {
        let cIn = c.inChannels, cOut = c.outChannels, s = c.stride
        var m = transposed
        for rho in 0 ..< min(s, c.kernel) {
            let n = c.taps(residue: rho)
            defer { m += n * cOut * cIn }
            guard let us = c.positions(residue: rho) else { continue }
            // Positions u in fullLo ... fullHi meet all n taps and fill whole register tiles.
            let fullLo = max(us.lowerBound, n - 1)
            let fullHi = fullLo + VectorKernels.tiledRows(of: max(0, min(us.upperBound, c.outPositions - 1) - fullLo + 1)) - 1
            for u in us where u < fullLo || u > fullHi {
                guard let r = c.rows(residue: rho, position: u) else { continue }
                let j = u - n + 1 + r.lowerBound, p = rho - c.padding + s * u
                VectorKernels.accumulateRows(delta + j * cOut, m + r.lowerBound * cOut * cIn, rows: r.count * cOut, width: cIn,
                                             into: gIn + p * cIn)
            }
            if fullLo <= fullHi {
                VectorKernels.accumulateRowsSequential(delta + (fullLo - n + 1) * cOut, lda: cOut, count: fullHi - fullLo + 1, m,
                                                       rows: n * cOut, width: cIn, into: gIn + (rho - c.padding + s * fullLo) * cIn,
                                                       ldc: s * cIn)
            }
        }
    }

    /// Whether `backpropagateConvStep(paddedDelta:into:)` applies (a stride-1 conv): exactly where the workspace gives
    /// the delta its margin, since both read `ConnectionGeometry.paddedStepMargin`.
    package var takesPaddedStepDelta: Bool { paddedStepMargin != nil }

    /// `backpropagateConvStep` of a stride-1 conv whose `delta` has zero margins of `ConnectionGeometry.paddedStepMargin`
    /// floats before and after it: every input position p is then one row product of depth K · C_out over the
    /// window `δ[p + pad − K + 1 ..< p + pad + 1, :]`, edges included (their taps past the output read the zeros), so
    /// all positions are the rows of one tiled product and each weight load serves up to eight positions (the
    /// unpadded step multiplies each edge position alone, re-reading its taps' weights: 19 tap blocks of 16 KB per
    /// step for the SHD network's third layer, whose 80 KB of weights do not fit L1). Each element is summed over
    /// the window in order in one accumulator, as the unpadded step's interior positions are; the margin's terms are
    /// 0 · w, which leave such a sum unchanged for finite weights (it starts at +0 and so is never −0), so the result
    /// equals one accumulator over the valid taps alone (the unpadded step sums its edge positions in four).
    @inline(__always)
    package func backpropagateConvStep(paddedDelta delta: UnsafePointer<Float>, into gIn: UnsafeMutablePointer<Float>) {
        let c = conv!, k = c.kernel, cOut = c.outChannels, cIn = c.inChannels
        VectorKernels.accumulateRowsSequential(delta + (c.padding - k + 1) * cOut, lda: cOut, count: c.inPositions, transposed,
                                               rows: k * cOut, width: cIn, into: gIn, ldc: cIn)
    }

    /// `gIn += Wᵀ δ` over all inputs (the gradient with respect to the presynaptic activity).
    ///
    /// Dense: `gIn += Σ_o δ[o] · W[o, :]`. Conv: for every output position j and tap k, the input position
    /// `j·s + k - pad` receives `Σ_o δ[j, o] · Wb[k, o, :]` (`backpropagateConvStep`). Both accumulate in SIMD
    /// registers over contiguous inputs (no horizontal sums).
    @inline(__always)
    package func backpropagate(delta: UnsafePointer<Float>, into gIn: UnsafeMutablePointer<Float>) {
        if let c = conv {
            backpropagateConvStep(c, delta: delta, into: gIn)
        } else {
            VectorKernels.accumulateRows(delta, transposed, rows: width, width: inputCount, into: gIn)
        }
    }

    /// Two `backpropagate(delta:into:)` at once: `gIn0 += Wᵀ δ0` and `gIn1 += Wᵀ δ1`. Dense connections read each
    /// weight once for both (`VectorKernels.accumulateRows2`, equal to two single calls up to rounding); conv
    /// connections make the two single calls.
    @inline(__always)
    package func backpropagate(delta d0: UnsafePointer<Float>, _ d1: UnsafePointer<Float>, into g0: UnsafeMutablePointer<Float>,
                               _ g1: UnsafeMutablePointer<Float>) {
        if let c = conv {
            backpropagateConvStep(c, delta: d0, into: g0)
            backpropagateConvStep(c, delta: d1, into: g1)
        } else {
            VectorKernels.accumulateRows2(d0, d1, transposed, rows: width, width: inputCount, into: g0, g1)
        }
    }
}
