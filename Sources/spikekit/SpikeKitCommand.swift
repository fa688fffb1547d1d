import ArgumentParser
import Foundation
import SpikeKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct SpikeKitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spikekit",
        abstract: "Train deterministic and stochastic spiking neural networks with surrogate gradients.",
        subcommands: [DemoCommand.self, MatchCommand.self, ShdCommand.self, ClassifyCommand.self, TrainCommand.self, ModelCommand.self,
                      EvaluateCommand.self, TheoryCommand.self, DataCommand.self, VerifyCommand.self, BenchCommand.self,
                      NIRCommand.self, SweepCommand.self, TauStudyCommand.self]
    )

    static func main() {
        #if canImport(Glibc)
        // Training allocates the same few-megabyte result buffers every step. glibc serves allocations above its
        // mmap threshold with fresh mappings and trims freed heap memory, so each step would fault its pages in
        // again (measured: 40 % of the demo's time in the kernel). Keep such buffers on the heap and keep freed
        // memory for reuse.
        // mallopt is looked up at run time (the Glibc module does not export malloc.h); -1 is M_TRIM_THRESHOLD,
        // -3 M_MMAP_THRESHOLD.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        if let symbol = dlsym(nil, "mallopt") {
            let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
            _ = mallopt(-3, 256 << 20)
            _ = mallopt(-1, 1 << 30)
        }
        #endif
        #if canImport(Glibc) || canImport(Darwin)
        // A write past `ulimit -f` then fails with EFBIG, which AtomicFile reports (and cleans up after), instead of
        // killing the process with SIGXFSZ and leaving its temporary file behind.
        signal(SIGXFSZ, SIG_IGN)
        #endif
        var parsed = false
        do {
            try Cluster.start()
            var command = try parseAsRoot()
            parsed = true
            try command.run()
        } catch {
            let code = exitCode(for: error).rawValue
            if !parsed {
                // Bad options: every rank meets them alike; rank 0 reports, all end normally.
                Cluster.fail(code: code, parsing: true)
                if Cluster.world.isRoot { exit(withError: error) }
                Foundation.exit(code)
            }
            if Cluster.world.size > 1 {
                // A failure during a run ends the whole job (the other ranks may be waiting for this one); the rank
                // that met it reports it.
                FileHandle.standardError.write(Data("Error (rank \(Cluster.world.rank)): \(fullMessage(for: error))\n".utf8))
                Cluster.fail(code: code, parsing: false)
            }
            Cluster.fail(code: code, parsing: true)
            exit(withError: error)
        }
        Cluster.finish()
    }
}
