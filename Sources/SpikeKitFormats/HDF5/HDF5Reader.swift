/// The parsing context shared by every structure reader: the file's bytes and the superblock's sizes. The type is
/// immutable, so one reader can serve several threads.
struct HDF5Reader: Sendable {
    let source: HDF5ByteSource
    let superblock: HDF5Superblock

    init(source: HDF5ByteSource) throws {
        self.source = source
        self.superblock = try HDF5Superblock.read(source)
    }

    var offsetSize: Int { superblock.offsetSize }
    var lengthSize: Int { superblock.lengthSize }

    func cursor(at pos: Int, end: Int? = nil, what: String) -> HDF5Cursor {
        HDF5Cursor(source, at: pos, end: end, offsetSize: offsetSize, lengthSize: lengthSize, what: what)
    }

    /// The absolute file offset of a (base-relative) address; throws unless it lies inside the file.
    func absolute(_ address: UInt64?, what: String, from field: Int?) throws -> Int {
        guard let address else {
            throw source.error(.malformed, at: field, expected: "the address of \(what)", found: "the undefined address")
        }
        let limit = UInt64(source.count - superblock.baseAddress)
        guard address < limit else {
            throw source.error(.truncated, at: field, expected: "the address of \(what) inside the \(source.count)-byte file",
                               found: "address \(address)")
        }
        return superblock.baseAddress + Int(address)
    }

    /// `length` bytes at a base-relative address.
    func bytes(at address: UInt64?, length: Int, what: String, from field: Int?) throws -> [UInt8] {
        if length == 0 { return [] }
        let start = try absolute(address, what: what, from: field)
        return try source.slice(start, length, what)
    }
}

extension HDF5Reader {
    /// The most bytes one dataset read may allocate: DEFLATE's largest expansion (1032:1) of the whole file, and at
    /// least 16 MiB. It keeps a corrupt dimension from asking for terabytes.
    var allocationLimit: Int {
        max(1 << 24, min(source.count, Int.max / 2048) * 1032)
    }
}
