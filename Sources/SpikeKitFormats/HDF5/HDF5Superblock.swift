/// The superblock: the file's entry point. Versions 0 and 1 (h5py's default) point at the root group through a
/// symbol table entry; versions 2 and 3 (h5py `libver="latest"`) point at the root object header directly.
struct HDF5Superblock: Sendable {
    /// The HDF5 file signature, `\x89HDF\r\n\x1a\n`.
    static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    var version: Int
    /// Size of file addresses ("O") and of lengths ("L") in bytes.
    var offsetSize: Int
    var lengthSize: Int
    /// Absolute offset that every address in the file is relative to.
    var baseAddress: Int
    /// The root group's object header address (relative to the base).
    var rootObjectHeader: UInt64
    /// Where the superblock itself starts.
    var location: Int

    /// Finds and parses the superblock. The signature is searched at 0, 512, 1024, 2048, ... as the format allows.
    static func read(_ src: HDF5ByteSource) throws -> HDF5Superblock {
        var location = -1
        var candidate = 0
        while candidate <= src.count - 8 {
            if Array(src.bytes[candidate ..< candidate + 8]) == signature { location = candidate; break }
            candidate = candidate == 0 ? 512 : candidate * 2
        }
        guard location >= 0 else {
            let head = src.bytes.prefix(8).map { String($0, radix: 16) }.joined(separator: " ")
            throw src.error(.malformed, at: 0, expected: "the HDF5 signature 89 48 44 46 0d 0a 1a 0a",
                            found: src.count < 8 ? "a \(src.count)-byte file" : "\(head)")
        }
        let version = Int(try src.u8(location + 8))
        switch version {
        case 0, 1:
            let o = Int(try src.u8(location + 13)), l = Int(try src.u8(location + 14))
            try checkSizes(src, o, l, at: location + 13)
            var c = HDF5Cursor(src, at: location + 24 + (version == 1 ? 4 : 0), offsetSize: o, lengthSize: l, what: "superblock")
            let base = try c.address() ?? 0
            _ = try c.address()  // free-space info (unused)
            let end = try c.address()
            _ = try c.address()  // driver information block
            // Root group symbol table entry: link name offset, object header address, cache type, ...
            _ = try c.uint(o)
            guard let root = try c.address() else {
                throw src.error(.malformed, at: c.pos - o, expected: "a root object header address", found: "the undefined address")
            }
            let baseAddress = try absoluteBase(src, base, location)
            try checkEnd(src, end, base: baseAddress, at: location + 24 + (version == 1 ? 4 : 0) + 2 * o)
            return HDF5Superblock(version: version, offsetSize: o, lengthSize: l,
                                  baseAddress: baseAddress, rootObjectHeader: root, location: location)
        case 2, 3:
            let o = Int(try src.u8(location + 9)), l = Int(try src.u8(location + 10))
            try checkSizes(src, o, l, at: location + 9)
            var c = HDF5Cursor(src, at: location + 12, offsetSize: o, lengthSize: l, what: "superblock")
            let base = try c.address() ?? 0
            _ = try c.address()  // superblock extension
            let end = try c.address()
            guard let root = try c.address() else {
                throw src.error(.malformed, at: c.pos - o, expected: "a root object header address", found: "the undefined address")
            }
            let stored = try c.uint(4)
            let computed = UInt64(HDF5Checksum.lookup3(src.bytes[location ..< c.pos - 4]))
            guard stored == computed else {
                throw src.error(.malformed, at: c.pos - 4, expected: "superblock checksum \(computed)", found: "\(stored)")
            }
            let baseAddress = try absoluteBase(src, base, location)
            try checkEnd(src, end, base: baseAddress, at: location + 12 + 2 * o)
            return HDF5Superblock(version: version, offsetSize: o, lengthSize: l,
                                  baseAddress: baseAddress, rootObjectHeader: root, location: location)
        default:
            throw src.error(.unsupported, at: location + 8, expected: "superblock version 0, 1, 2 or 3", found: "version \(version)")
        }
    }

    /// A file shorter than the end-of-file address its superblock records was cut off (an interrupted download or
    /// copy): that is reported here rather than as parts of the file that read as absent. (libhdf5 records the
    /// whole file's size there, a user block included.)
    private static func checkEnd(_ src: HDF5ByteSource, _ end: UInt64?, base: Int, at field: Int) throws {
        guard let end else { return }
        guard end <= UInt64(src.count) else {
            throw src.error(.truncated, at: field, expected: "the \(end)-byte file its superblock describes",
                            found: "\(src.count) bytes (the file is cut off)")
        }
    }

    private static func checkSizes(_ src: HDF5ByteSource, _ o: Int, _ l: Int, at offset: Int) throws {
        guard [2, 4, 8].contains(o), [2, 4, 8].contains(l) else {
            throw src.error(.unsupported, at: offset, expected: "sizes of offsets and lengths of 2, 4 or 8 bytes",
                            found: "\(o) and \(l)")
        }
    }

    private static func absoluteBase(_ src: HDF5ByteSource, _ base: UInt64, _ location: Int) throws -> Int {
        // The base address is absolute; files written with a user block have base == superblock location.
        guard base <= UInt64(src.count) else {
            throw src.error(.malformed, at: location + 24, expected: "a base address inside the file", found: "\(base)")
        }
        return Int(base)
    }
}
