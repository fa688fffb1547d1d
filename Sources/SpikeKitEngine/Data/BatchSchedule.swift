import SpikeKitFormats
import SpikeKitKernels

/// Seeded shuffling and batching: the order of the samples in epoch e (0-based) is a Fisher-Yates shuffle driven by
/// `PhiloxGenerator(seed: seed, stream: 0x5348_0000 + e)` (the order `spikekit classify` and `shd` train in), or
/// 0, 1, 2, ... without shuffling; batch b holds positions `b·batchSize ..< min(count, (b+1)·batchSize)` of it
/// (the last batch may be smaller). Every order is a function of (seed, epoch), so a run can stop anywhere and
/// continue with the same batches.
public struct BatchSchedule: Sendable, Equatable {
    public let count: Int
    public let batchSize: Int
    public let seed: UInt64
    public let shuffle: Bool

    /// - Throws: `SpikeKitError.invalidConfiguration` for a batch size below 1 or an empty data set.
    public init(count: Int, batchSize: Int, seed: UInt64, shuffle: Bool = true) throws {
        guard batchSize >= 1 else { throw SpikeKitError.invalidConfiguration("batch size must be at least 1, got \(batchSize)") }
        guard count >= 1 else { throw SpikeKitError.invalidConfiguration("the training set is empty") }
        self.count = count
        self.batchSize = batchSize
        self.seed = seed
        self.shuffle = shuffle
    }

    /// Batches per epoch, ⌈count / batchSize⌉.
    public var batchesPerEpoch: Int { (count + batchSize - 1) / batchSize }

    /// The sample order of epoch `epoch` (0-based).
    public func order(epoch: Int) -> [Int] {
        var order = Array(0 ..< count)
        guard shuffle, count > 1 else { return order }
        var rng = PhiloxGenerator(seed: seed, stream: 0x5348_0000 + UInt64(epoch))
        for i in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(i, SHDDataset.uniformIndex(below: i + 1, using: &rng))
        }
        return order
    }

    /// The sample indices of batch `batch` of an epoch whose order is `order`.
    public func batch(_ batch: Int, of order: [Int]) -> [Int] {
        Array(order[batch * batchSize ..< min(count, (batch + 1) * batchSize)])
    }
}
