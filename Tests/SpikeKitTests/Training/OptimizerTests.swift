import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

/// Small parameter sets for the optimizer tests: one dense layer with a recurrent matrix, one without.
private func parameters(_ w0: [Float], _ r0: [Float], _ w1: [Float]) -> NetworkParameters {
    NetworkParameters(feedForward: [try! Tensor(shape: [2, 2], scalars: w0), try! Tensor(shape: [1, 2], scalars: w1)],
                      recurrent: [try! Tensor(shape: [2, 2], scalars: r0), nil])
}

private func flat(_ p: NetworkParameters) -> [Float] { p.named.flatMap { $0.tensor.scalars } }

/// A fixed sequence of gradients with mixed signs, magnitudes and a zero.
private func gradients(step: Int) -> NetworkParameters {
    let s = Float(step + 1)
    return parameters([0.5 * s, -1.5, 0, 2 / s], [0.25, -0.75 * s, 3, -0.1], [1e-3 * s, -4])
}

private let start = parameters([0.1, -0.2, 0.3, 0.4], [0, 1, -1, 0.5], [2, -3])

/// Direct transcription of SPEC section 7's SMORMS3, in Double, for one element.
private struct SMORMS3Reference {
    var mem = 1.0, g = 0.0, g2 = 0.0
    mutating func step(_ w: inout Double, _ d: Double, lr: Double, eps: Double) {
        let r = 1 / (mem + 1)
        g = (1 - r) * g + r * d
        g2 = (1 - r) * g2 + r * d * d
        mem = 1 + mem * (1 - g * g / (g2 + eps))
        w = w - min(lr, g * g / (g2 + eps)) * d / (g2.squareRoot() + eps)
    }
}

/// Direct transcription of torch.optim.Adam, in Double, for one element.
private struct AdamReference {
    var m = 0.0, v = 0.0, t = 0.0
    mutating func step(_ w: inout Double, _ d: Double, lr: Double, b1: Double, b2: Double, eps: Double) {
        t += 1
        m = b1 * m + (1 - b1) * d
        v = b2 * v + (1 - b2) * d * d
        let mHat = m / (1 - pow(b1, t)), vHat = v / (1 - pow(b2, t))
        w = w - lr * mHat / (vHat.squareRoot() + eps)
    }
}

private func close(_ a: [Float], _ b: [Double], rel: Double = 2e-5, abs: Double = 1e-6) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { x, y in Swift.abs(Double(x) - y) <= abs + rel * Swift.abs(y) }
}

@Suite struct OptimizerTests {
    @Test func gradientDescentStep() {
        var p = start
        var opt = GradientDescent(learningRate: 0.1)
        opt.step(parameters: &p, gradients: gradients(step: 0))
        let expected = zip(flat(start), flat(gradients(step: 0))).map { Double($0) - 0.1 * Double($1) }
        #expect(close(flat(p), expected))
        #expect(opt.state.isEmpty)
    }

