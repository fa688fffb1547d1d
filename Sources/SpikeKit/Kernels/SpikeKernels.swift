import RealModule

/// The spike nonlinearity over a vector of neurons: one switch per call, then a tight loop per kind.
enum SpikeKernels {
    /// `s[i] = spike(x[i])`: `1[x > 0]` for step escape noise, else `1[ξ_i < p(x_i)]`. Returns the spike count.
    @inline(__always)
    static func decide(_ escape: EscapeNoise, x: UnsafePointer<Float>, xi: UnsafePointer<Float>,
                       into s: UnsafeMutablePointer<UInt8>, count n: Int) {
        switch escape {
        case .step:
            for i in 0 ..< n { s[i] = x[i] > 0 ? 1 : 0 }
        case .sigmoid(let beta):
            let b = Float(beta)
            var i = 0
            while i + 16 <= n {
                let p = SIMDMath.sigmoid(b * load(x + i))
                store(load(xi + i) .< p, s + i)
                i += 16
            }
            while i < n {
                s[i] = xi[i] < 1 / (1 + Float.exp(-b * x[i])) ? 1 : 0
                i += 1
            }
        case .exponential(let p0, let du):
            let a = Float(p0), d = 1 / Float(du)
            var i = 0
            while i + 16 <= n {
                let e = a * SIMDMath.exp(load(x + i) * d)
                let p = e.replacing(with: 1, where: e .> 1)
                store(load(xi + i) .< p, s + i)
                i += 16
            }
            while i < n {
                s[i] = xi[i] < Swift.min(1, a * Float.exp(x[i] * d)) ? 1 : 0
                i += 1
            }
        case .erf(let sigma):
            let k = 1 / (Float(sigma) * Float(2).squareRoot())
            for i in 0 ..< n { s[i] = xi[i] < (1 + Float.erf(x[i] * k)) / 2 ? 1 : 0 }
        }
    }

    /// Sigmoid escape noise with its matched surrogate (the same β): the spike and `β p (1 - p)` from one
    /// evaluation of `p = σ(βx)`. Returns false (and does nothing) for any other pair.
    @inline(__always)
    static func decideMatchedSigmoid(_ escape: EscapeNoise, _ sg: ResolvedSurrogate, x: UnsafePointer<Float>,
                                     xi: UnsafePointer<Float>, spikes s: UnsafeMutablePointer<UInt8>,
                                     surrogate sd: UnsafeMutablePointer<Float>, count n: Int) -> Bool {
        guard case .sigmoid(let be) = escape, case .sigmoid(let bs) = sg, be == bs else { return false }
        let b = Float(be)
        var i = 0
        while i + 16 <= n {
            let p = SIMDMath.sigmoid(b * load(x + i))
            store(load(xi + i) .< p, s + i)
            UnsafeMutableRawPointer(sd + i).storeBytes(of: b * p * (1 - p), as: SIMD16<Float>.self)
            i += 16
        }
        while i < n {
            let p = 1 / (1 + Float.exp(-b * x[i]))
            s[i] = xi[i] < p ? 1 : 0
            sd[i] = b * p * (1 - p)
            i += 1
        }
        return true
    }

    /// `sd[i] = SD(x[i], s[i])` for the resolved surrogate.
    @inline(__always)
    static func surrogate(_ sg: ResolvedSurrogate, x: UnsafePointer<Float>, s: UnsafePointer<UInt8>,
                          into sd: UnsafeMutablePointer<Float>, count n: Int) {
        switch sg {
        case .superspike(let beta):
            let b = Float(beta)
            for i in 0 ..< n {
                let d = b * Swift.abs(x[i]) + 1
                sd[i] = 1 / (d * d)
            }
        case .superspikeAsymptotic(let beta):
            let b = Float(beta)
            for i in 0 ..< n {
                let d = b * Swift.abs(x[i]) + 1
                sd[i] = b / (d * d)
            }
        case .multilayerSpiker:
            for i in 0 ..< n { sd[i] = Float(s[i]) }
        case .sigmoid(let beta), .sigmoidScaled(let beta):
            let b = Float(beta)
            var scale: Float = 1
            if case .sigmoid = sg { scale = b }
            var i = 0
            while i + 16 <= n {
                let p = SIMDMath.sigmoid(b * load(x + i))
                UnsafeMutableRawPointer(sd + i).storeBytes(of: scale * p * (1 - p), as: SIMD16<Float>.self)
                i += 16
            }
            while i < n {
                let p = 1 / (1 + Float.exp(-b * x[i]))
                sd[i] = scale * p * (1 - p)
                i += 1
            }
        default:
            for i in 0 ..< n { sd[i] = sg.value(x[i], spike: Float(s[i])) }
        }
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    /// Stores a mask as 16 bytes of 0/1.
    @inline(__always)
    static func store(_ m: SIMDMask<SIMD16<Int32>>, _ s: UnsafeMutablePointer<UInt8>) {
        let bytes = SIMD16<UInt8>(truncatingIfNeeded: SIMD16<Int32>(repeating: 0).replacing(with: 1, where: m))
        UnsafeMutableRawPointer(s).storeBytes(of: bytes, as: SIMD16<UInt8>.self)
    }
}
