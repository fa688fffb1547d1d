/// Why a compressed stream (raw deflate, zlib or gzip) could not be decoded.
///
/// The decoder does not know which file the bytes came from; `description` is one line that names the format, the
/// byte offset into the stream given to it and the problem, and `inFile(_:)` turns it into a `SpikeKitError`
/// that names the file.
public enum CompressionError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The stream ended before its last block (or its trailer) was complete.
    case truncated(format: String)
    /// The bytes at `offset` break the format: a bad header, block type, code or distance.
    case corrupt(format: String, offset: Int, message: String)
    /// The stored checksum (CRC-32 for gzip, Adler-32 for zlib) is not the one of the decoded bytes.
    case checksumMismatch(format: String, stored: UInt32, computed: UInt32)
    /// The stream decodes to a different number of bytes than expected (gzip's ISIZE, or `expectedSize`).
    case sizeMismatch(format: String, expected: Int, actual: Int)

    /// One line: the format, the byte offset where known, and the problem.
    public var description: String {
        switch self {
        case .truncated(let f):
            return "\(f) stream is truncated"
        case .corrupt(let f, let offset, let message):
            return "corrupt \(f) stream at byte \(offset): \(message)"
        case .checksumMismatch(let f, let stored, let computed):
            return "\(f) checksum mismatch: stored 0x\(hex(stored)), computed 0x\(hex(computed))"
        case .sizeMismatch(let f, let expected, let actual):
            return "\(f) stream decodes to \(actual) bytes, expected \(expected)"
        }
    }

    /// The same problem as a `SpikeKitError.malformedFile` naming `path`.
    public func inFile(_ path: String) -> SpikeKitError {
        .malformedFile(path: path, message: description)
    }

    private func hex(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 8 - s.count)) + s
    }
}
