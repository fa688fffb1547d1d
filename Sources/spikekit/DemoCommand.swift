import ArgumentParser
import SpikeKit

/// `spikekit demo`: SpikeKit's main job with built-in defaults: spike-train matching of the built-in picture by a
/// deterministic and a stochastic network, with pictures in ./spikekit-out/demo.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Train a deterministic and a stochastic network to draw SpikeKit's built-in picture as spike trains.",
        discussion: "A short run of 'spikekit match' (see its help for every option); pictures, metrics and checkpoints go to --output."
    )

    @Option(help: "Training epochs per network.")
    var epochs: Int = 600

    @Option(help: "Update rule: bptt or online.")
    var rule: SpikeTrainMatching.UpdateRule = .bptt

    @Option(help: "Seed of every random draw.")
    var seed: UInt64 = 1

    @Option(help: "Output folder.")
    var output: String = "spikekit-out/demo"

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        guard epochs >= 0 else { throw ValidationError("--epochs must be at least 0") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        var args = ["--epochs", "\(epochs)", "--rule", rule.rawValue, "--seed", "\(seed)", "--output", output,
                    "--checkpoint-every", "\(max(1, epochs))"]
        if let threads { args += ["--threads", "\(threads)"] }
        try MatchRunner(options: try MatchOptions.parse(args), defaultOutput: output).run()
    }
}
