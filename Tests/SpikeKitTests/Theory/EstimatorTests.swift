import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

/// SPEC section 3 / issue acceptance: which estimators are unbiased for dE[y]/dθ on small fixed-seed networks.
@Suite struct EstimatorTests {
    static let spike = try! SpikeFunction(escape: .sigmoid(beta: 2), surrogate: .matched)

    static func network(_ sizes: [Int], seed: UInt64 = 7) -> PerceptronMLP {
        try! PerceptronMLP.random(inputSize: 3, sizes: sizes, spike: spike, seed: seed)
    }

    @Test func exactGradientMatchesFiniteDifferencesOfExactMean() throws {
        var net = Self.network([3, 2, 1])
        let exact = try net.exactExpectation()
        let h = 1e-5
        for k in 0..<net.parameterCount {
            let t = net[parameter: k]
            net[parameter: k] = t + h
            let plus = try net.exactExpectation().mean
            net[parameter: k] = t - h
            let minus = try net.exactExpectation().mean
            net[parameter: k] = t
            #expect(abs((plus - minus) / (2 * h) - exact.gradient[k]) < 1e-8)
        }
    }

    @Test func exactGradientOfMixedNetworkWithDeterministicLayer() throws {
        let base = Self.network([3, 2, 1], seed: 21)
        let step = SpikeFunction.deterministic(beta: 10)
        var layers = base.layers
        layers[1].spike = step
        var net = try PerceptronMLP(input: base.input, layers: layers)
        #expect(net.stochasticHiddenUnits == 3)
        let exact = try net.exactExpectation()
        let h = 1e-6
        for k in 0..<net.parameterCount {
            let t = net[parameter: k]
            net[parameter: k] = t + h
            let plus = try net.exactExpectation().mean
            net[parameter: k] = t - h
            let minus = try net.exactExpectation().mean
            net[parameter: k] = t
            #expect(abs((plus - minus) / (2 * h) - exact.gradient[k]) < 1e-7, "parameter \(k)")
        }
        // Probabilities of all paths sum to 1 and reproduce E[y].
        var total = 0.0, mean = 0.0
        try net.forEachPath { path, p in total += p; mean += p * path.output }
        #expect(abs(total - 1) < 1e-12)
        #expect(abs(mean - exact.mean) < 1e-12)
    }

    @Test func enumerationRefusesLargeNetworks() {
        let net = Self.network([12, 10, 1])
        #expect(net.stochasticHiddenUnits == 22)
        #expect {
            try net.exactExpectation()
        } throws: { error in
            "\(error)".contains("22 stochastic hidden units") && "\(error)".contains("20")
        }
    }

    @Test func singleLayerStochasticSurrogateIsExact() throws {
        let net = Self.network([1])
        let exact = try net.exactExpectation().gradient
        let stats = EstimatorStatistics.measure(.stochasticSurrogate, on: net, exact: exact, samples: 200,
                                                sampleCounts: [1, 10, 100], seed: 1, stream: 1)
        #expect(stats.isUnbiased(withinStandardErrors: 3))
        #expect(stats.exactRelativeBias! < 1e-12)
        for d in [SmoothedStochasticDerivative.left, .right, .affine(leftWeight: 0.3)] {
            let s = EstimatorStatistics.measure(.smoothed(d), on: net, exact: exact, samples: 2000, sampleCounts: [1],
                                                seed: 1, stream: 2)
            #expect(s.isUnbiased(withinStandardErrors: 3), "\(d)")
            #expect(s.exactRelativeBias! < 1e-12, "\(d)")
        }
    }

    @Test func deepStochasticSurrogateIsBiasedWhileTriplesAndReinforceAreNot() throws {
        let net = Self.network([3, 2, 1])
        let exact = try net.exactExpectation().gradient
        let sg = EstimatorStatistics.measure(.stochasticSurrogate, on: net, exact: exact, samples: 4000,
                                             sampleCounts: [1], seed: 3, stream: 1)
        #expect(sg.exactRelativeBias! > 0.01)
        #expect(sg.biasInStandardErrors > 3)
        for (i, e) in [GradientEstimator.stochasticTriples, .reinforce(baseline: nil), .reinforce(baseline: 0.5)].enumerated() {
            let s = EstimatorStatistics.measure(e, on: net, exact: exact, samples: 4000, sampleCounts: [1],
                                                seed: 3, stream: UInt64(10 + i))
            #expect(s.biasInStandardErrors < 3, "\(e)")
            #expect(s.fractionWithin(standardErrors: 3) >= 0.9, "\(e)")
        }
    }

    @Test func commonRandomNumbersReduceFiniteDifferenceVariance() throws {
        let net = Self.network([3, 2, 1])
        let exact = try net.exactExpectation().gradient
        let indep = EstimatorStatistics.measure(.finiteDifference(step: 0.01, commonRandomNumbers: false), on: net,
                                                exact: exact, samples: 400, sampleCounts: [1], seed: 5, stream: 1)
        let crn = EstimatorStatistics.measure(.finiteDifference(step: 0.01, commonRandomNumbers: true), on: net,
                                              exact: exact, samples: 400, sampleCounts: [1], seed: 5, stream: 2)
        #expect(indep.meanVariance / crn.meanVariance > 100)
    }

    @Test func deterministicSurrogateHasSelectionBias() throws {
        let net = Self.network([3, 2, 1])
        let exact = try net.exactExpectation().gradient
        let det = EstimatorStatistics.measure(.deterministicSurrogate, on: net, exact: exact, samples: 10,
                                              sampleCounts: [1], seed: 0, stream: 0)
        #expect(det.samples == 1)
        #expect(det.relativeBias > 0.01)
    }

    @Test func stochasticTriplesWithPruningAreUnbiasedAlongADirection() throws {
        // Along a dense direction every unit of every layer may jump, so candidate paths meet and are pruned.
        let net = Self.network([3, 2, 1], seed: 11)
        let exact = try net.exactExpectation().gradient
        var rng = PhiloxGenerator(seed: 4, stream: 9)
        let v = (0..<net.parameterCount).map { _ in rng.normal() }
        let target = zip(exact, v).reduce(0.0) { $0 + $1.0 * $1.1 }
        var sum = 0.0, sumSq = 0.0
        let n = 20_000
        for _ in 0..<n {
            let xi = net.drawUniforms(using: &rng)
            let d = net.stochasticTripleDerivative(direction: v, uniforms: xi, path: net.forward(uniforms: xi), using: &rng)
            sum += d
            sumSq += d * d
        }
        let mean = sum / Double(n)
        let se = ((sumSq / Double(n) - mean * mean) / Double(n - 1)).squareRoot()
        #expect(abs(mean - target) < 3 * se, "mean \(mean) exact \(target) se \(se)")
    }
}
