import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

/// Surrogates and escape probabilities against their formulas (written out independently here) and against
/// central finite differences of their antiderivatives.
@Suite struct SpikeFunctionTests {
    static let xs: [Double] = stride(from: -1.5, through: 1.5, by: 0.0625).map { $0 + 0.01 }

    func sigma(_ z: Double) -> Double { 1 / (1 + exp(-z)) }

    /// (surrogate, closed form, antiderivative or nil)
    var cases: [(ResolvedSurrogate, (Double) -> Double, ((Double) -> Double)?)] {
        let b = 7.0
        return [
            (.superspike(beta: b), { 1 / pow(b * abs($0) + 1, 2) }, { $0 / (1 + b * abs($0)) }),
            (.superspikeAsymptotic(beta: b), { b / pow(b * abs($0) + 1, 2) }, { b * $0 / (1 + b * abs($0)) }),
            (.sigmoid(beta: b), { b * self.sigma(b * $0) * (1 - self.sigma(b * $0)) }, { self.sigma(b * $0) }),
            (.sigmoidScaled(beta: b), { self.sigma(b * $0) * (1 - self.sigma(b * $0)) }, { self.sigma(b * $0) / b }),
            (.piecewiseLinear(beta: 2), { max(0, 1 - 2 * abs($0)) }, { x in
                let c = min(max(x, -0.5), 0.5)
                return c - 2 * c * abs(c) / 2
            }),
            (.exponential(p0: 0.05, du: 0.2), { 0.05 / 0.2 * exp($0 / 0.2) }, { 0.05 * exp($0 / 0.2) }),
            (.exponentialClipped(p0: 0.05, du: 0.2), { 0.05 * exp($0 / 0.2) < 1 ? 0.05 / 0.2 * exp($0 / 0.2) : 0 },
             { min(1, 0.05 * exp($0 / 0.2)) }),
            (.gaussian(sigma: 0.3), { exp(-$0 * $0 / (2 * 0.09)) / (0.3 * sqrt(2 * Double.pi)) },
             { 0.5 * (1 + erf($0 / (0.3 * sqrt(2)))) }),
        ]
    }

    @Test func surrogatesMatchFormulas() {
        for (sg, formula, _) in cases {
            for x in Self.xs {
                let got: Double = sg.value(x, spike: 0)
                #expect(abs(got - formula(x)) <= 1e-12 * max(1, abs(formula(x))), "\(sg) at \(x)")
                let gotF: Float = sg.value(Float(x), spike: 0)
                #expect(abs(Double(gotF) - formula(Double(Float(x)))) <= 1e-5 * max(1, abs(formula(x))), "\(sg) Float at \(x)")
            }
        }
        #expect(ResolvedSurrogate.multilayerSpiker.value(0.3, spike: 1.0) == 1.0)
        #expect(ResolvedSurrogate.multilayerSpiker.value(0.3, spike: 0.0) == 0.0)
    }

    @Test func surrogatesAreDerivativesOfTheirAntiderivatives() {
        let h = 1e-6
        for (sg, _, anti) in cases {
            guard let F = anti else { continue }
            for x in Self.xs {
                // Skip kinks of piecewise definitions.
                if case .piecewiseLinear = sg, abs(abs(x) - 0.5) < 1e-3 || abs(x) < 1e-3 { continue }
                if case .exponentialClipped = sg, abs(0.05 * exp(x / 0.2) - 1) < 1e-3 { continue }
                let fd = (F(x + h) - F(x - h)) / (2 * h)
                let sd: Double = sg.value(x, spike: 0)
                #expect(abs(fd - sd) <= 1e-5 * max(1, abs(sd)), "\(sg) at \(x): fd \(fd) vs \(sd)")
            }
        }
    }

