import ArgumentParser
import Foundation
import SpikeKit

/// `spikekit classify --dataset randman|<file.h5>`: classification of generated Randman data (stork's example) or
/// of any SHD-layout file.
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Train a spiking classifier on Randman data or on any SHD-layout file.",
        discussion: """
            --dataset randman generates tempo-Randman data (Zenke & Vogels 2021) with the data protocol of stork's \
            Randman example: 10 classes, 20 units, 100 steps of 2 ms, 1000 samples per class, α = 1, manifold \
            dimension 1, one spike per unit in the first half of the window. The network and training are SpikeKit's \
            own and differ from stork's example: one recurrent LIF layer of 128 neurons (--hidden) and a readout, \
            SMORMS3 with lr 0.01, SuperSpike β 10 (--surrogate-beta), fluctuation-driven initialization with ν 10 Hz \
            and σ_u 1.0 (deterministic) or 1.3 (stochastic), the activity regularizer (θ 7, strength 0.01), 40 epochs \
            of batch 250; every one of these is an option. --dataset <file.h5> reads an SHD-layout file; its window is \
            --duration, or else ends at the file's latest spike (the length used is printed). The data are split \
            (seeded): --test-fraction of all samples for testing, then --validation-fraction of the rest for \
            validation, the remainder for training (Randman defaults: 8100 / 900 / 1000 samples). --export <file.h5> \
            writes the data set in the SHD layout (with --epochs 0: export only).
            """
    )

    @Option(help: "randman, or an SHD-layout file (.h5 or .h5.gz).")
    var dataset: String = "randman"

    @Option(help: "Network: recurrent-lif (default) or shd-csnn.")
    var network: String = "recurrent-lif"

    @Option(help: "Hidden neurons of the recurrent LIF network.")
    var hidden: Int = 128

    @Option(parsing: .unconditional, help: "Share of the data held out for testing.")
    var testFraction: Double = 0.1

    @Option(help: "Write the data set (all samples) to this SHD-layout .h5 file.")
    var export: String?

    @Option(help: "Randman: classes.")
    var classes: Int = 10
    @Option(help: "Randman: input units.")
    var units: Int = 20
    @Option(help: "Randman: time steps.")
    var steps: Int = 100
    @Option(help: "Step size Δt in seconds (Randman, and the binning of a file).")
    var dt: Double = 2e-3
    @Option(help: "Randman: samples per class.")
    var samplesPerClass: Int = 1000
    @Option(name: .customLong("randman-alpha"), help: "Randman: smoothness α (spectral decay exponent).")
    var randmanAlpha: Double = 1
    @Option(help: "Randman: intrinsic dimension of each class manifold.")
    var manifoldDimension: Int = 1
    @Option(help: "Randman: spikes per unit and sample.")
    var spikesPerUnit: Int = 1
    @Option(help: "Randman: share of the window (from its start) that holds the spikes.")
    var stepFraction: Double = 0.5
    @Option(help: "Randman: largest number of frequencies per manifold coordinate.")
    var maxFrequencies: Int = 1000
    @Option(help: "Randman: seed of the generator.")
    var randmanSeed: UInt64 = 42

    @Option(help: "File: window length in seconds (default: up to the latest spike).")
    var duration: Double?
    @Option(help: "File: input channels (default: largest unit + 1).")
    var channels: Int?

    @OptionGroup var options: ClassificationOptions

    func run() throws {
        var defaults = ClassificationExperiment.Configuration()
        guard let kind = ClassificationExperiment.NetworkKind(rawValue: network) else {
            throw CommandError("--network must be recurrent-lif or shd-csnn, not '\(network)'")
        }
        defaults.network = kind
        defaults.hidden = hidden
        defaults.testFraction = testFraction
        defaults.epochs = 40
        defaults.batchSize = 250
        defaults.nu = 10
        let c = try options.configuration(defaults: defaults)
        guard dt.isFinite, dt > 0 else { throw CommandError("--dt must be a positive number of seconds, got \(dt)") }
        let source: ClassificationSource
        if dataset == "randman" {
            var r = Randman.Configuration()
            r.classes = classes
            r.units = units
            r.steps = steps
            r.dt = dt
            r.samplesPerClass = samplesPerClass
            r.alpha = randmanAlpha
            r.manifoldDimension = manifoldDimension
            r.spikesPerUnit = spikesPerUnit
            r.stepFraction = stepFraction
            r.maxFrequencies = maxFrequencies
            r.seed = randmanSeed
            do { try r.validate() } catch SpikeKitError.invalidConfiguration(let m) { throw CommandError(m) }
            source = .randman(r)
            if let export {
                let t0 = Date()
                let samples = try Randman.generate(r)
                try SHDFile.write(samples.shdDataset(), to: export)
                print("exported \(samples.labels.count) samples to \(export) (\(String(format: "%.1f", Date().timeIntervalSince(t0))) s)")
            }
        } else {
            if let duration, !(duration.isFinite && duration > 0) { throw CommandError("--duration must be positive") }
            if let channels, channels < 1 { throw CommandError("--channels must be at least 1") }
            let raster = try ClassificationSource.rasterOptions(for: dataset, dt: dt, duration: duration, channels: channels)
            if duration == nil || channels == nil {
                print("\(dataset): window \(raster.duration) s (\(duration == nil ? "up to the latest spike; --duration sets it" : "--duration")), "
                      + "\(raster.channels) channels (\(channels == nil ? "largest unit + 1; --channels sets it" : "--channels"))")
            }
            source = .file(path: dataset, raster: raster, maxSamples: options.maxSamples)
            if let export {
                let d = try ClassificationSource.load(dataset)
                try SHDFile.write(d, to: export)
                print("exported \(d.count) samples to \(export)")
            }
        }
        if c.epochs == 0, export != nil { return }
        try ClassificationRunner(options: options, configuration: c, source: source,
                                 output: options.output ?? "spikekit-out/classify", title: "classification").run()
    }
}
