import Foundation

/// Reads and writes the Hugging Face safetensors format (https://github.com/huggingface/safetensors):
/// ```
/// [8 bytes]  N, the header length, unsigned 64-bit little-endian
/// [N bytes]  UTF-8 JSON: {"<name>": {"dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin, end]}, ...,
///                         "__metadata__": {"<key>": "<string value>", ...}}   (padded with spaces)
/// [rest]     the data buffer; tensor bytes are buffer[begin ..< end], little-endian, row-major
/// ```
/// SpikeKit writes F32 tensors, packed in the order given, with the header padded to a multiple of 8 bytes (as
/// the reference implementation does, so the data stays aligned). It reads F32, and F64 and I64 converted to
/// Float32 (rounding to nearest; very large integers lose precision). Other dtypes (F16, BF16, I32, U8, BOOL, ...)
/// are rejected with an error naming the tensor and the dtype.
///
/// The reader checks everything it relies on and reports the first problem as
/// `SpikeKitError.malformedFile(path:message:)`: a header length larger than the file or 100 MB, a header that
/// is not a JSON object of the form above, non-string metadata values, offsets outside the data buffer, tensors
/// that overlap, are out of order or leave gaps (the reference implementation requires the tensors to tile the
/// buffer exactly), a byte count that differs from shape × dtype size, and unknown dtypes. NaN and infinite values
/// in the data are read as they are. A damaged file never crashes the reader.
public enum Safetensors {
    /// The largest header the reader accepts (100 MB), as the reference implementation.
    public static let maximumHeaderLength = 100_000_000

