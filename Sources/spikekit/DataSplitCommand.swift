import ArgumentParser
import Foundation
import SpikeKit

extension DataCommand {
    /// `spikekit data split FILE --fractions 0.8,0.1,0.1 --output a.h5 --output b.h5 --output c.h5`: consecutive
    /// parts of an SHD-layout file (stork's `split_dataset`), each written atomically in the same layout.
    struct Split: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Split an SHD-layout file into consecutive parts (train / validation / test files).",
            discussion: """
            The fractions are normalised to sum to 1; part k holds the next floor(f_k · n) samples of the file, in \
            file order (stork's split_dataset with shuffle=False; a Randman export is already shuffled), or in a \
            seeded shuffled order with --shuffle-seed. Samples left over by the rounding go to no part. Each \
            --output gets one part, written atomically; labels, speakers and class names are kept.
            """
        )

        @Argument(help: "An SHD-layout HDF5 file (.h5 or .h5.gz).")
        var file: String

        @Option(help: "Comma-separated positive fractions, one per output (e.g. 0.8,0.1,0.1).")
        var fractions: String

        @Option(name: .customLong("output"), help: "An output .h5 file; give one per fraction, in order.")
        var outputs: [String] = []

        @Option(help: "Shuffle the samples with this seed before splitting (default: file order).")
        var shuffleSeed: UInt64?

        func validate() throws {
            guard !outputs.isEmpty else { throw ValidationError("give one --output per fraction") }
            if Set(outputs).count != outputs.count { throw ValidationError("every --output must be a different file") }
            if outputs.contains(file) { throw ValidationError("an --output may not be the input file \(file)") }
        }

        func run() throws {
            let parts = fractions.split(separator: ",", omittingEmptySubsequences: false)
                .map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.allSatisfy({ $0 != nil && $0!.isFinite && $0! > 0 }) else {
                throw CommandError("--fractions needs comma-separated positive numbers, got '\(fractions)'")
            }
            guard parts.count == outputs.count else {
                throw CommandError("--fractions has \(parts.count) values but \(outputs.count) --output files were given")
            }
            let dataset = try SHDDataset(path: file)
            let split = try dataset.parts(fractions: parts.map { $0! }, shuffleSeed: shuffleSeed)
            if let s = shuffleSeed { print("shuffled with seed \(s)") }
            for (part, path) in zip(split, outputs) {
                try SHDFile.write(part, to: path)
                print("wrote \(part.count) samples to \(path)")
            }
            let used = split.map(\.count).reduce(0, +)
            if used < dataset.count { print("\(dataset.count - used) samples left over by the rounding") }
        }
    }
}
