#if MPI
import CMPI
import SpikeKitEngine
import SpikeKitFormats

/// The processes of `MPI_COMM_WORLD` sharing every batch (see `BatchExchange`): blocks are exchanged with
/// `MPI_Allgatherv` of raw bytes in place, so every process receives every block bit for bit; nothing is summed by
/// MPI. Only the thread that called `start()` calls MPI (`MPI_THREAD_FUNNELED`): the `Simulator` exchanges from the
/// thread that runs it, after its workers are done.
public final class MPIExchange: BatchExchange, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    /// Blocks larger than this are sent as several broadcasts (MPI counts and displacements are 32-bit).
    static let largestMessage = 1 << 30

    private init(rank: Int, size: Int) {
        self.rank = rank
        self.size = size
    }

    /// Initializes MPI (once per process) and returns the world's exchange. Outside `mpirun`/`srun` this is a
    /// world of one process (MPI's singleton start).
    /// - Throws: `SpikeKitError.invalidConfiguration` when MPI cannot start.
    public static func start() throws -> MPIExchange {
        var provided: Int32 = 0
        guard MPI_Init_thread(nil, nil, spikekit_mpi_thread_funneled(), &provided) == spikekit_mpi_success() else {
            throw SpikeKitError.invalidConfiguration("MPI_Init_thread failed")
        }
        MPI_Comm_set_errhandler(spikekit_mpi_comm_world(), spikekit_mpi_errors_return())
        var r: Int32 = 0, s: Int32 = 1
        MPI_Comm_rank(spikekit_mpi_comm_world(), &r)
        MPI_Comm_size(spikekit_mpi_comm_world(), &s)
        return MPIExchange(rank: Int(r), size: Int(s))
    }

    /// Ends MPI after every process got here (the normal end of a run).
    public func finish() {
        MPI_Finalize()
    }

    /// Ends every process of the job at once with `code` (a failure on one process, which the others would wait for).
    public func abort(code: Int32) -> Never {
        MPI_Abort(spikekit_mpi_comm_world(), code)
        fatalError("MPI_Abort returned")
    }

    public func allGather(_ buffer: UnsafeMutableRawPointer, offsets: [Int]) throws {
        guard size > 1 else { return }
        guard offsets.count == size + 1 else {
            throw SpikeKitError.invalidConfiguration("allGather needs \(size + 1) offsets, got \(offsets.count)")
        }
        let comm = spikekit_mpi_comm_world(), byte = spikekit_mpi_byte()
        if let total = offsets.last, total <= Int(Int32.max) {
            var counts = (0 ..< size).map { Int32(offsets[$0 + 1] - offsets[$0]) }
            var displacements = offsets.dropLast().map { Int32($0) }
            let rc = MPI_Allgatherv(spikekit_mpi_in_place(), 0, byte, buffer, &counts, &displacements, byte, comm)
            try check(rc, "MPI_Allgatherv")
            return
        }
        for q in 0 ..< size {
            var at = offsets[q]
            while at < offsets[q + 1] {
                let n = min(Self.largestMessage, offsets[q + 1] - at)
                try check(MPI_Bcast(buffer + at, Int32(n), byte, Int32(q), comm), "MPI_Bcast")
                at += n
            }
        }
    }

    private func check(_ rc: Int32, _ call: String) throws {
        guard rc != spikekit_mpi_success() else { return }
        var text = [CChar](repeating: 0, count: 512)
        var length: Int32 = 0
        MPI_Error_string(rc, &text, &length)
        throw SpikeKitError.invalidConfiguration("\(call) failed on rank \(rank): \(String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))")
    }
}
#endif
