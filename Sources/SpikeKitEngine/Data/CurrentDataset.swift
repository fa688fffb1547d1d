import SpikeKitFormats
import SpikeKitKernels

/// Real-valued samples held in memory: per sample a float array `[steps][units]` (analog features, pixel
/// intensities) and a target, for networks whose input is `InputKind.current`. `input(_:)` gives empty spike
/// trains of the right size (the values are in `currents(_:)`); `Trainer` feeds the values to
/// `Simulator.run(currents:)` when the network's input is real-valued.
public struct CurrentDataset: Dataset, Equatable {
    public let values: [[Float]]
    public let targets: [SampleTarget]
    public let steps: Int
    public let units: Int
    public let dt: Double
    public let classNames: [String]

    public var count: Int { values.count }
    public func input(_ index: Int) -> SpikeTrains { try! SpikeTrains(steps: steps, units: units, events: []) }
    public func target(_ index: Int) -> SampleTarget { targets[index] }
    public func currents(_ index: Int) -> [Float]? { values[index] }

    /// - Throws: `SpikeKitError.shapeMismatch` when a sample is not `steps × units` values or the counts differ,
    ///   `.nonFiniteValues` for NaN or infinite values, `.invalidConfiguration` for a negative label or `dt <= 0`.
    public init(values: [[Float]], targets: [SampleTarget], steps: Int, units: Int, dt: Double, classNames: [String] = []) throws {
        guard values.count == targets.count else { throw SpikeKitError.shapeMismatch("\(values.count) samples but \(targets.count) targets") }
        guard steps > 0, units > 0 else { throw SpikeKitError.invalidConfiguration("a data set needs at least one step and one unit") }
        guard dt.isFinite, dt > 0 else { throw SpikeKitError.invalidConfiguration("dt must be positive, got \(dt)") }
        for (i, v) in values.enumerated() {
            guard v.count == steps * units else {
                throw SpikeKitError.shapeMismatch("sample \(i) has \(v.count) values, expected \(steps) steps × \(units) units")
            }
            guard v.withUnsafeBufferPointer(FiniteCheck.allFinite) else { throw SpikeKitError.nonFiniteValues("sample \(i) holds NaN or infinite values") }
        }
        for (i, t) in targets.enumerated() {
            if case .label(let l) = t, l < 0 { throw SpikeKitError.invalidConfiguration("sample \(i) has the negative label \(l)") }
        }
        self.values = values
        self.targets = targets
        self.steps = steps
        self.units = units
        self.dt = dt
        self.classNames = classNames
    }

    /// The samples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> CurrentDataset {
        try! CurrentDataset(values: indices.map { values[$0] }, targets: indices.map { targets[$0] }, steps: steps, units: units,
                            dt: dt, classNames: classNames)
    }

    /// Float arrays from `.npy` files: inputs `[samples, steps, units]` (any float or integer type) and targets,
    /// either labels `[samples]` (whole numbers ≥ 0) or target spikes `[samples, steps, outputs]` of 0/1 (for the
    /// spike-train losses).
    /// - Throws: the reader's errors naming the file, `SpikeKitError.shapeMismatch` for wrong shapes,
    ///   `.invalidConfiguration` naming the file for NaN or infinite inputs and for targets that are not labels or spikes.
    public static func load(inputs: String, labels: String, dt: Double, classNames: [String] = []) throws -> CurrentDataset {
        let x = try NpyArray.read(path: inputs), y = try NpyArray.read(path: labels)
        guard x.shape.count == 3 else { throw SpikeKitError.shapeMismatch("\(inputs): inputs must be [samples, steps, units], got \(x.shape)") }
        let (n, steps, units) = (x.shape[0], x.shape[1], x.shape[2]), xs = x.floats
        let targets = try NpyDataset.targets(y, samples: n, steps: steps, name: labels, inputs: inputs)
        do {
            return try CurrentDataset(values: (0 ..< n).map { Array(xs[$0 * steps * units ..< ($0 + 1) * steps * units]) },
                                      targets: targets, steps: steps, units: units, dt: dt, classNames: classNames)
        } catch let e as SpikeKitError {
            throw SpikeKitError.invalidConfiguration("\(inputs): \(e.description)")
        }
    }
}

extension Dataset {
    /// The real-valued inputs of sample `index` `[steps][units]`, nil for a spike data set.
    public func currents(_ index: Int) -> [Float]? { nil }

    /// The real-valued inputs of the samples at `indices` as one tensor `[B, steps, units]`.
    /// - Throws: `SpikeKitError.invalidConfiguration` when the data set holds spikes, not real values.
    public func currentBatch(_ indices: [Int]) throws -> Tensor {
        var all: [Float] = []
        all.reserveCapacity(indices.count * steps * units)
        for i in indices {
            guard let v = currents(i) else {
                throw SpikeKitError.invalidConfiguration("the network's input is real-valued (input.kind current) but the data set holds spikes")
            }
            all += v
        }
        return try Tensor(shape: [indices.count, steps, units], scalars: all)
    }
}
