import SpikeKitFormats
import SpikeKitKernels

extension SHDDataset {
    /// The samples at `indices`, in that order (speakers follow their samples; class names and speaker metadata are
    /// kept whole).
    /// - Precondition: every index is in `0..<count`.
    public func subset(_ indices: [Int]) -> SHDDataset {
        var d = self
        d.times = indices.map { times[$0] }
        d.units = indices.map { units[$0] }
        d.labels = indices.map { labels[$0] }
        d.speakers = speakers.map { s in indices.map { s[$0] } }
        return d
    }

    /// Consecutive parts of the data set in the proportions `fractions`, like stork's `split_dataset`: the
    /// fractions are normalised to sum to 1 and part k holds the next `floor(f_k · n)` samples (products within
    /// 1e-9 of an integer taken as that integer), so samples left over by the rounding belong to no part. The order
    /// is the file's, or, with `shuffleSeed`, a Fisher-Yates shuffle driven by `PhiloxGenerator(seed:stream:)`
    /// (stream "SPLT").
    /// - Throws: `SpikeKitError.invalidConfiguration` when there are no fractions or one is not a finite number > 0.
    public func parts(fractions: [Double], shuffleSeed: UInt64? = nil) throws -> [SHDDataset] {
        try Self.partIndices(count: count, fractions: fractions, shuffleSeed: shuffleSeed).map(subset)
    }

    /// The sample indices of each part of `parts(fractions:shuffleSeed:)` for `count` samples.
    public static func partIndices(count: Int, fractions: [Double], shuffleSeed: UInt64? = nil) throws -> [[Int]] {
        guard !fractions.isEmpty else { throw SpikeKitError.invalidConfiguration("a split needs at least one fraction") }
        if let bad = fractions.first(where: { !($0.isFinite && $0 > 0) }) {
            throw SpikeKitError.invalidConfiguration("split fraction \(bad) is not a positive number")
        }
        var order = Array(0 ..< count)
        if let seed = shuffleSeed, count > 1 {
            var rng = PhiloxGenerator(seed: seed, stream: 0x5350_4C54)  // "SPLT"
            for i in stride(from: count - 1, to: 0, by: -1) { order.swapAt(i, uniformIndex(below: i + 1, using: &rng)) }
        }
        let total = fractions.reduce(0, +)
        var start = 0
        return fractions.map { f in
            let q = f / total * Double(count)
            let n = Int(abs(q - q.rounded()) <= 1e-9 * max(1, q) ? q.rounded() : q.rounded(.down))
            let end = min(count, start + n)
            defer { start = end }
            return Array(order[start ..< end])
        }
    }
}
