/// The bytes of one HDF5 file with bounds-checked little-endian loads. Every read is checked against the file size
/// and reports a typed `HDF5Error` instead of trapping, so malformed files cannot crash the reader.
struct HDF5ByteSource: Sendable {
    /// The whole (decompressed) file.
    let bytes: [UInt8]
    /// The name used in error messages.
    let name: String

    var count: Int { bytes.count }

    func error(_ kind: HDF5Error.Kind, at offset: Int?, expected: String, found: String) -> HDF5Error {
        HDF5Error(kind, file: name, offset: offset, expected: expected, found: found)
    }

    /// Throws unless `[offset, offset + length)` lies inside the file.
    func check(_ offset: Int, _ length: Int, _ what: String) throws {
        guard offset >= 0, length >= 0, offset <= count, length <= count - offset else {
            throw error(.truncated, at: offset, expected: "\(what) (\(length) bytes)",
                        found: "only \(max(0, count - max(offset, 0))) bytes left in a \(count)-byte file")
        }
    }

    func u8(_ o: Int) throws -> UInt8 {
        try check(o, 1, "1-byte field")
        return bytes[o]
    }

    /// An unsigned little-endian integer of `size` bytes (1...8).
    func uint(_ o: Int, size: Int) throws -> UInt64 {
        guard (1...8).contains(size) else {
            throw error(.unsupported, at: o, expected: "an integer field of 1 to 8 bytes", found: "\(size) bytes")
        }
        try check(o, size, "\(size)-byte field")
        var v: UInt64 = 0
        for i in stride(from: size - 1, through: 0, by: -1) { v = v << 8 | UInt64(bytes[o + i]) }
        return v
    }

    /// `length` bytes starting at `offset`, copied.
    func slice(_ offset: Int, _ length: Int, _ what: String) throws -> [UInt8] {
        try check(offset, length, what)
        return Array(bytes[offset ..< offset + length])
    }

    /// Whether the four bytes at `o` are the ASCII `signature`.
    func hasSignature(_ signature: String, at o: Int) -> Bool {
        let s = Array(signature.utf8)
        guard o >= 0, o <= count - s.count else { return false }
        for i in 0 ..< s.count where bytes[o + i] != s[i] { return false }
        return true
    }

    /// Throws unless the ASCII `signature` is at `o`.
    func expectSignature(_ signature: String, at o: Int) throws {
        try check(o, signature.utf8.count, "signature \"\(signature)\"")
        guard hasSignature(signature, at: o) else {
            let found = bytes[o ..< o + signature.utf8.count].map { (32...126).contains($0) ? String(UnicodeScalar($0)) : "." }.joined()
            throw error(.malformed, at: o, expected: "signature \"\(signature)\"", found: "\"\(found)\"")
        }
    }
}

/// A read position inside one structure of the file, limited to `end` (the structure's end, never past the file).
struct HDF5Cursor {
    let source: HDF5ByteSource
    /// The current absolute offset.
    var pos: Int
    /// The end (exclusive) of the structure being read.
    let end: Int
    /// Size of offsets (addresses) and lengths, from the superblock.
    let offsetSize: Int
    let lengthSize: Int
    /// What is being read, for error messages.
    let what: String

    init(_ source: HDF5ByteSource, at pos: Int, end: Int? = nil, offsetSize: Int, lengthSize: Int, what: String) {
        self.source = source
        self.pos = pos
        self.end = min(end ?? source.count, source.count)
        self.offsetSize = offsetSize
        self.lengthSize = lengthSize
        self.what = what
    }

    var remaining: Int { max(0, end - pos) }

    func need(_ n: Int) throws {
        guard n >= 0, pos >= 0, pos <= end, n <= end - pos else {
            throw source.error(.truncated, at: pos, expected: "\(n) more bytes of \(what)",
                               found: "\(max(0, end - pos)) bytes left in it")
        }
    }

    mutating func u8() throws -> UInt8 {
        try need(1)
        defer { pos += 1 }
        return source.bytes[pos]
    }

    mutating func uint(_ size: Int) throws -> UInt64 {
        try need(size)
        defer { pos += size }
        return try source.uint(pos, size: size)
    }

    mutating func u16() throws -> Int { Int(try uint(2)) }
    mutating func u32() throws -> Int { Int(try uint(4)) }

    mutating func skip(_ n: Int) throws {
        try need(n)
        pos += n
    }

    mutating func bytes(_ n: Int) throws -> [UInt8] {
        try need(n)
        defer { pos += n }
        return Array(source.bytes[pos ..< pos + n])
    }

    /// An address field (size of offsets); `nil` for the undefined address (all bits set).
    mutating func address() throws -> UInt64? {
        let v = try uint(offsetSize)
        let undefined: UInt64 = offsetSize == 8 ? .max : (1 << UInt64(offsetSize * 8)) - 1
        return v == undefined ? nil : v
    }

    /// A length field (size of lengths) as an `Int`; throws when it cannot be a size inside this file.
    mutating func length(_ field: String) throws -> Int {
        let start = pos
        let v = try uint(lengthSize)
        guard v <= UInt64(Int.max / 2) else {
            throw source.error(.malformed, at: start, expected: "a plausible \(field)", found: "\(v)")
        }
        return Int(v)
    }
}
