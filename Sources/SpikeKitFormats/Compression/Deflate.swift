/// Compression to DEFLATE streams (RFC 1951), bare or wrapped as zlib (RFC 1950) or gzip (RFC 1952), for the files
/// SpikeKit writes (PNG pictures, compressed arrays).
///
/// The encoder is simple and predictable rather than maximal: greedy LZ77 matching over a 32 KiB window with hash
/// chains (3-byte hash, at most 64 candidates per position). The input is split into blocks of at most 65 535
/// bytes, and each block is written in whichever form is smallest: a dynamic Huffman block (codes fitted to the
/// block, at most 15 bits, made complete as zlib requires), a fixed Huffman block, or a stored block, so
/// incompressible data grows by at most 5 bytes per block. Every stream it writes is decoded by zlib, Python's
/// `zlib`/`gzip` modules and `Inflate`.
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

/// The LZ77 matcher and block coder behind `Deflate`.
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

    /// Bit-reversed fixed distance codes (code << 4 | 5).
    static let fixedDistanceCodes: [Int] = (0 ..< 30).map { reversed($0, 5) << 4 | 5 }

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
                let dynamic = DynamicCode(tokens: tokens)
                if min(cost, dynamic.cost) >= storedCost {
                    writer.write(final, 1)
                    writer.write(0, 2)
                    writer.alignToByte()
                    let len = end - start
                    writer.write(len, 16)
                    writer.write(~len & 0xFFFF, 16)
                    writer.bytes.append(contentsOf: data[start ..< end])
                } else if dynamic.cost < cost {
                    writer.write(final, 1)
                    writer.write(2, 2)
                    dynamic.writeHeader(into: &writer)
                    writeTokens(tokens, literals: dynamic.literalCodes, distances: dynamic.distanceCodes, into: &writer)
                } else {
                    writer.write(final, 1)
                    writer.write(1, 2)
                    writeTokens(tokens, literals: fixedLiteralCodes, distances: fixedDistanceCodes, into: &writer)
                }
                start = end
            }
        }
    }

    /// Writes a block's tokens and its end-of-block code with the given codes (bit-reversed code << 4 | length).
    static func writeTokens(_ tokens: [UInt32], literals: [Int], distances: [Int], into writer: inout BitWriter) {
        for t in tokens {
            if t & 0x8000_0000 == 0 {
                let c = literals[Int(t)]
                writer.write(c >> 4, c & 15)
            } else {
                let length = Int(t >> 16 & 0x1FF), distance = Int(t & 0xFFFF) + 1
                let li = lengthIndex[length], di = distanceIndex(distance)
                let c = literals[257 + li]
                writer.write(c >> 4, c & 15)
                writer.write(length - DeflateTables.lengthBase[li], DeflateTables.lengthExtra[li])
                let d = distances[di]
                writer.write(d >> 4, d & 15)
                writer.write(distance - DeflateTables.distanceBase[di], DeflateTables.distanceExtra[di])
            }
        }
        let eob = literals[256]
        writer.write(eob >> 4, eob & 15)
    }

    /// Code lengths of a Huffman code for `frequencies`, none longer than `limit`. At least two symbols get a
    /// code (unused ones are given frequency 1 if needed), so the code is always complete, as zlib requires.
    /// When the optimal code is too deep, the frequencies are halved (rounding up) and the code rebuilt, which
    /// flattens it; this ends at the latest when all frequencies are 1.
    static func huffmanLengths(_ frequencies: [Int], limit: Int) -> [Int] {
        var f = frequencies
        var used = f.filter { $0 > 0 }.count
        var k = 0
        while used < 2 && k < f.count {
            if f[k] == 0 {
                f[k] = 1
                used += 1
            }
            k += 1
        }
        while true {
            let lengths = plainHuffmanLengths(f)
            if (lengths.max() ?? 0) <= limit { return lengths }
            f = f.map { ($0 + 1) / 2 }
        }
    }

    /// Optimal (unlimited) Huffman code lengths, by the two-queue method on the leaves sorted by frequency.
    static func plainHuffmanLengths(_ f: [Int]) -> [Int] {
        let leaves = f.indices.filter { f[$0] > 0 }.sorted { (f[$0], $0) < (f[$1], $1) }
        let m = leaves.count
        var lengths = [Int](repeating: 0, count: f.count)
        guard m > 1 else {
            if m == 1 { lengths[leaves[0]] = 1 }
            return lengths
        }
        var weight = leaves.map { f[$0] }  // nodes 0..<m are leaves, then internal nodes in creation order
        var parent = [Int](repeating: -1, count: 2 * m - 1)
        var nextLeaf = 0, nextInternal = m
        for _ in 0 ..< m - 1 {
            var pair = (0, 0)
            for slot in 0 ..< 2 {
                let node: Int
                if nextLeaf < m && (nextInternal == weight.count || weight[nextLeaf] <= weight[nextInternal]) {
                    node = nextLeaf
                    nextLeaf += 1
                } else {
                    node = nextInternal
                    nextInternal += 1
                }
                if slot == 0 { pair.0 = node } else { pair.1 = node }
            }
            parent[pair.0] = weight.count
            parent[pair.1] = weight.count
            weight.append(weight[pair.0] + weight[pair.1])
        }
        var depth = [Int](repeating: 0, count: 2 * m - 1)
        for node in stride(from: 2 * m - 3, through: 0, by: -1) { depth[node] = depth[parent[node]] + 1 }
        for (k, symbol) in leaves.enumerated() { lengths[symbol] = depth[k] }
        return lengths
    }

    /// Canonical codes (RFC 1951, 3.2.2) for code lengths, bit-reversed, as code << 4 | length (0 when unused).
    static func canonicalCodes(_ lengths: [Int]) -> [Int] {
        var count = [Int](repeating: 0, count: 16)
        for l in lengths where l > 0 { count[l] += 1 }
        var next = [Int](repeating: 0, count: 16)
        var code = 0
        for bits in 1 ... 15 {
            code = (code + count[bits - 1]) << 1
            next[bits] = code
        }
        return lengths.map { l in
            guard l > 0 else { return 0 }
            let c = next[l]
            next[l] += 1
            return reversed(c, l) << 4 | l
        }
    }
}

