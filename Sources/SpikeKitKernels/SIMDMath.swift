import SpikeKitFormats
/// Vectorised elementary functions for the spike kernels.
@usableFromInline package enum SIMDMath {
    /// `Float(v)` lane by lane, which LLVM turns into one vcvtdq2ps per register (the vector initializer compiles
    /// to a call).
    @inlinable @inline(__always)
    package static func float(_ v: SIMD16<Int32>) -> SIMD16<Float> {
        var f = SIMD16<Float>()
        for l in 0 ..< 16 { f[l] = Float(v[l]) }
        return f
    }

    /// e^x for 16 floats (Cephes `expf`: range reduction by ln 2, a degree-5 polynomial in fused multiply-adds,
    /// exponent by bit manipulation). Relative error below 2e-7 on [-87, 88]; inputs are clamped to that range (e^-87.3 ≈ 1e-38,
    /// e^88.37 ≈ 2.4e38), NaN propagates.
    @_transparent
    package static func exp(_ x0: SIMD16<Float>) -> SIMD16<Float> {
        var x = x0.replacing(with: -87.3, where: x0 .< -87.3).replacing(with: 88.37, where: x0 .> 88.37)
        let fx = (x * 1.442_695_04 + 0.5).rounded(.down)
        x = x - fx * 0.693_359_375 - fx * -2.121_944_4e-4
        let z = x * x
        // Horner steps as fused multiply-adds (one instruction each instead of two).
        var y = SIMD16<Float>(repeating: 1.987_569_15e-4)
        y = SIMD16(repeating: 1.398_199_950_7e-3).addingProduct(y, x)
        y = SIMD16(repeating: 8.333_451_907_3e-3).addingProduct(y, x)
        y = SIMD16(repeating: 4.166_579_589_4e-2).addingProduct(y, x)
        y = SIMD16(repeating: 1.666_666_545_9e-1).addingProduct(y, x)
        y = SIMD16(repeating: 5.000_000_120_1e-1).addingProduct(y, x)
        y = x.addingProduct(y, z) + 1
        // 2^fx without a float-to-integer conversion: adding 2^23 puts the integer fx + 127 in the low mantissa bits.
        let biased = unsafeBitCast(fx + (127 + 8_388_608), to: SIMD16<UInt32>.self) & 0x7F_FFFF
        let scale = unsafeBitCast(biased &<< 23, to: SIMD16<Float>.self)
        let r = y * scale
        return r.replacing(with: x0, where: x0 .!= x0)
    }

    /// σ(x) = 1 / (1 + e^{-x}) for 16 floats. Arguments below -80 are taken as -80, so the result is at least
    /// e^-80 ≈ 1.8e-35 and never subnormal (subnormal quotients cost a microcode assist per lane on some CPUs); a
    /// draw ξ ∈ [0, 1) in steps of 2^-24 is below it exactly when it is below any smaller positive value.
    @_transparent
    package static func sigmoid(_ x: SIMD16<Float>) -> SIMD16<Float> {
        1 / onePlusExpNegative(x)
    }

    /// 1 + e^{-x}, the denominator of σ(x), with x clamped below at -80 as in `sigmoid`.
    @_transparent
    package static func onePlusExpNegative(_ x: SIMD16<Float>) -> SIMD16<Float> {
        1 + exp(-x.replacing(with: -80, where: x .< -80))
    }
}