    @Test func smorms3MatchesTranscription() {
        var p = start
        var opt = SMORMS3(learningRate: 0.01)
        var refW = flat(start).map(Double.init)
        var ref = [SMORMS3Reference](repeating: .init(), count: refW.count)
        for s in 0 ..< 6 {
            let g = flat(gradients(step: s))
            opt.step(parameters: &p, gradients: gradients(step: s))
            for k in refW.indices { ref[k].step(&refW[k], Double(g[k]), lr: 0.01, eps: 1e-16) }
            #expect(close(flat(p), refW), "step \(s): \(flat(p)) vs \(refW)")
        }
        // The zero gradient leaves its element untouched and its g2 at zero.
        #expect(opt.state["layer0.weight.g2"]!.scalars[2] == 0)
        #expect(Set(opt.state.keys) == ["layer0.weight.mem", "layer0.weight.g", "layer0.weight.g2",
                                        "layer0.recurrent.mem", "layer0.recurrent.g", "layer0.recurrent.g2",
                                        "layer1.weight.mem", "layer1.weight.g", "layer1.weight.g2"])
    }

    @Test func smorms3FirstStepByHand() {
        // First step: r = 1/2, g = ∇/2, g2 = ∇²/2, g²/(g2+ε) = 1/2, so w ← w - min(η, 1/2) ∇ / (|∇|/√2).
        var p = NetworkParameters(feedForward: [try! Tensor(shape: [1, 1], scalars: [1])], recurrent: [nil])
        var opt = SMORMS3(learningRate: 0.01)
        opt.step(parameters: &p, gradients: NetworkParameters(feedForward: [try! Tensor(shape: [1, 1], scalars: [-2])],
                                                               recurrent: [nil]))
        #expect(Swift.abs(p.feedForward[0].scalars[0] - Float(1 + 0.01 * 2.0.squareRoot())) < 1e-6)
        #expect(opt.state["layer0.weight.mem"]!.scalars == [1.5])
    }

    @Test func adamMatchesTranscription() {
        var p = start
        var opt = Adam(learningRate: 0.05)
        var refW = flat(start).map(Double.init)
        var ref = [AdamReference](repeating: .init(), count: refW.count)
        for s in 0 ..< 6 {
            let g = flat(gradients(step: s))
            opt.step(parameters: &p, gradients: gradients(step: s))
            for k in refW.indices { ref[k].step(&refW[k], Double(g[k]), lr: 0.05, b1: 0.9, b2: 0.999, eps: 1e-8) }
            #expect(close(flat(p), refW), "step \(s): \(flat(p)) vs \(refW)")
        }
        #expect(opt.stepCount == 6)
        #expect(opt.state["step"]!.scalars == [6])
    }

    /// f(w) = Σ_k a_k (w_k - c_k)², ∇ = 2 a (w - c): badly conditioned (a from 0.1 to 10).
    @Test func adamAndSMORMS3MinimiseAQuadratic() {
        // The parameter layout has 10 elements; use a 10-element quadratic.
        let a: [Float] = [0.1, 1, 10, 3, 0.5, 2, 7, 0.3, 4, 0.2]
        let c: [Float] = [1, -2, 0.5, 3, -1, 0.25, -0.5, 2, -1.5, 0.75]
        func loss(_ w: [Float]) -> Double {
            zip(zip(a, c), w).reduce(0) { $0 + Double($1.0.0) * Double($1.1 - $1.0.1) * Double($1.1 - $1.0.1) }
        }
        func run(_ optimizer: some Optimizer, steps: Int) -> Double {
            var opt = optimizer
            var p = parameters([0, 0, 0, 0], [0, 0, 0, 0], [0, 0])
            for _ in 0 ..< steps {
                let g = zip(zip(a, c), flat(p)).map { 2 * $0.0 * ($1 - $0.1) }
                opt.step(parameters: &p, gradients: parameters(Array(g[0 ..< 4]), Array(g[4 ..< 8]), Array(g[8 ..< 10])))
            }
            return loss(flat(p))
        }
        let initial = loss([Float](repeating: 0, count: 10))
        let adam = run(Adam(learningRate: 0.05), steps: 2000)
        let smorms3 = run(SMORMS3(learningRate: 0.05), steps: 2000)
        #expect(initial > 10)
        #expect(adam < 1e-6 * initial, "Adam left loss \(adam)")
        #expect(smorms3 < 1e-6 * initial, "SMORMS3 left loss \(smorms3)")
    }

    @Test(arguments: [OptimizerConfiguration.smorms3(learningRate: 0.01, epsilon: 1e-16),
                      .adam(learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8),
                      .gradientDescent(learningRate: 0.1)])
    func stateRoundTripContinuesIdentically(_ config: OptimizerConfiguration) throws {
        var straight = config.makeOptimizer()
        var p = start
        for s in 0 ..< 3 { straight.step(parameters: &p, gradients: gradients(step: s)) }
        // Save state, build a fresh optimizer from the configuration, restore, continue.
        let saved = straight.state
        let savedParameters = p
        var resumed = config.makeOptimizer()
        try resumed.restoreState(saved, for: savedParameters)
        #expect(resumed.configuration == config)
        var q = savedParameters
        for s in 3 ..< 6 {
            straight.step(parameters: &p, gradients: gradients(step: s))
            resumed.step(parameters: &q, gradients: gradients(step: s))
        }
        #expect(p == q)
    }

    @Test func restoreRejectsMismatchedState() {
        var opt = SMORMS3(learningRate: 0.01)
        var p = start
        opt.step(parameters: &p, gradients: gradients(step: 0))
        var s = opt.state
        s["layer0.weight.g"] = Tensor(zeros: [3])
        var fresh = SMORMS3(learningRate: 0.01)
        #expect(throws: SpikeKitError.self) { try fresh.restoreState(s, for: p) }
        s = opt.state
        s.removeValue(forKey: "layer1.weight.mem")
        #expect(throws: SpikeKitError.self) { try fresh.restoreState(s, for: p) }
        s = opt.state
        s["layer7.weight.g"] = Tensor(zeros: [1])
        #expect(throws: SpikeKitError.self) { try fresh.restoreState(s, for: p) }
        var gd = GradientDescent(learningRate: 1)
        #expect(throws: SpikeKitError.self) { try gd.restoreState(opt.state, for: p) }
    }

    @Test func configurationJSON() throws {
        for c in [OptimizerConfiguration.smorms3(learningRate: 0.01, epsilon: 1e-16),
                  .adam(learningRate: 1e-3, beta1: 0.8, beta2: 0.99, epsilon: 1e-7), .gradientDescent(learningRate: 2)] {
            let data = try JSONEncoder().encode(c)
            #expect(try JSONDecoder().decode(OptimizerConfiguration.self, from: data) == c)
        }
        let text = #"{"kind": "adam", "learning_rate": 0.001}"#
        #expect(try JSONDecoder().decode(OptimizerConfiguration.self, from: Data(text.utf8))
            == .adam(learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(OptimizerConfiguration.self, from: Data(#"{"kind": "rmsprop", "learning_rate": 1}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(OptimizerConfiguration.self, from: Data(#"{"kind": "adam", "learning_rate": 1, "beta2": 1}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(OptimizerConfiguration.self, from: Data(#"{"kind": "smorms3", "learning_rate": -0.1}"#.utf8))
        }
    }
}
