/// A vectorised finiteness test for Float buffers, shared by tensors and the engine's data checks.
public enum FiniteCheck {
    /// Whether every value is finite (no NaN, no infinity): `x · 0` is 0 for finite x and NaN otherwise.
    public static func allFinite(_ x: UnsafeBufferPointer<Float>) -> Bool {
        guard let base = x.baseAddress else { return true }
        let n = x.count, r = UnsafeRawPointer(base)
        var acc = SIMD16<Float>()
        var i = 0
        while i + 16 <= n {
            acc = acc.addingProduct(r.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self), SIMD16(repeating: 0))
            i += 16
        }
        while i < n {
            if !x[i].isFinite { return false }
            i += 1
        }
        return acc == SIMD16<Float>()
    }

}
