import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine
/// A labelled set of spike-train samples for classification: every sample has the same steps and units.
public struct ClassificationData: Sendable, Equatable {
    /// The samples, each `steps` × `units`.
    public var samples: [SpikeTrains]
    /// The class of each sample.
    public var labels: [Int]
    /// Names of the classes (may be empty; then classes are named by number).
    public var classNames: [String]
    public let steps: Int
    public let units: Int
    /// Step size in seconds.
    public let dt: Double
    /// Spikes of the source file that the binning dropped (zero for generated data).
    public var dropped = DroppedSpikes()

    /// Spikes left out when spike lists are binned into rasters, by reason.
    public struct DroppedSpikes: Equatable, Sendable {
        /// Finite times before 0 s.
        public var negativeTime = 0
        /// Finite times at or after the window's end.
        public var afterWindow = 0
        /// NaN or infinite times.
        public var nonFiniteTime = 0
        /// Units at or above the channel count.
        public var unitOutOfRange = 0
        /// All dropped spikes.
        public var total: Int { negativeTime + afterWindow + nonFiniteTime + unitOutOfRange }
        public init() {}
    }

    /// The number of samples.
    public var count: Int { labels.count }

    /// The number of classes: the larger of the class names and the largest label + 1.
    public var classes: Int { max(classNames.count, (labels.max() ?? -1) + 1) }

    /// A data set from its parts.
    /// - Throws: `SpikeKitError.shapeMismatch` when samples differ in size or do not match the labels,
    ///   `.invalidConfiguration` for a negative label.
    public init(samples: [SpikeTrains], labels: [Int], classNames: [String] = [], steps: Int, units: Int, dt: Double) throws {
        guard samples.count == labels.count else {
            throw SpikeKitError.shapeMismatch("\(samples.count) samples but \(labels.count) labels")
        }
        for (i, s) in samples.enumerated() where s.steps != steps || s.units != units {
            throw SpikeKitError.shapeMismatch("sample \(i) is \(s.steps) steps × \(s.units) units, expected \(steps) × \(units)")
        }
        if let bad = labels.firstIndex(where: { $0 < 0 }) {
            throw SpikeKitError.invalidConfiguration("sample \(bad) has the negative label \(labels[bad])")
        }
        self.samples = samples
        self.labels = labels
        self.classNames = classNames
        self.steps = steps
        self.units = units
        self.dt = dt
    }

    /// SHD-layout data binned as `options` says (SHD: the first 700 ms in 2 ms bins over 700 channels; several
    /// spikes in one bin count once; spikes outside the window, on a unit ≥ channels or at a non-finite time are
    /// dropped). `limit` keeps only the first samples.
    public init(shd: SHDDataset, options: SHDRasterOptions = SHDRasterOptions(), limit: Int? = nil) throws {
        try options.validate()
        let n = min(shd.count, limit ?? shd.count)
        let steps = options.steps, channels = options.channels
        var samples: [SpikeTrains] = []
        samples.reserveCapacity(n)
        var dropped = DroppedSpikes()
        for i in 0 ..< n {
            var events: [(step: Int, unit: Int)] = []
            let t = shd.times[i], u = shd.units[i]
            events.reserveCapacity(t.count)
            for k in 0 ..< t.count {
                let time = Double(t[k])
                guard time.isFinite else { dropped.nonFiniteTime += 1; continue }
                guard Int(u[k]) < channels else { dropped.unitOutOfRange += 1; continue }
                if let b = options.bin(time, steps: steps) {
                    events.append((b, Int(u[k])))
                } else if time < 0 {
                    dropped.negativeTime += 1
                } else {
                    dropped.afterWindow += 1
                }
            }
            samples.append(try SpikeTrains(steps: steps, units: channels, events: events))
        }
        try self.init(samples: samples, labels: Array(shd.labels[..<n]), classNames: shd.classNames, steps: steps,
                      units: channels, dt: options.dt)
        self.dropped = dropped
    }

    /// Generated Randman data.
    public init(randman: Randman.Samples) throws {
        let c = randman.configuration
        try self.init(samples: randman.spikes, labels: randman.labels, classNames: (0 ..< c.classes).map { "class \($0)" },
                      steps: c.steps, units: c.units, dt: c.dt)
    }

    /// The samples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> ClassificationData {
        var d = self
        d.samples = indices.map { samples[$0] }
        d.labels = indices.map { labels[$0] }
        return d
    }

    /// Seeded training / validation / test split of one data set: `testFraction` of the samples go to the test set
    /// (`SHDDataset.validationSplit` with seed `seed ^ 0x7E57`), then `validationFraction` of the rest to the
    /// validation set (with `seed`, as for SHD).
    public func split(seed: UInt64, validationFraction: Double, testFraction: Double) throws
        -> (training: ClassificationData, validation: ClassificationData, test: ClassificationData) {
        let (rest, test) = try SHDDataset.validationSplit(count: count, seed: seed ^ 0x7E57, fraction: testFraction)
        let (train, valid) = try SHDDataset.validationSplit(count: rest.count, seed: seed, fraction: validationFraction)
        return (subset(train.map { rest[$0] }), subset(valid.map { rest[$0] }), subset(test))
    }
}
