import ArgumentParser
import Foundation
import SpikeKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `spikekit sweep <config.json>`: a grid of seeds and options over `classify`, `shd` or `match`, one run per
/// process at a time (under `mpirun -np N`: N runs at once), and one summary table.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run a grid of seeds and options over classify, shd or match and tabulate the results.",
        discussion: """
            The configuration is JSON: {"command": "classify", "arguments": [...], "seeds": [1, 2], \
            "grid": {"--hidden": [16, 32]}, "output": "spikekit-out/sweep"} (see docs/MPI.md). Every run writes to \
            <output>/<grid values>_seed-<seed>/ (its console output in log.txt). Under mpirun -np N (built with \
            --traits MPI) process r runs the pending runs r, r + N, r + 2N, ...; each run is a single-process run. \
            Runs whose summary.txt exists are skipped, so a killed sweep continues where it stopped (classify and shd \
            runs also continue from their checkpoints). At the end rank 0 writes summary.csv and summary.md: one row \
            per run and network variant with the metrics of the last epoch.
            """
    )

    @Argument(help: "The sweep configuration (JSON).")
    var config: String

    @Flag(help: "Print the runs and exit.")
    var list = false

    func run() throws {
        let plan = try SweepPlan.load(path: config)
        let runs = plan.runs
        if list {
            for r in runs { print("\(r.name): spikekit \(r.arguments.joined(separator: " "))") }
            return
        }
        let world = Cluster.world
        // Every process decides from the same files, before any of them starts a run.
        let pending = runs.filter { !FileManager.default.fileExists(atPath: $0.folder + "/summary.txt") }
        try Cluster.barrier()
        print("sweep \(config): \(runs.count) runs of \(plan.command), \(runs.count - pending.count) done, "
            + "\(pending.count) to run on \(world.size) process\(world.size == 1 ? "" : "es"); output \(plan.output)")
        Cluster.exchange = SingleProcess()
        for (i, r) in pending.enumerated() where i % world.size == world.rank {
            let t0 = Date()
            let failure = try execute(r)
            let s = String(format: "%.1f s", Date().timeIntervalSince(t0))
            let line = failure.map { "sweep: rank \(world.rank): \(r.name) failed after \(s): \($0)" }
                ?? "sweep: rank \(world.rank): \(r.name) done in \(s)"
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        Cluster.exchange = world
        try Cluster.barrier()
        guard world.isRoot else { return }
        let table = try SweepSummary(plan: plan, runs: runs)
        try AtomicFile.write(table.csv, to: plan.output + "/summary.csv")
        try AtomicFile.write(table.markdown, to: plan.output + "/summary.md")
        print(table.markdown, terminator: "")
        print("wrote \(plan.output)/summary.csv and summary.md (\(table.done) of \(runs.count) runs done)")
    }

    /// Runs one run in this process with its console output in `<folder>/log.txt`; returns its error message.
    func execute(_ r: SweepPlan.Run) throws -> String? {
        try FileManager.default.createDirectory(atPath: r.folder, withIntermediateDirectories: true)
        let errorPath = r.folder + "/error.txt"
        try? FileManager.default.removeItem(atPath: errorPath)
        fflush(nil)
        let log = open(r.folder + "/log.txt", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard log >= 0 else { throw CommandError("\(r.folder)/log.txt: cannot open for writing") }
        let saved = dup(STDOUT_FILENO)
        dup2(log, STDOUT_FILENO)
        close(log)
        var failure: String?
        do {
            print("spikekit " + r.arguments.joined(separator: " "))
            var command = try SpikeKitCommand.parseAsRoot(r.arguments)
            try command.run()
        } catch {
            failure = SpikeKitCommand.message(for: error)
        }
        fflush(nil)
        dup2(saved, STDOUT_FILENO)
        close(saved)
        if let failure { try AtomicFile.write(failure + "\n", to: errorPath) }
        return failure
    }
}
