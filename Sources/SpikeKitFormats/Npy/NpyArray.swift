import Foundation

/// A NumPy `.npy` array (format versions 1.0, 2.0 and 3.0; little-endian `<f4`, `<f8` or `<i8`; C order).
///
/// Anything else (big-endian, Fortran order, another dtype, a truncated body, a malformed header) is rejected with
/// an error that names the file and the problem.
public struct NpyArray: Equatable, Sendable {
    /// The element types SpikeKit reads and writes.
    public enum Elements: Equatable, Sendable {
        case float32([Float])
        case float64([Double])
        case int64([Int64])
    }

    public var shape: [Int]
    public var elements: Elements

    public init(shape: [Int], elements: Elements) {
        self.shape = shape
        self.elements = elements
    }

    /// A float32 array holding a tensor.
    public init(_ tensor: Tensor) {
        self.init(shape: tensor.shape, elements: .float32(tensor.scalars))
    }

    public var count: Int { shape.reduce(1, *) }

    /// The NumPy dtype string (`<f4`, `<f8`, `<i8`).
    public var dtype: String {
        switch elements {
        case .float32: return "<f4"
        case .float64: return "<f8"
        case .int64: return "<i8"
        }
    }

    /// The elements converted to Float (float64 rounded, int64 converted).
    public var floats: [Float] {
        switch elements {
        case .float32(let a): return a
        case .float64(let a): return a.map { Float($0) }
        case .int64(let a): return a.map { Float($0) }
        }
    }

    /// The elements converted to Double.
    public var doubles: [Double] {
        switch elements {
        case .float32(let a): return a.map { Double($0) }
        case .float64(let a): return a
        case .int64(let a): return a.map { Double($0) }
        }
    }

    /// The array as a Float32 tensor.
    public var tensor: Tensor {
        // The element count matches the shape by construction.
        try! Tensor(shape: shape, scalars: floats)
    }
}

extension NpyArray {
    /// Reads a `.npy` file.
    /// - Throws: `SpikeKitError.io` for a missing file, `.malformedFile` for anything not readable as above.
    public static func read(path: String) throws -> NpyArray {
        try decode(try AtomicFile.read(path), path: path)
    }

    /// Decodes the bytes of a `.npy` file; `path` names the source in errors.
    public static func decode(_ data: Data, path: String = "<memory>") throws -> NpyArray {
        let bytes = [UInt8](data)
        func fail(_ m: String) -> SpikeKitError { .malformedFile(path: path, message: "not a readable .npy file: \(m)") }
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw fail("missing the \\x93NUMPY magic")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("truncated header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw fail("unsupported format version \(major)")
        }
        guard headerStart + headerLength <= bytes.count else { throw fail("truncated header") }
        guard let header = String(bytes: bytes[headerStart ..< headerStart + headerLength], encoding: .utf8) else {
            throw fail("header is not text")
        }
        let descr = try stringValue(of: "descr", in: header, fail: fail)
        let fortran = try rawValue(of: "fortran_order", in: header, fail: fail)
        guard fortran.hasPrefix("False") else { throw fail("Fortran-order arrays are not supported") }
        let shapeText = try rawValue(of: "shape", in: header, fail: fail)
        guard shapeText.hasPrefix("("), let close = shapeText.firstIndex(of: ")") else { throw fail("bad shape") }
        let inner = shapeText[shapeText.index(after: shapeText.startIndex) ..< close]
        var shape: [Int] = []
        for part in inner.split(separator: ",") {
            let t = part.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { continue }
            guard let v = Int(t), v >= 0 else { throw fail("bad shape entry '\(t)'") }
            shape.append(v)
        }
        var count = 1
        for d in shape {
            let (p, o) = count.multipliedReportingOverflow(by: d)
            guard !o else { throw fail("shape \(shape) is too large") }
            count = p
        }
        let body = headerStart + headerLength
        let itemSize: Int
        switch descr {
        case "<f4": itemSize = 4
        case "<f8": itemSize = 8
        case "<i8": itemSize = 8
        default:
            throw SpikeKitError.malformedFile(
                path: path, message: "unsupported .npy dtype '\(descr)' (SpikeKit reads <f4, <f8 and <i8)")
        }
        let (need, o) = count.multipliedReportingOverflow(by: itemSize)
        guard !o else { throw fail("shape \(shape) is too large (its byte count overflows)") }
        guard bytes.count - body >= need else {
            throw fail("truncated data: shape \(shape) needs \(need) bytes, file has \(bytes.count - body)")
        }
        let elements: Elements = bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress! + body
            switch descr {
            case "<f4":
                return .float32((0 ..< count).map { Float(bitPattern: UInt32(littleEndian: (base + 4 * $0).loadUnaligned(as: UInt32.self))) })
            case "<f8":
                return .float64((0 ..< count).map { Double(bitPattern: UInt64(littleEndian: (base + 8 * $0).loadUnaligned(as: UInt64.self))) })
            default:
                return .int64((0 ..< count).map { Int64(littleEndian: (base + 8 * $0).loadUnaligned(as: Int64.self)) })
            }
        }
        return NpyArray(shape: shape, elements: elements)
    }

    private static func rawValue(of key: String, in header: String, fail: (String) -> SpikeKitError) throws -> Substring {
        guard let r = header.range(of: "'\(key)'") else { throw fail("header has no '\(key)'") }
        var rest = header[r.upperBound...]
        guard let colon = rest.firstIndex(of: ":") else { throw fail("header entry '\(key)' has no value") }
        rest = rest[rest.index(after: colon)...]
        return rest.drop(while: { $0 == " " })
    }

    private static func stringValue(of key: String, in header: String, fail: (String) -> SpikeKitError) throws -> String {
        let v = try rawValue(of: key, in: header, fail: fail)
        guard let q = v.first, q == "'" || q == "\"" else { throw fail("header entry '\(key)' is not a string") }
        let after = v.dropFirst()
        guard let end = after.firstIndex(of: q) else { throw fail("header entry '\(key)' is unterminated") }
        return String(after[..<end])
    }

    /// The bytes of a version 1.0 `.npy` file holding this array.
    public func encoded() -> Data {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(dtype)', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var out = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let n = header.utf8.count
        out.append(contentsOf: [UInt8(n & 0xff), UInt8(n >> 8)])
        out.append(contentsOf: Array(header.utf8))
        switch elements {
        case .float32(let a): a.withUnsafeBufferPointer { out.append($0) }
        case .float64(let a): a.withUnsafeBufferPointer { out.append($0) }
        case .int64(let a): a.withUnsafeBufferPointer { out.append($0) }
        }
        return out
    }

    /// Writes the array to `path` atomically.
    public func write(path: String) throws {
        try AtomicFile.write(encoded(), to: path)
    }
}
