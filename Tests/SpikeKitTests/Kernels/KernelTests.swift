import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

/// The vector kernels against scalar references.
@Suite struct KernelTests {
    @Test func simdExpIsAccurate() {
        var worst = 0.0
        for k in 0 ..< 4000 {
            let base = -87 + Float(k) * 0.04375
            var v = SIMD16<Float>()
            for l in 0 ..< 16 { v[l] = base + Float(l) * 0.0027 }
            let e = SIMDMath.exp(v)
            for l in 0 ..< 16 {
                let ref = Foundation.exp(Double(v[l]))
                worst = max(worst, abs(Double(e[l]) - ref) / ref)
            }
        }
        #expect(worst < 3e-7, "largest relative error \(worst)")
        #expect(SIMDMath.exp(SIMD16(repeating: -200))[0] < 1e-37)
        #expect(SIMDMath.exp(SIMD16(repeating: .nan))[3].isNaN)
    }

    /// The blocked transpose moves every element to its transposed place, for sizes that are and are not multiples
    /// of the 8 × 8 block, and a dense connection's packed gradient reads back to the canonical layout.
    @Test func transposeMovesEveryElement() {
        for (rows, columns) in [(1, 1), (8, 8), (7, 9), (16, 24), (37, 19), (200, 200), (20, 128), (9, 64)] {
            let src = (0 ..< rows * columns).map { Float($0) + 0.5 }
            var dst = [Float](repeating: -1, count: rows * columns)
            src.withUnsafeBufferPointer { s in
                dst.withUnsafeMutableBufferPointer { d in
                    PackedConnection.transpose(s.baseAddress!, rows: rows, columns: columns, into: d.baseAddress!)
                }
            }
            var wrong = 0
            for r in 0 ..< rows {
                for c in 0 ..< columns where dst[c * rows + r] != src[r * columns + c] { wrong += 1 }
            }
            #expect(wrong == 0, "\(rows) × \(columns): \(wrong) elements misplaced")
        }
        // Packed gradient layout [input][output] back to canonical [output][input].
        let c = PackedConnection(geometry: .dense(input: ActivityShape(units: 13), outputs: 11))
        let packed = (0 ..< 13 * 11).map { Float($0) }
        let canonical = packed.withUnsafeBufferPointer { c.canonical(fromPacked: $0.baseAddress!) }
        for q in 0 ..< 13 {
            for o in 0 ..< 11 { #expect(canonical[o * 13 + q] == packed[q * 11 + o]) }
        }
    }

    /// Sigmoid escape noise skips the exponential for 16 neurons that cannot spike; its decisions are the exact
    /// vector test's bit for bit, also for ξ = 0, the smallest draws, arguments below the clamp at -80, infinities and
    /// NaN, and (lane by lane) for arguments just outside the bound's margin.
    @Test func sigmoidRejectionKeepsEveryDecision() {
        func exact(_ z: SIMD16<Float>, _ u: SIMD16<Float>) -> SIMDMask<SIMD16<Int32>> {
            u * SIMDMath.onePlusExpNegative(z) .< 1
        }
        var g = PhiloxGenerator(seed: 12)
        let n = 16 * 400 + 5, beta: Float = 10
        var x = [Float](), xi = [Float]()
        for group in 0 ..< 400 {
            // Groups mostly far below threshold (rejected), some near it, some mixed.
            let centre: Double = group % 5 == 0 ? 0 : (group % 5 == 1 ? -2 : -0.7)
            for _ in 0 ..< 16 {
                x.append(Float(centre + (g.uniform() - 0.5) * 0.6))
                xi.append(Float(g.uniform()))
            }
        }
        for _ in 0 ..< 5 { x.append(Float(g.uniform() - 0.5)); xi.append(Float(g.uniform())) }
        // Edge lanes: ξ = 0 with x far below the clamp, the smallest draw, infinities and NaN.
        x[0] = -50; xi[0] = 0
        x[1] = -9; xi[1] = 0x1p-24
        x[2] = -.infinity; x[3] = .infinity; x[4] = .nan
        var s = [UInt8](repeating: 7, count: n)
        SpikeKernels.decide(.sigmoid(beta: Double(beta)), x: x, xi: xi, into: &s, count: n)
        var rejected = 0, spikes = 0
        for group in 0 ..< n / 16 {
            let z = SIMD16<Float>(x[16 * group ..< 16 * group + 16]) * beta
            let u = SIMD16<Float>(xi[16 * group ..< 16 * group + 16])
            if SpikeKernels.sigmoidCannotSpike(z, u) { rejected += 1 }
            let m = exact(z, u)
            for l in 0 ..< 16 {
                #expect(s[16 * group + l] == (m[l] ? 1 : 0), "group \(group) lane \(l)")
                spikes += m[l] ? 1 : 0
            }
        }
        #expect(s[0] == 1, "ξ = 0 always spikes")
        #expect(rejected > 100 && rejected < n / 16 - 50, "\(rejected) groups rejected")
        #expect(spikes > 100)
        // Lane by lane just around the margin, at draws where the bound is tight (ξ = 2^-k (1 + f), f small):
        // wherever the bound rejects, the exact test says no spike.
        var nearMargin = 0
        for _ in 0 ..< 20_000 {
            let k = 1 + Int(g.uniform() * 23)
            let u = Float(Foundation.pow(2, -Double(k)) * (1 + g.uniform() * 1e-4))
            // From just inside the margin to above the exact boundary logit(ξ) = ln ξ − ln(1 − ξ).
            let z = Float(Foundation.log(Double(u)) - 3e-3 + g.uniform() * 0.8)
            let zv = SIMD16<Float>(repeating: z), uv = SIMD16<Float>(repeating: u)
            if SpikeKernels.sigmoidCannotSpike(zv, uv) {
                nearMargin += 1
                #expect(!exact(zv, uv)[0], "z \(z) ξ \(u)")
            }
        }
        #expect(nearMargin > 20)
    }

    /// The vectorised spike decisions and surrogates equal the scalar formulas away from the decision boundary.
    @Test func vectorSpikeKernelsMatchScalarFormulas() {
        let n = 203
        var g = PhiloxGenerator(seed: 4)
        let x = (0 ..< n).map { _ in Float(g.uniform() * 2 - 1) }
        let xi = (0 ..< n).map { _ in Float(g.uniform()) }
        var s = [UInt8](repeating: 0, count: n), sd = [Float](repeating: 0, count: n)
        for escape in [EscapeNoise.sigmoid(beta: 7), .exponential(p0: 0.3, du: 0.25), .erf(sigma: 0.3), .step] {
            SpikeKernels.decide(escape, x: x, xi: xi, into: &s, count: n)
            for i in 0 ..< n {
                let p = escape.probability(Double(x[i]))
                guard abs(p - Double(xi[i])) > 1e-5 else { continue }
                let expected: UInt8 = escape == .step ? (x[i] > 0 ? 1 : 0) : (Double(xi[i]) < p ? 1 : 0)
                #expect(s[i] == expected, "\(escape) at \(x[i])")
            }
        }
        for sg in [ResolvedSurrogate.sigmoid(beta: 7), .sigmoidScaled(beta: 3), .superspike(beta: 10), .superspikeAsymptotic(beta: 4), .gaussian(sigma: 0.2)] {
            SpikeKernels.surrogate(sg, x: x, s: s, into: &sd, count: n)
            for i in 0 ..< n {
                let ref: Double = sg.value(Double(x[i]), spike: Double(s[i]))
                #expect(abs(Double(sd[i]) - ref) <= 1e-6 * max(1, abs(ref)), "\(sg) at \(x[i])")
            }
        }
    }

    @Test func accumulateRowsMatchesScalarProduct() {
        var g = PhiloxGenerator(seed: 8)
        for (rows, width) in [(1, 1), (3, 17), (16, 16), (20, 320), (37, 50), (5, 200)] {
            let a = (0 ..< rows).map { _ in Float(g.normal()) }
            let m = (0 ..< rows * width).map { _ in Float(g.normal()) }
            var y = (0 ..< width).map { _ in Float(g.normal()) }
            let y0 = y
            VectorKernels.accumulateRows(a, m, rows: rows, width: width, into: &y)
            for c in 0 ..< width {
                var ref = Double(y0[c])
                for r in 0 ..< rows { ref += Double(a[r]) * Double(m[r * width + c]) }
                #expect(abs(Double(y[c]) - ref) < 1e-4, "rows \(rows) width \(width) column \(c)")
            }
        }
    }

    /// The two-vector product (the delayed recurrent backward) against Double references for both vectors, for
    /// 16-wide blocks, the 8-wide tail, the scalar tail and odd and even row counts; and equal to the single product
    /// to rounding.
    @Test func accumulateRows2MatchesTwoProducts() {
        var g = PhiloxGenerator(seed: 9)
        for (rows, width) in [(1, 1), (3, 17), (16, 16), (128, 128), (37, 50), (5, 200), (130, 29)] {
            let a0 = (0 ..< rows).map { _ in Float(g.normal()) }, a1 = (0 ..< rows).map { _ in Float(g.normal()) }
            let m = (0 ..< rows * width).map { _ in Float(g.normal()) }
            let start0 = (0 ..< width).map { _ in Float(g.normal()) }, start1 = (0 ..< width).map { _ in Float(g.normal()) }
            var y0 = start0, y1 = start1, z0 = start0
            VectorKernels.accumulateRows2(a0, a1, m, rows: rows, width: width, into: &y0, &y1)
            VectorKernels.accumulateRows(a0, m, rows: rows, width: width, into: &z0)
            for c in 0 ..< width {
                var r0 = Double(start0[c]), r1 = Double(start1[c])
                for r in 0 ..< rows {
                    r0 += Double(a0[r]) * Double(m[r * width + c])
                    r1 += Double(a1[r]) * Double(m[r * width + c])
                }
                let tol = 1e-5 * Double(rows).squareRoot() * 4
                #expect(abs(Double(y0[c]) - r0) < tol && abs(Double(y1[c]) - r1) < tol, "rows \(rows) width \(width) column \(c)")
                #expect(abs(y0[c] - z0[c]) <= 1e-5 * Float(rows), "rows \(rows) width \(width) column \(c)")
            }
        }
    }

    /// The packed, blocked matrix product against a Double reference: 6-row and 4-row tiles and single rows, whole
    /// 16-column strips and columns beyond them, several depth and column panels; and bit for bit the same C when the
    /// rows are split between calls (as between threads).
    @Test func matrixProductMatchesReferenceAndRowSplits() {
        var g = PhiloxGenerator(seed: 10)
        for (m, n, depth) in [(1, 1, 1), (5, 17, 3), (6, 16, 256), (17, 530, 300), (23, 40, 513), (11, 1030, 20)] {
            let lda = depth + 3, ldb = n + 5, ldc = n + 1
            let a = (0 ..< m * lda).map { _ in Float(g.normal()) }
            let b = (0 ..< depth * ldb).map { _ in Float(g.normal()) }
            let c0 = (0 ..< m * ldc).map { _ in Float(g.normal()) }
            var c = c0, split = c0
            MatrixProduct.multiplyAdd(rows: 0 ..< m, n: n, depth: depth, a: a, lda: lda, b: b, ldb: ldb, c: &c, ldc: ldc)
            let cut = m / 3
            split.withUnsafeMutableBufferPointer { p in
                MatrixProduct.multiplyAdd(rows: 0 ..< cut, n: n, depth: depth, a: a, lda: lda, b: b, ldb: ldb, c: p.baseAddress!, ldc: ldc)
                MatrixProduct.multiplyAdd(rows: cut ..< m, n: n, depth: depth, a: a, lda: lda, b: b, ldb: ldb, c: p.baseAddress!, ldc: ldc)
            }
            #expect(c.map(\.bitPattern) == split.map(\.bitPattern), "m \(m) n \(n) depth \(depth)")
            var worst = 0.0
            for i in 0 ..< m {
                for j in 0 ..< n {
                    var ref = Double(c0[i * ldc + j])
                    for k in 0 ..< depth { ref += Double(a[i * lda + k]) * Double(b[k * ldb + j]) }
                    worst = max(worst, abs(Double(c[i * ldc + j]) - ref) / Double(depth).squareRoot())
                }
                // Columns past n are untouched.
                #expect(c[i * ldc + n] == c0[i * ldc + n])
            }
            #expect(worst < 2e-5, "m \(m) n \(n) depth \(depth): \(worst)")
        }
    }

    /// The sequence-wide transposed product (blocked over 8 and 4 rows) equals the per-step product, dense and conv,
    /// and both equal a scalar reference formed from the canonical weights: conv with every stride from 1 to 5,
    /// padding wider than the kernel, a kernel shorter than the stride (inputs that meet no output), the SHD
    /// network's geometries, and more steps than one 48-step block of the sequence product.
    @Test func sequenceBackpropagationMatchesPerStep() {
        var g = PhiloxGenerator(seed: 12)
        let geometries: [ConnectionGeometry] = [
            .dense(input: ActivityShape(units: 37), outputs: 21),
            .dense(input: ActivityShape(units: 59), outputs: 11),
            .dense(input: ActivityShape(channels: 4, positions: 9), outputs: 16),
            .conv(input: ActivityShape(channels: 3, positions: 40), outChannels: 5, kernel: 7, stride: 3, padding: 2),
            .conv(input: ActivityShape(channels: 16, positions: 21), outChannels: 16, kernel: 5, stride: 1, padding: 2),
            .conv(input: ActivityShape(channels: 2, positions: 23), outChannels: 9, kernel: 4, stride: 2, padding: 5),
            .conv(input: ActivityShape(channels: 5, positions: 31), outChannels: 3, kernel: 3, stride: 5, padding: 1),
            .conv(input: ActivityShape(channels: 8, positions: 30), outChannels: 24, kernel: 9, stride: 4, padding: 0),
            .conv(input: ActivityShape(channels: 1, positions: 700), outChannels: 16, kernel: 21, stride: 10, padding: 0),
            .conv(input: ActivityShape(channels: 16, positions: 68), outChannels: 32, kernel: 7, stride: 3, padding: 0),
            .conv(input: ActivityShape(channels: 64, positions: 5), outChannels: 64, kernel: 5, stride: 1, padding: 2),
            .conv(input: ActivityShape(channels: 16, positions: 68), outChannels: 16, kernel: 5, stride: 1, padding: 2),
        ]
        for geometry in geometries {
            let c = PackedConnection(geometry: geometry)
            let w = (0 ..< geometry.weightShape.reduce(1, *)).map { _ in Float(g.normal()) }
            c.load(canonical: w)
            let k = c.kernel
            let T = 53, nOut = geometry.output.count, nIn = geometry.input.count
            let deltas = (0 ..< T * nOut).map { _ in Float(g.normal()) }
            var seq = [Float](repeating: 0, count: T * nIn), step = [Float](repeating: 0, count: T * nIn)
            deltas.withUnsafeBufferPointer { d in
                seq.withUnsafeMutableBufferPointer { k.backpropagateSequence(deltas: d.baseAddress!, steps: T, into: $0.baseAddress!) }
                step.withUnsafeMutableBufferPointer { sp in
                    for t in 0 ..< T { k.backpropagate(delta: d.baseAddress! + t * nOut, into: sp.baseAddress! + t * nIn) }
                }
            }
            // Independent reference from the canonical weights (internal order: position-major).
            var ref = [Double](repeating: 0, count: T * nIn)
            let inShape = geometry.input, outShape = geometry.output
            for t in 0 ..< T {
                switch geometry {
                case .dense:
                    for q in 0 ..< nIn {
                        for o in 0 ..< nOut {
                            ref[t * nIn + q] += Double(w[o * nIn + inShape.canonicalIndex(internal: q)]) * Double(deltas[t * nOut + o])
                        }
                    }
                case .conv(_, let cOut, let kk, let st, let pad):
                    for j in 0 ..< outShape.positions {
                        for o in 0 ..< cOut {
                            for ci in 0 ..< inShape.channels {
                                for tap in 0 ..< kk {
                                    let p = j * st + tap - pad
                                    guard p >= 0, p < inShape.positions else { continue }
                                    ref[t * nIn + p * inShape.channels + ci] += Double(w[(o * inShape.channels + ci) * kk + tap])
                                        * Double(deltas[t * nOut + j * cOut + o])
                                }
                            }
                        }
                    }
                }
            }
            for i in 0 ..< T * nIn {
                let tolerance = 1e-4 * max(1, abs(ref[i]))
                #expect(abs(Double(seq[i]) - ref[i]) < tolerance, "\(geometry) element \(i): sequence against the reference")
                #expect(abs(Double(step[i]) - ref[i]) < tolerance, "\(geometry) element \(i): per step against the reference")
            }
        }
    }

    /// The stride-1 conv step over zero-margined deltas (`backpropagateConvStep(paddedDelta:into:)`, the recurrent
    /// product of the SHD network's layers) equals, to the bit, one multiply-add chain per element over the valid
    /// taps in the layout's order (the margin's 0 · w terms change nothing), added to what `gIn` held; and
    /// it agrees with the unpadded step. Geometries: the SHD network's three recurrences, no padding (the margin
    /// all before), padding wider than the kernel (all after), 17 positions (rows of every tile size).
    @Test func paddedConvStepIsOneChainPerElementOverTheValidTaps() {
        var g = PhiloxGenerator(seed: 31)
        let geometries: [ConnectionGeometry] = [
            .conv(input: ActivityShape(channels: 16, positions: 68), outChannels: 16, kernel: 5, stride: 1, padding: 2),
            .conv(input: ActivityShape(channels: 32, positions: 21), outChannels: 32, kernel: 5, stride: 1, padding: 2),
            .conv(input: ActivityShape(channels: 64, positions: 5), outChannels: 64, kernel: 5, stride: 1, padding: 2),
            .conv(input: ActivityShape(channels: 3, positions: 17), outChannels: 24, kernel: 4, stride: 1, padding: 0),
            .conv(input: ActivityShape(channels: 40, positions: 9), outChannels: 8, kernel: 3, stride: 1, padding: 4),
        ]
        #expect(ConnectionGeometry.conv(input: ActivityShape(channels: 64, positions: 5), outChannels: 64, kernel: 5, stride: 1,
                                        padding: 2).paddedStepMargin == 2 * 64)
        #expect(ConnectionGeometry.conv(input: ActivityShape(channels: 3, positions: 17), outChannels: 24, kernel: 4, stride: 1,
                                        padding: 0).paddedStepMargin == 3 * 24)
        #expect(ConnectionGeometry.conv(input: ActivityShape(channels: 4, positions: 17), outChannels: 4, kernel: 4, stride: 2,
                                        padding: 0).paddedStepMargin == nil)
        #expect(ConnectionGeometry.dense(input: ActivityShape(units: 8), outputs: 3).paddedStepMargin == nil)
        for geometry in geometries {
            guard case .conv(let inShape, let cOut, let kk, _, let pad) = geometry, let margin = geometry.paddedStepMargin else {
                Issue.record("\(geometry) has no padded step")
                continue
            }
            let c = PackedConnection(geometry: geometry)
            let w = (0 ..< geometry.weightShape.reduce(1, *)).map { _ in Float(g.normal()) }
            c.load(canonical: w)
            let k = c.kernel
            #expect(k.takesPaddedStepDelta)
            let nOut = geometry.output.count, nIn = geometry.input.count, pOut = geometry.output.positions
            let cIn = inShape.channels
            let delta = (0 ..< nOut).map { _ in Float(g.normal()) }
            let start = (0 ..< nIn).map { _ in Float(g.normal()) }
            var padded = [Float](repeating: 0, count: nOut + 2 * margin)
            for i in 0 ..< nOut { padded[margin + i] = delta[i] }
            var out = start, unpadded = start
            padded.withUnsafeBufferPointer { d in
                out.withUnsafeMutableBufferPointer { k.backpropagateConvStep(paddedDelta: d.baseAddress! + margin, into: $0.baseAddress!) }
            }
            delta.withUnsafeBufferPointer { d in
                unpadded.withUnsafeMutableBufferPointer { k.backpropagate(delta: d.baseAddress!, into: $0.baseAddress!) }
            }
            for p in 0 ..< inShape.positions {
                for ci in 0 ..< cIn {
                    // Window row m' meets output position j = p + pad - K + 1 + m' with tap K - 1 - m'.
                    var acc: Float = 0
                    for m in 0 ..< kk {
                        let j = p + pad - kk + 1 + m
                        guard j >= 0, j < pOut else { continue }
                        for o in 0 ..< cOut {
                            let d = delta[j * cOut + o], wt = w[(o * cIn + ci) * kk + (kk - 1 - m)]
                            // Fused in the vector columns, multiply then add in the scalar tail (C_in mod 8).
                            if ci < cIn - cIn % 8 { acc = acc.addingProduct(d, wt) } else { acc += d * wt }
                        }
                    }
                    let e = p * cIn + ci
                    #expect(out[e] == start[e] + acc, "\(geometry) position \(p) channel \(ci)")
                    #expect(abs(out[e] - unpadded[e]) <= 1e-4 * max(1, abs(out[e])), "\(geometry) against the unpadded step")
                }
            }
        }
    }

    /// `accumulateRowsSequential` sums every element over the rows in order in one accumulator whatever tile or
    /// column block computed it: to the bit the scalar chain (fused multiply-adds in the vector columns, separate
    /// multiply and add in the scalar tail of width mod 8), for row counts that leave every tile size and single
    /// rows, and widths that take the 32- and 64-column blocks, 16- and 8-wide blocks and scalar tails.
    @Test func sequentialRowsSumInRowOrderToTheBit() {
        var g = PhiloxGenerator(seed: 41)
        for count in [1, 2, 3, 4, 5, 7, 8, 9, 13, 21] {
            for width in [5, 8, 16, 24, 32, 48, 64, 72, 100, 136] {
                let rows = 37, lda = rows + 3, ldc = width + 2
                let a = (0 ..< count * lda).map { _ in Float(g.normal()) }
                let m = (0 ..< rows * width).map { _ in Float(g.normal()) }
                let c0 = (0 ..< count * ldc).map { _ in Float(g.normal()) }
                var c = c0
                c.withUnsafeMutableBufferPointer {
                    VectorKernels.accumulateRowsSequential(a, lda: lda, count: count, m, rows: rows, width: width,
                                                           into: $0.baseAddress!, ldc: ldc)
                }
                let vectorColumns = width - width % 8
                var mismatches = 0
                for i in 0 ..< count {
                    for col in 0 ..< width {
                        var t: Float = 0
                        for r in 0 ..< rows {
                            if col < vectorColumns {
                                t = t.addingProduct(a[i * lda + r], m[r * width + col])
                            } else {
                                t += a[i * lda + r] * m[r * width + col]
                            }
                        }
                        if c[i * ldc + col] != c0[i * ldc + col] + t { mismatches += 1 }
                    }
                    for col in width ..< ldc where c[i * ldc + col] != c0[i * ldc + col] { mismatches += 1 }
                }
                #expect(mismatches == 0, "\(count) rows × \(width) columns: \(mismatches) elements differ from the scalar chain")
            }
        }
    }

    @Test func l2SpikeErrorMatchesScalarFormula() {
        var g = PhiloxGenerator(seed: 21)
        for n in [5, 16, 37, 200] {
            let s = (0 ..< n).map { _ in UInt8(g.next32() % 2) }
            let y = (0 ..< n).map { _ in Float(g.next32() % 2) }
            var grad = [Float](repeating: 0, count: n)
            let sum = VectorKernels.l2SpikeError(spikes: s, targets: y, count: n, scale: 0.25, gradient: &grad)
            var ref: Float = 0
            for i in 0 ..< n {
                let d = Float(s[i]) - y[i]
                ref += d * d
                #expect(grad[i] == d * 0.25)
            }
            #expect(sum == ref)
        }
    }

    @Test func allFiniteFindsEveryNonFiniteValue() {
        for n in [0, 7, 16, 40] {
            let ok = [Float](repeating: 1.5, count: n)
            #expect(ok.withUnsafeBufferPointer(FiniteCheck.allFinite))
            for bad in [Float.nan, .infinity, -.infinity] {
                for i in [0, n / 2, n - 1] where n > 0 {
                    var v = ok
                    v[i] = bad
                    #expect(!v.withUnsafeBufferPointer(FiniteCheck.allFinite), "\(bad) at \(i) of \(n)")
                }
            }
        }
    }
}
