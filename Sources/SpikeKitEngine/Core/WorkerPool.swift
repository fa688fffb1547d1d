import Atomics
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Persistent worker threads for `Parallel.forEachWorker`: one fork and join per call, with no thread woken that
/// the call does not use.
///
/// A training step forks and joins two to three times (the shared first-layer drive, the samples, sometimes the
/// shared first-layer gradient), 50 µs to a few ms apart. `DispatchQueue.concurrentPerform` wakes its pool's threads
/// for each: on a 2-core virtual machine `perf sched` showed it waking two threads for a 2-way job, the second
/// competing for the first's core and delaying it by up to 2.6 ms, and the cores idle 29 % of a stochastic
/// spike-train-matching run. Here worker `i` (1 ... workers − 1) is always pool thread `i − 1` and the caller is
/// worker 0. After a job, a thread that took part in it and has a core of its own waits for the next one by
/// polling for `spinLimit` (about 0.2 ms), then sleeps on a condition; the caller polls for the job's end the same
/// way. Threads beyond the machine's cores never poll, so an oversubscribed run (more threads than cores) does not
/// starve its own workers.
///
/// One job runs at a time. A call that finds the pool taken (a job's body forking again, or another thread's
/// simulator running at the same time, as in the test suite) runs on `concurrentPerform` instead. Which thread runs
/// which worker index never changes a result: the callers split their work by index, not by thread.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// How long a thread polls before it sleeps (nanoseconds).
    private let spinLimit: UInt64 = 200_000
    private let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    private let taken = ManagedAtomic<Bool>(false)
    /// The job in one word, so that a thread never pairs one job's number with another's size:
    /// `number · 2¹⁶ + workers`.
    private let job = ManagedAtomic<Int>(0)
    private let pending = ManagedAtomic<Int>(0)
    private let condition = NSCondition()
    // Written only by the caller holding `taken`: the body before `job` is advanced, read by the threads that take
    // part in that job (which cannot end, and so cannot be replaced, before they have run).
    private var threadCount = 0
    private var body: ((Int) -> Void)?

    /// Runs `body(0 ..< workers)` with the caller as worker 0; false (and nothing run) when the pool is taken.
    func run(_ workers: Int, _ body: (Int) -> Void) -> Bool {
        guard workers < 1 << 16,
              taken.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { taken.store(false, ordering: .releasing) }
        while threadCount < workers - 1 {
            // The thread waits for the job after the current one, whenever it starts running.
            let index = threadCount, current = job.load(ordering: .relaxed)
            WorkerPool.startThread { [unowned self] in self.serve(index, after: current) }
            threadCount += 1
        }
        withoutActuallyEscaping(body) { body in
            self.body = body
            pending.store(workers - 1, ordering: .relaxed)
            condition.lock()
            job.store(((job.load(ordering: .relaxed) >> 16) + 1) << 16 | workers, ordering: .releasing)
            condition.broadcast()
            condition.unlock()
            body(0)
            if pending.load(ordering: .acquiring) != 0 {
                if workers > cores || !poll({ self.pending.load(ordering: .acquiring) == 0 }) {
                    condition.lock()
                    while pending.load(ordering: .acquiring) != 0 { condition.wait() }
                    condition.unlock()
                }
            }
            self.body = nil
        }
        return true
    }

    /// Pool thread `index` runs worker `index + 1` of every job that has that many workers.
    private func serve(_ index: Int, after current: Int) {
        var seen = current
        var polls = false
        while true {
            if !(polls && poll({ self.job.load(ordering: .acquiring) != seen })) {
                condition.lock()
                while job.load(ordering: .acquiring) == seen { condition.wait() }
                condition.unlock()
            }
            seen = job.load(ordering: .acquiring)
            let jobWorkers = seen & 0xFFFF
            polls = index + 1 < jobWorkers && index + 1 < cores
            guard index + 1 < jobWorkers else { continue }
            perform(index + 1)
            if pending.wrappingDecrementThenLoad(ordering: .acquiringAndReleasing) == 0 {
                condition.lock()
                condition.broadcast()
                condition.unlock()
            }
        }
    }

    /// Runs the current job's worker `worker`. Its own function, so that the thread's reference to the body is gone
    /// before the job counts this worker as done: the body's context lives on the caller's stack, and the caller
    /// returns (and checks that the body did not escape) as soon as every worker is done.
    @inline(never)
    private func perform(_ worker: Int) {
        body?(worker)
    }

    /// A detached POSIX thread running `body` (a plain pthread: the pool needs none of `Thread`'s run-loop state).
    private static func startThread(_ body: @escaping () -> Void) {
        final class Start { let body: () -> Void; init(_ body: @escaping () -> Void) { self.body = body } }
        let start = Unmanaged.passRetained(Start(body)).toOpaque()
        #if canImport(Glibc)
        var thread = pthread_t()
        let code = pthread_create(&thread, nil, { p in
            Unmanaged<Start>.fromOpaque(p!).takeRetainedValue().body()
            return nil
        }, start)
        if code == 0 { pthread_detach(thread) }
        #else
        var thread: pthread_t? = nil
        let code = pthread_create(&thread, nil, { p in
            Unmanaged<Start>.fromOpaque(p).takeRetainedValue().body()
            return nil
        }, start)
        if code == 0, let thread { pthread_detach(thread) }
        #endif
        precondition(code == 0, "cannot start a worker thread (pthread_create: \(code))")
    }

    /// Polls `done` until it holds (true) or `spinLimit` has passed (false).
    @inline(__always)
    private func poll(_ done: () -> Bool) -> Bool {
        let deadline = DispatchTime.now().uptimeNanoseconds + spinLimit
        while true {
            for _ in 0 ..< 64 where done() { return true }
            if DispatchTime.now().uptimeNanoseconds > deadline { return done() }
        }
    }
}
