import SpikeKitFormats
import SpikeKitEngine
import Foundation

/// `(0..<count).map(body)` on `threads` workers, each taking every `threads`-th index: the results do not depend on
/// the thread count (every item draws from its own random stream). The first error thrown is rethrown.
func parallelMap<T: Sendable>(_ count: Int, threads: Int, _ body: @Sendable (Int) throws -> T) throws -> [T] {
    let box = ParallelResults<T>(count)
    let workers = max(1, min(threads, count))
    Parallel.forEachWorker(workers) { w in
        for i in stride(from: w, to: count, by: workers) {
            do {
                let r = try body(i)
                box.lock.lock()
                box.results[i] = r
                box.lock.unlock()
            } catch {
                box.lock.lock()
                if box.error == nil { box.error = error }
                box.lock.unlock()
            }
        }
    }
    if let e = box.error { throw e }
    return box.results.map { $0! }
}

/// The results of `parallelMap`, filled under a lock.
private final class ParallelResults<T: Sendable>: @unchecked Sendable {
    let lock = NSLock()
    var results: [T?]
    var error: Error?
    init(_ n: Int) { results = [T?](repeating: nil, count: n) }
}
