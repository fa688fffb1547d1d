import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine

/// How biased surrogate gradients are in stochastic LIF networks (issue 13; paper section 4 and "future research"):
/// every estimator of `dE[L]/dw` against the exact gradient from enumerating every spike pattern.
public enum SNNBiasAnalysis {
    /// The exact quantities of one network: no sampling error anywhere except `triplesVariance`.
    public struct ExactRow: Sendable {
        public var setup: SNNBiasSetup
        /// Stochastic neuron-steps enumerated (2^K paths).
        public var neuronSteps: Int
        public var meanLoss: Double
        public var gradientNorm: Double
        /// Stochastic SG: `‖E[SG] - g‖/‖g‖`, cosine and sign agreement of `E[SG]` with g, per-sample variance
        /// (mean over parameters).
        public var surrogateBias: Double
        public var surrogateCosine: Double
        public var surrogateSign: Double
        public var surrogateVariance: Double
        /// Deterministic SG (noise off) against the stochastic network's g.
        public var deterministicBias: Double
        public var deterministicCosine: Double
        public var deterministicSign: Double
        /// REINFORCE per-sample variance without baseline and with the baseline `E[L]` (exact, mean over parameters).
        public var reinforceVariance: Double
        public var reinforceBaselineVariance: Double
        /// Stochastic triples: per-sample variance from `triplesSamples` samples (mean over parameters), and their
        /// mean's bias in standard errors (≈ 1 when unbiased).
        public var triplesVariance: Double
        public var triplesBiasInStandardErrors: Double
        public var triplesSamples: Int
        /// Seconds the row took.
        public var seconds: Double
        /// The networks the row averages over (`mean`); 1 for one network.
        public var networks = 1
    }

