import SpikeKitFormats
import RealModule

/// The spike nonlinearity over a vector of neurons: one switch per call, then a tight loop per kind.
package enum SpikeKernels {
    /// `s[i] = spike(x[i])`: `1[x > 0]` for step escape noise, else `1[ξ_i < p(x_i)]`. Returns the spike count.
    @inline(__always)
    package static func decide(_ escape: EscapeNoise, x: UnsafePointer<Float>, xi: UnsafePointer<Float>,
                       into s: UnsafeMutablePointer<UInt8>, count n: Int) {
        switch escape {
        case .step:
            for i in 0 ..< n { s[i] = x[i] > 0 ? 1 : 0 }
        case .sigmoid(let beta):
            let b = Float(beta)
            // ξ < 1 / (1 + e^{-βx}) as ξ (1 + e^{-βx}) < 1: the same decision without a division. On AVX2 builds
            // the exponential is skipped for 16 neurons at once when none of them can spike (`sigmoidCannotSpike`;
            // most neurons are far below threshold); the decisions are the same bits either way. AVX-512 builds
            // take the exponential always: on the Zen 5 machine the data-dependent branch cost more than the 16-lane
            // exponential it saved, in the spike-train-matching network (whose hidden membranes sit near threshold)
            // and in SHD alike (the decisions' profile share fell by 7-12 % and by 30 %; Performance.md, tenth part).
            let rest = vectors(n) { i in
                let u = load(xi + i), z = b * load(x + i)
                #if SPIKEKIT_WIDE_REGISTERS
                store(u * SIMDMath.onePlusExpNegative(z) .< 1, s + i)
                #else
                if sigmoidCannotSpike(z, u) {
                    UnsafeMutableRawPointer(s + i).storeBytes(of: SIMD16<UInt8>(), as: SIMD16<UInt8>.self)
                } else {
                    store(u * SIMDMath.onePlusExpNegative(z) .< 1, s + i)
                }
                #endif
            }
            for i in rest { s[i] = xi[i] < 1 / (1 + Float.exp(-b * x[i])) ? 1 : 0 }
        case .exponential(let p0, let du):
            let a = Float(p0), d = 1 / Float(du)
            let rest = vectors(n) { i in
                let e = a * SIMDMath.exp(load(x + i) * d)
                store(load(xi + i) .< e.replacing(with: 1, where: e .> 1), s + i)
            }
            for i in rest { s[i] = xi[i] < Swift.min(1, a * Float.exp(x[i] * d)) ? 1 : 0 }
        case .erf(let sigma):
            let k = 1 / (Float(sigma) * Float(2).squareRoot())
            for i in 0 ..< n { s[i] = xi[i] < (1 + Float.erf(x[i] * k)) / 2 ? 1 : 0 }
        case .user(let u):
            let f = u.function
            for i in 0 ..< n { s[i] = xi[i] < f.probability(x[i]) ? 1 : 0 }
        }
    }

    /// Whether none of 16 lanes can pass `ξ (1 + e^{-z}) < 1` (z clamped below at -80 as in
    /// `SIMDMath.onePlusExpNegative`), from a bound that needs no exponential: for ξ = 2^E (1 + f) with f ∈ [0, 1),
    /// log₂ ξ = E + log₂(1 + f) ≥ E + f = bits(ξ) · 2⁻²³ − 127, so ln ξ ≥ ln 2 · (bits(ξ) · 2⁻²³ − 127). Where
    /// z ≤ that bound − 10⁻³, ξ e^{-z} ≥ e^{10⁻³} > 1 + 10⁻³, which no rounding of the exact test (a few ulps) brings
    /// below 1. ξ = 0 gives the bound −88 < −80: never rejected, as the exact test always spikes there. NaN lanes
    /// compare false and are left to the exact test.
    @inline(__always)
    package static func sigmoidCannotSpike(_ z: SIMD16<Float>, _ xi: SIMD16<Float>) -> Bool {
        let zc = z.replacing(with: -80, where: z .< -80)
        let bits = SIMDMath.float(unsafeBitCast(xi, to: SIMD16<Int32>.self))
        let ln2: Float = 0.693_147_2
        let bound = bits * (ln2 / 8_388_608) - (127 * ln2 + 1e-3)
        return all(zc .<= bound)
    }

    /// Sigmoid escape noise with its matched surrogate (the same β): the spike and `β p (1 - p)` from one
    /// evaluation of `p = σ(βx)`. Returns false (and does nothing) for any other pair.
    @inline(__always)
    package static func decideMatchedSigmoid(_ escape: EscapeNoise, _ sg: ResolvedSurrogate, x: UnsafePointer<Float>,
                                     xi: UnsafePointer<Float>, spikes s: UnsafeMutablePointer<UInt8>,
                                     surrogate sd: UnsafeMutablePointer<Float>, count n: Int) -> Bool {
        guard case .sigmoid(let be) = escape, case .sigmoid(let bs) = sg, be == bs else { return false }
        let b = Float(be)
        let rest = vectors(n) { i in
            let p = SIMDMath.sigmoid(b * load(x + i))
            store(load(xi + i) .< p, s + i)
            UnsafeMutableRawPointer(sd + i).storeBytes(of: b * p * (1 - p), as: SIMD16<Float>.self)
        }
        for i in rest {
            let p = 1 / (1 + Float.exp(-b * x[i]))
            s[i] = xi[i] < p ? 1 : 0
            sd[i] = b * p * (1 - p)
        }
        return true
    }

    /// `sd[i] = SD(x[i], s[i])` for the resolved surrogate.
    @inline(__always)
    package static func surrogate(_ sg: ResolvedSurrogate, x: UnsafePointer<Float>, s: UnsafePointer<UInt8>,
                          into sd: UnsafeMutablePointer<Float>, count n: Int) {
        switch sg {
        case .superspike(let beta), .superspikeAsymptotic(let beta):
            let b = Float(beta)
            var scale: Float = 1
            if case .superspikeAsymptotic = sg { scale = b }
            let rest = vectors(n) { i in
                let d = b * abs(load(x + i)) + 1
                UnsafeMutableRawPointer(sd + i).storeBytes(of: scale / (d * d), as: SIMD16<Float>.self)
            }
            for i in rest {
                let d = b * Swift.abs(x[i]) + 1
                sd[i] = scale / (d * d)
            }
        case .multilayerSpiker:
            for i in 0 ..< n { sd[i] = Float(s[i]) }
        case .sigmoid(let beta), .sigmoidScaled(let beta):
            let b = Float(beta)
            var scale: Float = 1
            if case .sigmoid = sg { scale = b }
            let rest = vectors(n) { i in
                let p = SIMDMath.sigmoid(b * load(x + i))
                UnsafeMutableRawPointer(sd + i).storeBytes(of: scale * p * (1 - p), as: SIMD16<Float>.self)
            }
            for i in rest {
                let p = 1 / (1 + Float.exp(-b * x[i]))
                sd[i] = scale * p * (1 - p)
            }
        case .user(let u):
            let f = u.function
            for i in 0 ..< n { sd[i] = f.value(x[i], spike: Float(s[i])) }
        default:
            for i in 0 ..< n { sd[i] = sg.value(x[i], spike: Float(s[i])) }
        }
    }

    /// Runs `body(i)` on 16-element vectors starting at i = 0, 16, ... covering `0 ..< n`; when n is not a multiple
    /// of 16 the last vector starts at n - 16 and overlaps the one before, which is harmless for element-wise
    /// kernels whose outputs depend only on their own element (every value is then computed by the same vector
    /// code). Returns the indices left for scalar code: all of them when n < 16, else none.
    @inline(__always)
    package static func vectors(_ n: Int, _ body: (Int) -> Void) -> Range<Int> {
        guard n >= 16 else { return 0 ..< n }
        var i = 0
        while i + 16 <= n {
            body(i)
            i += 16
        }
        if i < n { body(n - 16) }
        return n ..< n
    }

    /// |x| by clearing the sign bits.
    @inline(__always)
    package static func abs(_ x: SIMD16<Float>) -> SIMD16<Float> {
        unsafeBitCast(unsafeBitCast(x, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF, to: SIMD16<Float>.self)
    }

    @inline(__always)
    package static func load(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    /// Stores a mask as 16 bytes of 0/1.
    @inline(__always)
    package static func store(_ m: SIMDMask<SIMD16<Int32>>, _ s: UnsafeMutablePointer<UInt8>) {
        // Lane by lane, which LLVM turns into one masked byte move (the vector `truncatingIfNeeded` initializer
        // compiles to a chain of extracts and shuffles).
        let words = SIMD16<Int32>(repeating: 0).replacing(with: 1, where: m)
        var bytes = SIMD16<UInt8>()
        for l in 0 ..< 16 { bytes[l] = UInt8(truncatingIfNeeded: words[l]) }
        UnsafeMutableRawPointer(s).storeBytes(of: bytes, as: SIMD16<UInt8>.self)
    }
}
