import Foundation

/// A read-only HDF5 file, parsed in pure Swift (no libhdf5).
///
/// Supported: the files h5py writes with its defaults, and with `libver="latest"` unless chunked: superblock
/// versions 0-3, object headers v1 and v2, symbol-table groups and compact or dense link groups, contiguous,
/// compact and chunked (v1 B-tree) layouts with deflate/shuffle/fletcher32 filters, integer, float (incl.
/// float16), string and vlen types. A file whose first bytes are the gzip magic number is decompressed first, so
/// `.h5.gz` files open directly. See
/// docs/HDF5.md for what is left out.
///
/// Every offset and length read from the file is checked against its size; a malformed file throws `HDF5Error`
/// and never traps. The value is immutable and `Sendable`.
public struct HDF5File: Sendable {
    /// The name used in error messages (the path, or the name given to in-memory bytes).
    public let name: String
    let reader: HDF5Reader

    /// Opens the file at `path` (plain HDF5 or gzip-compressed HDF5).
    /// - Throws: `HDF5Error` of kind `.io` when the file cannot be read, or another kind when it is not valid HDF5.
    public init(path: String) throws {
        let bytes: [UInt8]
        do {
            bytes = try AtomicFile.readBytes(path)
        } catch SpikeKitError.io(_, let message) {
            throw HDF5Error(.io, file: path, offset: nil, expected: "a readable file", found: message)
        }
        try self.init(bytes: bytes, name: path)
    }

    /// Parses an HDF5 file held in memory; `name` is used in error messages. Gzip-compressed bytes are inflated first.
    /// - Throws: `HDF5Error` when the bytes are not a valid (or not a supported) HDF5 file.
    public init(bytes: [UInt8], name: String = "<memory>") throws {
        let plain = Self.isGzip(bytes) ? try Self.gunzip(bytes, name: name) : bytes
        self.name = name
        self.reader = try HDF5Reader(source: HDF5ByteSource(bytes: plain, name: name))
    }

    /// The superblock version (0 for h5py's default, 2 or 3 for `libver="latest"`).
    public var superblockVersion: Int { reader.superblock.version }

    /// Opens the dataset at an absolute path such as `/spikes/times`.
    /// - Throws: `HDF5Error` (`.notFound` when the path names nothing, `.malformed` when it names a group).
    public func dataset(at path: String) throws -> HDF5Dataset {
        let header = try resolve(path)
        guard header.first(HDF5Message.layout) != nil else {
            throw reader.source.error(.notFound, at: header.address, expected: "a dataset at \(path)", found: "a group or another object")
        }
        return try HDF5Dataset(path: path, header: header, reader: reader)
    }

    /// The names of a group's members (sub-groups and datasets), sorted.
    /// - Throws: `HDF5Error` (`.notFound` when the path names nothing or a dataset).
    public func groupMembers(at path: String) throws -> [String] {
        try members(of: try resolve(path), path: path).map(\.0).sorted()
    }

    /// Whether `path` names an object (group or dataset) in the file; malformed parts of the file read as absent.
    public func contains(_ path: String) -> Bool {
        (try? resolve(path)) != nil
    }

    // MARK: - Path resolution

    private func members(of header: HDF5ObjectHeader, path: String) throws -> [(String, UInt64)] {
        if let table = header.first(HDF5Message.symbolTable) { return try reader.symbolTableMembers(table) }
        if header.first(HDF5Message.linkInfo) != nil || header.first(HDF5Message.link) != nil
            || header.first(HDF5Message.groupInfo) != nil {
            return try reader.linkMembers(header)
        }
        throw reader.source.error(.notFound, at: header.address, expected: "a group at \(path)", found: "a dataset or another object")
    }

    func resolve(_ path: String) throws -> HDF5ObjectHeader {
        var header = try reader.objectHeader(at: reader.superblock.rootObjectHeader, from: reader.superblock.location)
        var walked = ""
        for component in path.split(separator: "/") where component != "." {
            let here = walked.isEmpty ? "/" : walked
            guard let (_, address) = try members(of: header, path: here).first(where: { $0.0 == component }) else {
                throw reader.source.error(.notFound, at: nil, expected: "a member \"\(component)\" in group \(here)", found: "none")
            }
            walked += "/" + component
            header = try reader.objectHeader(at: address, from: nil)
        }
        return header
    }
}
