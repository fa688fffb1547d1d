import SpikeKitFormats
import SpikeKitKernels
/// Binning of SHD spike lists into dense binary rasters.
public struct SHDRasterOptions: Equatable, Sendable, Codable {
    /// Bin width in seconds (2 ms by default).
    public var dt: Double
    /// Length of the window from t = 0, in seconds (700 ms by default).
    public var duration: Double
    /// Number of channels; spikes on a unit >= `channels` are dropped (700 by default).
    public var channels: Int
    /// How times are mapped to bins.
    public var binning: Binning

    /// How times are mapped to bins.
    public enum Binning: String, Equatable, Sendable, Codable {
        /// `floor(t / dt)` with bin edges snapped (see `bin(_:)`), and `steps` = the bins covering the window
        /// (350 for 0.7 s / 2 ms).
        case exact
        /// What stork's `HDF5Dataset` computes, for comparisons with it: `steps = int(duration / dt)` (349 for
        /// 0.7 s / 2 ms), and the bin is the float16 product `(1 / dt) * t` truncated toward zero, so 350 of the
        /// float16 times in [0, 1.4) land one bin above `floor(t / dt)`.
        case stork
    }

    /// Creates options; the defaults are the standard SHD preprocessing (350 x 700, exact binning).
    public init(dt: Double = 2e-3, duration: Double = 0.7, channels: Int = 700, binning: Binning = .exact) {
        self.dt = dt
        self.duration = duration
        self.channels = channels
        self.binning = binning
    }

    /// The number of time bins covering [0, duration): `ceil(duration / dt)`, with quotients within a relative
    /// 1e-9 of an integer taken as that integer, so 0.7 s / 2 ms gives 350 (not the 349 of `int(0.7 / 2e-3)`).
    public var steps: Int {
        let q = duration / dt
        if binning == .stork { return Int(q.rounded(.towardZero)) }
        let r = q.rounded()
        return abs(q - r) <= 1e-9 * max(1, abs(q)) ? Int(r) : Int(q.rounded(.up))
    }

    /// Throws unless dt and duration are positive and finite and the raster has a sane size.
    public func validate() throws {
        guard dt.isFinite, dt > 0, duration.isFinite, duration > 0 else {
            throw SpikeKitError.invalidConfiguration("raster dt (\(dt)) and duration (\(duration)) must be positive and finite")
        }
        guard channels > 0, duration / dt <= 1e7, Double(steps) * Double(channels) <= 1e8 else {
            throw SpikeKitError.invalidConfiguration("raster of \(duration / dt) steps x \(channels) channels is too large")
        }
    }

    /// The bin of time `t`: `floor(t / dt)`, where a quotient within a relative 1e-9 of an integer k counts as k
    /// (a spike exactly on a bin edge starts that bin despite the rounding of t / dt). `nil` for NaN, infinite,
    /// negative times and times at or after `duration`. With `.stork` binning, stork's float16 arithmetic instead.
    public func bin(_ t: Double) -> Int? { bin(t, steps: steps) }

    /// `bin(_:)` with `steps` (= `self.steps`) computed once by the caller, for loops over many spikes.
    @inline(__always)
    public func bin(_ t: Double, steps: Int) -> Int? {
        guard t.isFinite else { return nil }
        if binning == .stork {
            // numpy: a Python float times a float16 array is float16 (computed in float32, rounded to half);
            // torch's .long() truncates toward zero; get_valid keeps 0 <= bin < steps.
            let product = Float16(Float(Float16(Float(t))) * Float(Float16(Float(1 / dt))))
            guard product.isFinite else { return nil }
            let k = Int(Float(product).rounded(.towardZero))
            return k >= 0 && k < steps ? k : nil
        }
        guard t >= 0 else { return nil }
        let q = t / dt
        let r = q.rounded()
        let k = abs(q - r) <= 1e-9 * max(1, abs(q)) ? r : q.rounded(.down)
        guard k < Double(steps) else { return nil }
        return Int(k)
    }
}

