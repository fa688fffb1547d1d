import SpikeKitFormats
import SpikeKitKernels

/// A data set held in memory: one `SpikeTrains` and one target per sample. Every other kind of data set loads
/// into one of these.
public struct SpikeTrainDataset: Dataset, Equatable {
    public let samples: [SpikeTrains]
    public let targets: [SampleTarget]
    public let steps: Int
    public let units: Int
    public let dt: Double
    public let classNames: [String]

    public var count: Int { samples.count }
    public func input(_ index: Int) -> SpikeTrains { samples[index] }
    public func target(_ index: Int) -> SampleTarget { targets[index] }

    /// A data set from samples and their targets.
    /// - Throws: `SpikeKitError.shapeMismatch` when a sample is not `steps` × `units`, the counts differ, or a
    ///   target raster is not `steps` × (the first raster's outputs); `.invalidConfiguration` for a negative label,
    ///   a mix of labels and rasters, a raster value other than 0 or 1, or a non-positive `dt`.
    public init(samples: [SpikeTrains], targets: [SampleTarget], steps: Int, units: Int, dt: Double,
                classNames: [String] = []) throws {
        guard samples.count == targets.count else {
            throw SpikeKitError.shapeMismatch("\(samples.count) samples but \(targets.count) targets")
        }
        guard steps > 0, units > 0 else { throw SpikeKitError.invalidConfiguration("a data set needs at least one step and one unit") }
        guard dt.isFinite, dt > 0 else { throw SpikeKitError.invalidConfiguration("dt must be positive, got \(dt)") }
        for (i, s) in samples.enumerated() where s.steps != steps || s.units != units {
            throw SpikeKitError.shapeMismatch("sample \(i) is \(s.steps) steps × \(s.units) units, expected \(steps) × \(units)")
        }
        var rasterSize: Int?
        var sawLabel = false
        for (i, t) in targets.enumerated() {
            switch t {
            case .label(let l):
                guard l >= 0 else { throw SpikeKitError.invalidConfiguration("sample \(i) has the negative label \(l)") }
                sawLabel = true
            case .spikes(let r):
                let size = rasterSize ?? r.count
                guard r.count == size, size % steps == 0, size > 0 else {
                    throw SpikeKitError.shapeMismatch("target \(i) has \(r.count) values, expected \(steps) steps × the same outputs as target 0")
                }
                if let bad = r.first(where: { $0 != 0 && $0 != 1 }) {
                    throw SpikeKitError.invalidConfiguration("target \(i) holds \(bad); target spikes must be 0 or 1")
                }
                rasterSize = size
            }
        }
        guard !(sawLabel && rasterSize != nil) else {
            throw SpikeKitError.invalidConfiguration("a data set holds either labels or target spikes, not both")
        }
        self.init(unchecked: samples, targets: targets, steps: steps, units: units, dt: dt, classNames: classNames)
    }

    /// Labelled samples.
    public init(samples: [SpikeTrains], labels: [Int], steps: Int, units: Int, dt: Double, classNames: [String] = []) throws {
        try self.init(samples: samples, targets: labels.map { .label($0) }, steps: steps, units: units, dt: dt,
                      classNames: classNames)
    }

    init(unchecked samples: [SpikeTrains], targets: [SampleTarget], steps: Int, units: Int, dt: Double, classNames: [String]) {
        self.samples = samples
        self.targets = targets
        self.steps = steps
        self.units = units
        self.dt = dt
        self.classNames = classNames
    }

    /// The labels (nil when the targets are spike rasters).
    public var labels: [Int]? {
        var out: [Int] = []
        for t in targets { guard case .label(let l) = t else { return nil }; out.append(l) }
        return out
    }
}
