import SpikeKitFormats
import SpikeKitKernels
import Foundation

/// Writes `SHDDataset`s in the layout of the published SHD files, as h5py writes them by default (superblock v0,
/// symbol-table groups, contiguous datasets, vlen data in global heap collections):
///
/// ```
/// /spikes/times   (N,) vlen float16, seconds     /spikes/units (N,) vlen uint16
/// /labels         (N,) uint16                    /extra/speaker (N,) uint16 (when present)
/// /extra/keys     (C,) fixed-length strings      /extra/meta_info/{gender, age, body_height} (when present)
/// ```
/// Times are rounded to the nearest float16 (exact for data read from SHD files). Any HDF5 reader, h5py and
/// `HDF5File` included, opens the result.
public enum SHDFile {
    /// The file's bytes for `dataset`.
    /// - Throws: `SpikeKitError.invalidConfiguration` when a label, speaker, age or height does not fit in uint16.
    public static func encode(_ dataset: SHDDataset) throws -> [UInt8] {
        typealias W = HDF5Writer
        let f16 = HDF5Datatype.floatingPoint(size: 2, bigEndian: false)
        let u16 = HDF5Datatype.fixedPoint(size: 2, signed: false, bigEndian: false)
        let times = dataset.times.map { sample -> (count: Int, bytes: [UInt8]) in
            var b = [UInt8](); b.reserveCapacity(sample.count * 2)
            for t in sample { let v = Float16(t).bitPattern; b.append(UInt8(v & 0xFF)); b.append(UInt8(v >> 8)) }
            return (sample.count, b)
        }
        let units = dataset.units.map { sample -> (count: Int, bytes: [UInt8]) in
            var b = [UInt8](); b.reserveCapacity(sample.count * 2)
            for u in sample { b.append(UInt8(u & 0xFF)); b.append(UInt8(u >> 8)) }
            return (sample.count, b)
        }
        var extra: [String: W.Node] = ["keys": .dataset(strings(dataset.classNames))]
        if let s = dataset.speakers { extra["speaker"] = .dataset(try uint16(s, "speaker")) }
        if let m = dataset.metaInfo {
            extra["meta_info"] = .group([
                "gender": .dataset(strings(m.gender)),
                "age": .dataset(try uint16(m.age, "age")),
                "body_height": .dataset(try uint16(m.bodyHeight, "body height")),
            ])
        }
        let root: [String: W.Node] = [
            "spikes": .group([
                "times": .dataset(W.Dataset(datatype: .variableSequence(base: f16), payload: .variable(times))),
                "units": .dataset(W.Dataset(datatype: .variableSequence(base: u16), payload: .variable(units))),
            ]),
            "labels": .dataset(try uint16(dataset.labels, "label")),
            "extra": .group(extra),
        ]
        return try W.serialize(root)
    }

    /// Writes `dataset` to `path` atomically (see `AtomicFile`).
    /// - Throws: `SpikeKitError` when a value does not fit the format or the file cannot be written.
    public static func write(_ dataset: SHDDataset, to path: String) throws {
        try AtomicFile.write(Data(try encode(dataset)), to: path)
    }

    private static func uint16(_ values: [Int], _ what: String) throws -> HDF5Writer.Dataset {
        var b = [UInt8](); b.reserveCapacity(values.count * 2)
        for v in values {
            guard let u = UInt16(exactly: v) else {
                throw SpikeKitError.invalidConfiguration("SHD \(what) \(v) does not fit in uint16")
            }
            b.append(UInt8(u & 0xFF)); b.append(UInt8(u >> 8))
        }
        return HDF5Writer.Dataset(datatype: .fixedPoint(size: 2, signed: false, bigEndian: false),
                                  payload: .fixed(count: values.count, bytes: b))
    }

    /// Fixed-length, NUL-padded strings as long as the longest (h5py's `|S<n>`); UTF-8 when not all ASCII.
    private static func strings(_ values: [String]) -> HDF5Writer.Dataset {
        let encoded = values.map { Array($0.utf8) }
        let size = max(1, encoded.map(\.count).max() ?? 1)
        let ascii = encoded.allSatisfy { $0.allSatisfy { $0 < 0x80 } }
        var b = [UInt8](); b.reserveCapacity(size * values.count)
        for e in encoded { b += e + [UInt8](repeating: 0, count: size - e.count) }
        return HDF5Writer.Dataset(datatype: .fixedString(size: size, padding: .nullPadded, charset: ascii ? .ascii : .utf8),
                                  payload: .fixed(count: values.count, bytes: b))
    }
}
