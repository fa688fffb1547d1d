/// Element-wise kernels on raw Float buffers, written with SIMD16 so that they compile to vector instructions.
/// Callers guarantee that every pointer is valid for `count` elements. Results do not depend on alignment, and
/// `dot` sums in a fixed order (16 lanes, then the lanes, then the tail), so they are reproducible.
@usableFromInline
enum VectorKernels {
    /// `y[i] += x[i]`.
    @inline(__always) @usableFromInline
    static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        while i + 16 <= count {
            let a = rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            let b = ry.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            ry.storeBytes(of: a + b, toByteOffset: 4 * i, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            y[i] += x[i]
            i += 1
        }
    }

    /// `y[i] += alpha * x[i]`.
    @inline(__always) @usableFromInline
    static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        let va = SIMD16<Float>(repeating: alpha)
        while i + 16 <= count {
            let a = rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            let b = ry.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            ry.storeBytes(of: b.addingProduct(va, a), toByteOffset: 4 * i, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            y[i] += alpha * x[i]
            i += 1
        }
    }

    /// `Σ x[i] y[i]`.
    @inline(__always) @usableFromInline
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        var i = 0
        let rx = UnsafeRawPointer(x), ry = UnsafeRawPointer(y)
        var acc = SIMD16<Float>()
        while i + 16 <= count {
            let a = rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            let b = ry.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            acc = acc.addingProduct(a, b)
            i += 16
        }
        var s = acc.sum()
        while i < count {
            s += x[i] * y[i]
            i += 1
        }
        return s
    }

    /// `y[0..<width] += Σ_r a[r] · M[r, 0..<width]` for a row-major `rows × width` matrix M. For each 16-wide
    /// column block, four independent accumulators take rows in turn (so the FMAs do not wait on each other) and are
    /// summed in a fixed order at the end.
    @inline(__always) @usableFromInline
    static func accumulateRows(_ a: UnsafePointer<Float>, _ m: UnsafePointer<Float>, rows: Int, width: Int,
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
        while c < width {
            var s: Float = 0
            for r in 0 ..< rows { s += a[r] * m[r * width + c] }
            y[c] += s
            c += 1
        }
    }
}
