import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine
import RealModule

/// A value with a 95 % confidence interval (`mean ± 1.96 · standard error`; the interval collapses to the value when
/// there is only one observation).
public struct Estimate: Sendable, Equatable {
    public var value: Double
    public var lower: Double
    public var upper: Double

    public init(value: Double, lower: Double, upper: Double) {
        self.value = value
        self.lower = lower
        self.upper = upper
    }

    /// Mean and 95 % interval of observations.
    public init(observations xs: [Double]) {
        let n = Double(xs.count)
        var sum = 0.0
        for x in xs { sum += x }
        let m = sum / n
        guard xs.count > 1 else { self.init(value: m, lower: m, upper: m); return }
        var ss = 0.0
        for x in xs { ss += (x - m) * (x - m) }
        let v = ss / (n - 1)
        let half = 1.96 * (v / n).squareRoot()
        self.init(value: m, lower: m - half, upper: m + half)
    }
}

/// How an estimator's average over `n` samples compares with the exact gradient, averaged over the disjoint batches of
/// `n` samples the run holds (with 95 % intervals over batches).
public struct SampleCountPoint: Sendable, Equatable {
    /// Samples averaged per estimate.
    public var samples: Int
    /// Number of disjoint batches of `samples` the statistics are taken over.
    public var batches: Int
    /// `‖ĝ_n - g‖ / ‖g‖`.
    public var relativeError: Estimate
    /// `cos(ĝ_n, g)`.
    public var cosine: Estimate
    /// Fraction of parameters where `sign(ĝ_n) = sign(g)`.
    public var signAgreement: Estimate
}

/// The statistics of one estimator of `dE[y]/dθ` against the exact gradient `g` (SPEC section 3): mean, per-sample
/// variance, bias with its standard error, and the accuracy of averages over increasing sample counts.
public struct EstimatorStatistics: Sendable {
    /// The estimator.
    public var estimator: GradientEstimator
    /// Number of samples drawn (1 for a deterministic estimator).
    public var samples: Int
    /// Per parameter: the sample mean.
    public var mean: [Double]
    /// Per parameter: the per-sample variance (unbiased; 0 for a deterministic estimator).
    public var variance: [Double]
    /// Per parameter: the standard error of `mean`, `√(variance / samples)`.
    public var standardError: [Double]
    /// Per parameter: `mean - g`.
    public var bias: [Double]
    /// For pathwise estimators (stochastic SG, smoothed left/right/affine): the exact expectation over all paths,
    /// without sampling error; `nil` for the others.
    public var exactMean: [Double]?
    /// Accuracy against the number of samples averaged.
    public var curve: [SampleCountPoint]
    /// The exact gradient `g` the estimator is compared with.
    public var exact: [Double]

