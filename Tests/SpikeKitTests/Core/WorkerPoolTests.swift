import Dispatch
import Foundation
import Testing
@testable import SpikeKitEngine

/// `Parallel.forEachWorker` on SpikeKit's worker threads: every worker index runs exactly once per call, on any
/// number of workers (also more than the machine has cores), when a body forks again, and when several threads call
/// at once (the pool is taken, so the others fall back to `concurrentPerform`).
@Suite struct WorkerPoolTests {
    /// Counts per worker index, written by the workers themselves (each index is written by one thread only).
    final class Counts: @unchecked Sendable {
        let values: UnsafeMutablePointer<Int>
        let count: Int
        init(_ count: Int) {
            self.count = count
            values = .allocate(capacity: count)
            values.initialize(repeating: 0, count: count)
        }
        deinit { values.deallocate() }
        var array: [Int] { Array(UnsafeBufferPointer(start: values, count: count)) }
    }

    @Test func everyWorkerRunsOncePerCall() {
        // Many short calls back to back, with the worker count changing between them: a thread that took the wrong
        // call's size or ran one call twice would show up as a count other than the number of calls.
        let sizes = [2, 3, 2, 5, 8, 2, 1, 4, 2, 7]
        let counts = Counts(8)
        var expected = [Int](repeating: 0, count: 8)
        for round in 0 ..< 3000 {
            let workers = sizes[round % sizes.count]
            Parallel.forEachWorker(workers) { w in counts.values[w] += 1 }
            for w in 0 ..< workers { expected[w] += 1 }
        }
        #expect(counts.array == expected)
    }

    @Test func workersSeeTheCallersWritesAndTheCallerTheirs() {
        // Each call's workers read what the caller wrote just before it and write results the caller reads just
        // after it: the fork and the join order memory.
        let input = Counts(4), output = Counts(4)
        for round in 1 ... 2000 {
            for w in 0 ..< 4 { input.values[w] = round * 10 + w }
            Parallel.forEachWorker(4) { w in output.values[w] = input.values[w] + 1 }
            #expect(output.array == (0 ..< 4).map { round * 10 + $0 + 1 })
        }
    }

    @Test func aBodyThatForksAgainCompletes() {
        let counts = Counts(4 * 3)
        for _ in 0 ..< 200 {
            Parallel.forEachWorker(4) { outer in
                Parallel.forEachWorker(3) { inner in counts.values[outer * 3 + inner] += 1 }
            }
        }
        #expect(counts.array == [Int](repeating: 200, count: 12))
    }

    @Test func callsFromSeveralThreadsAtOnceAllComplete() {
        let callers = 6, workers = 3, rounds = 300
        let counts = Counts(callers * workers)
        DispatchQueue.concurrentPerform(iterations: callers) { c in
            for _ in 0 ..< rounds {
                Parallel.forEachWorker(workers) { w in counts.values[c * workers + w] += 1 }
            }
        }
        #expect(counts.array == [Int](repeating: rounds, count: callers * workers))
    }

    @Test func longerWorkAfterAPauseLongerThanThePolling() {
        // The pool's threads go to sleep after about 0.2 ms without work; the next call must wake them.
        let counts = Counts(2)
        for _ in 0 ..< 20 {
            usleep(2_000)
            Parallel.forEachWorker(2) { w in
                var x = 0.0
                for i in 0 ..< 20_000 { x += Double(i & 7) }
                counts.values[w] += x > 0 ? 1 : 0
            }
        }
        #expect(counts.array == [20, 20])
    }
}
