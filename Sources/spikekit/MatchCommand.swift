import ArgumentParser
import Foundation
import SpikeKit

/// `spikekit match`: the spike-train-matching experiment (SPEC section 5, Fig. 6).
struct MatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Train networks to reproduce a picture as spike trains (the paper's Fig. 6).",
        discussion: """
            The target is a picture whose rows are neurons and whose columns are time steps (black = spike): a PNG, \
            PGM/PPM or .npy file ([neurons, steps] of 0/1), or SpikeKit's built-in picture when --target is omitted. \
            Trains the deterministic network (SuperSpike), the stochastic one (sigmoid escape noise, gradient averaged \
            over trials) or both, and writes metrics, pictures and checkpoints to --output.
            """
    )

    @OptionGroup var options: MatchOptions

    func run() throws {
        try MatchRunner(options: options, defaultOutput: "spikekit-out/match").run()
    }
}

/// Options shared by `match` and `demo`.
struct MatchOptions: ParsableArguments {
    @Option(help: "Target picture (.png, .pgm, .ppm or .npy); default: the built-in picture.")
    var target: String?

    @Option(parsing: .unconditional, help: "Output neurons (picture rows); default: the picture's height for a 1-bit picture or .npy, else 200.")
    var neurons: Int?

    @Option(parsing: .unconditional, help: "Time steps (picture columns); default: the picture's width for a 1-bit picture or .npy, else 189.")
    var steps: Int?

    @Flag(help: "Threshold gray pictures at 50 % instead of Floyd-Steinberg dithering.")
    var noDither = false

    @Option(parsing: .unconditional, help: "Training epochs.")
    var epochs: Int = 1500

    @Option(help: "Which networks to train: det, stoch or both.")
    var variant: Variant = .both

    @Option(help: "Update rule: bptt (gradient descent on the L2 loss by BPTT) or online (SuperSpike eligibility traces).")
    var rule: SpikeTrainMatching.UpdateRule = .bptt

    @Option(name: .customLong("lr"), parsing: .unconditional, help: "Learning rate of BPTT gradient descent (output layer).")
    var learningRate: Double = 40

    @Option(parsing: .unconditional, help: "Learning rate of BPTT gradient descent for the hidden layer.")
    var hiddenLr: Double = 1

    @Option(parsing: .unconditional, help: "Learning rate of the online rule (hidden and output).")
    var onlineLearningRate: Double = 1e-5

    @Option(parsing: .unconditional, help: "Δu_o, the output scale of the online rule.")
    var outputScale: Double = 0.013

    @Option(parsing: .unconditional, help: "Trials per epoch of the stochastic network (the update is their mean).")
    var trials: Int = 10

    @Option(parsing: .unconditional, help: "Input rate in Hz of the frozen Poisson input.")
    var inputRate: Double = 50

    @Option(parsing: .unconditional, help: "Hidden neurons.")
    var hidden: Int = 200

    @Option(parsing: .unconditional, help: "Escape-noise β of the stochastic hidden layer.")
    var betaHidden: Double = 10

    @Option(parsing: .unconditional, help: "Escape-noise β of the stochastic output layer.")
    var betaOutput: Double = 100

    @Option(parsing: .unconditional, help: "β of the SuperSpike surrogate (deterministic network; stochastic with --stoch-surrogate superspike).")
    var surrogateBeta: Double = 10

    @Option(help: "Surrogate derivative of the stochastic network: superspike (with --surrogate-beta) or matched (to its escape noise, as SPEC section 5; with BPTT it learns only the picture's dark regions).")
    var stochSurrogate: SpikeTrainMatching.StochasticSurrogate = .superspike

    @Option(parsing: .unconditional, help: "σ_u of the fluctuation-driven initialization (default: 2 deterministic, 1 stochastic as in the paper).")
    var sigmaU: Double?

