import ArgumentParser
import Foundation
import SpikeKit

/// `spikekit data`: commands for spike datasets (SHD / SSC files).
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Inspect, split and encode spike datasets (SHD-layout HDF5 files, analog .npy arrays).",
        subcommands: [Info.self, Split.self, Encode.self]
    )

    /// `spikekit data info FILE [--json]`: sample, spike and label counts of an SHD file.
    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the number of samples, spikes, spikes in the 700 ms window and samples per label.",
            discussion: "Reads .h5 and gzip-compressed .h5.gz files (detected by their first bytes) in pure Swift."
        )

        @Argument(help: "An SHD-layout HDF5 file (.h5 or .h5.gz).")
        var file: String

        @Flag(help: "Print JSON with the keys samples, spikes, spikes_in_window, label_counts, keys.")
        var json = false

        @Option(help: "Window length in seconds for spikes_in_window.")
        var duration: Double = 0.7

        @Option(help: "Number of input channels; spikes on higher units are not counted in the window.")
        var channels: Int = 700

        func validate() throws {
            guard duration.isFinite, duration > 0 else { throw ValidationError("--duration must be a positive number of seconds") }
            guard channels > 0 else { throw ValidationError("--channels must be positive") }
        }

        func run() throws {
            let dataset = try SHDDataset(path: file)
            let summary = dataset.summary(options: SHDRasterOptions(duration: duration, channels: channels))
            if json {
                let payload = InfoJSON(samples: summary.samples, spikes: summary.spikes, spikes_in_window: summary.spikesInWindow,
                                       label_counts: summary.labelCounts, keys: summary.classNames)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(payload), as: UTF8.self))
                return
            }
            print("file:             \(file)")
            print("samples:          \(summary.samples)")
            print("spikes:           \(summary.spikes)")
            print("spikes in window: \(summary.spikesInWindow) (first \(duration) s, units < \(channels))")
            if summary.nonFiniteTimes > 0 { print("non-finite times: \(summary.nonFiniteTimes) (dropped)") }
            if summary.negativeTimes > 0 { print("negative times:   \(summary.negativeTimes) (dropped)") }
            if summary.timesAfterWindow > 0 {
                print("after \(duration) s:".padding(toLength: 18, withPad: " ", startingAt: 0) + "\(summary.timesAfterWindow) (dropped)")
            }
            if summary.unitsOutOfRange > 0 { print("units >= \(channels): \(summary.unitsOutOfRange) (dropped)") }
            print("labels:")
            for (label, n) in summary.labelCounts.enumerated() {
                let name = label < summary.classNames.count ? summary.classNames[label] : "?"
                print("  \(String(label).padding(toLength: 3, withPad: " ", startingAt: 0)) \(name.padding(toLength: 10, withPad: " ", startingAt: 0)) \(n)")
            }
        }
    }

    /// Exactly the documented JSON keys.
    struct InfoJSON: Encodable {
        let samples: Int
        let spikes: Int
        let spikes_in_window: Int
        let label_counts: [Int]
        let keys: [String]
    }
}
