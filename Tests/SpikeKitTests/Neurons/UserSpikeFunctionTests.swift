import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
import SpikeKit
#if canImport(Glibc)
import Glibc
#endif

/// User-defined escape noise and surrogate derivatives (issue #11 item 9): user functions written with the Float
/// arithmetic of built-in kernels reproduce those built-ins bit for bit (spikes, loss, every gradient), a new
/// escape noise spikes with its probability ρ(x) and its matched surrogate is ρ'(x), and the JSON form is refused
/// with one line.
@Suite struct UserSpikeFunctionTests {
    /// erf escape noise as the built-in kernel computes it: `ξ < (1 + erf(x k)) / 2`, k = 1/(σ√2) in Float.
    struct UserErf: EscapeNoiseFunction {
        let sigma: Double
        var name: String { "user-erf" }
        func probability(_ x: Double) -> Double { (1 + erf(x / (sigma * 2.0.squareRoot()))) / 2 }
        func derivative(_ x: Double) -> Double { exp(-x * x / (2 * sigma * sigma)) / (sigma * (2 * Double.pi).squareRoot()) }
        func probability(_ x: Float) -> Float {
            let k = 1 / (Float(sigma) * Float(2).squareRoot())
            return (1 + erff(x * k)) / 2
        }
    }

    /// SuperSpike 1/(β|x| + 1)², in the built-in's Float arithmetic.
    struct UserSuperSpike: SurrogateDerivativeFunction {
        let beta: Double
        var name: String { "user-superspike" }
        func value(_ x: Double, spike s: Double) -> Double { 1 / pow(beta * abs(x) + 1, 2) }
        func value(_ x: Float, spike s: Float) -> Float {
            let d = Float(beta) * Swift.abs(x) + 1
            return 1 / (d * d)
        }
    }

    /// A triangle of half-width w and area 1: max(0, 1 - |x|/w) / w (the piecewise-linear surrogate with β = 1/w,
    /// scaled by β).
    struct Triangle: SurrogateDerivativeFunction {
        let w: Double
        var name: String { "triangle" }
        func value(_ x: Double, spike s: Double) -> Double { max(0, 1 - abs(x) / w) / w }
    }

    /// ρ(x) = clamp(½ + x/(2a), 0, 1), ρ'(x) = 1/(2a) inside (-a, a).
    struct LinearEscape: EscapeNoiseFunction {
        let a: Double
        var name: String { "linear" }
        func probability(_ x: Double) -> Double { min(1, max(0, 0.5 + x / (2 * a))) }
        func derivative(_ x: Double) -> Double { abs(x) < a ? 1 / (2 * a) : 0 }
    }

    func run(hidden: SpikeFunction, output: SpikeFunction) throws -> SimulationResult {
        let a = try NetworkArchitecture(NetworkDescription(dt: 1e-3, input: InputDescription(shape: [10]), layers: [
            LayerDescription(kind: .lif, units: 20, tauMem: 0.01, tauSyn: 0.005, recurrent: RecurrentDescription(kind: .dense), spike: hidden),
            LayerDescription(kind: .lif, units: 5, tauMem: 0.01, tauSyn: 0.005, spike: output),
        ]))
        var g = PhiloxGenerator(seed: 12)
        func draw(_ shape: [Int], _ s: Double) -> Tensor {
            try! Tensor(shape: shape, scalars: (0 ..< shape.reduce(1, *)).map { _ in Float(g.normal() * s) })
        }
        let p = NetworkParameters(feedForward: [draw([20, 10], 8), draw([5, 20], 6)], recurrent: [draw([20, 20], 1), nil])
        let x = try (0 ..< 3).map { _ in
            try SpikeTrains(raster: ArraySlice((0 ..< 30 * 10).map { _ in g.uniform() < 0.2 ? Float(1) : 0 }), steps: 30, units: 10)
        }
        let t = (0 ..< 3).map { _ in (0 ..< 30 * 5).map { _ in g.uniform() < 0.15 ? Float(1) : 0 } }
        let sim = Simulator(architecture: a, threads: 2)
        try sim.load(p)
        return try sim.run(inputs: x, loss: .vanRossum(tau: 0.005), targets: .spikes(t), noise: .philox(seed: 4, iteration: 3),
                           gradients: true, record: true)
    }