/// A binary raster of one sample and what was left out of it.
public struct SHDRaster: Sendable {
    /// Shape [steps, channels]; 1 where the channel spiked at least once in the bin, else 0.
    public var tensor: Tensor
    /// Spikes that fell into the window on a valid channel (several in one bin count separately).
    public var spikesInWindow: Int
    /// Spikes dropped because their time was before 0 or at or after the window's end.
    public var droppedOutsideWindow: Int
    /// Spikes dropped because their time was NaN or infinite.
    public var droppedNonFinite: Int
    /// Spikes dropped because their unit was >= the channel count.
    public var droppedBadUnit: Int

    /// All dropped spikes.
    public var dropped: Int { droppedOutsideWindow + droppedNonFinite + droppedBadUnit }
}

extension SHDDataset {
    /// The binary raster [steps, channels] of one sample: the first `duration` seconds in bins of `dt`.
    /// - Throws: `SpikeKitError.invalidConfiguration` for a sample index out of range or invalid options.
    public func raster(sample: Int, options: SHDRasterOptions = SHDRasterOptions()) throws -> SHDRaster {
        try options.validate()
        guard sample >= 0, sample < count else {
            throw SpikeKitError.invalidConfiguration("sample \(sample) is out of range 0..<\(count)")
        }
        let steps = options.steps, channels = options.channels
        var scalars = [Float](repeating: 0, count: steps * channels)
        var inWindow = 0, outside = 0, nonFinite = 0, badUnit = 0
        let t = times[sample], u = units[sample]
        for k in 0 ..< t.count {
            let time = Double(t[k])
            guard time.isFinite else { nonFinite += 1; continue }
            guard Int(u[k]) < channels else { badUnit += 1; continue }
            guard let b = options.bin(time, steps: steps) else { outside += 1; continue }
            scalars[b * channels + Int(u[k])] = 1
            inWindow += 1
        }
        let tensor = try Tensor(shape: [steps, channels], scalars: scalars)
        return SHDRaster(tensor: tensor, spikesInWindow: inWindow, droppedOutsideWindow: outside,
                         droppedNonFinite: nonFinite, droppedBadUnit: badUnit)
    }
}

extension SHDDataset {
    /// The binary rasters of several samples stacked into one tensor of shape [samples.count, steps, channels],
    /// with the numbers of spikes kept and dropped over all of them (see `SHDRaster`).
    /// - Throws: `SpikeKitError.invalidConfiguration` for an index out of range, invalid options, or a batch of more
    ///   than 1e9 values.
    public func rasterBatch(samples: [Int], options: SHDRasterOptions = SHDRasterOptions()) throws -> SHDRaster {
        try options.validate()
        let steps = options.steps, channels = options.channels
        let size = steps * channels
        guard Double(size) * Double(samples.count) <= 1e9 else {
            throw SpikeKitError.invalidConfiguration("a batch of \(samples.count) rasters of \(steps) x \(channels) is too large")
        }
        var scalars = [Float](repeating: 0, count: size * samples.count)
        var inWindow = 0, outside = 0, nonFinite = 0, badUnit = 0
        for (row, sample) in samples.enumerated() {
            let r = try raster(sample: sample, options: options)
            scalars.withUnsafeMutableBufferPointer { dst in
                r.tensor.scalars.withUnsafeBufferPointer { src in
                    for k in 0 ..< size where src[k] != 0 { dst[row * size + k] = src[k] }
                }
            }
            inWindow += r.spikesInWindow
            outside += r.droppedOutsideWindow
            nonFinite += r.droppedNonFinite
            badUnit += r.droppedBadUnit
        }
        return SHDRaster(tensor: try Tensor(shape: [samples.count, steps, channels], scalars: scalars), spikesInWindow: inWindow,
                         droppedOutsideWindow: outside, droppedNonFinite: nonFinite, droppedBadUnit: badUnit)
    }
}
