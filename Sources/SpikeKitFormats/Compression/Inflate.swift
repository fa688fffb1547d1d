/// Decompression of DEFLATE streams (RFC 1951), bare or in their zlib (RFC 1950) and gzip (RFC 1952) wrappers.
///
/// All three block types are decoded: stored, fixed Huffman and dynamic Huffman. The decoder works on buffer
/// pointers with a 64-bit bit buffer and a 10-bit lookup table per Huffman code (longer codes, which are rare,
/// are decoded canonically bit by bit); a 4 MB gzip file inflates in a few tens of milliseconds in an optimised
/// build.
///
/// Corrupt input is reported, never trapped on: every read is bounds-checked, a truncated stream throws
/// `CompressionError.truncated`, and a bad block type, an invalid or over-subscribed code, a distance further back
/// than the decoded data or a failed checksum throws `CompressionError` with the byte offset. The output never
/// grows past `expectedSize` when it is given, nor past 1032 times the input size plus 64 KiB (more than DEFLATE's
/// largest possible expansion, 258 bytes per 2 bits), so a corrupt stream cannot make it allocate without bound;
/// memory grows with the bytes actually decoded, by doubling.
public enum Inflate {
    /// Decodes a bare DEFLATE stream. Bytes after the final block are ignored.
    /// - Parameters:
    ///   - bytes: the compressed stream.
    ///   - expectedSize: the decompressed size when it is known (an HDF5 chunk, a PNG image): the output is
    ///     allocated once at that size, and a stream that decodes to more or fewer bytes is rejected.
    /// - Throws: `CompressionError` when the stream is truncated or corrupt, or its size is not `expectedSize`.
    public static func raw(_ bytes: [UInt8], expectedSize: Int? = nil) throws -> [UInt8] {
        if let e = expectedSize, e < 0 {
            throw CompressionError.sizeMismatch(format: "deflate", expected: e, actual: 0)
        }
        return try bytes.withUnsafeBufferPointer { input in
            var d = InflateDecoder(input: input, format: "deflate", expectedSize: expectedSize, hint: nil)
            defer { d.release() }
            try d.inflateMember()
            if let e = expectedSize, d.outCount != e {
                throw CompressionError.sizeMismatch(format: "deflate", expected: e, actual: d.outCount)
            }
            return d.result()
        }
    }

    /// Decodes a zlib stream: the two-byte header (method 8, no preset dictionary), the DEFLATE data and the
    /// big-endian Adler-32 of the decoded bytes, which is checked. Bytes after the checksum are ignored.
    /// - Throws: `CompressionError` when the header is invalid, the stream is truncated or corrupt, or the
    ///   checksum does not match.
    public static func zlib(_ bytes: [UInt8]) throws -> [UInt8] {
        try zlib(bytes, expectedSize: nil)
    }

    /// Decodes a zlib stream whose decompressed size is known; see `zlib(_:)` and `raw(_:expectedSize:)`.
    /// - Throws: `CompressionError`, also when the stream does not decode to exactly `expectedSize` bytes.
    public static func zlib(_ bytes: [UInt8], expectedSize: Int?) throws -> [UInt8] {
        let f = "zlib"
        if let e = expectedSize, e < 0 { throw CompressionError.sizeMismatch(format: f, expected: e, actual: 0) }
        guard bytes.count >= 2 else { throw CompressionError.truncated(format: f) }
        let cmf = Int(bytes[0]), flg = Int(bytes[1])
        guard cmf & 0x0F == 8 else {
            throw CompressionError.corrupt(format: f, offset: 0, message: "compression method \(cmf & 0x0F) is not deflate (8)")
        }
        guard cmf >> 4 <= 7 else {
            throw CompressionError.corrupt(format: f, offset: 0, message: "window size 2^\((cmf >> 4) + 8) exceeds 32 KiB")
        }
        guard (cmf << 8 | flg) % 31 == 0 else {
            throw CompressionError.corrupt(format: f, offset: 1, message: "header check failed")
        }
        guard flg & 0x20 == 0 else {
            throw CompressionError.corrupt(format: f, offset: 1, message: "a preset dictionary is not supported")
        }
        return try bytes.withUnsafeBufferPointer { input in
            var d = InflateDecoder(input: input, format: f, expectedSize: expectedSize, hint: nil)
            defer { d.release() }
            d.pos = 2
            try d.inflateMember()
            guard d.pos + 4 <= input.count else { throw CompressionError.truncated(format: f) }
            let stored = UInt32(input[d.pos]) << 24 | UInt32(input[d.pos + 1]) << 16
                | UInt32(input[d.pos + 2]) << 8 | UInt32(input[d.pos + 3])
            let computed = Adler32.checksum(UnsafeBufferPointer(start: d.out, count: d.outCount))
            guard stored == computed else {
                throw CompressionError.checksumMismatch(format: f, stored: stored, computed: computed)
            }
            if let e = expectedSize, d.outCount != e {
                throw CompressionError.sizeMismatch(format: f, expected: e, actual: d.outCount)
            }
            return d.result()
        }
    }

