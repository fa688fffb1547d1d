import SpikeKitFormats
import SpikeKitKernels
import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs work on several threads. SpikeKit splits work into fixed units (samples, slots of samples, weight ranges)
/// whose results never depend on which thread computed them, so a result is bit-identical for any thread count.
public enum Parallel {
    /// The default number of worker threads: `SPIKEKIT_THREADS` when set, else the number of active cores.
    public static var defaultThreadCount: Int {
        if let s = getenv("SPIKEKIT_THREADS"), let n = Int(String(cString: s)), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Calls `body(worker)` for `worker` in `0..<workers`, concurrently when `workers > 1`: on SpikeKit's own worker
    /// threads (`WorkerPool`), or on `DispatchQueue.concurrentPerform` while those are busy with another call.
    public static func forEachWorker(_ workers: Int, _ body: @Sendable (Int) -> Void) {
        if workers <= 1 {
            body(0)
        } else if !WorkerPool.shared.run(workers, body) {
            DispatchQueue.concurrentPerform(iterations: workers, execute: body)
        }
    }

    /// Splits `0..<count` into `parts` contiguous ranges of nearly equal size.
    public static func range(_ part: Int, of parts: Int, count: Int) -> Range<Int> {
        let lo = count * part / parts
        let hi = count * (part + 1) / parts
        return lo ..< hi
    }
}

import Foundation