    @Test func escapeProbabilitiesMatchFormulas() {
        for x in Self.xs {
            #expect(EscapeNoise.step.probability(x) == (x > 0 ? 1 : 0))
            #expect(abs(EscapeNoise.sigmoid(beta: 5).probability(x) - 1 / (1 + exp(-5 * x))) < 1e-14)
            #expect(abs(EscapeNoise.exponential(p0: 0.1, du: 0.3).probability(x) - min(1, 0.1 * exp(x / 0.3))) < 1e-14)
            #expect(abs(EscapeNoise.erf(sigma: 0.4).probability(x) - 0.5 * (1 + erf(x / (0.4 * sqrt(2))))) < 1e-14)
        }
    }

    @Test func matchedResolvesToTheEscapeDerivative() throws {
        #expect(try SpikeFunction(escape: .sigmoid(beta: 3), surrogate: .matched).resolvedSurrogate == .sigmoid(beta: 3))
        #expect(try SpikeFunction(escape: .erf(sigma: 0.2), surrogate: .matched).resolvedSurrogate == .gaussian(sigma: 0.2))
        #expect(try SpikeFunction(escape: .exponential(p0: 0.1, du: 0.2), surrogate: .matched).resolvedSurrogate
            == .exponentialClipped(p0: 0.1, du: 0.2))
        #expect(throws: SpikeKitError.self) { try SpikeFunction(escape: .step, surrogate: .matched) }
        #expect(throws: SpikeKitError.self) { try SpikeFunction(escape: .sigmoid(beta: -1), surrogate: .superspike(beta: 10)) }
        #expect(throws: SpikeKitError.self) { try SpikeFunction(escape: .step, surrogate: .superspike(beta: .nan)) }
        // The matched surrogate is the derivative of the escape probability (finite difference).
        for escape in [EscapeNoise.sigmoid(beta: 4), .erf(sigma: 0.3), .exponential(p0: 0.2, du: 0.5)] {
            let f = try SpikeFunction(escape: escape, surrogate: .matched)
            for x in [-0.7, -0.2, 0.05, 0.3] {
                let fd = (escape.probability(x + 1e-6) - escape.probability(x - 1e-6)) / 2e-6
                #expect(abs(fd - f.surrogateDerivative(x, spike: 0)) < 1e-6)
            }
        }
    }

    /// Spike frequency over many Philox draws equals p within 4 standard errors, through the engine's kernel.
    @Test func stochasticSpikeFrequencyMatchesProbability() {
        let n = 200_000
        let philox = Philox(seed: 42)
        let xi = UnsafeMutableBufferPointer<Float>.allocate(capacity: n)
        let x = UnsafeMutableBufferPointer<Float>.allocate(capacity: n)
        let s = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: n)
        defer { xi.deallocate(); x.deallocate(); s.deallocate() }
        for escape in [EscapeNoise.sigmoid(beta: 10), .exponential(p0: 0.05, du: 0.2), .erf(sigma: 0.25)] {
            for (k, u) in [-0.2, -0.05, 0.0, 0.1].enumerated() {
                philox.fillUniform(xi, stream: 7, a: UInt32(k), b: 0, c: 0)
                for i in 0 ..< n { x[i] = Float(u) }
                SpikeKernels.decide(escape, x: x.baseAddress!, xi: xi.baseAddress!, into: s.baseAddress!, count: n)
                let freq = Double(s.reduce(0) { $0 + Int($1) }) / Double(n)
                let p = escape.probability(u)
                let se = sqrt(p * (1 - p) / Double(n))
                #expect(abs(freq - p) <= 4 * se + 1e-9, "\(escape) at x = \(u): \(freq) vs \(p)")
            }
        }
    }

    @Test func codableRoundTrip() throws {
        let f = try SpikeFunction(escape: .exponential(p0: 0.05, du: 0.2), surrogate: .piecewiseLinear(beta: 2), bpReset: true)
        let data = try JSONEncoder().encode(f)
        #expect(try JSONDecoder().decode(SpikeFunction.self, from: data) == f)
        let bad = Data(#"{"escape": {"kind": "gumbel"}, "surrogate": {"kind": "superspike", "beta": 10}}"#.utf8)
        #expect(throws: SpikeKitError.self) { try JSONDecoder().decode(SpikeFunction.self, from: bad) }
    }
}
