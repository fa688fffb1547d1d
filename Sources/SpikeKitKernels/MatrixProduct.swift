import SpikeKitFormats

/// A cache-blocked single-precision matrix product for the dense products of real-valued inputs:
/// `C[i, j] += Σ_k A[i, k] · B[k, j]` for `i < m`, `j < n`, `k < depth`, all row-major with leading dimensions
/// `lda`, `ldb`, `ldc`.
///
/// Blocking: the depth is cut into panels of `kc` rows of B and the columns into panels of `nc`; each `kc × nc`
/// panel of B is first copied ("packed") into contiguous strips of 16 columns (`kc × 16` floats each), so that the
/// micro-kernel streams one strip from consecutive addresses instead of `kc` rows `ldb` floats apart (with
/// `ldb = 4096` those rows fall into the same few cache sets). Within a strip a 6 × 16 register tile of C
/// accumulates over the depth (six SIMD16 accumulators: twelve of AVX2's sixteen 256-bit registers; each load of B
/// serves six rows of A, 8 loads per 12 FMAs), remaining rows in a 4 × 16 tile and singly; columns beyond the last
/// whole strip read B in place. Every element of C sums its depth panels in increasing order and, inside a panel,
/// its terms in increasing k with one accumulator, so the result depends only on the shapes and never on the tile
/// that computed it or on how the caller splits the rows of C between threads.
package enum MatrixProduct {
    /// Depth and column panel sizes (floats): 256 × 512 × 4 bytes = 512 KiB of B per panel.
    package static let kc = 256
    package static let nc = 512

    /// `C += A · B` for rows `rows` of C (and of A); see the type's documentation.
    package static func multiplyAdd(rows: Range<Int>, n: Int, depth: Int, a: UnsafePointer<Float>, lda: Int,
                                    b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard !rows.isEmpty, n > 0, depth > 0 else { return }
        let packed = CacheLine.allocate(Float.self, capacity: kc * nc)
        defer { packed.deallocate() }
        var k0 = 0
        while k0 < depth {
            let kb = min(kc, depth - k0)
            var j0 = 0
            while j0 < n {
                let jb = min(nc, n - j0)
                let strips = jb / 16
                let rb = UnsafeRawPointer(b + k0 * ldb + j0), rp = UnsafeMutableRawPointer(packed)
                for s in 0 ..< strips {
                    for r in 0 ..< kb {
                        rp.storeBytes(of: rb.loadUnaligned(fromByteOffset: 4 * (r * ldb + 16 * s), as: SIMD16<Float>.self),
                                      toByteOffset: 4 * ((s * kb + r) * 16), as: SIMD16<Float>.self)
                    }
                }
                var i = rows.lowerBound
                while i + 6 <= rows.upperBound {
                    for s in 0 ..< strips {
                        tile6(a + i * lda + k0, lda: lda, packed + s * kb * 16, depth: kb, c + i * ldc + j0 + 16 * s, ldc: ldc)
                    }
                    i += 6
                }
                if i + 4 <= rows.upperBound {
                    for s in 0 ..< strips {
                        tile4(a + i * lda + k0, lda: lda, packed + s * kb * 16, ldb: 16, depth: kb, columns: 16,
                              c + i * ldc + j0 + 16 * s, ldc: ldc)
                    }
                    i += 4
                }
                while i < rows.upperBound {
                    for s in 0 ..< strips {
                        row1(a + i * lda + k0, packed + s * kb * 16, ldb: 16, depth: kb, columns: 16, c + i * ldc + j0 + 16 * s)
                    }
                    i += 1
                }
                // Columns beyond the whole strips, from B in place.
                let done = 16 * strips
                if done < jb {
                    for i in rows {
                        row1(a + i * lda + k0, b + k0 * ldb + j0 + done, ldb: ldb, depth: kb, columns: jb - done,
                             c + i * ldc + j0 + done)
                    }
                }
                j0 += jb
            }
            k0 += kb
        }
    }

    /// Six rows of C over one packed strip of 16 columns (`depth × 16` contiguous floats), one depth panel.
    @inline(__always)
    static func tile6(_ a: UnsafePointer<Float>, lda: Int, _ strip: UnsafePointer<Float>, depth: Int,
                      _ c: UnsafeMutablePointer<Float>, ldc: Int) {
        let rb = UnsafeRawPointer(strip)
        let a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda, a4 = a + 4 * lda, a5 = a + 5 * lda
        var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>()
        var s3 = SIMD16<Float>(), s4 = SIMD16<Float>(), s5 = SIMD16<Float>()
        for r in 0 ..< depth {
            let v = rb.load(fromByteOffset: 64 * r, as: SIMD16<Float>.self)
            s0 = s0.addingProduct(SIMD16(repeating: a0[r]), v)
            s1 = s1.addingProduct(SIMD16(repeating: a1[r]), v)
            s2 = s2.addingProduct(SIMD16(repeating: a2[r]), v)
            s3 = s3.addingProduct(SIMD16(repeating: a3[r]), v)
            s4 = s4.addingProduct(SIMD16(repeating: a4[r]), v)
            s5 = s5.addingProduct(SIMD16(repeating: a5[r]), v)
        }
        VectorKernels.add16(s0, c)
        VectorKernels.add16(s1, c + ldc)
        VectorKernels.add16(s2, c + 2 * ldc)
        VectorKernels.add16(s3, c + 3 * ldc)
        VectorKernels.add16(s4, c + 4 * ldc)
        VectorKernels.add16(s5, c + 5 * ldc)
    }

    /// Four rows of C over `columns` columns, one depth panel: a 4 × 16 register tile (four SIMD16 accumulators,
    /// eight 256-bit registers on AVX2, so tile, loads and broadcasts fit in the 16 registers without spilling).
    @inline(__always)
    static func tile4(_ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int, depth: Int, columns: Int,
                      _ c: UnsafeMutablePointer<Float>, ldc: Int) {
        let rb = UnsafeRawPointer(b)
        var col = 0
        while col + 16 <= columns {
            var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
            for r in 0 ..< depth {
                let v = rb.loadUnaligned(fromByteOffset: 4 * (r * ldb + col), as: SIMD16<Float>.self)
                s0 = s0.addingProduct(SIMD16(repeating: a[r]), v)
                s1 = s1.addingProduct(SIMD16(repeating: a[lda + r]), v)
                s2 = s2.addingProduct(SIMD16(repeating: a[2 * lda + r]), v)
                s3 = s3.addingProduct(SIMD16(repeating: a[3 * lda + r]), v)
            }
            VectorKernels.add16(s0, c + col)
            VectorKernels.add16(s1, c + ldc + col)
            VectorKernels.add16(s2, c + 2 * ldc + col)
            VectorKernels.add16(s3, c + 3 * ldc + col)
            col += 16
        }
        if col < columns {
            for i in 0 ..< 4 {
                row1(a + i * lda, b + col, ldb: ldb, depth: depth, columns: columns - col, c + i * ldc + col)
            }
        }
    }

    /// One row of C over `columns` columns, one depth panel (the remainder rows and columns).
    @inline(__always)
    static func row1(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, ldb: Int, depth: Int, columns: Int,
                     _ c: UnsafeMutablePointer<Float>) {
        let rb = UnsafeRawPointer(b)
        var col = 0
        while col + 16 <= columns {
            var s = SIMD16<Float>()
            for r in 0 ..< depth {
                s = s.addingProduct(SIMD16(repeating: a[r]), rb.loadUnaligned(fromByteOffset: 4 * (r * ldb + col), as: SIMD16<Float>.self))
            }
            VectorKernels.add16(s, c + col)
            col += 16
        }
        while col < columns {
            var s: Float = 0
            for r in 0 ..< depth { s += a[r] * b[r * ldb + col] }
            c[col] += s
            col += 1
        }
    }
}