    /// Decodes a gzip file: every member, concatenated (as `gunzip` does). Each member's header is parsed
    /// (optional extra field, name, comment and header CRC, which is checked), and its CRC-32 and ISIZE trailer
    /// are checked against the decoded bytes. Zero bytes after the last member are ignored as padding; any other
    /// trailing bytes are an error.
    /// - Throws: `CompressionError` when a header is invalid, a member is truncated or corrupt, or a checksum or
    ///   size does not match.
    public static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let f = "gzip"
        guard bytes.count >= 10 else { throw CompressionError.truncated(format: f) }
        // ISIZE of the last member as a first guess of the output size (bounded by the decoder's own limit).
        let n = bytes.count
        let hint = Int(UInt32(bytes[n - 4]) | UInt32(bytes[n - 3]) << 8 | UInt32(bytes[n - 2]) << 16 | UInt32(bytes[n - 1]) << 24)
        return try bytes.withUnsafeBufferPointer { input in
            var d = InflateDecoder(input: input, format: f, expectedSize: nil, hint: hint)
            defer { d.release() }
            var start = 0
            var member = 0
            while start < n {
                if member > 0 && input[start...].allSatisfy({ $0 == 0 }) { break }
                d.pos = try gzipHeader(input, at: start, member: member)
                let memberStart = d.outCount
                try d.inflateMember()
                guard d.pos + 8 <= n else { throw CompressionError.truncated(format: f) }
                let p = d.pos
                let crc = UInt32(input[p]) | UInt32(input[p + 1]) << 8 | UInt32(input[p + 2]) << 16 | UInt32(input[p + 3]) << 24
                let size = UInt32(input[p + 4]) | UInt32(input[p + 5]) << 8 | UInt32(input[p + 6]) << 16 | UInt32(input[p + 7]) << 24
                let decoded = UnsafeBufferPointer(start: d.out + memberStart, count: d.outCount - memberStart)
                let computed = CRC32.checksum(decoded)
                guard crc == computed else { throw CompressionError.checksumMismatch(format: f, stored: crc, computed: computed) }
                guard size == UInt32(truncatingIfNeeded: decoded.count) else {
                    throw CompressionError.sizeMismatch(format: f, expected: Int(size), actual: decoded.count)
                }
                start = p + 8
                member += 1
            }
            return d.result()
        }
    }

    /// Parses the gzip member header at `start` and returns the offset of its DEFLATE data.
    private static func gzipHeader(_ input: UnsafeBufferPointer<UInt8>, at start: Int, member: Int) throws -> Int {
        let f = "gzip"
        let n = input.count
        guard start + 10 <= n else {
            if member > 0 { throw CompressionError.corrupt(format: f, offset: start, message: "trailing bytes after the last member") }
            throw CompressionError.truncated(format: f)
        }
        guard input[start] == 0x1F, input[start + 1] == 0x8B else {
            let what = member == 0 ? "not a gzip stream (bad magic bytes)" : "trailing bytes after the last member"
            throw CompressionError.corrupt(format: f, offset: start, message: what)
        }
        guard input[start + 2] == 8 else {
            throw CompressionError.corrupt(format: f, offset: start + 2, message: "compression method \(input[start + 2]) is not deflate (8)")
        }
        let flags = input[start + 3]
        guard flags & 0xE0 == 0 else {
            throw CompressionError.corrupt(format: f, offset: start + 3, message: "reserved header flags are set")
        }
        var p = start + 10
        if flags & 0x04 != 0 {  // FEXTRA
            guard p + 2 <= n else { throw CompressionError.truncated(format: f) }
            let xlen = Int(input[p]) | Int(input[p + 1]) << 8
            p += 2 + xlen
            guard p <= n else { throw CompressionError.truncated(format: f) }
        }
        for bit: UInt8 in [0x08, 0x10] where flags & bit != 0 {  // FNAME, FCOMMENT: zero-terminated
            while p < n && input[p] != 0 { p += 1 }
            guard p < n else { throw CompressionError.truncated(format: f) }
            p += 1
        }
        if flags & 0x02 != 0 {  // FHCRC: the low 16 bits of the header's CRC-32
            guard p + 2 <= n else { throw CompressionError.truncated(format: f) }
            let stored = UInt32(input[p]) | UInt32(input[p + 1]) << 8
            let computed = CRC32.checksum(UnsafeBufferPointer(rebasing: input[start ..< p])) & 0xFFFF
            guard stored == computed else { throw CompressionError.checksumMismatch(format: "gzip header", stored: stored, computed: computed) }
            p += 2
        }
        return p
    }
}

