import SpikeKitFormats
import SpikeKitKernels

/// What a sample of a data set is compared against: a class label (for the max-over-time cross-entropy on a
/// readout) or a target spike raster `[steps][outputs]` (for the L2 spike loss on a spiking last layer).
public enum SampleTarget: Sendable, Equatable {
    case label(Int)
    case spikes([Float])
}

/// A set of spike-train samples with targets, all of the same size: `steps` steps of `dt` seconds × `units`
/// input units. The trainer reads samples by index; shuffling and batching are done by `BatchSchedule`.
///
/// Kinds: `SpikeTrainDataset` (in memory; every other kind builds one), `SHDLayoutDataset` (SHD-layout HDF5 files,
/// binned as `spikekit classify` does), `RandmanDataset` (generated Randman data), `NpyDataset` (.npy arrays).
public protocol Dataset: Sendable {
    /// The number of samples.
    var count: Int { get }
    /// Time steps per sample.
    var steps: Int { get }
    /// Input units per step.
    var units: Int { get }
    /// Step size Δt in seconds.
    var dt: Double { get }
    /// Class names (indexed by label); empty when the targets are spike rasters.
    var classNames: [String] { get }
    /// The input spikes of sample `index`.
    func input(_ index: Int) -> SpikeTrains
    /// The target of sample `index`.
    func target(_ index: Int) -> SampleTarget
    /// The real-valued inputs of sample `index` `[steps][units]` (`CurrentDataset`); nil (the default) for spikes.
    func currents(_ index: Int) -> [Float]?
}

extension Dataset {
    /// The number of classes: the larger of the class names and the largest label + 1 (0 for spike targets).
    public var classes: Int {
        var largest = -1
        for i in 0 ..< count { if case .label(let l) = target(i) { largest = max(largest, l) } }
        return max(classNames.count, largest + 1)
    }

    /// Whether the targets are class labels.
    public var isLabelled: Bool { count > 0 && { if case .label = target(0) { return true } else { return false } }() }

    /// The inputs and the targets (in the `Simulator`'s form) of the samples at `indices`, in that order.
    /// - Throws: `SpikeKitError.invalidConfiguration` when the samples mix labels and spike targets.
    public func batch(_ indices: [Int]) throws -> (inputs: [SpikeTrains], targets: Targets) {
        let inputs = indices.map { input($0) }
        var labels: [Int] = [], rasters: [[Float]] = []
        for i in indices {
            switch target(i) {
            case .label(let l): labels.append(l)
            case .spikes(let s): rasters.append(s)
            }
        }
        guard labels.isEmpty || rasters.isEmpty else {
            throw SpikeKitError.invalidConfiguration("a batch mixes labelled samples and samples with target spikes")
        }
        return (inputs, rasters.isEmpty ? .labels(labels) : .spikes(rasters))
    }

    /// The samples at `indices`, in that order, as an in-memory data set.
    public func subset(_ indices: [Int]) -> SpikeTrainDataset {
        SpikeTrainDataset(unchecked: indices.map { input($0) }, targets: indices.map { target($0) }, steps: steps,
                          units: units, dt: dt, classNames: classNames)
    }

    /// Every sample, as an in-memory data set.
    public var inMemory: SpikeTrainDataset { subset(Array(0 ..< count)) }

    /// Seeded training / validation / test split: `testFraction` of the samples go to the test set
    /// (`SHDDataset.validationSplit` with seed `seed ^ 0x7E57`), then `validationFraction` of the rest to the
    /// validation set (with `seed`). This is the split of `spikekit classify`: with 10 000 samples and 0.1 / 0.1,
    /// 1000 test, then 900 validation and 8100 training samples.
    public func split(seed: UInt64, validationFraction: Double, testFraction: Double) throws
        -> (training: SpikeTrainDataset, validation: SpikeTrainDataset, test: SpikeTrainDataset) {
        let (rest, test) = try SHDDataset.validationSplit(count: count, seed: seed ^ 0x7E57, fraction: testFraction)
        let (train, valid) = try SHDDataset.validationSplit(count: rest.count, seed: seed, fraction: validationFraction)
        return (subset(train.map { rest[$0] }), subset(valid.map { rest[$0] }), subset(test))
    }
}
