import ArgumentParser
import Foundation
import SpikeKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `spikekit bench`: seconds per training step and forward pass for the paper's two networks.
///
/// Each workload runs in its own child process, so that its peak resident memory is its own.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time training steps (forward + backward + update) of the paper's networks; prints a table.",
        discussion: """
            Workloads: stm-det (spike-train matching 200-200-200, T = 189, batch 1), stm-stoch (the same, stochastic, \
            10 trials), shd-det-b32 / shd-stoch-b32 (SHD recurrent conv SNN, T = 350, input density 1.5 %, batch 32), \
            shd-det-b400 / shd-stoch-b400 (batch 400); match-det / match-stoch (whole epochs of `spikekit match` as the \
            command runs them, metrics included, beside the bare training step measured in the same repetitions); \
            shd-epoch-det / shd-epoch-stoch (a tenth-size epoch of `spikekit shd`: 10 batches of 32 and the evaluation \
            of 36 validation + 98 test samples, beside the epoch's bare training steps); \
            onb-512 / onb-4096 (the Open Neuromorphic SNN library benchmark: Linear(n, n) + LIF, input randn(16, 500, n) \
            as a real-valued current; "train step" is forward + backward, "forward" the forward pass alone); \
            randman-rec (one epoch of stork's Randman example with a recurrent hidden layer as `spikekit train` runs it: \
            32 batches of 250 and the validation of 1000 samples; the training part beside it). Build with -c release.
            """
    )

    static let allWorkloads = ["stm-det", "stm-stoch", "shd-det-b32", "shd-stoch-b32", "shd-det-b400", "shd-stoch-b400",
                               "match-det", "match-stoch", "shd-epoch-det", "shd-epoch-stoch", "onb-512", "onb-4096", "randman-rec"]
    static let defaultWorkloads = ["stm-det", "stm-stoch", "shd-det-b32", "shd-stoch-b32"]

    @Option(name: .customLong("workload"), parsing: .upToNextOption,
            help: "Workloads to run (default: stm-det stm-stoch shd-det-b32 shd-stoch-b32; 'all' adds batch 400 and the match epochs).")
    var workloads: [String] = []

    @Option(help: "Timed repetitions per workload, at least 5 (median, min and max are reported); short steps repeat until one second is filled (at most 1000).")
    var repetitions: Int = 7

    @Option(help: "Untimed warm-up repetitions.")
    var warmup: Int = 2

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(help: "Seed for inputs and weights.")
    var seed: UInt64 = 1

    @Option(help: "Time steps of the spike-train-matching workloads (default 189, the picture's width; ../shared/peerbench uses 198).")
    var stmSteps: Int = 189

    @Option(help: "Spike density of the spike-train-matching target (default 0.274, the paper's dithered picture; ../shared/peerbench's task_a.h5 has 0.0595).")
    var stmTargetDensity: Double = Benchmarks.paperTargetDensity

    @Flag(help: "Print JSON: {\"<workload>\": {\"median_s\", \"min_s\", \"max_s\", \"peak_rss_mib\", ...}}.")
    var json = false

    @Flag(name: .customLong("in-process"), help: .hidden)
    var inProcess = false

    func validate() throws {
        guard repetitions >= 5 else { throw ValidationError("--repetitions must be at least 5") }
        guard warmup >= 0 else { throw ValidationError("--warmup must be at least 0") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        guard stmSteps >= 1 else { throw ValidationError("--stm-steps must be at least 1") }
        guard stmTargetDensity >= 0, stmTargetDensity <= 1 else {
            throw ValidationError("--stm-target-density must be between 0 and 1 (got \(stmTargetDensity))")
        }
        for w in workloads where w != "all" && !Self.allWorkloads.contains(w) {
            throw ValidationError("unknown workload '\(w)' (choose from \(Self.allWorkloads.joined(separator: ", ")) or all)")
        }
    }

    var selected: [String] {
        if workloads.isEmpty { return Self.defaultWorkloads }
        if workloads.contains("all") { return Self.allWorkloads }
        return workloads
    }

    func run() throws {
        let threadCount = threads ?? Parallel.defaultThreadCount
        if inProcess {
            var out: [String: BenchmarkResult] = [:]
            for w in selected {
                out[w] = try Benchmarks.run(workload: w, repetitions: repetitions, warmup: warmup, threads: threadCount, seed: seed,
                                            stmSteps: stmSteps, stmTargetDensity: stmTargetDensity)
            }
            let data = try JSONEncoder().encode(out)
            print(String(decoding: data, as: UTF8.self))
            return
        }
        var results: [(String, BenchmarkResult)] = []
        for w in selected {
            results.append((w, try runChild(workload: w)))
        }
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            let dict = Dictionary(uniqueKeysWithValues: results)
            print(String(decoding: try enc.encode(dict), as: UTF8.self))
        } else {
            print("SpikeKit bench: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(threadCount) threads, "
                + "SIMD \(Benchmarks.simdDescription), at least \(repetitions) timed repetitions (and 1 s) after \(warmup) warm-up")
            print(Benchmarks.table(results))
        }
    }

    /// Runs one workload in a child process (`bench --in-process`) and decodes its JSON.
    func runChild(workload: String) throws -> BenchmarkResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Bundle.main.executablePath ?? CommandLine.arguments[0])
        var args = ["bench", "--in-process", "--workload", workload, "--repetitions", "\(repetitions)", "--warmup", "\(warmup)",
                    "--seed", "\(seed)", "--stm-steps", "\(stmSteps)",
                    "--stm-target-density", "\(stmTargetDensity)"]
        if let threads { args += ["--threads", "\(threads)"] }
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0,
              let r = try? JSONDecoder().decode([String: BenchmarkResult].self, from: data)[workload] else {
            throw ValidationError("benchmark \(workload) failed (exit \(p.terminationStatus))")
        }
        return r
    }
}