/// The DEFLATE constants shared by the decoder and the encoder (RFC 1951, section 3.2.5).
enum DeflateTables {
    /// Base match length of length symbols 257...285.
    static let lengthBase: [Int] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99,
                                    115, 131, 163, 195, 227, 258]
    /// Extra bits of length symbols 257...285.
    static let lengthExtra: [Int] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    /// Base distance of distance symbols 0...29.
    static let distanceBase: [Int] = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025,
                                      1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    /// Extra bits of distance symbols 0...29.
    static let distanceExtra: [Int] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12,
                                       12, 13, 13]
    /// The order in which code-length code lengths are stored in a dynamic block header.
    static let codeLengthOrder: [Int] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
    /// Code lengths of the fixed literal/length code.
    static let fixedLiteralLengths: [UInt8] = (0 ..< 288).map { $0 < 144 ? 8 : $0 < 256 ? 9 : $0 < 280 ? 7 : 8 }
}

/// A canonical Huffman code prepared for decoding, in memory owned by the decoder: a table indexed by the next
/// `fastBits` input bits (entry = symbol << 4 | code length, 0 when the code is longer or unassigned), and the
/// per-length counts (with the longest code length in `counts[0]`) and the symbols sorted by code, for the
/// canonical bit-by-bit decode of longer codes.
struct HuffmanTable {
    static let fastBits = 10
    static let maxSymbols = 320
    static let storageSize = (1 << fastBits) + 16 + maxSymbols
    let storage: UnsafeMutablePointer<UInt16>

    var fast: UnsafeMutablePointer<UInt16> { storage }
    var counts: UnsafeMutablePointer<UInt16> { storage + (1 << HuffmanTable.fastBits) }
    var symbols: UnsafeMutablePointer<UInt16> { storage + (1 << HuffmanTable.fastBits) + 16 }

