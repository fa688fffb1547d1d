import SpikeKitFormats
import SpikeKitKernels

/// Samples from NumPy `.npy` arrays: inputs `[samples, steps, units]` of 0/1, and either labels `[samples]`
/// (whole numbers ≥ 0) or target spikes `[samples, steps, outputs]` of 0/1.
public enum NpyDataset {
    /// Loads the arrays at `inputs` and `labels`.
    /// - Throws: the `.npy` reader's errors naming the file; `SpikeKitError.shapeMismatch` for wrong shapes;
    ///   `.invalidConfiguration` for values that are not spikes or labels.
    public static func load(inputs: String, labels: String, dt: Double, classNames: [String] = []) throws -> SpikeTrainDataset {
        let x = try NpyArray.read(path: inputs), y = try NpyArray.read(path: labels)
        return try make(inputs: x, targets: y, dt: dt, classNames: classNames, names: (inputs, labels))
    }

    /// Loads the arrays at `inputs` and `targets` (target spikes).
    public static func load(inputs: String, targetSpikes targets: String, dt: Double) throws -> SpikeTrainDataset {
        let x = try NpyArray.read(path: inputs), y = try NpyArray.read(path: targets)
        return try make(inputs: x, targets: y, dt: dt, classNames: [], names: (inputs, targets))
    }

    /// A data set from arrays in memory: `targets` is `[samples]` (labels) or `[samples, steps, outputs]` (spikes).
    public static func make(inputs x: NpyArray, targets y: NpyArray, dt: Double, classNames: [String] = [],
                            names: (String, String) = ("inputs", "targets")) throws -> SpikeTrainDataset {
        guard x.shape.count == 3 else {
            throw SpikeKitError.shapeMismatch("\(names.0): inputs must be [samples, steps, units], got \(x.shape)")
        }
        let (n, steps, units) = (x.shape[0], x.shape[1], x.shape[2])
        guard y.shape.first == n else {
            throw SpikeKitError.shapeMismatch("\(names.1): \(y.shape.first ?? 0) targets for \(n) samples in \(names.0)")
        }
        let xs = x.floats
        let samples = try (0 ..< n).map { i in
            do {
                return try SpikeTrains(raster: xs[i * steps * units ..< (i + 1) * steps * units], steps: steps, units: units)
            } catch let e as SpikeKitError {
                throw SpikeKitError.invalidConfiguration("\(names.0), sample \(i): \(e.description)")
            }
        }
        let targets = try Self.targets(y, samples: n, steps: steps, name: names.1, inputs: names.0)
        return try SpikeTrainDataset(samples: samples, targets: targets, steps: steps, units: units, dt: dt, classNames: classNames)
    }

    /// The targets of `n` samples of `steps` steps in `y`: labels `[n]` (whole numbers ≥ 0) or target spikes
    /// `[n, steps, outputs]` of 0/1; errors name the file `name` (and `inputs`). Shared by the spike and the current data sets.
    static func targets(_ y: NpyArray, samples n: Int, steps: Int, name: String, inputs: String) throws -> [SampleTarget] {
        guard y.shape.first == n else {
            throw SpikeKitError.shapeMismatch("\(name): \(y.shape.first ?? 0) targets for \(n) samples in \(inputs)")
        }
        switch y.shape.count {
        case 1:
            return try y.doubles.enumerated().map { i, v in
                guard v.isFinite, v >= 0, v == v.rounded(), v < 1e9 else {
                    throw SpikeKitError.invalidConfiguration("\(name)[\(i)] = \(v) is not a class label")
                }
                return .label(Int(v))
            }
        case 3 where y.shape[1] == steps:
            let k = y.shape[1] * y.shape[2], ys = y.floats
            if let bad = ys.firstIndex(where: { $0 != 0 && $0 != 1 }) {
                throw SpikeKitError.invalidConfiguration("\(name): target spikes must be 0 or 1, element \(bad) is \(ys[bad])")
            }
            return (0 ..< n).map { .spikes(Array(ys[$0 * k ..< ($0 + 1) * k])) }
        default:
            throw SpikeKitError.shapeMismatch("\(name): targets must be [\(n)] labels or [\(n), \(steps), outputs] spikes, got \(y.shape)")
        }
    }
}
