/// Compression to DEFLATE streams (RFC 1951), bare or wrapped as zlib (RFC 1950) or gzip (RFC 1952), for the files
/// SpikeKit writes (PNG pictures, compressed arrays).
///
/// The encoder is simple and predictable rather than maximal: greedy LZ77 matching over a 32 KiB window with hash
/// chains (3-byte hash, at most 64 candidates per position), coded with the fixed Huffman code. The input is
/// split into blocks of at most 65 535 bytes, and a block whose fixed-Huffman coding would be larger than its
/// bytes is written as a stored block instead, so incompressible data grows by at most 5 bytes per block.
/// Typical ratios are within 10 to 30 % of zlib's default level. Every stream it writes is decoded by zlib,
/// Python's `zlib`/`gzip` modules and `Inflate`.
public enum Deflate {
    /// A bare DEFLATE stream of `bytes`.
    public static func raw(_ bytes: [UInt8]) -> [UInt8] {
        var writer = BitWriter()
        writer.bytes.reserveCapacity(bytes.count / 2 + 64)
        DeflateEncoder.encode(bytes, into: &writer)
        writer.alignToByte()
        return writer.bytes
    }

    /// A zlib stream of `bytes`: header 0x78 0x9C (32 KiB window, no dictionary), the DEFLATE data and the
    /// big-endian Adler-32 of `bytes`.
    public static func zlib(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x9C]
        out += raw(bytes)
        let a = Adler32.checksum(bytes)
        out += [UInt8(a >> 24), UInt8(a >> 16 & 0xFF), UInt8(a >> 8 & 0xFF), UInt8(a & 0xFF)]
        return out
    }

    /// A single-member gzip file of `bytes`: a 10-byte header (no name, modification time 0, OS "unknown"), the
    /// DEFLATE data, and the little-endian CRC-32 and size (modulo 2^32) of `bytes`.
    public static func gzip(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 255]
        out += raw(bytes)
        let crc = CRC32.checksum(bytes)
        let size = UInt32(truncatingIfNeeded: bytes.count)
        for v in [crc, size] {
            out += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)]
        }
        return out
    }
}

/// Writes bits least significant first, as DEFLATE packs them.
struct BitWriter {
    var bytes: [UInt8] = []
    var buffer: UInt64 = 0
    var count = 0

    /// Appends the low `n` bits of `value` (n ≤ 32).
    @inline(__always)
    mutating func write(_ value: Int, _ n: Int) {
        buffer |= UInt64(truncatingIfNeeded: value) << UInt64(count)
        count += n
        while count >= 8 {
            bytes.append(UInt8(truncatingIfNeeded: buffer))
            buffer >>= 8
            count -= 8
        }
    }

    /// Pads with zero bits to the next byte boundary.
    mutating func alignToByte() {
        if count > 0 { write(0, 8 - count) }
    }
}

/// The LZ77 matcher and fixed-Huffman coder behind `Deflate`.
enum DeflateEncoder {
    static let windowSize = 32768
    static let hashBits = 15
    static let maxChain = 64
    static let maxBlock = 65535

    /// Bit-reversed fixed literal/length codes (code << 4 | length), ready for the LSB-first writer.
    static let fixedLiteralCodes: [Int] = (0 ..< 288).map { sym in
        let (code, len): (Int, Int)
        switch sym {
        case 0 ..< 144: (code, len) = (0x30 + sym, 8)
        case 144 ..< 256: (code, len) = (0x190 + sym - 144, 9)
        case 256 ..< 280: (code, len) = (sym - 256, 7)
        default: (code, len) = (0xC0 + sym - 280, 8)
        }
        return reversed(code, len) << 4 | len
    }

    /// Bit-reversed fixed distance codes (5 bits each).
    static let fixedDistanceCodes: [Int] = (0 ..< 30).map { reversed($0, 5) }

    /// Length symbol index (0...28) for each match length 3...258.
    static let lengthIndex: [Int] = (0 ... 258).map { length in
        guard length >= 3 else { return 0 }
        if length == 258 { return 28 }
        var i = 0
        while i + 1 < 28 && DeflateTables.lengthBase[i + 1] <= length { i += 1 }
        return i
    }

    static func reversed(_ code: Int, _ len: Int) -> Int {
        var r = 0
        for b in 0 ..< len where code & (1 << b) != 0 { r |= 1 << (len - 1 - b) }
        return r
    }

