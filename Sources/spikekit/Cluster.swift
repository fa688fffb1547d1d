import Foundation
import SpikeKit
#if MPI
import SpikeKitMPI
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The processes of this run. Built with the package trait `MPI` and started by `mpirun`/`srun`, every process of
/// the job runs the same command: the trainers share each batch through `exchange`, rank 0 prints and writes every
/// file, the others compute and stay silent. Otherwise (and for the runs of a sweep, which are single-process) it is
/// one process.
enum Cluster {
    /// The exchange the commands' simulators use. `sweep` sets it to a `SingleProcess` while it runs its own runs.
    nonisolated(unsafe) static var exchange: any BatchExchange = SingleProcess()
    /// Every process of the job, whatever `exchange` is set to.
    nonisolated(unsafe) private(set) static var world: any BatchExchange = SingleProcess()

    /// Whether this process writes files and prints (rank 0 of `exchange`).
    static var writes: Bool { exchange.isRoot }

    /// Starts MPI when built with it; silences the standard output of every rank but 0.
    static func start() throws {
        #if MPI
        let w = try MPIExchange.start()
        world = w
        exchange = w
        if w.rank != 0 {
            fflush(nil)
            let null = open("/dev/null", O_WRONLY)
            if null >= 0 { dup2(null, STDOUT_FILENO); close(null) }
        }
        #endif
    }

    /// Ends the job normally (every process gets here).
    static func finish() {
        #if MPI
        fflush(nil)
        (world as? MPIExchange)?.finish()
        #endif
    }

    /// Ends the job after an error on this process: with several processes the others may be waiting for this one,
    /// so the whole job is aborted; `parsing` errors happen alike on every process and end it normally.
    static func fail(code: Int32, parsing: Bool) {
        #if MPI
        fflush(nil)
        guard let w = world as? MPIExchange else { return }
        if parsing || w.size == 1 { w.finish(); return }
        w.abort(code: code)
        #endif
    }

    /// Waits until every process of the world got here.
    static func barrier() throws {
        let w = world
        guard w.size > 1 else { return }
        var flags = [UInt8](repeating: 1, count: w.size)
        try flags.withUnsafeMutableBufferPointer {
            try w.allGather($0.baseAddress!, offsets: Array(0 ... w.size))
        }
    }

    /// A simulator for `architecture` sharing its batches with the processes of `exchange`.
    static func simulator(_ architecture: NetworkArchitecture, threads: Int?) -> Simulator {
        Simulator(architecture: architecture, threads: threads, exchange: exchange)
    }

    /// Runs `body` only on the process that writes files.
    static func write(_ body: () throws -> Void) rethrows {
        if writes { try body() }
    }
}
