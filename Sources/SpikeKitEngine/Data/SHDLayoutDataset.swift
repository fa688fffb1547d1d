import SpikeKitFormats
import SpikeKitKernels

/// Labelled samples from a file in the layout of the Spiking Heidelberg Digits (`/spikes/times`, `/spikes/units`,
/// `/labels`; `.h5` or `.h5.gz`), binned into `steps` × `channels` rasters as `spikekit classify` bins them
/// (`SHDRasterOptions`): bin `floor(t / Δt)` with edges snapped; several spikes of one unit in one bin count once;
/// spikes at or after `duration`, on a unit ≥ `channels` or at a non-finite time are dropped.
public enum SHDLayoutDataset {
    /// Loads and bins `path`; `limit` keeps only the first samples.
    /// - Throws: the HDF5 reader's errors naming the file; `SpikeKitError.invalidConfiguration` for invalid options.
    public static func load(path: String, options: SHDRasterOptions = SHDRasterOptions(), limit: Int? = nil) throws -> SpikeTrainDataset {
        try bin(SHDDataset(path: path), options: options, limit: limit)
    }

    /// Bins SHD-layout data already in memory.
    public static func bin(_ shd: SHDDataset, options: SHDRasterOptions = SHDRasterOptions(), limit: Int? = nil) throws -> SpikeTrainDataset {
        try options.validate()
        let n = min(shd.count, max(0, limit ?? shd.count))
        let steps = options.steps, channels = options.channels
        var samples: [SpikeTrains] = []
        samples.reserveCapacity(n)
        for i in 0 ..< n {
            var events: [(step: Int, unit: Int)] = []
            let t = shd.times[i], u = shd.units[i]
            events.reserveCapacity(t.count)
            for k in 0 ..< t.count where Int(u[k]) < channels {
                if let b = options.bin(Double(t[k])) { events.append((b, Int(u[k]))) }
            }
            samples.append(try SpikeTrains(steps: steps, units: channels, events: events))
        }
        return try SpikeTrainDataset(samples: samples, labels: Array(shd.labels[..<n]), steps: steps, units: channels,
                                     dt: options.dt, classNames: shd.classNames)
    }

    /// Raster options that cover a file of unknown extent: `channels` = largest unit + 1 and `duration` = the steps
    /// of `dt` up to and including the latest finite spike, unless given.
    public static func coveringOptions(for shd: SHDDataset, dt: Double, duration: Double? = nil,
                                       channels: Int? = nil) -> SHDRasterOptions {
        let maxUnit = shd.units.lazy.compactMap { $0.max() }.max().map(Int.init) ?? 0
        let maxTime = shd.times.lazy.compactMap { $0.filter(\.isFinite).max() }.max().map(Double.init) ?? dt
        let steps = max(1, Int((max(maxTime, 0) / dt).rounded(.down)) + 1)
        return SHDRasterOptions(dt: dt, duration: duration ?? Double(steps) * dt, channels: channels ?? maxUnit + 1)
    }
}
