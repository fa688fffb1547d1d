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
            for i in 0 ..< n { s[i] = xi[i] < 1 / (1 + Float.exp(-b * x[i])) ? 1 : 0 }
        case .exponential(let p0, let du):
            let a = Float(p0), d = Float(du)
            for i in 0 ..< n { s[i] = xi[i] < Swift.min(1, a * Float.exp(x[i] / d)) ? 1 : 0 }
        case .erf(let sigma):
            let k = 1 / (Float(sigma) * Float(2).squareRoot())
            for i in 0 ..< n { s[i] = xi[i] < (1 + Float.erf(x[i] * k)) / 2 ? 1 : 0 }
        }
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
        default:
            for i in 0 ..< n { sd[i] = sg.value(x[i], spike: Float(s[i])) }
        }
    }
}
