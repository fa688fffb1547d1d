import Testing
@testable import SpikeKitEngine
import SpikeKitFormats
import SpikeKitKernels

/// The event-driven input gradient of a dense, non-recurrent LIF layer (`LayerPass+EventInputGradient`) against the
/// dense sequence-wide product it replaces: the same spikes and loss, the same gradients up to rounding, for every
/// reset kind, a feed-forward delay, deterministic and stochastic spikes and several threads; layers it does not
/// apply to (a backpropagated reset) give bit-identical results either way.
@Suite struct EventInputGradientTests {
    func draw(_ g: inout PhiloxGenerator, _ shape: [Int], _ s: Double) -> Tensor {
        try! Tensor(shape: shape, scalars: (0 ..< shape.reduce(1, *)).map { _ in Float(g.normal() * s) })
    }

    func raster(_ g: inout PhiloxGenerator, units: Int, steps: Int, density: Double) -> [Float] {
        (0 ..< units * steps).map { _ in g.uniform() < density ? 1 : 0 }
    }

    struct Outcome {
        let result: SimulationResult
        let maxError: Float
    }

    /// Runs the network with the event-driven input gradient forced on and off; returns the event run and the largest
    /// gradient difference relative to the largest gradient of its tensor.
    func compare(reset: ResetMode, spike: SpikeFunction, delay: Int?, threads: Int) throws -> Outcome {
        let T = 40, B = 3, inputs = 12
        let a = try NetworkArchitecture(NetworkDescription(dt: 1e-3, input: InputDescription(shape: [inputs]), layers: [
            LayerDescription(kind: .lif, units: 37, tauMem: 0.01, tauSyn: 0.005, reset: reset, spike: spike, bias: "b0"),
            LayerDescription(kind: .lif, units: 19, tauMem: 0.02, tauSyn: 0.004, reset: reset, spike: spike, bias: "b1",
                             delay: delay),
        ]))
        var g = PhiloxGenerator(seed: 21)
        let p = NetworkParameters(feedForward: a.layers.map { draw(&g, $0.feedForward.weightShape, 3) },
                                  recurrent: a.layers.map { _ in nil },
                                  biases: a.layers.map { draw(&g, $0.biasShape, 0.2) },
                                  logTauMem: a.layers.map(\.initialLogTauMem), logTauSyn: a.layers.map(\.initialLogTauSyn))
        let x = try (0 ..< B).map { _ in
            try SpikeTrains(raster: ArraySlice(raster(&g, units: inputs, steps: T, density: 0.2)), steps: T, units: inputs)
        }
        let targets = (0 ..< B).map { _ in raster(&g, units: 19, steps: T, density: 0.15) }
        func run(limit: Double) throws -> SimulationResult {
            let s = Simulator(architecture: a, threads: threads)
            try s.load(p)
            s.setEventInputLimit(limit)
            return try s.run(inputs: x, loss: .l2Spikes, targets: .spikes(targets), noise: .philox(seed: 4, iteration: 1),
                             gradients: true, record: true)
        }
        let events = try run(limit: 1), dense = try run(limit: 0)
        #expect(events.spikes! == dense.spikes!)
        #expect(events.loss == dense.loss)
        var worst: Float = 0
        for (e, d) in zip(events.gradients!.feedForward + events.gradients!.biases.map { $0! },
                          dense.gradients!.feedForward + dense.gradients!.biases.map { $0! }) {
            let scale = max(1e-6, d.scalars.map { abs($0) }.max() ?? 0)
            let err = zip(e.scalars, d.scalars).map { abs($0 - $1) }.max() ?? 0
            worst = max(worst, err / scale)
        }
        return Outcome(result: events, maxError: worst)
    }

    @Test(arguments: [ResetMode.nextStep, .sameStep, .subtract])
    func eventDrivenInputGradientEqualsTheDenseProduct(reset: ResetMode) throws {
        let spikes = [try SpikeFunction(escape: .step, surrogate: .superspike(beta: 10)),
                      try SpikeFunction(escape: .sigmoid(beta: 5), surrogate: .superspike(beta: 10))]
        var anyDifference = false
        for spike in spikes {
            for delay in [nil, 3] {
                for threads in [1, 2] {
                    let o = try compare(reset: reset, spike: spike, delay: delay, threads: threads)
                    let ctx = "reset \(reset), \(spike.escape.kindName), delay \(delay ?? 1), \(threads) threads"
                    #expect(o.result.spikeCounts[0] > 20 && o.result.spikeCounts[1] > 20, "\(ctx): both layers must spike")
                    #expect(o.maxError <= 2e-6, "\(ctx): relative error \(o.maxError)")
                    anyDifference = anyDifference || o.maxError > 0
                }
            }
        }
        // The two paths sum in different orders: identical results everywhere would mean the event path never ran.
        #expect(anyDifference)
    }

    /// A backpropagated reset makes dL/dS dense (dL/dU[n+1] reaches every S[n]): the layer keeps the dense product
    /// whatever the limit, so forcing the event path changes nothing.
    @Test func backpropagatedResetKeepsTheDenseProduct() throws {
        let spike = try SpikeFunction(escape: .step, surrogate: .superspike(beta: 10), bpReset: true)
        let o = try compare(reset: .nextStep, spike: spike, delay: nil, threads: 2)
        #expect(o.maxError == 0)
    }
}