    /// Distance symbol (0...29) of a distance 1...32768.
    @inline(__always)
    static func distanceIndex(_ distance: Int) -> Int {
        var lo = 0, hi = 29
        while lo < hi {
            let mid = (lo + hi + 1) >> 1
            if DeflateTables.distanceBase[mid] <= distance { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// Encodes `input` as a sequence of blocks, the last one final, without the closing byte alignment.
    static func encode(_ input: [UInt8], into writer: inout BitWriter) {
        let n = input.count
        if n == 0 {
            writer.write(1, 1)
            writer.write(1, 2)
            let eob = fixedLiteralCodes[256]
            writer.write(eob >> 4, eob & 15)
            return
        }
        var head = [Int32](repeating: -1, count: 1 << hashBits)
        var prev = [Int32](repeating: -1, count: windowSize)
        var tokens: [UInt32] = []
        tokens.reserveCapacity(maxBlock)
        input.withUnsafeBufferPointer { data in
            @inline(__always) func hash(_ i: Int) -> Int {
                let v = UInt32(data[i]) << 16 | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2])
                return Int((v &* 2_654_435_761) >> UInt32(32 - hashBits))
            }
            @inline(__always) func insert(_ i: Int) {
                let h = hash(i)
                prev[i & (windowSize - 1)] = head[h]
                head[h] = Int32(i)
            }
            var start = 0
            while start < n {
                let end = min(n, start + maxBlock)
                tokens.removeAll(keepingCapacity: true)
                var cost = 3 + 7  // block header and end-of-block code
                var i = start
                while i < end {
                    var bestLength = 0, bestDistance = 0
                    if i + 3 <= end {
                        let maxLength = min(258, end - i)
                        var candidate = Int(head[hash(i)])
                        var chain = 0
                        while candidate >= 0 && i - candidate <= windowSize && chain < maxChain {
                            if data[candidate + bestLength] == data[i + bestLength] || bestLength == 0 {
                                var l = 0
                                while l < maxLength && data[candidate + l] == data[i + l] { l += 1 }
                                if l > bestLength {
                                    bestLength = l
                                    bestDistance = i - candidate
                                    if l == maxLength { break }
                                }
                            }
                            let next = Int(prev[candidate & (windowSize - 1)])
                            if next >= candidate { break }
                            candidate = next
                            chain += 1
                        }
                    }
                    if bestLength >= 3 {
                        tokens.append(0x8000_0000 | UInt32(bestLength) << 16 | UInt32(bestDistance - 1))
                        let li = lengthIndex[bestLength], di = distanceIndex(bestDistance)
                        cost += (fixedLiteralCodes[257 + li] & 15) + DeflateTables.lengthExtra[li] + 5
                            + DeflateTables.distanceExtra[di]
                        for k in i ..< i + bestLength where k + 3 <= n { insert(k) }
                        i += bestLength
                    } else {
                        tokens.append(UInt32(data[i]))
                        cost += fixedLiteralCodes[Int(data[i])] & 15
                        if i + 3 <= n { insert(i) }
                        i += 1
                    }
                }
                let final = end == n ? 1 : 0
                let storedCost = 3 + 7 + 32 + 8 * (end - start)
                if cost >= storedCost {
                    writer.write(final, 1)
                    writer.write(0, 2)
                    writer.alignToByte()
                    let len = end - start
                    writer.write(len, 16)
                    writer.write(~len & 0xFFFF, 16)
                    writer.bytes.append(contentsOf: data[start ..< end])
                } else {
                    writer.write(final, 1)
                    writer.write(1, 2)
                    for t in tokens {
                        if t & 0x8000_0000 == 0 {
                            let c = fixedLiteralCodes[Int(t)]
                            writer.write(c >> 4, c & 15)
                        } else {
                            let length = Int(t >> 16 & 0x1FF), distance = Int(t & 0xFFFF) + 1
                            let li = lengthIndex[length], di = distanceIndex(distance)
                            let c = fixedLiteralCodes[257 + li]
                            writer.write(c >> 4, c & 15)
                            writer.write(length - DeflateTables.lengthBase[li], DeflateTables.lengthExtra[li])
                            writer.write(fixedDistanceCodes[di], 5)
                            writer.write(distance - DeflateTables.distanceBase[di], DeflateTables.distanceExtra[di])
                        }
                    }
                    let eob = fixedLiteralCodes[256]
                    writer.write(eob >> 4, eob & 15)
                }
                start = end
            }
        }
    }
}
