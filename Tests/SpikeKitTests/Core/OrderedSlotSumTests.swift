import Dispatch
import Testing
@testable import SpikeKitKernels
@testable import SpikeKitEngine

/// `OrderedSlotSum` adds slots in slot order whatever order the workers finish them in: the total (and the factors
/// summed into slot 0) equal a plain left-to-right sum in every bit, and elements outside the summed range are left
/// alone.
@Suite struct OrderedSlotSumTests {
    /// Values whose float sum depends on the order of the additions (large and small magnitudes mixed).
    static func slots(count: Int, stride: Int) -> [Float] {
        var g = PhiloxGenerator(seed: 7, stream: 3)
        return (0 ..< count * stride).map { _ in
            let u = Float(g.uniform()) - 0.5
            return g.next32() % 3 == 0 ? u * 1e6 : u * 1e-3
        }
    }

    @Test func sumsInSlotOrderForAnyCompletionOrder() {
        let slotCount = 13, width = 70, first = 5, count = 40, factorOffset = 50, factorCount = 20
        let original = Self.slots(count: slotCount, stride: width)
        // The expected sums, left to right in slot order.
        var expectedTotal = [Float](repeating: -1, count: width)
        var expectedFactors = Array(original[factorOffset ..< factorOffset + factorCount])
        for k in first ..< first + count { expectedTotal[k] = original[k] }
        for s in 1 ..< slotCount {
            for k in first ..< first + count { expectedTotal[k] += original[s * width + k] }
            for k in 0 ..< factorCount { expectedFactors[k] += original[s * width + factorOffset + k] }
        }
        // A shuffled sum differs in some element (so the test can see a wrong order).
        var reversed = [Float](repeating: 0, count: width)
        for s in (0 ..< slotCount).reversed() { for k in first ..< first + count { reversed[k] += original[s * width + k] } }
        #expect(reversed[first ..< first + count] != expectedTotal[first ..< first + count])

        let sum = OrderedSlotSum()
        for threads in [1, 2, 4] {
            for round in 0 ..< 20 {
                let slots = UnsafeMutablePointer<Float>.allocate(capacity: original.count)
                let total = UnsafeMutablePointer<Float>.allocate(capacity: width)
                defer { slots.deallocate(); total.deallocate() }
                slots.initialize(from: original, count: original.count)
                total.initialize(repeating: -1, count: width)
                sum.start(slotCount: slotCount, slots: slots, stride: width, first: first, count: count, into: total,
                          factorOffset: factorOffset, factorCount: factorCount)
                // Each worker completes its slots in an order of its own (reversed on odd workers and rounds).
                DispatchQueue.concurrentPerform(iterations: threads) { w in
                    var mine = Array(stride(from: w, to: slotCount, by: threads))
                    if (w + round) % 2 == 1 { mine.reverse() }
                    for s in mine { sum.complete(s) }
                }
                #expect(sum.isComplete)
                #expect(Array(UnsafeBufferPointer(start: total, count: width)) == expectedTotal, "threads \(threads), round \(round)")
                #expect(Array(UnsafeBufferPointer(start: slots + factorOffset, count: factorCount)) == expectedFactors)
            }
        }
    }
}
