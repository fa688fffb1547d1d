/// An error reading or writing an HDF5 file. It names the file, the byte offset where the problem was found (when
/// there is one), what the reader expected there and what it found, so a user can tell a truncated download from an
/// unsupported feature. `description` is one line, suitable for a command-line tool.
public struct HDF5Error: Error, CustomStringConvertible, Equatable, Sendable {
    /// The broad reason for the error.
    public enum Kind: String, Sendable {
        /// The file ends (or a structure ends) before the bytes a structure needs.
        case truncated
        /// The bytes are there but do not form a valid structure (bad signature, impossible size, cycle, ...).
        case malformed
        /// A valid HDF5 feature this reader does not implement (dense links, layout v4 indexes, ...).
        case unsupported
        /// A path that names no object in the file.
        case notFound
        /// A read function called on a dataset whose datatype it cannot convert.
        case typeMismatch
        /// The file could not be read or written at all.
        case io
    }

    /// The broad reason for the error.
    public let kind: Kind
    /// The file name (or the name given to in-memory bytes).
    public let file: String
    /// The byte offset in the (decompressed) file where the problem was found, when it applies.
    public let offset: Int?
    /// What the reader expected.
    public let expected: String
    /// What it found.
    public let found: String

    /// Creates an error; see the properties for the meaning of each argument.
    public init(_ kind: Kind, file: String, offset: Int?, expected: String, found: String) {
        self.kind = kind
        self.file = file
        self.offset = offset
        self.expected = expected
        self.found = found
    }

    /// One line: `FILE: HDF5 KIND at offset N: expected E, found F`.
    public var description: String {
        let at = offset.map { " at offset \($0)" } ?? ""
        return "\(file): HDF5 \(kind.rawValue)\(at): expected \(expected), found \(found)"
    }
}
