import SpikeKitFormats
/// Element-wise kernels on raw Float buffers, written with SIMD16 so that they compile to vector instructions.
/// Callers guarantee that every pointer is valid for `count` elements. Results do not depend on alignment, and
/// every reduction sums in a fixed order (independent accumulators, then their fixed combination), so they are reproducible.
@usableFromInline
package enum VectorKernels {
    /// `y[i] += x[i]`. Inlinable: the event-driven products of the engine call it once per synapse segment.
    @inlinable @inline(__always)
    package static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        while i + 16 <= count {
            let a = rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            let b = ry.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            ry.storeBytes(of: a + b, toByteOffset: 4 * i, as: SIMD16<Float>.self)
            i += 16
        }
        if i + 8 <= count {
            let a = rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            let b = ry.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            ry.storeBytes(of: a + b, toByteOffset: 4 * i, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            y[i] += x[i]
            i += 1
        }
    }

    /// `y[i] += alpha * x[i]`.
    @inline(__always) @usableFromInline
    package static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        let va = SIMD16<Float>(repeating: alpha)
        while i + 16 <= count {
            let a = rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            let b = ry.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            ry.storeBytes(of: b.addingProduct(va, a), toByteOffset: 4 * i, as: SIMD16<Float>.self)
            i += 16
        }
        if i + 8 <= count {
            let a = rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            let b = ry.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            ry.storeBytes(of: b.addingProduct(va.lowHalf, a), toByteOffset: 4 * i, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            y[i] += alpha * x[i]
            i += 1
        }
    }

    /// `y[0..<width] += Σ_r a[r] · M[r, 0..<width]` for a row-major `rows × width` matrix M. For each 16-wide
    /// column block, four independent accumulators take rows in turn (so the FMAs do not wait on each other) and are
    /// summed in a fixed order at the end.
    @inline(__always) @usableFromInline
    package static func accumulateRows(_ a: UnsafePointer<Float>, _ m: UnsafePointer<Float>, rows: Int, width: Int,
                               into y: UnsafeMutablePointer<Float>) {
        var c = 0
        let rm = UnsafeRawPointer(m), ry = UnsafeMutableRawPointer(y)
        let rows4 = rows & ~3
        while c + 16 <= width {
            var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>(), acc2 = SIMD16<Float>(), acc3 = SIMD16<Float>()
            var r = 0
            while r < rows4 {
                let o = 4 * (r * width + c)
                let w4 = 4 * width
                acc0 = acc0.addingProduct(SIMD16(repeating: a[r]), rm.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self))
                acc1 = acc1.addingProduct(SIMD16(repeating: a[r + 1]), rm.loadUnaligned(fromByteOffset: o + w4, as: SIMD16<Float>.self))
                acc2 = acc2.addingProduct(SIMD16(repeating: a[r + 2]), rm.loadUnaligned(fromByteOffset: o + 2 * w4, as: SIMD16<Float>.self))
                acc3 = acc3.addingProduct(SIMD16(repeating: a[r + 3]), rm.loadUnaligned(fromByteOffset: o + 3 * w4, as: SIMD16<Float>.self))
                r += 4
            }
            while r < rows {
                acc0 = acc0.addingProduct(SIMD16(repeating: a[r]), rm.loadUnaligned(fromByteOffset: 4 * (r * width + c), as: SIMD16<Float>.self))
                r += 1
            }
            let old = ry.loadUnaligned(fromByteOffset: 4 * c, as: SIMD16<Float>.self)
            ry.storeBytes(of: old + ((acc0 + acc1) + (acc2 + acc3)), toByteOffset: 4 * c, as: SIMD16<Float>.self)
            c += 16
        }
        if c + 8 <= width {
            var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
            var r = 0
            while r + 2 <= rows {
                acc0 = acc0.addingProduct(SIMD8(repeating: a[r]), rm.loadUnaligned(fromByteOffset: 4 * (r * width + c), as: SIMD8<Float>.self))
                acc1 = acc1.addingProduct(SIMD8(repeating: a[r + 1]), rm.loadUnaligned(fromByteOffset: 4 * ((r + 1) * width + c), as: SIMD8<Float>.self))
                r += 2
            }
            if r < rows {
                acc0 = acc0.addingProduct(SIMD8(repeating: a[r]), rm.loadUnaligned(fromByteOffset: 4 * (r * width + c), as: SIMD8<Float>.self))
            }
            let old = ry.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self)
            ry.storeBytes(of: old + (acc0 + acc1), toByteOffset: 4 * c, as: SIMD8<Float>.self)
            c += 8
        }
        while c < width {
            var s: Float = 0
            for r in 0 ..< rows { s += a[r] * m[r * width + c] }
            y[c] += s
            c += 1
        }
    }

    /// `y0 += Σ_r a0[r] · M[r, :]` and `y1 += Σ_r a1[r] · M[r, :]` in one pass over M: every weight load and every
    /// broadcast serves two FMAs, where `accumulateRows` spends 1.5 loads per FMA (the per-step recurrent backward of
    /// a connection with delay ≥ 2, whose steps t and t − 1 are both known at step t; measured on stork's Randman
    /// network, 128 × 128, it takes half the time of two single products). Each column sums even and odd rows in
    /// two accumulators (16-wide blocks and the 8-wide tail) and adds their sum to y once; the scalar tail sums in
    /// row order. The order differs from `accumulateRows`', so results agree to rounding, not bit for bit.
    @inline(__always) @usableFromInline
    package static func accumulateRows2(_ a0: UnsafePointer<Float>, _ a1: UnsafePointer<Float>, _ m: UnsafePointer<Float>,
                                        rows: Int, width: Int, into y0: UnsafeMutablePointer<Float>,
                                        _ y1: UnsafeMutablePointer<Float>) {
        var c = 0
        let rm = UnsafeRawPointer(m), r0 = UnsafeMutableRawPointer(y0), r1 = UnsafeMutableRawPointer(y1)
        // 16 lanes, both vectors, even and odd rows in separate accumulators: each weight load and each broadcast
        // serves two FMAs (8 accumulator registers on AVX2).
        while c + 16 <= width {
            var p0 = SIMD16<Float>(), p1 = SIMD16<Float>(), q0 = SIMD16<Float>(), q1 = SIMD16<Float>()
            var r = 0
            while r + 2 <= rows {
                let w0 = rm.loadUnaligned(fromByteOffset: 4 * (r * width + c), as: SIMD16<Float>.self)
                let w1 = rm.loadUnaligned(fromByteOffset: 4 * ((r + 1) * width + c), as: SIMD16<Float>.self)
                p0 = p0.addingProduct(SIMD16(repeating: a0[r]), w0)
                q0 = q0.addingProduct(SIMD16(repeating: a1[r]), w0)
                p1 = p1.addingProduct(SIMD16(repeating: a0[r + 1]), w1)
                q1 = q1.addingProduct(SIMD16(repeating: a1[r + 1]), w1)
                r += 2
            }
            if r < rows {
                let w = rm.loadUnaligned(fromByteOffset: 4 * (r * width + c), as: SIMD16<Float>.self)
                p0 = p0.addingProduct(SIMD16(repeating: a0[r]), w)
                q0 = q0.addingProduct(SIMD16(repeating: a1[r]), w)
            }
            let old0 = r0.loadUnaligned(fromByteOffset: 4 * c, as: SIMD16<Float>.self)
            r0.storeBytes(of: old0 + (p0 + p1), toByteOffset: 4 * c, as: SIMD16<Float>.self)
            let old1 = r1.loadUnaligned(fromByteOffset: 4 * c, as: SIMD16<Float>.self)
            r1.storeBytes(of: old1 + (q0 + q1), toByteOffset: 4 * c, as: SIMD16<Float>.self)
            c += 16
        }
        if c + 8 <= width {
            var p0 = SIMD8<Float>(), p1 = SIMD8<Float>(), q0 = SIMD8<Float>(), q1 = SIMD8<Float>()
            var r = 0
            while r + 2 <= rows {
                let w0 = rm.loadUnaligned(fromByteOffset: 4 * (r * width + c), as: SIMD8<Float>.self)
                let w1 = rm.loadUnaligned(fromByteOffset: 4 * ((r + 1) * width + c), as: SIMD8<Float>.self)
                p0 = p0.addingProduct(SIMD8(repeating: a0[r]), w0)
                q0 = q0.addingProduct(SIMD8(repeating: a1[r]), w0)
                p1 = p1.addingProduct(SIMD8(repeating: a0[r + 1]), w1)
                q1 = q1.addingProduct(SIMD8(repeating: a1[r + 1]), w1)
                r += 2
            }
            if r < rows {
                let w = rm.loadUnaligned(fromByteOffset: 4 * (r * width + c), as: SIMD8<Float>.self)
                p0 = p0.addingProduct(SIMD8(repeating: a0[r]), w)
                q0 = q0.addingProduct(SIMD8(repeating: a1[r]), w)
            }
            let old0 = r0.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self)
            r0.storeBytes(of: old0 + (p0 + p1), toByteOffset: 4 * c, as: SIMD8<Float>.self)
            let old1 = r1.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self)
            r1.storeBytes(of: old1 + (q0 + q1), toByteOffset: 4 * c, as: SIMD8<Float>.self)
            c += 8
        }
        while c < width {
            var s0: Float = 0, s1: Float = 0
            for r in 0 ..< rows {
                s0 += a0[r] * m[r * width + c]
                s1 += a1[r] * m[r * width + c]
            }
            y0[c] += s0
            y1[c] += s1
            c += 1
        }
    }

    /// `c_i[0..<width] += Σ_r a_i[r] · M[r, 0..<width]` for four rows i at once: each load of M serves four
    /// independent accumulators (a small register-blocked matrix product).
    @inline(__always) @usableFromInline
    package static func accumulateRows4(_ a0: UnsafePointer<Float>, _ a1: UnsafePointer<Float>, _ a2: UnsafePointer<Float>,
                                _ a3: UnsafePointer<Float>, _ m: UnsafePointer<Float>, rows: Int, width: Int,
                                into c0: UnsafeMutablePointer<Float>, _ c1: UnsafeMutablePointer<Float>,
                                _ c2: UnsafeMutablePointer<Float>, _ c3: UnsafeMutablePointer<Float>) {
        var c = 0
        let rm = UnsafeRawPointer(m)
        #if SPIKEKIT_WIDE_REGISTERS
        // 32 columns at a time (eight accumulators): four would leave each FMA waiting on the one before in its
        // chain. The same sums as one block at a time; 16-register builds keep one block (eight SIMD16
        // accumulators would be all sixteen ymm registers).
        while c + 32 <= width {
            rows4Blocks2(a0, a1, a2, a3, rm, rows: rows, width: width, column: c, into: c0, c1, c2, c3)
            c += 32
        }
        #endif
        while c + 16 <= width {
            rows4Block(a0, a1, a2, a3, rm, rows: rows, width: width, column: c, into: c0, c1, c2, c3, as: SIMD16<Float>.self)
            c += 16
        }
        if c + 8 <= width {
            rows4Block(a0, a1, a2, a3, rm, rows: rows, width: width, column: c, into: c0, c1, c2, c3, as: SIMD8<Float>.self)
            c += 8
        }
        while c < width {
            var t0: Float = 0, t1: Float = 0, t2: Float = 0, t3: Float = 0
            for r in 0 ..< rows {
                let v = m[r * width + c]
                t0 += a0[r] * v
                t1 += a1[r] * v
                t2 += a2[r] * v
                t3 += a3[r] * v
            }
            c0[c] += t0
            c1[c] += t1
            c2[c] += t2
            c3[c] += t3
            c += 1
        }
    }

    /// Eight rows at once: `c[i][0..<width] += Σ_r a[i][r] · M[r, 0..<width]` for rows `a + i·lda` and
    /// `c + i·ldc`, i = 0..<8 (each load of M serves eight accumulators).
    @inline(__always) @usableFromInline
    package static func accumulateRows8(_ a: UnsafePointer<Float>, lda: Int, _ m: UnsafePointer<Float>, rows: Int, width: Int,
                                into c: UnsafeMutablePointer<Float>, ldc: Int) {
        var col = 0
        let rm = UnsafeRawPointer(m)
        // 32 columns at a time: each broadcast of a[i][r] serves two vectors, so the loop issues 10 loads per 16
        // FMAs (16 accumulators, 2 weight vectors and 8 broadcasts fit in the 32 vector registers).
        while col + 32 <= width {
            var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
            var s4 = SIMD16<Float>(), s5 = SIMD16<Float>(), s6 = SIMD16<Float>(), s7 = SIMD16<Float>()
            var u0 = SIMD16<Float>(), u1 = SIMD16<Float>(), u2 = SIMD16<Float>(), u3 = SIMD16<Float>()
            var u4 = SIMD16<Float>(), u5 = SIMD16<Float>(), u6 = SIMD16<Float>(), u7 = SIMD16<Float>()
            for r in 0 ..< rows {
                let v = rm.loadUnaligned(fromByteOffset: 4 * (r * width + col), as: SIMD16<Float>.self)
                let w = rm.loadUnaligned(fromByteOffset: 4 * (r * width + col + 16), as: SIMD16<Float>.self)
                let b0 = SIMD16(repeating: a[r]), b1 = SIMD16(repeating: a[lda + r])
                let b2 = SIMD16(repeating: a[2 * lda + r]), b3 = SIMD16(repeating: a[3 * lda + r])
                let b4 = SIMD16(repeating: a[4 * lda + r]), b5 = SIMD16(repeating: a[5 * lda + r])
                let b6 = SIMD16(repeating: a[6 * lda + r]), b7 = SIMD16(repeating: a[7 * lda + r])
                s0 = s0.addingProduct(b0, v); u0 = u0.addingProduct(b0, w)
                s1 = s1.addingProduct(b1, v); u1 = u1.addingProduct(b1, w)
                s2 = s2.addingProduct(b2, v); u2 = u2.addingProduct(b2, w)
                s3 = s3.addingProduct(b3, v); u3 = u3.addingProduct(b3, w)
                s4 = s4.addingProduct(b4, v); u4 = u4.addingProduct(b4, w)
                s5 = s5.addingProduct(b5, v); u5 = u5.addingProduct(b5, w)
                s6 = s6.addingProduct(b6, v); u6 = u6.addingProduct(b6, w)
                s7 = s7.addingProduct(b7, v); u7 = u7.addingProduct(b7, w)
            }
            add16(s0, c + col); add16(u0, c + col + 16)
            add16(s1, c + ldc + col); add16(u1, c + ldc + col + 16)
            add16(s2, c + 2 * ldc + col); add16(u2, c + 2 * ldc + col + 16)
            add16(s3, c + 3 * ldc + col); add16(u3, c + 3 * ldc + col + 16)
            add16(s4, c + 4 * ldc + col); add16(u4, c + 4 * ldc + col + 16)
            add16(s5, c + 5 * ldc + col); add16(u5, c + 5 * ldc + col + 16)
            add16(s6, c + 6 * ldc + col); add16(u6, c + 6 * ldc + col + 16)
            add16(s7, c + 7 * ldc + col); add16(u7, c + 7 * ldc + col + 16)
            col += 32
        }
        while col + 16 <= width {
            rows8Block(a, lda: lda, rm, rows: rows, width: width, column: col, into: c, ldc: ldc, as: SIMD16<Float>.self)
            col += 16
        }
        if col + 8 <= width {
            rows8Block(a, lda: lda, rm, rows: rows, width: width, column: col, into: c, ldc: ldc, as: SIMD8<Float>.self)
            col += 8
        }
        if col < width {
            for i in 0 ..< 8 {
                for cc in col ..< width {
                    var t: Float = 0
                    for r in 0 ..< rows { t += a[i * lda + r] * m[r * width + cc] }
                    c[i * ldc + cc] += t
                }
            }
        }
    }

    /// The first rows of `count` that `accumulateRowsSequential` runs in its 8- or 6-row and 4-row tiles; the rest
    /// (at most three) it runs one at a time, in one accumulator per element (FMA latency-bound).
    package static func tiledRows(of count: Int) -> Int {
        let tiled = count - count % sequentialTileRows
        return tiled + (count - tiled) / 4 * 4
    }

    /// Rows of the register tile of `accumulateRowsSequential`: 8 on AVX-512 builds, 6 on others.
    package static var sequentialTileRows: Int {
        #if SPIKEKIT_WIDE_REGISTERS
        return 8
        #else
        return 6
        #endif
    }

    /// The register tiles `accumulateRowsSequential` uses, for the bench header: 8 × 32 with 32 vector registers
    /// (AVX-512 builds, `SPIKEKIT_WIDE_REGISTERS`), 6 × 16 with 16 (AVX2 and everything else).
    package static var rowTiles: String {
        #if SPIKEKIT_WIDE_REGISTERS
        return "8 × 32 (AVX-512 build)"
        #else
        return "6 × 16 (16-register build)"
        #endif
    }

    /// `c[i][0..<width] += Σ_r a[i][r] · M[r, 0..<width]` for `count` rows i (`a + i·lda`, `c + i·ldc`), every
    /// element summed over r in increasing order in one accumulator (and then added to c), so that the result does
    /// not depend on the register tile that computed it: AVX-512 builds take 8 rows × 32 columns
    /// (`accumulateRows8`, 16 of their 32 registers), other builds 6 rows × 16 columns (six SIMD16 accumulators,
    /// twelve of AVX2's sixteen 256-bit registers; the 8 × 32 tile needs 32 there and spills), then four rows and
    /// single rows, with 8-wide column tails.
    @inline(__always) @usableFromInline
    package static func accumulateRowsSequential(_ a: UnsafePointer<Float>, lda: Int, count: Int, _ m: UnsafePointer<Float>,
                                                 rows: Int, width: Int, into c: UnsafeMutablePointer<Float>, ldc: Int) {
        var i = 0
        #if SPIKEKIT_WIDE_REGISTERS
        while i + 8 <= count {
            accumulateRows8(a + i * lda, lda: lda, m, rows: rows, width: width, into: c + i * ldc, ldc: ldc)
            i += 8
        }
        #else
        let rm = UnsafeRawPointer(m)
        while i + 6 <= count {
            var col = 0
            while col + 16 <= width {
                rows6Block(a + i * lda, lda: lda, rm, rows: rows, width: width, column: col, into: c + i * ldc, ldc: ldc,
                           as: SIMD16<Float>.self)
                col += 16
            }
            if col + 8 <= width {
                rows6Block(a + i * lda, lda: lda, rm, rows: rows, width: width, column: col, into: c + i * ldc, ldc: ldc,
                           as: SIMD8<Float>.self)
                col += 8
            }
            for k in 0 ..< 6 { sequentialTail(a + (i + k) * lda, m, rows: rows, width: width, from: col, into: c + (i + k) * ldc) }
            i += 6
        }
        #endif
        while i + 4 <= count {
            accumulateRows4(a + i * lda, a + (i + 1) * lda, a + (i + 2) * lda, a + (i + 3) * lda, m, rows: rows, width: width,
                            into: c + i * ldc, c + (i + 1) * ldc, c + (i + 2) * ldc, c + (i + 3) * ldc)
            i += 4
        }
        while i < count {
            let rm = UnsafeRawPointer(m), ai = a + i * lda, ci = c + i * ldc
            var col = 0
            // Several column blocks at once: a single row's sum is one chain of dependent FMAs per block, so one
            // block at a time waits on the FMA latency (the SHD network's conv layers leave single rows of depth
            // 160-320); each element's sum is the same either way.
            while col + 64 <= width {
                rows1Blocks4(ai, rm, rows: rows, width: width, column: col, into: ci)
                col += 64
            }
            while col + 16 <= width {
                rows1Block(ai, rm, rows: rows, width: width, column: col, into: ci, as: SIMD16<Float>.self)
                col += 16
            }
            if col + 8 <= width {
                rows1Block(ai, rm, rows: rows, width: width, column: col, into: ci, as: SIMD8<Float>.self)
                col += 8
            }
            sequentialTail(ai, m, rows: rows, width: width, from: col, into: ci)
            i += 1
        }
    }

    /// Columns `from..<width` of one row, scalar, summed in row order.
    @inline(__always) @usableFromInline
    package static func sequentialTail(_ a: UnsafePointer<Float>, _ m: UnsafePointer<Float>, rows: Int, width: Int, from col: Int,
                                       into c: UnsafeMutablePointer<Float>) {
        for cc in col ..< width {
            var t: Float = 0
            for r in 0 ..< rows { t += a[r] * m[r * width + cc] }
            c[cc] += t
        }
    }

    /// One column block of the 6-row tile of `accumulateRowsSequential`, `V.scalarCount` columns wide.
    @inline(__always) @usableFromInline
    package static func rows6Block<V: SIMD>(_ a: UnsafePointer<Float>, lda: Int, _ rm: UnsafeRawPointer, rows: Int, width: Int,
                                            column col: Int, into c: UnsafeMutablePointer<Float>, ldc: Int, as _: V.Type)
        where V.Scalar == Float {
        let a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda, a4 = a + 4 * lda, a5 = a + 5 * lda
        var s0 = V(), s1 = V(), s2 = V(), s3 = V(), s4 = V(), s5 = V()
        for r in 0 ..< rows {
            let v = rm.loadUnaligned(fromByteOffset: 4 * (r * width + col), as: V.self)
            s0 = s0.addingProduct(V(repeating: a0[r]), v)
            s1 = s1.addingProduct(V(repeating: a1[r]), v)
            s2 = s2.addingProduct(V(repeating: a2[r]), v)
            s3 = s3.addingProduct(V(repeating: a3[r]), v)
            s4 = s4.addingProduct(V(repeating: a4[r]), v)
            s5 = s5.addingProduct(V(repeating: a5[r]), v)
        }
        addVector(s0, c + col)
        addVector(s1, c + ldc + col)
        addVector(s2, c + 2 * ldc + col)
        addVector(s3, c + 3 * ldc + col)
        addVector(s4, c + 4 * ldc + col)
        addVector(s5, c + 5 * ldc + col)
    }

    /// One column block of a single row, summed in row order in one accumulator.
    @inline(__always) @usableFromInline
    package static func rows1Block<V: SIMD>(_ a: UnsafePointer<Float>, _ rm: UnsafeRawPointer, rows: Int, width: Int,
                                            column col: Int, into c: UnsafeMutablePointer<Float>, as _: V.Type)
        where V.Scalar == Float {
        var s = V()
        for r in 0 ..< rows {
            s = s.addingProduct(V(repeating: a[r]), rm.loadUnaligned(fromByteOffset: 4 * (r * width + col), as: V.self))
        }
        addVector(s, c + col)
    }

    /// Four 16-column blocks of a single row from `column`, each summed in row order in its own accumulator
    /// (`rows1Block` for four blocks at once).
    @inline(__always) @usableFromInline
    package static func rows1Blocks4(_ a: UnsafePointer<Float>, _ rm: UnsafeRawPointer, rows: Int, width: Int, column col: Int,
                                     into c: UnsafeMutablePointer<Float>) {
        var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
        for r in 0 ..< rows {
            let b = SIMD16<Float>(repeating: a[r]), o = 4 * (r * width + col)
            s0 = s0.addingProduct(b, rm.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self))
            s1 = s1.addingProduct(b, rm.loadUnaligned(fromByteOffset: o + 64, as: SIMD16<Float>.self))
            s2 = s2.addingProduct(b, rm.loadUnaligned(fromByteOffset: o + 128, as: SIMD16<Float>.self))
            s3 = s3.addingProduct(b, rm.loadUnaligned(fromByteOffset: o + 192, as: SIMD16<Float>.self))
        }
        add16(s0, c + col)
        add16(s1, c + col + 16)
        add16(s2, c + col + 32)
        add16(s3, c + col + 48)
    }

    /// The L2 spike error of one sample: `gradient[i] = (s[i] - y[i]) · scale` and the return value `Σ (s[i] - y[i])²`
    /// over `count` elements, with spikes `s` as bytes. With 0/1 targets every term is 0 or 1, so the float sum is
    /// exact (below 2^24 terms) whatever the order.
    package static func l2SpikeError(spikes: UnsafePointer<UInt8>, targets: UnsafePointer<Float>, count: Int, scale: Float,
                             gradient: UnsafeMutablePointer<Float>) -> Float {
        var acc = SIMD16<Float>()
        var i = 0
        let rs = UnsafeRawPointer(spikes), rt = UnsafeRawPointer(targets), rg = UnsafeMutableRawPointer(gradient)
        while i + 16 <= count {
            let raw = rs.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self)
            var bytes = SIMD16<UInt32>()
            for l in 0 ..< 16 { bytes[l] = UInt32(raw[l]) }
            // Small integers to float exactly: place them in the mantissa of 2^23 and subtract 2^23.
            let sf = unsafeBitCast(bytes | 0x4B00_0000, to: SIMD16<Float>.self) - 8_388_608
            let d = sf - rt.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            acc = acc.addingProduct(d, d)
            rg.storeBytes(of: d * scale, toByteOffset: 4 * i, as: SIMD16<Float>.self)
            i += 16
        }
        var sum = acc.sum()
        while i < count {
            let d = Float(spikes[i]) - targets[i]
            sum += d * d
            gradient[i] = d * scale
            i += 1
        }
        return sum
    }

    /// One column block of `accumulateRows4`, `V.scalarCount` columns wide from `column`.
    @inline(__always) @usableFromInline
    package static func rows4Block<V: SIMD>(_ a0: UnsafePointer<Float>, _ a1: UnsafePointer<Float>, _ a2: UnsafePointer<Float>,
                                    _ a3: UnsafePointer<Float>, _ rm: UnsafeRawPointer, rows: Int, width: Int, column c: Int,
                                    into c0: UnsafeMutablePointer<Float>, _ c1: UnsafeMutablePointer<Float>,
                                    _ c2: UnsafeMutablePointer<Float>, _ c3: UnsafeMutablePointer<Float>, as _: V.Type)
        where V.Scalar == Float {
        var s0 = V(), s1 = V(), s2 = V(), s3 = V()
        for r in 0 ..< rows {
            let v = rm.loadUnaligned(fromByteOffset: 4 * (r * width + c), as: V.self)
            s0 = s0.addingProduct(V(repeating: a0[r]), v)
            s1 = s1.addingProduct(V(repeating: a1[r]), v)
            s2 = s2.addingProduct(V(repeating: a2[r]), v)
            s3 = s3.addingProduct(V(repeating: a3[r]), v)
        }
        addVector(s0, c0 + c)
        addVector(s1, c1 + c)
        addVector(s2, c2 + c)
        addVector(s3, c3 + c)
    }

    /// Two 16-column blocks of `accumulateRows4` from `column` (`rows4Block` twice at once).
    @inline(__always) @usableFromInline
    package static func rows4Blocks2(_ a0: UnsafePointer<Float>, _ a1: UnsafePointer<Float>, _ a2: UnsafePointer<Float>,
                                     _ a3: UnsafePointer<Float>, _ rm: UnsafeRawPointer, rows: Int, width: Int, column c: Int,
                                     into c0: UnsafeMutablePointer<Float>, _ c1: UnsafeMutablePointer<Float>,
                                     _ c2: UnsafeMutablePointer<Float>, _ c3: UnsafeMutablePointer<Float>) {
        var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
        var u0 = SIMD16<Float>(), u1 = SIMD16<Float>(), u2 = SIMD16<Float>(), u3 = SIMD16<Float>()
        for r in 0 ..< rows {
            let o = 4 * (r * width + c)
            let v = rm.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self)
            let w = rm.loadUnaligned(fromByteOffset: o + 64, as: SIMD16<Float>.self)
            let b0 = SIMD16<Float>(repeating: a0[r]), b1 = SIMD16<Float>(repeating: a1[r])
            let b2 = SIMD16<Float>(repeating: a2[r]), b3 = SIMD16<Float>(repeating: a3[r])
            s0 = s0.addingProduct(b0, v); u0 = u0.addingProduct(b0, w)
            s1 = s1.addingProduct(b1, v); u1 = u1.addingProduct(b1, w)
            s2 = s2.addingProduct(b2, v); u2 = u2.addingProduct(b2, w)
            s3 = s3.addingProduct(b3, v); u3 = u3.addingProduct(b3, w)
        }
        add16(s0, c0 + c); add16(u0, c0 + c + 16)
        add16(s1, c1 + c); add16(u1, c1 + c + 16)
        add16(s2, c2 + c); add16(u2, c2 + c + 16)
        add16(s3, c3 + c); add16(u3, c3 + c + 16)
    }

    /// One column block of `accumulateRows8`, `V.scalarCount` columns wide from `column`.
    @inline(__always) @usableFromInline
    package static func rows8Block<V: SIMD>(_ a: UnsafePointer<Float>, lda: Int, _ rm: UnsafeRawPointer, rows: Int, width: Int,
                                    column col: Int, into c: UnsafeMutablePointer<Float>, ldc: Int, as _: V.Type)
        where V.Scalar == Float {
        var s0 = V(), s1 = V(), s2 = V(), s3 = V(), s4 = V(), s5 = V(), s6 = V(), s7 = V()
        for r in 0 ..< rows {
            let v = rm.loadUnaligned(fromByteOffset: 4 * (r * width + col), as: V.self)
            s0 = s0.addingProduct(V(repeating: a[r]), v)
            s1 = s1.addingProduct(V(repeating: a[lda + r]), v)
            s2 = s2.addingProduct(V(repeating: a[2 * lda + r]), v)
            s3 = s3.addingProduct(V(repeating: a[3 * lda + r]), v)
            s4 = s4.addingProduct(V(repeating: a[4 * lda + r]), v)
            s5 = s5.addingProduct(V(repeating: a[5 * lda + r]), v)
            s6 = s6.addingProduct(V(repeating: a[6 * lda + r]), v)
            s7 = s7.addingProduct(V(repeating: a[7 * lda + r]), v)
        }
        addVector(s0, c + col)
        addVector(s1, c + ldc + col)
        addVector(s2, c + 2 * ldc + col)
        addVector(s3, c + 3 * ldc + col)
        addVector(s4, c + 4 * ldc + col)
        addVector(s5, c + 5 * ldc + col)
        addVector(s6, c + 6 * ldc + col)
        addVector(s7, c + 7 * ldc + col)
    }

    /// `p[0 ..< V.scalarCount] += v`.
    @inline(__always) @usableFromInline
    package static func addVector<V: SIMD>(_ v: V, _ p: UnsafeMutablePointer<Float>) where V.Scalar == Float {
        let r = UnsafeMutableRawPointer(p)
        r.storeBytes(of: r.loadUnaligned(as: V.self) + v, as: V.self)
    }

    @inline(__always) @usableFromInline
    package static func add16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
        let r = UnsafeMutableRawPointer(p)
        r.storeBytes(of: r.loadUnaligned(as: SIMD16<Float>.self) + v, as: SIMD16<Float>.self)
    }
}
