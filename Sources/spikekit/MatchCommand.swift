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

    @Option(help: "Output neurons (picture rows); default: the picture's height for a 1-bit picture or .npy, else 200.")
    var neurons: Int?

    @Option(help: "Time steps (picture columns); default: the picture's width for a 1-bit picture or .npy, else 189.")
    var steps: Int?

    @Flag(help: "Threshold gray pictures at 50 % instead of Floyd-Steinberg dithering.")
    var noDither = false

    @Option(help: "Training epochs.")
    var epochs: Int = 1500

    @Option(help: "Which networks to train: det, stoch or both.")
    var variant: Variant = .both

    @Option(help: "Update rule: bptt (gradient descent on the L2 loss by BPTT) or online (SuperSpike eligibility traces).")
    var rule: SpikeTrainMatching.UpdateRule = .bptt

    @Option(name: .customLong("lr"), help: "Learning rate of BPTT gradient descent (output layer).")
    var learningRate: Double = 40

    @Option(help: "Learning rate of BPTT gradient descent for the hidden layer.")
    var hiddenLr: Double = 1

    @Option(help: "Learning rate of the online rule (hidden and output).")
    var onlineLearningRate: Double = 1e-5

    @Option(help: "Δu_o, the output scale of the online rule.")
    var outputScale: Double = 0.013

    @Option(help: "Trials per epoch of the stochastic network (the update is their mean).")
    var trials: Int = 10

    @Option(help: "Input rate in Hz of the frozen Poisson input.")
    var inputRate: Double = 50

    @Option(help: "Hidden neurons.")
    var hidden: Int = 200

    @Option(help: "Escape-noise β of the stochastic hidden layer.")
    var betaHidden: Double = 10

    @Option(help: "Escape-noise β of the stochastic output layer.")
    var betaOutput: Double = 100

    @Option(help: "β of the SuperSpike surrogate (deterministic network; stochastic with --stoch-surrogate superspike).")
    var surrogateBeta: Double = 10

    @Option(help: "Surrogate derivative of the stochastic network: superspike (with --surrogate-beta) or matched (to its escape noise, as SPEC section 5; with BPTT it learns only the picture's dark regions).")
    var stochSurrogate: SpikeTrainMatching.StochasticSurrogate = .superspike

    @Option(help: "σ_u of the fluctuation-driven initialization (default: 2 deterministic, 1 stochastic as in the paper).")
    var sigmaU: Double?

    @Option(help: "ν (Hz) of the fluctuation-driven initialization.")
    var nu: Double = 50

    @Option(help: "Seed of every random draw (input, weights, noise).")
    var seed: UInt64 = 1

    @Option(help: "Output folder.")
    var output: String?

    @Option(help: "Measure the van Rossum distance and the Fano factors every N epochs (and in the last); loss and rates are measured every epoch.")
    var statisticsEvery: Int = 10

    @Option(help: "Write a checkpoint every N epochs (and at the end).")
    var checkpointEvery: Int = 100

    @Option(help: "Continue from a checkpoint written by an earlier run with the same options.")
    var resume: String?

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    enum Variant: String, ExpressibleByArgument, CaseIterable { case det, stoch, both }

    func validate() throws {
        if let neurons, neurons < 1 { throw ValidationError("--neurons must be at least 1") }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
        guard epochs >= 0 else { throw ValidationError("--epochs must be at least 0") }
        guard trials >= 1 else { throw ValidationError("--trials must be at least 1") }
        guard checkpointEvery >= 1 else { throw ValidationError("--checkpoint-every must be at least 1") }
        guard statisticsEvery >= 1 else { throw ValidationError("--statistics-every must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        do { try configuration.validate() } catch { throw ValidationError("\(error)") }
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
