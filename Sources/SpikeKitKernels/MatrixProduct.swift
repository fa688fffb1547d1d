import SpikeKitFormats

/// A cache-blocked single-precision matrix product for the dense products of real-valued inputs:
/// `C[i, j] += Σ_k A[i, k] · B[k, j]` for `i < m`, `j < n`, `k < depth`, all row-major with leading dimensions
/// `lda`, `ldb`, `ldc`.
///
/// Blocking: the depth is cut into panels of `kc` rows of B and the columns into panels of `nc` (a `kc × nc`
/// panel of B stays in the L2 cache); within a panel a 4 × 16 register tile of C accumulates over the depth with
/// four SIMD16 accumulators (each load of B serves four rows of A). Every element of C sums its depth panels in
/// increasing order and, inside a panel, its terms in increasing k, so the result depends only on the shapes and
/// never on how the caller splits the rows of C between threads.
package enum MatrixProduct {
    /// Depth and column panel sizes (floats): 256 × 512 × 4 bytes = 512 KiB of B per panel.
    package static let kc = 256
    package static let nc = 512

    /// `C += A · B` for rows `rows` of C (and of A); see the type's documentation.
    package static func multiplyAdd(rows: Range<Int>, n: Int, depth: Int, a: UnsafePointer<Float>, lda: Int,
                                    b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
        var k0 = 0
        while k0 < depth {
            let kb = min(kc, depth - k0)
            var j0 = 0
            while j0 < n {
                let jb = min(nc, n - j0)
                var i = rows.lowerBound
                while i + 4 <= rows.upperBound {
                    tile4(a + i * lda + k0, lda: lda, b + k0 * ldb + j0, ldb: ldb, depth: kb, columns: jb,
                          c + i * ldc + j0, ldc: ldc)
                    i += 4
                }
                while i < rows.upperBound {
                    row1(a + i * lda + k0, b + k0 * ldb + j0, ldb: ldb, depth: kb, columns: jb, c + i * ldc + j0)
                    i += 1
                }
                j0 += jb
            }
            k0 += kb
        }
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