    /// Fills the table for `lengths` (code length per symbol, 0 = unused, at most 15 and `maxSymbols` symbols).
    /// Returns false when the lengths over-subscribe the code space; an incomplete code is accepted, and its
    /// unassigned codes are rejected when they are met in the data.
    func build(_ lengths: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = min(lengths.count, HuffmanTable.maxSymbols)
        let counts = self.counts, symbols = self.symbols, fast = self.fast
        for i in 0 ..< 16 { counts[i] = 0 }
        for i in 0 ..< n { counts[Int(lengths[i] & 15)] += 1 }
        counts[0] = 0
        var longest = 0
        for len in 1 ... 15 where counts[len] != 0 { longest = len }
        var left = 1
        for len in 1 ... 15 {
            left = left << 1 - Int(counts[len])
            if left < 0 { return false }
        }
        defer { counts[0] = UInt16(longest) }  // stored for the canonical decoder
        var offsets = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var next = offsets
        withUnsafeMutableBytes(of: &offsets) { raw in
            let offs = raw.bindMemory(to: Int.self)
            for len in 1 ..< 15 { offs[len + 1] = offs[len] + Int(counts[len]) }
            for sym in 0 ..< n where lengths[sym] != 0 {
                let len = Int(lengths[sym] & 15)
                symbols[offs[len]] = UInt16(sym)
                offs[len] += 1
            }
        }
        let fastSize = 1 << HuffmanTable.fastBits
        for i in 0 ..< fastSize { fast[i] = 0 }
        withUnsafeMutableBytes(of: &next) { raw in
            let nextCode = raw.bindMemory(to: Int.self)
            var code = 0
            for len in 1 ... 15 {
                code = (code + Int(counts[len - 1])) << 1
                nextCode[len] = code
            }
            for sym in 0 ..< n where lengths[sym] != 0 {
                let len = Int(lengths[sym] & 15)
                let c = nextCode[len]
                nextCode[len] += 1
                guard len <= HuffmanTable.fastBits else { continue }
                var r = 0
                for b in 0 ..< len where c & (1 << b) != 0 { r |= 1 << (len - 1 - b) }
                let entry = UInt16(sym << 4 | len)
                var j = r
                while j < fastSize {
                    fast[j] = entry
                    j += 1 << len
                }
            }
        }
        return true
    }
}

/// The state of one decoding run: input position and bit buffer, the output buffer, and the Huffman tables.
/// Memory is released by `release()`, which the owner calls in a `defer`.
struct InflateDecoder {
    let input: UnsafeBufferPointer<UInt8>
    let format: String
    var pos = 0
    var bitBuffer: UInt64 = 0
    var bitCount = 0
    var out: UnsafeMutablePointer<UInt8>
    var outCount = 0
    var outCapacity: Int
    let outLimit: Int
    let expectedSize: Int?
    /// Output offset where the current member started: distances may not reach before it.
    var memberStart = 0
    let tables: UnsafeMutablePointer<UInt16>
    var fixedBuilt = false
    let lengthBase = DeflateTables.lengthBase, lengthExtra = DeflateTables.lengthExtra
    let distanceBase = DeflateTables.distanceBase, distanceExtra = DeflateTables.distanceExtra

    init(input: UnsafeBufferPointer<UInt8>, format: String, expectedSize: Int?, hint: Int?) {
        self.input = input
        self.format = format
        self.expectedSize = expectedSize
        let (product, overflow) = input.count.multipliedReportingOverflow(by: 1032)
        let bound = overflow ? Int.max / 2 : product + 65536
        outLimit = min(expectedSize ?? bound, bound)
        let guess = expectedSize ?? hint ?? input.count * 4
        outCapacity = max(1024, min(guess, bound, outLimit))
        out = .allocate(capacity: outCapacity)
        tables = .allocate(capacity: 5 * HuffmanTable.storageSize)
    }

    func release() {
        out.deallocate()
        tables.deallocate()
    }

    /// The decoded bytes.
    func result() -> [UInt8] {
        Array(UnsafeBufferPointer(start: out, count: outCount))
    }

    var fixedLiterals: HuffmanTable { HuffmanTable(storage: tables) }
    var fixedDistances: HuffmanTable { HuffmanTable(storage: tables + HuffmanTable.storageSize) }
    var literals: HuffmanTable { HuffmanTable(storage: tables + 2 * HuffmanTable.storageSize) }
    var distances: HuffmanTable { HuffmanTable(storage: tables + 3 * HuffmanTable.storageSize) }
    var codeLengths: HuffmanTable { HuffmanTable(storage: tables + 4 * HuffmanTable.storageSize) }

    /// The byte offset of the next unread bit, for error messages.
    var offset: Int { pos - bitCount / 8 }

    func corrupt(_ message: String) -> CompressionError {
        .corrupt(format: format, offset: offset, message: message)
    }