    /// `‖bias‖ / ‖g‖`.
    public var relativeBias: Double { norm(bias) / max(norm(exact), 1e-300) }
    /// `‖exactMean - g‖ / ‖g‖` (the bias without sampling error), when known.
    public var exactRelativeBias: Double? {
        guard let m = exactMean else { return nil }
        return norm(difference(m, exact)) / max(norm(exact), 1e-300)
    }
    /// The largest `|bias_k| / SE_k` over the parameters (∞ when a deterministic estimator is off by more than 1e-12).
    public var maxBiasInStandardErrors: Double {
        var z = 0.0
        for k in bias.indices {
            let b = abs(bias[k])
            let allowance = 1e-12 * max(1, abs(exact[k]))
            if b <= allowance { continue }
            z = max(z, standardError[k] > 0 ? b / standardError[k] : .infinity)
        }
        return z
    }
    /// `‖bias‖ / √(Σ_k SE_k²)`: the bias of the whole gradient in standard errors (about 1 for an unbiased estimator,
    /// whatever the number of parameters; ∞ when a deterministic estimator is off by more than 1e-12). Unlike the
    /// per-parameter z-scores it is not fooled by a parameter whose rare nonzero samples did not occur in the run.
    public var biasInStandardErrors: Double {
        let b = norm(bias)
        if b <= 1e-12 * max(1, norm(exact)) { return 0 }
        let se = norm(standardError)
        return se > 0 ? b / se : .infinity
    }
    /// Fraction of parameters whose bias is within `sigmas` standard errors (plus 1e-12 relative for rounding).
    public func fractionWithin(standardErrors sigmas: Double = 3) -> Double {
        var n = 0
        for k in bias.indices where abs(bias[k]) <= sigmas * standardError[k] + 1e-12 * max(1, abs(exact[k])) { n += 1 }
        return Double(n) / Double(max(bias.count, 1))
    }
    /// Whether every parameter's bias is within `sigmas` standard errors (plus 1e-12 relative for rounding).
    public func isUnbiased(withinStandardErrors sigmas: Double = 3) -> Bool {
        bias.indices.allSatisfy { abs(bias[$0]) <= sigmas * standardError[$0] + 1e-12 * max(1, abs(exact[$0])) }
    }
    /// Average over parameters of the per-sample variance.
    public var meanVariance: Double {
        var s = 0.0
        for v in variance { s += v }
        return s / Double(max(variance.count, 1))
    }
    /// Cosine between the sample mean and `g`.
    public var cosine: Double { cosineSimilarity(mean, exact) }
    /// Fraction of parameters where the sample mean has the sign of `g`.
    public var signAgreement: Double { signAgreementFraction(mean, exact) }

    /// Draws `samples` samples of `estimator` (from `PhiloxGenerator(seed:stream:)`) and measures them against
    /// `exact`; `sampleCounts` are the batch sizes of the accuracy curve (those larger than `samples` are dropped).
    public static func measure(_ estimator: GradientEstimator, on network: PerceptronMLP, exact: [Double],
                               samples: Int, sampleCounts: [Int], seed: UInt64, stream: UInt64) -> EstimatorStatistics {
        var exactMean: [Double]? = nil
        switch estimator {
        case .stochasticSurrogate:
            exactMean = try? network.pathExpectation { network.surrogateGradient(along: $0) }
        case .smoothed(let d):
            exactMean = try? network.pathExpectation { network.smoothedGradient(d, along: $0) }
        default: break
        }
        return measure(estimator, exact: exact, exactMean: exactMean, samples: samples, sampleCounts: sampleCounts,
                       seed: seed, stream: stream) { network.sampleGradient(estimator, using: &$0) }
    }

    /// Measures any sampler of `estimator` (`draw`, one sample per call from the generator it is handed) against
    /// `exact`; `exactMean` is the estimator's exact expectation where it is known.
    public static func measure(_ estimator: GradientEstimator, exact: [Double], exactMean: [Double]?, samples: Int,
                               sampleCounts: [Int], seed: UInt64, stream: UInt64,
                               draw: (inout PhiloxGenerator) -> [Double]) -> EstimatorStatistics {
        var rng = PhiloxGenerator(seed: seed, stream: stream)
        let n = estimator.isDeterministic ? 1 : max(samples, 1)
        let p = exact.count
        var draws = [[Double]]()
        draws.reserveCapacity(n)
        for _ in 0..<n { draws.append(draw(&rng)) }
        var mean = [Double](repeating: 0, count: p)
        for d in draws { for k in 0..<p { mean[k] += d[k] } }
        for k in 0..<p { mean[k] /= Double(n) }
        var variance = [Double](repeating: 0, count: p)
        if n > 1 {
            for d in draws { for k in 0..<p { variance[k] += (d[k] - mean[k]) * (d[k] - mean[k]) } }
            for k in 0..<p { variance[k] /= Double(n - 1) }
        }
        let se = variance.map { ($0 / Double(n)).squareRoot() }
        var curve: [SampleCountPoint] = []
        let counts = estimator.isDeterministic ? [1] : sampleCounts.filter { $0 >= 1 && $0 <= n }
        let gnorm = max(norm(exact), 1e-300)
        for m in counts {
            let batches = n / m
            var rel: [Double] = [], cos: [Double] = [], sign: [Double] = []
            for b in 0..<batches {
                var avg = [Double](repeating: 0, count: p)
                for d in draws[(b * m)..<((b + 1) * m)] { for k in 0..<p { avg[k] += d[k] } }
                for k in 0..<p { avg[k] /= Double(m) }
                rel.append(norm(difference(avg, exact)) / gnorm)
                cos.append(cosineSimilarity(avg, exact))
                sign.append(signAgreementFraction(avg, exact))
            }
            curve.append(SampleCountPoint(samples: m, batches: batches, relativeError: Estimate(observations: rel),
                                          cosine: Estimate(observations: cos), signAgreement: Estimate(observations: sign)))
        }
        return EstimatorStatistics(estimator: estimator, samples: n, mean: mean, variance: variance, standardError: se,
                                   bias: difference(mean, exact), exactMean: exactMean, curve: curve, exact: exact)
    }
}

