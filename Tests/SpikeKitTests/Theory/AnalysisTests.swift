import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

/// SPEC section 4 / issue acceptance for the single-Perceptron, sign-flip and loop-integral analyses.
@Suite struct AnalysisTests {
    @Test func surrogateEqualsExpectedDerivativeAndAffineStochAD() throws {
        for beta in [1.0, 5, 20] {
            let spike = try SpikeFunction(escape: .sigmoid(beta: beta), surrogate: .matched)
            let a = SinglePerceptronAnalysis(spike: spike, grid: linspace(-2, 2, count: 401))
            #expect(a.largestDifference < 1e-12)
            // The left and right derivatives depend on y, but each averages to dE[y]/dU over y.
            var worst = 0.0
            for r in a.rows {
                let p = r.probability
                worst = max(worst, abs(p * r.left.y1 + (1 - p) * r.left.y0 - r.expectedDerivative))
                worst = max(worst, abs(p * r.right.y1 + (1 - p) * r.right.y0 - r.expectedDerivative))
            }
            #expect(worst < 1e-12)
        }
    }

    @Test func signFlipRegionExists() {
        let a = SignFlipAnalysis()
        let sg25 = a.surrogates[0]
        #expect(sg25.beta == 25)
        #expect(sg25.oppositeSignIntervals.count >= 1)
        let widest = sg25.oppositeSignIntervals.map { $0.upperBound - $0.lowerBound }.max() ?? 0
        #expect(widest > 0.01)
        #expect(sg25.signAgreement < 1)
        // Descending the surrogate gradient leads elsewhere than descending y.
        #expect(abs(sg25.argminIntegrated - a.argminOutput) > 0.01)
        // The region where the signs differ is one contiguous interval around the minimum of y.
        #expect(sg25.oppositeSignIntervals.count == 1)
        #expect(sg25.oppositeSignIntervals[0].contains(a.argminOutput + 0.001))
    }

    @Test func surrogateLoopIntegralsAreFarFromZeroTrueOnesVanish() {
        let a = LoopIntegralAnalysis()
        for b in [1.0, 5, 20] {
            let sg = a.loopIntegral(.surrogate(beta: b), points: 1500)
            let t = [100, 1500, 10000].map { abs(a.loopIntegral(.smoothedTrue(beta: b), points: $0)) }
            #expect(abs(sg) > 0.05, "SG loop integral for beta_SG = \(b)")
            #expect(abs(sg) > 1e6 * t[1])
            #expect(t[1] <= max(t[0], 1e-13) && t[2] <= max(t[1], 1e-13))
            #expect(t[2] < 1e-12)
        }
        // With the steepest smoothing the discretisation error at 100 points is visible and vanishes with more points.
        let coarse = abs(a.loopIntegral(.smoothedTrue(beta: 20), points: 100))
        #expect(coarse > 1e-4)
        #expect(abs(a.loopIntegral(.smoothedTrue(beta: 20), points: 1500)) < 1e-6 * coarse)
    }
}