    /// Tops the bit buffer up to at least 56 bits, or with what is left of the input.
    @inline(__always)
    mutating func refill() {
        if pos + 8 <= input.count, let base = input.baseAddress {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + pos).loadUnaligned(as: UInt64.self))
            bitBuffer |= word << UInt64(bitCount)
            let bytes = (63 - bitCount) >> 3
            pos += bytes
            bitCount += bytes << 3
        } else {
            while bitCount <= 56 && pos < input.count {
                bitBuffer |= UInt64(input[pos]) << UInt64(bitCount)
                pos += 1
                bitCount += 8
            }
        }
    }

    /// The next `n` bits (0...16), least significant first.
    @inline(__always)
    mutating func bits(_ n: Int) throws -> Int {
        if bitCount < n {
            refill()
            if bitCount < n { throw CompressionError.truncated(format: format) }
        }
        let v = Int(truncatingIfNeeded: bitBuffer & ((1 << UInt64(n)) &- 1))
        bitBuffer >>= UInt64(n)
        bitCount -= n
        return v
    }

    /// The next symbol of `table`.
    @inline(__always)
    mutating func decode(_ table: HuffmanTable) throws -> Int {
        if bitCount < 15 { refill() }
        let entry = Int(table.fast[Int(truncatingIfNeeded: bitBuffer) & ((1 << HuffmanTable.fastBits) - 1)])
        let len = entry & 15
        if len != 0 && len <= bitCount {
            bitBuffer >>= UInt64(len)
            bitCount -= len
            return entry >> 4
        }
        return try decodeSlow(table)
    }

    /// Canonical decoding one bit at a time, for codes longer than the fast table and for invalid codes.
    mutating func decodeSlow(_ table: HuffmanTable) throws -> Int {
        var code = 0, first = 0, index = 0
        let longest = Int(table.counts[0])
        for len in stride(from: 1, through: longest, by: 1) {
            guard len <= bitCount else { throw CompressionError.truncated(format: format) }
            code |= Int(truncatingIfNeeded: (bitBuffer >> UInt64(len - 1)) & 1)
            let count = Int(table.counts[len])
            if code - first < count {
                bitBuffer >>= UInt64(len)
                bitCount -= len
                return Int(table.symbols[index + code - first])
            }
            index += count
            first = (first + count) << 1
            code <<= 1
        }
        throw corrupt("invalid Huffman code")
    }

    /// Makes room for `needed` more output bytes, within the output limit.
    mutating func grow(_ needed: Int) throws {
        let required = outCount + needed
        guard required <= outLimit else {
            if let e = expectedSize { throw corrupt("decodes to more than the expected \(e) bytes") }
            throw corrupt("decodes to more than \(outLimit) bytes, more than DEFLATE can expand \(input.count) bytes")
        }
        let doubled = outCapacity > outLimit / 2 ? outLimit : outCapacity * 2
        let capacity = max(required, doubled)
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        bigger.update(from: out, count: outCount)
        out.deallocate()
        out = bigger
        outCapacity = capacity
    }

    /// Decodes blocks from `pos` (at a byte boundary) up to and including the final one, and leaves `pos` at the
    /// first byte after it.
    mutating func inflateMember() throws {
        bitBuffer = 0
        bitCount = 0
        memberStart = outCount
        var final = false
        repeat {
            final = try bits(1) == 1
            switch try bits(2) {
            case 0:
                try storedBlock()
            case 1:
                if !fixedBuilt {
                    _ = DeflateTables.fixedLiteralLengths.withUnsafeBufferPointer { fixedLiterals.build($0) }
                    _ = [UInt8](repeating: 5, count: 30).withUnsafeBufferPointer { fixedDistances.build($0) }
                    fixedBuilt = true
                }
                try huffmanBlock(literals: fixedLiterals, distances: fixedDistances)
            case 2:
                try dynamicHeader()
                try huffmanBlock(literals: literals, distances: distances)
            default:
                throw corrupt("invalid block type 3")
            }
        } while !final
        pos -= bitCount >> 3
        bitBuffer = 0
        bitCount = 0
    }

    /// A stored block: LEN, NLEN (its complement) and LEN bytes copied as they are.
    mutating func storedBlock() throws {
        pos -= bitCount >> 3
        bitBuffer = 0
        bitCount = 0
        guard pos + 4 <= input.count else { throw CompressionError.truncated(format: format) }
        let len = Int(input[pos]) | Int(input[pos + 1]) << 8
        let nlen = Int(input[pos + 2]) | Int(input[pos + 3]) << 8
        guard len == ~nlen & 0xFFFF else { throw corrupt("stored block length \(len) does not match its complement") }
        pos += 4
        guard pos + len <= input.count else { throw CompressionError.truncated(format: format) }
        if outCapacity - outCount < len { try grow(len) }
        if len > 0, let base = input.baseAddress { (out + outCount).update(from: base + pos, count: len) }
        outCount += len
        pos += len
    }

    /// Reads the code lengths of a dynamic block and builds its literal/length and distance tables.
    mutating func dynamicHeader() throws {
        let literalCount = try bits(5) + 257
        let distanceCount = try bits(5) + 1
        let codeLengthCount = try bits(4) + 4
        guard literalCount <= 286 else { throw corrupt("\(literalCount) literal/length codes (at most 286)") }
        guard distanceCount <= 30 else { throw corrupt("\(distanceCount) distance codes (at most 30)") }
        var lengths = [UInt8](repeating: 0, count: 19)
        for i in 0 ..< codeLengthCount { lengths[DeflateTables.codeLengthOrder[i]] = UInt8(try bits(3)) }
        guard lengths.withUnsafeBufferPointer({ codeLengths.build($0) }) else {
            throw corrupt("over-subscribed code-length code")
        }
        let total = literalCount + distanceCount
        var all = [UInt8](repeating: 0, count: total)
        var i = 0
        while i < total {
            let sym = try decode(codeLengths)
            var repeatCount = 0, value: UInt8 = 0
            switch sym {
            case 0 ..< 16:
                all[i] = UInt8(sym)
                i += 1
                continue
            case 16:
                guard i > 0 else { throw corrupt("code length repeat with no previous length") }
                value = all[i - 1]
                repeatCount = 3 + (try bits(2))
            case 17:
                repeatCount = 3 + (try bits(3))
            case 18:
                repeatCount = 11 + (try bits(7))
            default:
                throw corrupt("invalid code-length symbol \(sym)")
            }
            guard i + repeatCount <= total else { throw corrupt("code length repeat runs past the end of the code lengths") }
            for k in i ..< i + repeatCount { all[k] = value }
            i += repeatCount
        }
        guard all[256] != 0 else { throw corrupt("dynamic block has no end-of-block code") }
        let ok = all.withUnsafeBufferPointer { p in
            literals.build(UnsafeBufferPointer(rebasing: p[0 ..< literalCount]))
                && distances.build(UnsafeBufferPointer(rebasing: p[literalCount ..< total]))
        }
        guard ok else { throw corrupt("over-subscribed literal/length or distance code") }
    }

    /// Decodes the symbols of a Huffman block up to its end-of-block code.
    mutating func huffmanBlock(literals: HuffmanTable, distances: HuffmanTable) throws {
        while true {
            if bitCount < 48 { refill() }
            let sym = try decode(literals)
            if sym < 256 {
                if outCount == outCapacity { try grow(1) }
                out[outCount] = UInt8(truncatingIfNeeded: sym)
                outCount += 1
                continue
            }
            if sym == 256 { return }
            let li = sym - 257
            guard li < 29 else { throw corrupt("invalid length symbol \(sym)") }
            let length = lengthBase[li] + (try bits(lengthExtra[li]))
            let ds = try decode(distances)
            guard ds < 30 else { throw corrupt("invalid distance symbol \(ds)") }
            let distance = distanceBase[ds] + (try bits(distanceExtra[ds]))
            guard distance <= outCount - memberStart else {
                throw corrupt("distance \(distance) is too far back (\(outCount - memberStart) bytes decoded)")
            }
            if outCapacity - outCount < length { try grow(length) }
            let dst = out + outCount
            let src = dst - distance
            if distance >= length {
                dst.update(from: src, count: length)
            } else {
                for k in 0 ..< length { dst[k] = src[k] }
            }
            outCount += length
        }
    }
}
