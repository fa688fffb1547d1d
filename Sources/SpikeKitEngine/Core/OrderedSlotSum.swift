import Foundation

/// Sums the gradient slots of one batch while the workers are still filling them, in slot order.
///
/// The batch's gradient is `total = slot₀ + slot₁ + … + slot_{S−1}`, added left to right element by element. The
/// workers fill the slots in an order they do not control; each calls `complete(slot)` when its slot is filled. A
/// worker that finds no one else summing adds every completed slot that continues the sum (`next`, `next + 1`, …),
/// then looks again, and returns when the next slot is still being filled; a worker that finds the sum taken just
/// marks its slot. Nobody ever waits for anybody, so this is safe inside `DispatchQueue.concurrentPerform` on any
/// number of threads, and once every worker has returned every slot has been added. The additions happen in the
/// same order as a sum after the batch (`total = slot₀`, then `+= slot₁`, `+= slot₂`, …), so the result is the same
/// in every bit for any thread count; what changes is that most of the sum overlaps the last slots' work instead
/// of needing its own fork and join after them.
final class OrderedSlotSum: @unchecked Sendable {
    private let lock = NSLock()
    private var done: [Bool]
    private var next = 0
    private var summing = false
    private let add: (Int) -> Void

    /// `add(s)` adds slot s to the running sum (for s = 0: starts it); it is called once per slot, in slot order,
    /// never concurrently with itself.
    init(slots: Int, add: @escaping (Int) -> Void) {
        done = [Bool](repeating: false, count: slots)
        self.add = add
    }

    /// Marks `slot` filled and, unless another worker is summing, adds the completed slots that continue the sum.
    func complete(_ slot: Int) {
        lock.lock()
        done[slot] = true
        guard !summing else {
            lock.unlock()
            return
        }
        summing = true
        while true {
            let first = next
            while next < done.count && done[next] { next += 1 }
            let ready = first ..< next
            if ready.isEmpty {
                summing = false
                lock.unlock()
                return
            }
            lock.unlock()
            for s in ready { add(s) }
            lock.lock()
        }
    }

    /// Whether every slot has been added (true once all workers have returned).
    var isComplete: Bool {
        lock.lock()
        defer { lock.unlock() }
        return next == done.count
    }
}