    @Test func userFunctionsEqualToBuiltInsGiveIdenticalResults() throws {
        for bp in [false, true] {
            let builtIn = try run(hidden: SpikeFunction(escape: .erf(sigma: 0.3), surrogate: .superspike(beta: 10), bpReset: bp),
                                  output: SpikeFunction(escape: .step, surrogate: .piecewiseLinear(beta: 0.5)))
            let user = try run(hidden: SpikeFunction(escape: .user(UserEscapeNoise(UserErf(sigma: 0.3))),
                                                     surrogate: .user(UserSurrogate(UserSuperSpike(beta: 10))), bpReset: bp),
                               output: SpikeFunction(escape: .step, surrogate: .user(UserSurrogate(Triangle(w: 2)))))
            #expect(builtIn.spikeCounts[0] > 0 && builtIn.spikeCounts[1] > 0)
            #expect(user.spikes! == builtIn.spikes!)
            #expect(user.loss == builtIn.loss)
            // User erf noise and user SuperSpike equal to the built-ins: every gradient bit for bit.
            let same = try run(hidden: SpikeFunction(escape: .user(UserEscapeNoise(UserErf(sigma: 0.3))),
                                                     surrogate: .user(UserSurrogate(UserSuperSpike(beta: 10))), bpReset: bp),
                               output: SpikeFunction(escape: .step, surrogate: .piecewiseLinear(beta: 0.5)))
            #expect(same.gradients! == builtIn.gradients!, "bpReset \(bp)")
            // The triangle (w = 2) is exactly half the piecewise-linear surrogate with β = 1/2: the output layer's
            // weight gradient is exactly half the built-in's (a power of 2).
            let ub = user.gradients!.feedForward[1].scalars, bb = builtIn.gradients!.feedForward[1].scalars
            #expect(bb.contains { $0 != 0 })
            #expect(zip(ub, bb).allSatisfy { $0 == $1 * 0.5 })
        }
    }

    @Test func aNewEscapeNoiseSpikesWithItsProbabilityAndMatchesItsDerivative() throws {
        // No input: U stays 0, so x = U - θ = -1 at every step and every neuron spikes with ρ(-1) = 1/4.
        let escape = UserEscapeNoise(LinearEscape(a: 2))
        let spike = try SpikeFunction(escape: .user(escape), surrogate: .matched)
        #expect(spike.probability(-1.0) == 0.25 && spike.surrogateDerivative(-1.0, spike: 0) == 0.25)
        #expect(spike.surrogateDerivative(3.0, spike: 1) == 0)
        let n = 4096, T = 3
        let a = try NetworkArchitecture(NetworkDescription(dt: 1e-3, input: InputDescription(shape: [2]), layers: [
            LayerDescription(kind: .lif, units: n, tauMem: 0.01, tauSyn: 0.005, spike: spike)]))
        let sim = Simulator(architecture: a, threads: 1)
        try sim.load(NetworkParameters(feedForward: [try Tensor(shape: [n, 2], scalars: [Float](repeating: 1, count: 2 * n))], recurrent: [nil]))
        let silent = try SpikeTrains(raster: ArraySlice([Float](repeating: 0, count: T * 2)), steps: T, units: 2)
        let r = try sim.run(inputs: [silent], noise: .philox(seed: 7, iteration: 0), record: true, recordSurrogates: true)
        let draws = Double(n * T), freq = Double(r.spikeCounts[0]) / draws
        #expect(abs(freq - 0.25) < 4 * (0.25 * 0.75 / draws).squareRoot(), "frequency \(freq)")
        #expect(r.surrogates![0].scalars.allSatisfy { $0 == 0.25 })
        // The same with a user surrogate: the triangle at x = -1 with w = 2 is (1 - 1/2)/2 = 1/4.
        let tri = try SpikeFunction(escape: .user(escape), surrogate: .user(UserSurrogate(Triangle(w: 2))))
        let b = try NetworkArchitecture(NetworkDescription(dt: 1e-3, input: InputDescription(shape: [2]), layers: [
            LayerDescription(kind: .lif, units: 16, tauMem: 0.01, tauSyn: 0.005, spike: tri)]))
        let sb = Simulator(architecture: b, threads: 1)
        try sb.load(NetworkParameters(feedForward: [try Tensor(shape: [16, 2], scalars: [Float](repeating: 1, count: 32))], recurrent: [nil]))
        #expect(try sb.run(inputs: [silent], recordSurrogates: true).surrogates![0].scalars.allSatisfy { $0 == 0.25 })
    }

    @Test func equalityAndJSON() throws {
        let e = UserEscapeNoise(LinearEscape(a: 1))
        let f = try SpikeFunction(escape: .user(e), surrogate: .matched)
        #expect(f == (try SpikeFunction(escape: .user(e), surrogate: .matched)))
        #expect(f != (try SpikeFunction(escape: .user(UserEscapeNoise(LinearEscape(a: 1))), surrogate: .matched)))
        #expect(f.escape.isStochastic)
        let text = String(decoding: try JSONEncoder().encode(f), as: UTF8.self)
        #expect(text.contains("\"kind\":\"user\"") && text.contains("linear"))
        #expect(throws: (any Error).self) { try JSONDecoder().decode(SpikeFunction.self, from: Data(text.utf8)) }
        // A NIR file cannot hold a user function: export refuses it.
        let d = NetworkDescription(dt: 1e-3, input: InputDescription(shape: [2]), layers: [
            LayerDescription(kind: .lif, units: 2, tauMem: 0.01, tauSyn: 0.005, spike: f)])
        let p = NetworkParameters(feedForward: [try Tensor(shape: [2, 2], scalars: [1, 0, 0, 1])], recurrent: [nil])
        #expect(throws: SpikeKitError.self) { try NIRMapping.export(d, parameters: p) }
    }
}
