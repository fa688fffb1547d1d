import SpikeKitFormats
import SpikeKitKernels
extension SHDDataset {
    /// A seeded split into training and validation indices: the sample indices are shuffled (Fisher-Yates driven
    /// by `PhiloxGenerator(seed:)`); the training part is the first `floor(n * (1 - fraction))` shuffled indices
    /// (as in stork: 8156 -> 7340 / 816 for 10 %), and the rest is validation. Both lists are returned sorted. The same seed always gives the same split.
    /// - Throws: `SpikeKitError.invalidConfiguration` unless 0 <= fraction <= 1.
    public func validationSplit(seed: UInt64, fraction: Double = 0.1) throws -> (training: [Int], validation: [Int]) {
        try Self.validationSplit(count: count, seed: seed, fraction: fraction)
    }

    /// The split of `validationSplit(seed:fraction:)` for `count` samples.
    public static func validationSplit(count: Int, seed: UInt64, fraction: Double = 0.1) throws -> (training: [Int], validation: [Int]) {
        guard fraction >= 0, fraction <= 1 else {
            throw SpikeKitError.invalidConfiguration("validation fraction \(fraction) is not in [0, 1]")
        }
        var order = Array(0 ..< count)
        var rng = PhiloxGenerator(seed: seed, stream: 0x5348_4400)  // "SHD"
        if count > 1 {
            for i in stride(from: count - 1, to: 0, by: -1) {
                let j = uniformIndex(below: i + 1, using: &rng)
                order.swapAt(i, j)
            }
        }
        // floor(n * (1 - fraction)), with products within 1e-9 of an integer taken as that integer.
        let q = Double(count) * (1 - fraction)
        let training = min(count, Int(abs(q - q.rounded()) <= 1e-9 * max(1, q) ? q.rounded() : q.rounded(.down)))
        return (order[..<training].sorted(), order[training...].sorted())
    }

    /// An unbiased uniform integer in 0..<bound (rejection sampling), independent of the standard library's
    /// algorithms so the split stays the same across Swift versions.
    package static func uniformIndex(below bound: Int, using rng: inout PhiloxGenerator) -> Int {
        let b = UInt64(bound)
        let threshold = (0 &- b) % b
        while true {
            let r = rng.next()
            if r >= threshold { return Int(r % b) }
        }
    }
}