/// The Huffman codes of a dynamic block fitted to its tokens, the run-length coded code lengths that describe
/// them, and the block's size in bits.
struct DynamicCode {
    /// Literal/length codes, bit-reversed code << 4 | length.
    var literalCodes: [Int]
    /// Distance codes, bit-reversed code << 4 | length.
    var distanceCodes: [Int]
    /// HLIT + 257 and HDIST + 1: how many literal/length and distance code lengths the header sends.
    var literalCount: Int, distanceCount: Int
    /// Code-length code lengths (by symbol 0...18) and their codes.
    var codeLengthLengths: [Int], codeLengthCodes: [Int]
    /// HCLEN + 4: how many code-length code lengths the header sends, in `codeLengthOrder`.
    var codeLengthCount: Int
    /// The code lengths as code-length symbols 0...18 with their extra-bit values.
    var runs: [(symbol: Int, extra: Int)]
    /// Bits of the whole block: 3 header bits, the code description, the tokens and the end-of-block code.
    var cost: Int

    init(tokens: [UInt32]) {
        var literalFrequency = [Int](repeating: 0, count: 286), distanceFrequency = [Int](repeating: 0, count: 30)
        var extraBits = 0
        for t in tokens {
            if t & 0x8000_0000 == 0 {
                literalFrequency[Int(t)] += 1
            } else {
                let li = DeflateEncoder.lengthIndex[Int(t >> 16 & 0x1FF)]
                let di = DeflateEncoder.distanceIndex(Int(t & 0xFFFF) + 1)
                literalFrequency[257 + li] += 1
                distanceFrequency[di] += 1
                extraBits += DeflateTables.lengthExtra[li] + DeflateTables.distanceExtra[di]
            }
        }
        literalFrequency[256] += 1
        let literalLengths = DeflateEncoder.huffmanLengths(literalFrequency, limit: 15)
        let distanceLengths = DeflateEncoder.huffmanLengths(distanceFrequency, limit: 15)
        literalCount = max(257, (literalLengths.lastIndex { $0 > 0 } ?? 0) + 1)
        distanceCount = max(1, (distanceLengths.lastIndex { $0 > 0 } ?? 0) + 1)
        let all = Array(literalLengths[0 ..< literalCount] + distanceLengths[0 ..< distanceCount])
        runs = []
        var i = 0
        while i < all.count {
            let l = all[i]
            var run = 1
            while i + run < all.count && all[i + run] == l { run += 1 }
            i += run
            if l == 0 {
                while run >= 11 {
                    let k = min(run, 138)
                    runs.append((18, k - 11))
                    run -= k
                }
                if run >= 3 {
                    runs.append((17, run - 3))
                    run = 0
                }
            } else {
                runs.append((l, 0))
                run -= 1
                while run >= 3 {
                    let k = min(run, 6)
                    runs.append((16, k - 3))
                    run -= k
                }
            }
            for _ in 0 ..< run { runs.append((l, 0)) }
        }
        var codeLengthFrequency = [Int](repeating: 0, count: 19)
        for r in runs { codeLengthFrequency[r.symbol] += 1 }
        codeLengthLengths = DeflateEncoder.huffmanLengths(codeLengthFrequency, limit: 7)
        codeLengthCount = 19
        while codeLengthCount > 4 && codeLengthLengths[DeflateTables.codeLengthOrder[codeLengthCount - 1]] == 0 {
            codeLengthCount -= 1
        }
        literalCodes = DeflateEncoder.canonicalCodes(literalLengths)
        distanceCodes = DeflateEncoder.canonicalCodes(distanceLengths)
        codeLengthCodes = DeflateEncoder.canonicalCodes(codeLengthLengths)
        var bits = 3 + 5 + 5 + 4 + 3 * codeLengthCount + extraBits
        for r in runs { bits += codeLengthLengths[r.symbol] + [16: 2, 17: 3, 18: 7][r.symbol, default: 0] }
        for (f, l) in zip(literalFrequency, literalLengths) { bits += f * l }
        for (f, l) in zip(distanceFrequency, distanceLengths) { bits += f * l }
        cost = bits
    }

    /// Writes HLIT, HDIST, HCLEN, the code-length code lengths and the run-length coded code lengths.
    func writeHeader(into writer: inout BitWriter) {
        writer.write(literalCount - 257, 5)
        writer.write(distanceCount - 1, 5)
        writer.write(codeLengthCount - 4, 4)
        for k in 0 ..< codeLengthCount { writer.write(codeLengthLengths[DeflateTables.codeLengthOrder[k]], 3) }
        for (symbol, extra) in runs {
            let c = codeLengthCodes[symbol]
            writer.write(c >> 4, c & 15)
            switch symbol {
            case 16: writer.write(extra, 2)
            case 17: writer.write(extra, 3)
            case 18: writer.write(extra, 7)
            default: break
            }
        }
    }
}
