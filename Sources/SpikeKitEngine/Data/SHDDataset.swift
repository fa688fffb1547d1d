import SpikeKitFormats
import SpikeKitKernels
/// The Spiking Heidelberg Digits (or Spiking Speech Commands) data: per sample a list of spike times (seconds) and
/// the channel (unit) of each spike, a class label and a speaker, plus the class names.
///
/// Load a file with `SHDDataset(path:)` (`.h5` or `.h5.gz`); the layout is described in SPEC.md §6 and
/// shared/data/HDF5-NOTES.md. Loading checks the structure: the same number of samples in every per-sample
/// dataset, and as many units as times in each sample. Values that are wrong but do not break the structure
/// (NaN or infinite times, units beyond the channel count) are kept and counted: `raster(sample:options:)` drops
/// them and reports how many, and `summary()` counts them, so a caller can print what was left out.
public struct SHDDataset: Sendable {
    /// Spike times in seconds per sample (float16 in the files, widened exactly).
    public var times: [[Float]]
    /// The unit (channel) of each spike, parallel to `times`.
    public var units: [[UInt16]]
    /// The class label of each sample.
    public var labels: [Int]
    /// The speaker of each sample (an index into `metaInfo`), when the file has `/extra/speaker`.
    public var speakers: [Int]?
    /// Class names from `/extra/keys`, indexed by label.
    public var classNames: [String]
    /// Per-speaker metadata from `/extra/meta_info`, when present.
    public var metaInfo: SHDMetaInfo?

    /// The number of samples.
    public var count: Int { labels.count }

    /// The largest label accepted (labels are class indices; the files store them in at most 16 bits).
    public static let maxLabel = 65535

    /// Per-speaker metadata (`/extra/meta_info/{gender,age,body_height}`).
    public struct MetaInfo: Equatable, Sendable {
        /// Gender of each speaker.
        public var gender: [String]
        /// Age of each speaker in years.
        public var age: [Int]
        /// Body height of each speaker in cm.
        public var bodyHeight: [Int]

        /// Creates metadata; the three arrays are indexed by speaker.
        public init(gender: [String], age: [Int], bodyHeight: [Int]) {
            self.gender = gender
            self.age = age
            self.bodyHeight = bodyHeight
        }
    }

    /// Creates a dataset from arrays, checking that they fit together.
    /// - Throws: `SpikeKitError.shapeMismatch` when the per-sample arrays differ in length, or a sample has a
    ///   different number of times and units; `.invalidConfiguration` for a label outside 0...`maxLabel` or a
    ///   negative speaker.
    public init(times: [[Float]], units: [[UInt16]], labels: [Int], speakers: [Int]? = nil, classNames: [String],
                metaInfo: SHDMetaInfo? = nil) throws {
        guard times.count == labels.count, units.count == labels.count, speakers.map({ $0.count == labels.count }) ?? true else {
            throw SpikeKitError.shapeMismatch("SHD samples: \(times.count) times, \(units.count) units, \(labels.count) labels"
                + (speakers.map { ", \($0.count) speakers" } ?? ""))
        }
        for i in 0 ..< times.count where times[i].count != units[i].count {
            throw SpikeKitError.shapeMismatch("SHD sample \(i) has \(times[i].count) spike times but \(units[i].count) units")
        }
        if let bad = labels.firstIndex(where: { $0 < 0 || $0 > Self.maxLabel }) {
            throw SpikeKitError.invalidConfiguration("SHD sample \(bad) has the label \(labels[bad]), not in 0...\(Self.maxLabel)")
        }
        if let s = speakers, let bad = s.firstIndex(where: { $0 < 0 }) {
            throw SpikeKitError.invalidConfiguration("SHD sample \(bad) has the negative speaker \(s[bad])")
        }
        self.times = times
        self.units = units
        self.labels = labels
        self.speakers = speakers
        self.classNames = classNames
        self.metaInfo = metaInfo
    }

    /// Loads an SHD file (`.h5`, or gzip-compressed `.h5.gz`, detected by its magic bytes).
    /// - Throws: `HDF5Error` when the file cannot be read or lacks a required dataset, `SpikeKitError.shapeMismatch`
    ///   when its datasets do not fit together.
    public init(path: String) throws {
        try self.init(file: try HDF5File(path: path))
    }

    /// Loads SHD data from an opened HDF5 file: `/spikes/times`, `/spikes/units`, `/labels` are required;
    /// `/extra/speaker`, `/extra/keys` and `/extra/meta_info/*` are read when present.
    public init(file: HDF5File) throws {
        let times = try file.dataset(at: "/spikes/times").readVLenFloats()
        let units = try file.dataset(at: "/spikes/units").readVLenUInt16()
        let labels = try Self.ints(try file.dataset(at: "/labels").readIntegers(), "/labels", file)
        let speakers = file.contains("/extra/speaker")
            ? try Self.ints(try file.dataset(at: "/extra/speaker").readIntegers(), "/extra/speaker", file) : nil
        let keys = file.contains("/extra/keys") ? try file.dataset(at: "/extra/keys").readStrings() : []
        var meta: SHDMetaInfo? = nil
        if file.contains("/extra/meta_info/gender"), file.contains("/extra/meta_info/age"),
           file.contains("/extra/meta_info/body_height") {
            meta = SHDMetaInfo(gender: try file.dataset(at: "/extra/meta_info/gender").readStrings(),
                               age: try Self.wholeNumbers(file.dataset(at: "/extra/meta_info/age").readFloats(),
                                                          "/extra/meta_info/age", file),
                               bodyHeight: try Self.wholeNumbers(file.dataset(at: "/extra/meta_info/body_height").readFloats(),
                                                                 "/extra/meta_info/body_height", file))
        }
        do {
            try self.init(times: times, units: units, labels: labels, speakers: speakers, classNames: keys, metaInfo: meta)
        } catch let e as SpikeKitError {
            throw SpikeKitError.malformedFile(path: file.name, message: e.description)
        }
    }

    /// Rounded values that must fit an Int32 (this module is compiled -Ounchecked: a NaN or 1e30 converted to Int
    /// unchecked would be undefined).
    private static func wholeNumbers(_ values: [Double], _ path: String, _ file: HDF5File) throws -> [Int] {
        try values.enumerated().map { i, v in
            guard v.isFinite, abs(v) <= Double(Int32.max) else {
                throw SpikeKitError.malformedFile(path: file.name, message: "\(path)[\(i)] = \(v) is not a whole number")
            }
            return Int(v.rounded())
        }
    }

    private static func ints(_ values: [Int64], _ path: String, _ file: HDF5File) throws -> [Int] {
        try values.enumerated().map { i, v in
            guard v >= 0, v <= Int64(Int32.max) else {
                throw SpikeKitError.malformedFile(path: file.name, message: "\(path)[\(i)] = \(v) is not a valid index")
            }
            return Int(v)
        }
    }
}

/// Per-speaker metadata of an SHD file; see `SHDDataset.MetaInfo`.
public typealias SHDMetaInfo = SHDDataset.MetaInfo
