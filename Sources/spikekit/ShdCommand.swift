import ArgumentParser
import Foundation
import SpikeKit

/// `spikekit shd --data <dir>`: the SHD classification experiment (SPEC section 6, Fig. 7).
struct ShdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shd",
        abstract: "Train the recurrent convolutional SNN on the Spiking Heidelberg Digits (the paper's Fig. 7).",
        discussion: """
            Reads shd_train.h5[.gz] and shd_test.h5[.gz] from --data (the files as distributed), bins the first 700 ms \
            in 2 ms steps over 700 channels, holds out a seeded 10 % of the training file for validation and trains the \
            deterministic and/or stochastic network with SMORMS3 on the max-over-time cross-entropy plus the activity \
            regularizer. Writes metrics-<variant>.csv, checkpoint-<variant>.safetensors (every epoch and every \
            --checkpoint-every batches), cross-evaluation-<variant>.csv (Fig. 7D), rasters and summary.txt to --output.
            """
    )

    @Option(help: "Folder with shd_train.h5[.gz] and shd_test.h5[.gz].")
    var data: String

    @OptionGroup var options: ClassificationOptions

    func run() throws {
        let c = try options.configuration(defaults: ClassificationExperiment.Configuration())
        let source = try ClassificationSource.shd(folder: data, maxSamples: options.maxSamples)
        try ClassificationRunner(options: options, configuration: c, source: source,
                                 output: options.output ?? "spikekit-out/shd", title: "SHD classification").run()
    }
}