    /// The element types SpikeKit reads.
    public enum DType: String, Sendable, CaseIterable {
        /// IEEE 754 binary32, read as is.
        case f32 = "F32"
        /// IEEE 754 binary64, rounded to Float32.
        case f64 = "F64"
        /// Signed 64-bit integers, converted to the nearest Float32.
        case i64 = "I64"

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .f32: return 4
            case .f64, .i64: return 8
            }
        }
    }

    /// The file's bytes for `tensors` (written as F32 in the given order) and `metadata`.
    /// - Throws: `SpikeKitError.invalidConfiguration` for an empty or duplicate name, or the reserved name
    ///   `__metadata__`.
    public static func encode(tensors: [(String, Tensor)], metadata: [String: String] = [:]) throws -> Data {
        var seen = Set<String>()
        var entries: [String] = []
        var offset = 0
        for (name, t) in tensors {
            guard !name.isEmpty, name != "__metadata__" else {
                throw SpikeKitError.invalidConfiguration("safetensors: invalid tensor name '\(name)'")
            }
            guard seen.insert(name).inserted else {
                throw SpikeKitError.invalidConfiguration("safetensors: duplicate tensor name '\(name)'")
            }
            let end = offset + 4 * t.count
            entries.append("\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        if !metadata.isEmpty {
            let m = metadata.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }
            entries.insert("\"__metadata__\":{\(m.joined(separator: ","))}", at: 0)
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var out = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for (_, t) in tensors {
            t.scalars.withUnsafeBufferPointer { buf in
                #if _endian(little)
                out.append(UnsafeRawBufferPointer(buf).bindMemory(to: UInt8.self))
                #else
                for x in buf { withUnsafeBytes(of: x.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
                #endif
            }
        }
        return out
    }

    /// Writes `tensors` (as F32, in the given order) and `metadata` to `path` atomically (`AtomicFile`).
    /// - Throws: `SpikeKitError.invalidConfiguration` for invalid names, `SpikeKitError.io` when the file cannot
    ///   be written.
    public static func write(tensors: [(String, Tensor)], metadata: [String: String] = [:], to path: String) throws {
        try AtomicFile.write(encode(tensors: tensors, metadata: metadata), to: path)
    }

    /// Reads every tensor (converted to Float32) and the `__metadata__` strings of the file at `path`.
    /// - Throws: `SpikeKitError.io` when the file cannot be read, `SpikeKitError.malformedFile` naming the file and
    ///   the problem when it is not a valid safetensors file SpikeKit can read.
    public static func read(path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let file = try decode(AtomicFile.read(path), path: path)
        return (Dictionary(uniqueKeysWithValues: file.tensors.map { ($0.name, $0.tensor) }), file.metadata)
    }

    /// Parses a safetensors file held in memory; `path` is only used in error messages. The tensors come in the
    /// order of their data offsets.
    /// - Throws: `SpikeKitError.malformedFile` naming `path` and the problem.
    public static func decode(_ data: Data, path: String) throws -> (tensors: [(name: String, tensor: Tensor)], metadata: [String: String]) {
        func bad(_ m: String) -> SpikeKitError { .malformedFile(path: path, message: "safetensors: \(m)") }
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else { throw bad("file is \(bytes.count) bytes, shorter than the 8-byte header length") }
        var n: UInt64 = 0
        for k in 0 ..< 8 { n |= UInt64(bytes[k]) << (8 * UInt64(k)) }
        guard n <= UInt64(maximumHeaderLength) else {
            throw bad("header length \(n) bytes exceeds the \(maximumHeaderLength)-byte limit (not a safetensors file?)")
        }
        guard n <= UInt64(bytes.count - 8) else {
            throw bad("header length \(n) bytes exceeds the \(bytes.count - 8) bytes after the length field (truncated file?)")
        }
        let headerEnd = 8 + Int(n)
        let header = try parseHeader(Data(bytes[8 ..< headerEnd]), bad: bad)
        let bufferLength = bytes.count - headerEnd

        // Offsets: inside the buffer, sorted, contiguous, covering it exactly.
        let ordered = header.tensors.sorted { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var expectedBegin = 0
        for e in ordered {
            guard e.begin <= e.end, e.end <= bufferLength else {
                throw bad("tensor '\(e.name)' has data_offsets [\(e.begin), \(e.end)] outside the \(bufferLength)-byte data buffer")
            }
            guard e.begin == expectedBegin else {
                throw bad(e.begin < expectedBegin
                    ? "tensor '\(e.name)' at [\(e.begin), \(e.end)] overlaps the previous tensor, which ends at \(expectedBegin)"
                    : "gap in the data buffer before tensor '\(e.name)': it begins at \(e.begin), the previous tensor ends at \(expectedBegin)")
            }
            expectedBegin = e.end
        }
        guard expectedBegin == bufferLength else {
            throw bad("the tensors cover \(expectedBegin) bytes of the \(bufferLength)-byte data buffer (trailing bytes)")
        }

        var tensors: [(name: String, tensor: Tensor)] = []
        tensors.reserveCapacity(ordered.count)
        for e in ordered {
            guard let dtype = DType(rawValue: e.dtype) else {
                throw bad("tensor '\(e.name)' has dtype \(e.dtype); SpikeKit reads \(DType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var count = 1
            for d in e.shape {
                guard d >= 0 else { throw bad("tensor '\(e.name)' has a negative dimension in shape \(e.shape)") }
                let (p, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow, p <= bufferLength else {
                    throw bad("tensor '\(e.name)' with shape \(e.shape) needs more bytes than the file has")
                }
                count = p
            }
            guard e.end - e.begin == count * dtype.size else {
                throw bad("tensor '\(e.name)' has \(e.end - e.begin) bytes, but shape \(e.shape) of \(dtype.rawValue) needs \(count * dtype.size)")
            }
            let base = headerEnd + e.begin
            var scalars = [Float](repeating: 0, count: count)
            bytes.withUnsafeBytes { raw in
                switch dtype {
                case .f32:
                    for k in 0 ..< count {
                        scalars[k] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: base + 4 * k, as: UInt32.self)))
                    }
                case .f64:
                    for k in 0 ..< count {
                        scalars[k] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: base + 8 * k, as: UInt64.self))))
                    }
                case .i64:
                    for k in 0 ..< count {
                        scalars[k] = Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: base + 8 * k, as: Int64.self)))
                    }
                }
            }
            tensors.append((e.name, try Tensor(shape: e.shape, scalars: scalars)))
        }
        return (tensors, header.metadata)
    }

    // MARK: - Header

    struct HeaderEntry {
        var name: String
        var dtype: String
        var shape: [Int]
        var begin: Int
        var end: Int
    }

    /// Parses the JSON header into its tensor entries and metadata.
    static func parseHeader(_ json: Data, bad: (String) -> SpikeKitError) throws -> (tensors: [HeaderEntry], metadata: [String: String]) {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: json, options: [])
        } catch {
            throw bad("the \(json.count)-byte header is not valid JSON")
        }
        guard let dict = object as? [String: Any] else { throw bad("the header is not a JSON object") }
        var metadata: [String: String] = [:]
        var entries: [HeaderEntry] = []
        for (name, value) in dict {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else { throw bad("__metadata__ is not a JSON object") }
                for (k, v) in m {
                    guard let s = v as? String else { throw bad("__metadata__ value of '\(k)' is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let info = value as? [String: Any] else { throw bad("entry '\(name)' is not a JSON object") }
            guard let dtype = info["dtype"] as? String else { throw bad("tensor '\(name)' has no string 'dtype'") }
            guard let shape = integers(info["shape"]) else {
                throw bad("tensor '\(name)' has no 'shape' list of non-negative integers")
            }
            guard let offsets = integers(info["data_offsets"]), offsets.count == 2 else {
                throw bad("tensor '\(name)' has no 'data_offsets' pair of non-negative integers")
            }
            entries.append(HeaderEntry(name: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1]))
        }
        return (entries, metadata)
    }

    /// A JSON array of non-negative whole numbers that fit in an Int, or nil.
    private static func integers(_ value: Any?) -> [Int]? {
        guard let list = value as? [Any] else { return nil }
        var out: [Int] = []
        out.reserveCapacity(list.count)
        for v in list {
            guard let num = v as? NSNumber else { return nil }
            let d = num.doubleValue
            guard d.isFinite, d >= 0, d < 9.0e15, d == d.rounded() else { return nil }
            let i = num.int64Value
            guard Double(i) == d else { return nil }
            out.append(Int(i))
        }
        return out
    }

    /// `s` as a JSON string literal (quotes, backslashes and control characters escaped).
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
