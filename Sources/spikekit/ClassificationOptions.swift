import ArgumentParser
import Foundation
import SpikeKit

/// A user error found before any work starts: printed by ArgumentParser as one line, `Error: <message>`, exit 1.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Training options shared by `shd` and `classify`. Unset options take the command's defaults (the paper's values
/// for `shd`, stork's Randman example for `classify`).
struct ClassificationOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Training epochs (default: 200 for shd, 40 for classify).")
    var epochs: Int?

    @Option(name: [.customLong("batch"), .customLong("batch-size")], parsing: .unconditional, help: "Samples per training batch (default: 400 for shd, 250 for classify).")
    var batchSize: Int?

    @Option(parsing: .unconditional, help: "Samples per simulation when evaluating (default: the training batch).")
    var evaluationBatchSize: Int?

    @Option(name: .customLong("lr"), parsing: .unconditional, help: "Learning rate (default 0.01).")
    var learningRate: Double?

    @Option(help: "Optimizer: smorms3 (default) or adam.")
    var optimizer: String?

    @Option(help: "Which networks to train: det, stoch or both (default both).")
    var variant: String = "both"

    @Option(help: "Seed of every random draw (split, weights, shuffles, noise).")
    var seed: UInt64 = 1

    @Option(help: "Output folder (default ./spikekit-out/shd or ./spikekit-out/classify).")
    var output: String?

    @Flag(help: "Continue from the checkpoints in the output folder (written by a run with the same options).")
    var resume = false

    @Option(parsing: .unconditional, help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(parsing: .unconditional, help: "Use at most this many samples of each data file (quick runs).")
    var maxSamples: Int?

    @Option(parsing: .unconditional, help: "Share of the training data held out for validation (default 0.1).")
    var validationFraction: Double?

    @Option(parsing: .unconditional, help: "Threshold θ_a of the activity regularizer, in spikes per neuron and sample (default 7).")
    var regularizerThreshold: Double?

    @Option(parsing: .unconditional, help: "Strength of the activity regularizer (default 0.01).")
    var regularizerStrength: Double?

    @Option(parsing: .unconditional, help: "β of the stochastic network's sigmoid escape noise (default 10).")
    var beta: Double?

    @Option(parsing: .unconditional, help: "β of the SuperSpike surrogate derivative (default 10).")
    var surrogateBeta: Double?

    @Option(parsing: .unconditional, help: "σ_u of the fluctuation-driven initialization (default 1.3 stochastic, 1.0 deterministic).")
    var sigmaU: Double?

    @Option(parsing: .unconditional, help: "ν (Hz) of the fluctuation-driven initialization (default 15.8 for shd, 10 for classify).")
    var nu: Double?

    @Option(parsing: .unconditional, help: "α, the feed-forward share of the initial membrane variance (default 0.9).")
    var alpha: Double?

    @Option(parsing: .unconditional, help: "τ_mem of the readout in seconds (default 0.7 for shd, the sample duration for classify).")
    var readoutTau: Double?

    @Option(parsing: .unconditional, help: "Trials of the Fano-factor measurement on one test sample, stochastic networks only (default 400; 0 or 1: off).")
    var fanoTrials: Int?

    @Option(parsing: .unconditional, help: "Sliding window of the Fano factor in steps (default 10).")
    var fanoWindow: Int?

    @Option(parsing: .unconditional, help: "Test sample of the Fano-factor measurement (default 0).")
    var fanoSample: Int?

    @Option(parsing: .unconditional, help: "Measure the Fano factor (stochastic networks only) every N epochs and after the last; 0: after the last epoch only (default 10).")
    var fanoEvery: Int?

    @Option(parsing: .unconditional, help: "Also write the checkpoint every N training batches (default 5); always after every epoch.")
    var checkpointEvery: Int = 5

    @OptionGroup var limits: RunLimitOptions

    /// The variants to train (false: deterministic, true: stochastic).
    func variants() throws -> [Bool] {
        switch variant {
        case "det": return [false]
        case "stoch": return [true]
        case "both": return [false, true]
        default: throw CommandError("--variant must be det, stoch or both, not '\(variant)'")
        }
    }

    /// The configuration: `defaults` with every given option applied, checked.
    func configuration(defaults: ClassificationExperiment.Configuration) throws -> ClassificationExperiment.Configuration {
        var c = defaults
        if let epochs { c.epochs = epochs }
        if let batchSize { c.batchSize = batchSize }
        c.evaluationBatchSize = evaluationBatchSize ?? c.batchSize
        if let learningRate { c.learningRate = learningRate }
        if let optimizer {
            guard let o = ClassificationExperiment.OptimizerKind(rawValue: optimizer) else {
                throw CommandError("--optimizer must be smorms3 or adam, not '\(optimizer)'")
            }
            c.optimizer = o
        }
        c.seed = seed
        if let validationFraction { c.validationFraction = validationFraction }
        if let regularizerThreshold { c.regularizerThreshold = regularizerThreshold }
        if let regularizerStrength { c.regularizerStrength = regularizerStrength }
        if let beta { c.beta = beta }
        if let surrogateBeta { c.surrogateBeta = surrogateBeta }
        if let sigmaU { c.sigmaU = sigmaU }
        if let nu { c.nu = nu }
        if let alpha { c.alpha = alpha }
        if let readoutTau { c.readoutTauMem = readoutTau }
        if let fanoTrials { c.fanoTrials = fanoTrials }
        if let fanoWindow { c.fanoWindow = fanoWindow }
        if let fanoSample { c.fanoSample = fanoSample }
        if let fanoEvery { c.fanoEvery = fanoEvery }
        if let threads, threads < 1 { throw CommandError("--threads must be at least 1, got \(threads)") }
        if let maxSamples, maxSamples < 1 { throw CommandError("--max-samples must be at least 1, got \(maxSamples)") }
        guard checkpointEvery >= 1 else { throw CommandError("--checkpoint-every must be at least 1, got \(checkpointEvery)") }
        // Every number that becomes a Float in the network or the optimizer must be finite as a Float.
        for (name, v) in [("--lr", learningRate), ("--regularizer-threshold", regularizerThreshold),
                          ("--regularizer-strength", regularizerStrength), ("--beta", beta), ("--surrogate-beta", surrogateBeta),
                          ("--sigma-u", sigmaU), ("--nu", nu), ("--readout-tau", readoutTau)] {
            if let v, !Float(v).isFinite { throw CommandError("\(name) must be a finite number below 3.4e38 in magnitude, got \(v)") }
        }
        do {
            try c.validate()
        } catch let e as SpikeKitError {
            if case .invalidConfiguration(let m) = e { throw CommandError(m) }
            throw CommandError(e.description)
        }
        return c
    }
}
