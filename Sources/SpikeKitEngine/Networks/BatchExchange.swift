/// How the processes of a data-parallel run share a batch: each computes a contiguous block of the batch's gradient
/// slots and the exchange hands every process every block.
///
/// The `Simulator` splits a batch of B samples into S = min(B, 64) fixed slots; slot s holds samples
/// `Parallel.range(s, of: S, count: B)` and accumulates their gradients in sample order, and the batch gradient is
///
///     g = (((g₀ + g₁) + g₂) + … + g_{S−1})        (left to right, in slot order)
///
/// With P processes, process p computes the slots `Parallel.range(p, of: P, count: S)` and the samples in them.
/// An `allGather` of the slot buffers (and of every per-sample result: losses, spike counts, recorded outputs)
/// gives every process all S slots bit for bit, and each one sums them in the order above. The result is therefore
/// the same bits for any P and any thread count; a floating-point allreduce (a tree of partial sums whose shape
/// depends on P) would not be. Floating-point addition is not associative, so no process can pre-sum its own slots
/// unless it owns the first ones.
///
/// The engine never imports a message-passing library: `SingleProcess` is the default, and an MPI implementation
/// (module `SpikeKitMPI`, built with the package trait `MPI`) lives outside it.
public protocol BatchExchange: AnyObject, Sendable {
    /// This process's index, `0 ..< size`.
    var rank: Int { get }
    /// The number of processes sharing each batch.
    var size: Int { get }
    /// In place: on entry `buffer` holds this process's block, bytes `offsets[rank] ..< offsets[rank + 1]`; on
    /// return every block `offsets[q] ..< offsets[q + 1]` holds process q's bytes. `offsets` has `size + 1`
    /// non-decreasing entries, the same on every process; every process calls this in the same order.
    /// - Throws: `SpikeKitError.invalidConfiguration` when the transport fails or a block is too large for it.
    func allGather(_ buffer: UnsafeMutableRawPointer, offsets: [Int]) throws
}

/// One process: nothing to exchange.
public final class SingleProcess: BatchExchange {
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public init() {}
    public func allGather(_ buffer: UnsafeMutableRawPointer, offsets: [Int]) throws {}
}

extension BatchExchange {
    /// Whether this process is the one that prints and writes files (rank 0).
    public var isRoot: Bool { rank == 0 }

    /// Gathers `count` values per item of `T` for the items `itemOffsets[q] ..< itemOffsets[q + 1]` of process q.
    func allGather<T>(_ buffer: UnsafeMutablePointer<T>, itemOffsets: [Int], valuesPerItem count: Int) throws {
        guard size > 1 else { return }
        let bytes = itemOffsets.map { $0 * count * MemoryLayout<T>.stride }
        try allGather(UnsafeMutableRawPointer(buffer), offsets: bytes)
    }
}