    /// The exact row of `setup`, with `triplesSamples` stochastic-triple samples (seed stream 7).
    public static func exactRow(_ setup: SNNBiasSetup, triplesSamples: Int,
                                limit: Int = StochasticLIFNetwork.defaultEnumerationLimit) throws -> ExactRow {
        let clock = ContinuousClock()
        let start = clock.now
        let net = try setup.network()
        let exact = try net.exactExpectation(surrogate: true, limit: limit)
        let g = exact.gradient
        let sg = exact.surrogateGradientMean!
        var unused = PhiloxGenerator(seed: 0)  // the deterministic SG draws nothing
        let det = net.sampleGradient(.deterministicSurrogate, using: &unused)
        let triples = EstimatorStatistics.measure(.stochasticTriples, exact: g, exactMean: nil, samples: triplesSamples,
                                                  sampleCounts: [], seed: setup.seed, stream: 7) {
            net.sampleGradient(.stochasticTriples, using: &$0)
        }
        let gn = max(norm(g), 1e-300)
        func meanOf(_ v: [Double]) -> Double { v.reduce(0, +) / Double(max(v.count, 1)) }
        let elapsed = clock.now - start
        return ExactRow(
            setup: setup, neuronSteps: exact.stochasticNeuronSteps, meanLoss: exact.meanLoss, gradientNorm: norm(g),
            surrogateBias: norm(difference(sg, g)) / gn, surrogateCosine: cosineSimilarity(sg, g),
            surrogateSign: signAgreementFraction(sg, g), surrogateVariance: meanOf(exact.surrogateGradientVariance!),
            deterministicBias: norm(difference(det, g)) / gn, deterministicCosine: cosineSimilarity(det, g),
            deterministicSign: signAgreementFraction(det, g),
            reinforceVariance: meanOf(exact.reinforceVariance(baseline: 0)),
            reinforceBaselineVariance: meanOf(exact.reinforceVariance(baseline: exact.meanLoss)),
            triplesVariance: triples.meanVariance, triplesBiasInStandardErrors: triples.biasInStandardErrors,
            triplesSamples: triplesSamples,
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }

    /// The estimators the command compares, in its order: deterministic SG, stochastic SG, stochastic triples,
    /// REINFORCE without and with `baseline`, central finite differences (step `fdStep`) with common random numbers
    /// and with independent draws.
    public static func estimators(baseline: Double, finiteDifferenceStep fdStep: Double) -> [GradientEstimator] {
        [.deterministicSurrogate, .stochasticSurrogate, .stochasticTriples, .reinforce(baseline: nil),
         .reinforce(baseline: baseline), .finiteDifference(step: fdStep, commonRandomNumbers: true),
         .finiteDifference(step: fdStep, commonRandomNumbers: false)]
    }

    /// Every estimator of `estimators(baseline:finiteDifferenceStep:)` sampled `samples` times on `network` against its
    /// exact gradient. The REINFORCE baseline is the mean loss of 200 independent forward passes (stream 1000);
    /// estimator i draws from stream i + 1 of `seed`. The stochastic SG carries its exact expectation over all paths.
    public static func estimatorStatistics(_ network: StochasticLIFNetwork, samples: Int, sampleCounts: [Int], seed: UInt64,
                                           finiteDifferenceStep fdStep: Double,
                                           limit: Int = StochasticLIFNetwork.defaultEnumerationLimit,
                                           threads: Int = Parallel.defaultThreadCount) throws
        -> (exact: LIFExactExpectation, baseline: Double, statistics: [EstimatorStatistics]) {
        let exact = try network.exactExpectation(surrogate: true, limit: limit)
        var pilot = PhiloxGenerator(seed: seed, stream: 1_000)
        let baseline = network.sampledMeanLoss(samples: 200, using: &pilot)
        let list = estimators(baseline: baseline, finiteDifferenceStep: fdStep)
        let stats = try parallelMap(list.count, threads: threads) { i in
            let e = list[i]
            return EstimatorStatistics.measure(e, exact: exact.gradient, exactMean: e == .stochasticSurrogate ? exact.surrogateGradientMean : nil,
                                        samples: samples, sampleCounts: sampleCounts, seed: seed, stream: UInt64(i + 1)) {
                network.sampleGradient(e, using: &$0)
            }
        }
        return (exact, baseline, stats)
    }

    /// `exactRow` of every setup, on `threads` workers (the rows do not depend on the thread count).
    public static func exactRows(_ setups: [SNNBiasSetup], triplesSamples: Int,
                                 limit: Int = StochasticLIFNetwork.defaultEnumerationLimit,
                                 threads: Int = Parallel.defaultThreadCount) throws -> [ExactRow] {
        try parallelMap(setups.count, threads: threads) { try exactRow(setups[$0], triplesSamples: triplesSamples, limit: limit) }
    }

    /// The mean of several rows of one setting over networks drawn with different seeds (every number averaged; the
    /// setup and K of the first row). Networks whose loss does not depend on the weights (`‖g‖ < 1e-9`, e.g. a
    /// readout that never rises above its U[0], so that max-over-time picks step 0 for every class) are left out.
    public static func mean(_ all: [ExactRow]) -> ExactRow {
        precondition(!all.isEmpty, "no rows to average")
        let live = all.filter { $0.gradientNorm >= 1e-9 }
        let rows = live.isEmpty ? [all[0]] : live
        func avg(_ f: (ExactRow) -> Double) -> Double { rows.map(f).reduce(0, +) / Double(rows.count) }
        var m = rows[0]
        m.meanLoss = avg(\.meanLoss)
        m.gradientNorm = avg(\.gradientNorm)
        m.surrogateBias = avg(\.surrogateBias)
        m.surrogateCosine = avg(\.surrogateCosine)
        m.surrogateSign = avg(\.surrogateSign)
        m.surrogateVariance = avg(\.surrogateVariance)
        m.deterministicBias = avg(\.deterministicBias)
        m.deterministicCosine = avg(\.deterministicCosine)
        m.deterministicSign = avg(\.deterministicSign)
        m.reinforceVariance = avg(\.reinforceVariance)
        m.reinforceBaselineVariance = avg(\.reinforceBaselineVariance)
        m.triplesVariance = avg(\.triplesVariance)
        m.triplesBiasInStandardErrors = avg(\.triplesBiasInStandardErrors)
        m.seconds = all.map(\.seconds).reduce(0, +)
        m.networks = live.count
        return m
    }

    /// The sweep of the command: for each depth (the hidden sizes in `depths`), the base setup, then escape-noise
    /// steepness, surrogate steepness (relative to β), steps, bpReset on, same-step reset and recurrence varied
    /// one at a time.
    public static func sweep(base: SNNBiasSetup, depths: [[Int]], escapeBetas: [Double], surrogateFactors: [Double],
                             steps: [Int]) -> [(group: String, setup: SNNBiasSetup)] {
        var out: [(String, SNNBiasSetup)] = []
        for h in depths {
            var b = base
            b.hidden = h
            out.append(("base", b))
            for beta in escapeBetas where beta != b.escapeBeta {
                var s = b
                s.escapeBeta = beta
                s.surrogateBeta = nil
                out.append(("escape β", s))
            }
            for f in surrogateFactors where f != 1 {
                var s = b
                s.surrogateBeta = f * b.escapeBeta
                out.append(("surrogate β", s))
            }
            for t in steps where t != b.steps {
                var s = b
                s.steps = t
                out.append(("steps", s))
            }
            var s = b
            s.bpReset = !b.bpReset
            out.append(("bpReset", s))
            s = b
            s.reset = b.reset == .nextStep ? .sameStep : .nextStep
            out.append(("reset", s))
            s = b
            s.recurrent = !b.recurrent
            out.append(("recurrence", s))
        }
        return out
    }

    /// The control of claim 2: one stochastic LIF layer with a spiking output scored by its spike count, T = 3 (the
    /// input reaches the membrane at step 2 only, so one step depends on the weights): the stochastic SG with the
    /// matched surrogate is the exact gradient on average. Returns `‖E[SG] - g‖/‖g‖` and the network.
    public static func singleLayerControl(seed: UInt64, escapeBeta: Double, steps: Int = 3) throws -> (bias: Double, network: StochasticLIFNetwork) {
        let spike = try SpikeFunction(escape: .sigmoid(beta: escapeBeta), surrogate: .matched)
        let d = NetworkDescription(dt: 1e-3, input: InputDescription(shape: [3]), layers: [
            LayerDescription(kind: .lif, units: 3, tauMem: 2e-3, tauSyn: 1e-3, spike: spike),
        ])
        let a = try NetworkArchitecture(d)
        var rng = PhiloxGenerator(seed: seed, stream: 1)
        let w = (0..<9).map { _ in 1.5 + rng.normal() }
        let input = try SpikeTrains(steps: steps, units: 3, events: (0..<steps).flatMap { t in [(t, 0), (t, 2)] })
        let net = try StochasticLIFNetwork(architecture: a, flatParameters: w, input: input, objective: .outputSpikeCount)
        let exact = try net.exactExpectation()
        return (norm(difference(exact.surrogateGradientMean!, exact.gradient)) / max(norm(exact.gradient), 1e-300), net)
    }
}
