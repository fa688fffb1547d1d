import SpikeKitFormats
import SpikeKitKernels
/// Counts that describe a spike dataset: what `spikekit data info` prints.
public struct DatasetSummary: Equatable, Sendable, Codable {
    /// Number of samples.
    public var samples: Int
    /// Total number of spikes.
    public var spikes: Int
    /// Spikes that a raster with the given options keeps (finite time in [0, duration), unit < channels).
    public var spikesInWindow: Int
    /// Spikes with a NaN or infinite time.
    public var nonFiniteTimes: Int
    /// Spikes with a finite time before 0 (a raster drops them).
    public var negativeTimes: Int
    /// Spikes with a finite time at or after the window's end (a raster drops them).
    public var timesAfterWindow: Int
    /// Spikes on a unit >= the channel count.
    public var unitsOutOfRange: Int
    /// Number of samples per label, indexed by label (length: the larger of the class count and the largest
    /// label + 1).
    public var labelCounts: [Int]
    /// Class names, indexed by label.
    public var classNames: [String]

    enum CodingKeys: String, CodingKey {
        case samples, spikes
        case spikesInWindow = "spikes_in_window"
        case nonFiniteTimes = "non_finite_times"
        case negativeTimes = "negative_times"
        case timesAfterWindow = "times_after_window"
        case unitsOutOfRange = "units_out_of_range"
        case labelCounts = "label_counts"
        case classNames = "keys"
    }
}

extension SHDDataset {
    /// The summary of the whole dataset, with "in window" defined by `options` (700 ms, 700 channels by default).
    public func summary(options: SHDRasterOptions = SHDRasterOptions()) -> DatasetSummary {
        var spikes = 0, inWindow = 0, nonFinite = 0, negative = 0, after = 0, badUnit = 0
        let steps = options.steps
        for i in 0 ..< count {
            spikes += times[i].count
            for (t, u) in zip(times[i], units[i]) {
                if !t.isFinite { nonFinite += 1; continue }
                if Int(u) >= options.channels { badUnit += 1; continue }
                if options.bin(Double(t), steps: steps) != nil { inWindow += 1 } else if t < 0 { negative += 1 } else { after += 1 }
            }
        }
        var counts = [Int](repeating: 0, count: max(classNames.count, (labels.max() ?? -1) + 1))
        for l in labels { counts[l] += 1 }
        return DatasetSummary(samples: count, spikes: spikes, spikesInWindow: inWindow, nonFiniteTimes: nonFinite,
                              negativeTimes: negative, timesAfterWindow: after, unitsOutOfRange: badUnit, labelCounts: counts, classNames: classNames)
    }
}
