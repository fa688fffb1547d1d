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

    /// `y[0..<width] += Σ_r a[r] · M[r, 0..<width]` for a row-major `rows × width` matrix M: the accumulator stays
    /// in registers for each 16-wide column block.
    @inline(__always) @usableFromInline
    static func accumulateRows(_ a: UnsafePointer<Float>, _ m: UnsafePointer<Float>, rows: Int, width: Int,
                               into y: UnsafeMutablePointer<Float>) {
        var c = 0
        let rm = UnsafeRawPointer(m), ry = UnsafeMutableRawPointer(y)
        while c + 16 <= width {
            var acc = ry.loadUnaligned(fromByteOffset: 4 * c, as: SIMD16<Float>.self)
            for r in 0 ..< rows {
                acc = acc.addingProduct(SIMD16(repeating: a[r]),
                                        rm.loadUnaligned(fromByteOffset: 4 * (r * width + c), as: SIMD16<Float>.self))
            }
            ry.storeBytes(of: acc, toByteOffset: 4 * c, as: SIMD16<Float>.self)
            c += 16
        }
        while c < width {
            var s = y[c]
            for r in 0 ..< rows { s += a[r] * m[r * width + c] }
            y[c] = s
            c += 1
        }
    }
}
