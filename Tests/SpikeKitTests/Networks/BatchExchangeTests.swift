import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine

/// P processes played by P threads of one process: the same slot blocks and the same exchange as an MPI run, so the
/// engine's part of the bit-identity (every block computed by its owner, gathered, summed in slot order) is tested
/// without MPI. `Tests/mpi/check.sh` tests the same through `mpirun`.
@Suite struct BatchExchangeTests {
    /// Threads that meet at a barrier and copy each other's blocks.
    final class ThreadGroup: @unchecked Sendable {
        let size: Int
        private let condition = NSCondition()
        private var arrived = 0, generation = 0
        private var buffers: [UnsafeMutableRawPointer?]
        init(size: Int) {
            self.size = size
            buffers = Array(repeating: nil, count: size)
        }
        func barrier() {
            condition.lock()
            let g = generation
            arrived += 1
            if arrived == size {
                arrived = 0
                generation += 1
                condition.broadcast()
            } else {
                while g == generation { condition.wait() }
            }
            condition.unlock()
        }
        func allGather(rank: Int, _ buffer: UnsafeMutableRawPointer, offsets: [Int]) {
            condition.lock()
            buffers[rank] = buffer
            condition.unlock()
            barrier()
            for q in 0 ..< size where q != rank {
                (buffer + offsets[q]).copyMemory(from: buffers[q]! + offsets[q], byteCount: offsets[q + 1] - offsets[q])
            }
            barrier()
        }
    }

    final class Member: BatchExchange, @unchecked Sendable {
        let group: ThreadGroup
        let rank: Int
        var size: Int { group.size }
        private(set) var calls = 0
        init(group: ThreadGroup, rank: Int) { self.group = group; self.rank = rank }
        func allGather(_ buffer: UnsafeMutableRawPointer, offsets: [Int]) throws {
            #expect(offsets.count == size + 1 && zip(offsets, offsets.dropFirst()).allSatisfy { $0 <= $1 })
            calls += 1
            group.allGather(rank: rank, buffer, offsets: offsets)
        }
    }

    /// Runs `body` as P threads, one per member, and returns their results in rank order.
    func asProcesses<R: Sendable>(_ P: Int, _ body: @escaping @Sendable (Member) throws -> R) throws -> [R] {
        let group = ThreadGroup(size: P)
        let box = ResultBox<R>(P), done = DispatchGroup(), lock = NSLock()
        for rank in 0 ..< P {
            done.enter()
            let t = Thread {
                let r = Result { try body(Member(group: group, rank: rank)) }
                lock.lock(); box.results[rank] = r; lock.unlock()
                done.leave()
            }
            t.start()
        }
        done.wait()
        return try box.results.map { try $0!.get() }
    }

    final class ResultBox<R>: @unchecked Sendable {
        var results: [Result<R, Error>?]
        init(_ n: Int) { results = Array(repeating: nil, count: n) }
    }

    func network(stochastic: Bool) throws -> (NetworkArchitecture, NetworkParameters) {
        let spike = try SpikeFunction(escape: stochastic ? .sigmoid(beta: 5) : .step, surrogate: stochastic ? .matched : .superspike(beta: 10))
        let d = NetworkDescription(dt: 1e-3, input: InputDescription(shape: [2, 30]), layers: [
            LayerDescription(kind: .convLIF, channels: 4, kernel: 5, stride: 2, padding: 1, tauMem: 0.01, tauSyn: 0.005,
                             recurrent: RecurrentDescription(kind: .conv, kernel: 3, padding: 1), spike: spike),
            LayerDescription(kind: .lif, units: 7, tauMem: 0.01, tauSyn: 0.005, reset: .sameStep,
                             recurrent: RecurrentDescription(kind: .dense), spike: spike),
            LayerDescription(kind: .readout, units: 3, tauMem: 0.02, tauSyn: 0.005),
        ])
        let a = try NetworkArchitecture(d)
        var g = PhiloxGenerator(seed: 5)
        func draw(_ shape: [Int], _ s: Double) -> Tensor {
            try! Tensor(shape: shape, scalars: (0 ..< shape.reduce(1, *)).map { _ in Float(g.normal() * s) })
        }
        let p = NetworkParameters(feedForward: a.layers.map { draw($0.feedForward.weightShape, 3) },
                                  recurrent: a.layers.map { $0.recurrent.map { draw($0.weightShape, 1) } })
        return (a, p)
    }

    func inputs(batch: Int, seed: UInt64) throws -> [SpikeTrains] {
        var g = PhiloxGenerator(seed: seed)
        return try (0 ..< batch).map { _ in
            try SpikeTrains(raster: ArraySlice((0 ..< 25 * 60).map { _ in g.uniform() < 0.1 ? Float(1) : 0 }), steps: 25, units: 60)
        }
    }

    func expectSame(_ r: SimulationResult, _ reference: SimulationResult) {
        #expect(r.gradients == reference.gradients)
        #expect(r.loss.bitPattern == reference.loss.bitPattern)
        #expect(r.sampleLosses.map(\.bitPattern) == reference.sampleLosses.map(\.bitPattern))
        #expect(r.spikeCounts == reference.spikeCounts)
        #expect(r.output == reference.output)
        #expect(r.spikes == reference.spikes)
        #expect(r.surrogates == reference.surrogates)
    }

    /// Every process count (more processes than slots included: the surplus ones compute nothing) gives the bits of
    /// one process, for a deterministic and a stochastic network, different inputs and one repeated stimulus.
    @Test(arguments: [false, true])
    func anyProcessCountGivesTheBitsOfOneProcess(stochastic: Bool) throws {
        let (a, p) = try network(stochastic: stochastic)
        let different = try inputs(batch: 70, seed: 1)
        let repeated = Array(repeating: try inputs(batch: 1, seed: 2)[0], count: 6)
        let loss = LossFunction.maxOverTimeCrossEntropy(activityRegularizer: ActivityRegularizer(threshold: 0.5, strength: 0.1))
        for x in [different, repeated, Array(different.prefix(5))] {
            let labels = Targets.labels(x.indices.map { $0 % 3 })
            let one = Simulator(architecture: a, threads: 2)
            try one.load(p)
            let reference = try one.run(inputs: x, loss: loss, targets: labels, noise: .philox(seed: 9, iteration: 4),
                                        gradients: true, record: true, recordSurrogates: true, recordOutput: true)
            #expect(reference.spikeCounts.reduce(0, +) > 0)
            for P in [2, 3, 7] {
                let runs = try asProcesses(P) { member in
                    let sim = Simulator(architecture: a, threads: member.rank == 0 ? 2 : 1, exchange: member)
                    try sim.load(p)
                    let r = try sim.run(inputs: x, loss: loss, targets: labels, noise: .philox(seed: 9, iteration: 4),
                                        gradients: true, record: true, recordSurrogates: true, recordOutput: true)
                    return (r, member.calls)
                }
                for (r, calls) in runs {
                    expectSame(r, reference)
                    #expect(calls > 1, "the run exchanged its blocks")
                }
            }
        }
    }
}