/// Euclidean norm.

func norm(_ v: [Double]) -> Double {
    var s = 0.0
    for x in v { s += x * x }
    return s.squareRoot()
}

/// `a - b`, componentwise.
func difference(_ a: [Double], _ b: [Double]) -> [Double] {
    var d = a
    for k in d.indices { d[k] -= b[k] }
    return d
}

/// `a · b`.
func dot(_ a: [Double], _ b: [Double]) -> Double {
    var s = 0.0
    for k in a.indices { s += a[k] * b[k] }
    return s
}

/// Whether `a` and `b` have the same sign (0 counts as its own sign).
func sameSign(_ a: Double, _ b: Double) -> Bool { (a > 0) == (b > 0) && (a < 0) == (b < 0) }

/// `a·b / (‖a‖ ‖b‖)`; 0 when either is the zero vector.
func cosineSimilarity(_ a: [Double], _ b: [Double]) -> Double {
    let na = norm(a), nb = norm(b)
    guard na > 0, nb > 0 else { return 0 }
    return dot(a, b) / (na * nb)
}

/// Fraction of components where `a` and `b` have the same sign (0 counts as its own sign).
func signAgreementFraction(_ a: [Double], _ b: [Double]) -> Double {
    guard !a.isEmpty else { return 0 }
    var agree = 0
    for k in a.indices where sameSign(a[k], b[k]) { agree += 1 }
    return Double(agree) / Double(a.count)
}

extension GradientEstimator {
    /// Every estimator of SPEC section 3, in the order the tools report them: deterministic SG, stochastic SG,
    /// smoothed left, right and the affine combination with weight ½, stochastic triples, REINFORCE without and
    /// with `baseline`, and central finite differences with independent and common random numbers of step `fdStep`.
    public static func all(baseline: Double, finiteDifferenceStep fdStep: Double) -> [GradientEstimator] {
        [.deterministicSurrogate, .stochasticSurrogate, .smoothed(.left), .smoothed(.right),
         .smoothed(.affine(leftWeight: 0.5)), .stochasticTriples, .reinforce(baseline: nil),
         .reinforce(baseline: baseline), .finiteDifference(step: fdStep, commonRandomNumbers: false),
         .finiteDifference(step: fdStep, commonRandomNumbers: true)]
    }
}

extension PerceptronMLP {
    /// The mean output over `samples` stochastic forward passes: a baseline for REINFORCE that is independent of the
    /// samples it is used with when `rng` is a separate stream.
    public func sampledMeanOutput(samples: Int, using rng: inout PhiloxGenerator) -> Double {
        var sum = 0.0
        for _ in 0..<max(samples, 1) { sum += forward(uniforms: drawUniforms(using: &rng)).output }
        return sum / Double(max(samples, 1))
    }
}

/// 1, 3, 10, 30, ... up to `maximum`, with `maximum` itself last.
public func sampleCountGrid(upTo maximum: Int) -> [Int] {
    var out: [Int] = []
    var decade = 1
    while decade <= maximum {
        for m in [1, 3] where decade * m <= maximum { out.append(decade * m) }
        if decade > maximum / 10 { break }
        decade *= 10
    }
    if out.last != maximum { out.append(maximum) }
    return out
}
