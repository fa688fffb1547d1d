import Foundation
import SpikeKitKernels

/// Sums the gradient slots of one batch while the workers are still filling them, in slot order.
///
/// The batch's gradient is `total = slot₀ + slot₁ + … + slot_{S−1}`, added left to right element by element; with a
/// shared first-layer input gradient, the factors that follow each slot's gradient are summed into slot 0's the same
/// way. The workers fill the slots in an order they do not control; each calls `complete(slot)` when its slot is
/// filled. A worker that finds no one else summing adds every completed slot that continues the sum (`next`,
/// `next + 1`, …), then looks again, and returns when the next slot is still being filled; a worker that finds the
/// sum taken just marks its slot. Nobody ever waits for anybody, so this is safe inside
/// `DispatchQueue.concurrentPerform` on any number of threads, and once every worker has returned every slot has
/// been added. The additions happen in the same order as a sum after the batch (`total = slot₀`, then `+= slot₁`,
/// `+= slot₂`, …), so the result is the same in every bit for any thread count; what changes is that most of the sum
/// overlaps the last slots' work instead of needing its own fork and join after them.
///
/// One instance lives as long as its simulator and is re-armed by `start` for every batch, so that a training step
/// allocates nothing for it.
final class OrderedSlotSum: @unchecked Sendable {
    private let lock = NSLock()
    private var done: [Bool] = []
    private var next = 0
    private var summing = false
    private var slots: UnsafeMutablePointer<Float>?
    private var total: UnsafeMutablePointer<Float>?
    private var stride = 0, first = 0, count = 0, factorOffset = 0, factorCount = 0

    /// Arms the sum for one batch: slot s is `slots + s·stride`; elements `first ..< first + count` of each are summed
    /// into `total + first`, and (with `factorCount > 0`) elements `factorOffset ..< factorOffset + factorCount` into
    /// slot 0's own.
    func start(slotCount: Int, slots: UnsafeMutablePointer<Float>, stride: Int, first: Int, count: Int,
               into total: UnsafeMutablePointer<Float>, factorOffset: Int, factorCount: Int) {
        lock.lock()
        defer { lock.unlock() }
        done.removeAll(keepingCapacity: true)
        done.append(contentsOf: repeatElement(false, count: slotCount))
        next = 0
        summing = false
        self.slots = slots
        self.total = total
        self.stride = stride
        self.first = first
        self.count = count
        self.factorOffset = factorOffset
        self.factorCount = factorCount
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
            let from = next
            while next < done.count && done[next] { next += 1 }
            let ready = from ..< next
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

    /// Slot s into the running sum (slot 0 starts it).
    private func add(_ s: Int) {
        guard let slots, let total else { return }
        if s == 0 {
            (total + first).update(from: slots + first, count: count)
        } else {
            VectorKernels.add(slots + s * stride + first, into: total + first, count: count)
            if factorCount > 0 {
                VectorKernels.add(slots + s * stride + factorOffset, into: slots + factorOffset, count: factorCount)
            }
        }
    }

    /// Whether every slot of the batch has been added (true once all workers have returned).
    var isComplete: Bool {
        lock.lock()
        defer { lock.unlock() }
        return next == done.count
    }
}