    @Option(parsing: .unconditional, help: "ν (Hz) of the fluctuation-driven initialization.")
    var nu: Double = 50

    @Option(help: "Seed of every random draw (input, weights, noise).")
    var seed: UInt64 = 1

    @Option(help: "Output folder.")
    var output: String?

    @Option(parsing: .unconditional, help: "Measure the van Rossum distance and the Fano factors every N epochs (and in the last); loss and rates are measured every epoch.")
    var statisticsEvery: Int = 10

    @Option(parsing: .unconditional, help: "Write a checkpoint every N epochs (and at the end).")
    var checkpointEvery: Int = 100

    @Option(parsing: .unconditional, help: "Also write a checkpoint when this many seconds have passed since the last one (default 60: a kill loses at most a minute).")
    var checkpointSeconds: Double = 60

    @Option(help: "Continue from the checkpoints in this folder (or one checkpoint file) written by an earlier run with the same options; a variant without a checkpoint starts afresh.")
    var resume: String?

    @OptionGroup var limits: RunLimitOptions

    @Option(parsing: .unconditional, help: "Worker threads (default: all cores).")
    var threads: Int?

    enum Variant: String, ExpressibleByArgument, CaseIterable { case det, stoch, both }

    func validate() throws {
        if let neurons, neurons < 1 { throw CommandError("--neurons must be at least 1, got \(neurons)") }
        if let steps, steps < 1 { throw CommandError("--steps must be at least 1, got \(steps)") }
        guard epochs >= 0 else { throw CommandError("--epochs must be at least 0, got \(epochs)") }
        guard trials >= 1 else { throw CommandError("--trials must be at least 1, got \(trials)") }
        guard checkpointEvery >= 1 else { throw CommandError("--checkpoint-every must be at least 1, got \(checkpointEvery)") }
        guard checkpointSeconds.isFinite, checkpointSeconds > 0 else {
            throw CommandError("--checkpoint-seconds must be a positive number, got \(checkpointSeconds)")
        }
        guard statisticsEvery >= 1 else { throw CommandError("--statistics-every must be at least 1, got \(statisticsEvery)") }
        if let threads, threads < 1 { throw CommandError("--threads must be at least 1, got \(threads)") }
        // Every number that becomes a Float in the network or the optimizer must be finite as a Float.
        for (name, v) in [("--lr", learningRate), ("--hidden-lr", hiddenLr), ("--online-learning-rate", onlineLearningRate),
                          ("--output-scale", outputScale), ("--input-rate", inputRate), ("--beta-hidden", betaHidden),
                          ("--beta-output", betaOutput), ("--surrogate-beta", surrogateBeta), ("--sigma-u", sigmaU ?? 1),
                          ("--nu", nu)] where !Float(v).isFinite {
            throw CommandError("\(name) must be a finite number below 3.4e38 in magnitude, got \(v)")
        }
        do { try configuration.validate() } catch { throw CommandError("\(error)") }
    }

    var configuration: SpikeTrainMatching.Configuration {
        var c = SpikeTrainMatching.Configuration()
        c.epochs = epochs
        c.rule = rule
        c.learningRate = learningRate
        c.hiddenLearningRate = hiddenLr
        c.onlineHiddenLearningRate = onlineLearningRate
        c.onlineOutputLearningRate = onlineLearningRate
        c.outputScale = outputScale
        c.trials = trials
        c.inputRate = inputRate
        c.hidden = hidden
        c.betaHidden = betaHidden
        c.betaOutput = betaOutput
        c.surrogateBeta = surrogateBeta
        c.stochasticSurrogate = stochSurrogate
        c.sigmaU = sigmaU
        c.nu = nu
        c.seed = seed
        c.statisticsEvery = statisticsEvery
        return c
    }
}

extension SpikeTrainMatching.UpdateRule: ExpressibleByArgument {}
extension SpikeTrainMatching.StochasticSurrogate: ExpressibleByArgument {}
