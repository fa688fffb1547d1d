/// Buffers that start on a 64-byte cache line. The time loops load SIMD16 rows at offsets that are multiples of
/// 32 bytes for the usual widths, so from an aligned start no load splits a cache line more than its offset makes
/// it, whatever was allocated before. The results do not depend on alignment; the speed does: the
/// spike-train-matching forward pass (stm-det, 1 thread, AVX2) took 123 µs with malloc's 16-byte alignment and
/// 103 µs with aligned workspaces, weights and gradient slots (docs/Performance.md). Free with `deallocate()`.
package enum CacheLine {
    package static let bytes = 64

    /// `capacity` elements of `T` (at least one), zero bytes, aligned to `bytes`.
    package static func allocate<T>(_: T.Type, capacity: Int) -> UnsafeMutablePointer<T> {
        let count = max(capacity, 1) * MemoryLayout<T>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: bytes)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: count)
        return raw.bindMemory(to: T.self, capacity: max(capacity, 1))
    }
}
