/// Decoder of PNG files (ISO/IEC 15948) to `GrayImage`.
///
/// Supported: every colour type and bit depth of the standard (grayscale 1/2/4/8/16, palette 1/2/4/8, RGB 8/16,
/// gray+alpha 8/16, RGBA 8/16; 16-bit samples use their full precision), all five filter types, and Adam7
/// interlacing. Each chunk's CRC is checked; ancillary chunks (including tRNS, gAMA, text) are skipped, and an
/// unknown critical chunk is an error. Colour becomes gray with the luma 0.299 R + 0.587 G + 0.114 B, and alpha
/// is composited onto white. Gamma and colour-space chunks are ignored.
enum PNGDecoder {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The contents of IHDR.
    struct Header {
        var width: Int, height: Int, bitDepth: Int, colorType: Int, interlaced: Bool

        /// Samples per pixel.
        var channels: Int {
            switch colorType {
            case 2: return 3
            case 4: return 2
            case 6: return 4
            default: return 1
            }
        }
        /// Bytes per complete pixel, at least 1 (the filter's left-neighbour distance).
        var filterStride: Int { max(1, channels * bitDepth / 8) }
        /// Bytes in one row of `columns` pixels, without the filter byte.
        func rowBytes(_ columns: Int) -> Int { (columns * channels * bitDepth + 7) / 8 }
    }

    /// The seven Adam7 passes: (first column, first row, column step, row step).
    static let adam7: [(Int, Int, Int, Int)] = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4),
                                                (1, 0, 2, 2), (0, 1, 1, 2)]

    static func decode(_ bytes: [UInt8], path: String) throws -> GrayImage {
        func fail(_ message: String) -> SpikeKitError { .malformedFile(path: path, message: "PNG: " + message) }
        func be32(_ p: Int) -> Int {
            Int(bytes[p]) << 24 | Int(bytes[p + 1]) << 16 | Int(bytes[p + 2]) << 8 | Int(bytes[p + 3])
        }
        guard bytes.starts(with: signature) else { throw fail("bad signature (not a PNG file)") }
        let n = bytes.count
        var p = signature.count
        var header: Header?
        var palette: [Float] = []
        var idat: [UInt8] = []
        var ended = false
        while !ended {
            guard p + 8 <= n else { throw fail("truncated (file ends at byte \(n) before the IEND chunk)") }
            let length = be32(p)
            let type = Array(bytes[p + 4 ..< p + 8])
            guard type.allSatisfy({ (0x41 ... 0x5A).contains($0 & ~0x20) }) else {
                throw fail("invalid chunk type at byte \(p)")
            }
            let name = String(decoding: type, as: UTF8.self)
            guard length <= 0x7FFF_FFFF, length <= n - p - 12 else {
                throw fail("truncated (\(name) chunk at byte \(p) declares \(length) bytes, the file ends first)")
            }
            let data = p + 8 ..< p + 8 + length
            let crc = CRC32.checksum(bytes[p + 4 ..< data.upperBound])
            guard crc == UInt32(be32(data.upperBound)) else { throw fail("bad CRC in \(name) chunk at byte \(p)") }
            switch name {
            case "IHDR":
                guard header == nil, p == signature.count else { throw fail("IHDR is not the first chunk") }
                guard length == 13 else { throw fail("IHDR has \(length) bytes, expected 13") }
                header = try parseHeader(Array(bytes[data]), fail: fail)
            case "PLTE":
                guard length % 3 == 0, (3 ... 768).contains(length) else { throw fail("PLTE has \(length) bytes") }
                palette = stride(from: data.lowerBound, to: data.upperBound, by: 3).map {
                    luma(Float(bytes[$0]), Float(bytes[$0 + 1]), Float(bytes[$0 + 2])) / 255
                }
            case "IDAT":
                guard header != nil else { throw fail("IDAT before IHDR") }
                idat.append(contentsOf: bytes[data])
            case "IEND":
                ended = true
            default:
                guard type[0] & 0x20 != 0 else { throw fail("unsupported critical chunk \(name)") }
            }
            if header == nil { throw fail("the first chunk is \(name), not IHDR") }
            p = data.upperBound + 4
        }
        guard let h = header else { throw fail("no IHDR chunk") }
        guard !idat.isEmpty else { throw fail("no IDAT chunk") }
        if h.colorType == 3 && palette.isEmpty { throw fail("palette image without a PLTE chunk") }

        let passes: [(x0: Int, y0: Int, dx: Int, dy: Int, w: Int, h: Int)] = (h.interlaced ? adam7 : [(0, 0, 1, 1)]).map {
            let (x0, y0, dx, dy) = $0
            return (x0, y0, dx, dy, (h.width - x0 + dx - 1) / dx, (h.height - y0 + dy - 1) / dy)
        }
        var rawSize = 0
        for pass in passes where pass.w > 0 && pass.h > 0 { rawSize += pass.h * (1 + h.rowBytes(pass.w)) }
        var raw: [UInt8]
        do {
            raw = try Inflate.zlib(idat, expectedSize: rawSize)
        } catch let error as CompressionError {
            throw fail("image data: \(error)")
        }
        var pixels = [Float](repeating: 1, count: h.width * h.height)
        var offset = 0
        let maxSample = Float((1 << h.bitDepth) - 1)
        let channels = h.channels, depth = h.bitDepth, colorType = h.colorType
        for pass in passes where pass.w > 0 && pass.h > 0 {
            let rowBytes = h.rowBytes(pass.w)
            let badRow = raw.withUnsafeMutableBufferPointer {
                unfilter($0, from: offset, rows: pass.h, rowBytes: rowBytes, stride: h.filterStride)
            }
            if let badRow { throw fail("invalid filter type \(raw[offset + badRow * (rowBytes + 1)]) in row \(badRow)") }
            var badIndex: Int?
            raw.withUnsafeBufferPointer { r in
                for row in 0 ..< pass.h {
                    let start = offset + row * (rowBytes + 1) + 1
                    let y = pass.y0 + row * pass.dy
                    for col in 0 ..< pass.w {
                        let x = pass.x0 + col * pass.dx
                        let value: Float
                        @inline(__always) func s(_ c: Int) -> Float {
                            Float(sample(r, start: start, index: col * channels + c, depth: depth)) / maxSample
                        }
                        switch colorType {
                        case 0: value = s(0)
                        case 2: value = luma(s(0), s(1), s(2))
                        case 3:
                            let i = sample(r, start: start, index: col, depth: depth)
                            if i < palette.count { value = palette[i] } else { badIndex = i; value = 1 }
                        case 4: value = s(0) * s(1) + (1 - s(1))
                        default: value = luma(s(0), s(1), s(2)) * s(3) + (1 - s(3))
                        }
                        pixels[y * h.width + x] = min(max(value, 0), 1)
                    }
                }
            }
            if let badIndex { throw fail("palette index \(badIndex) is beyond the \(palette.count) PLTE entries") }
            offset += pass.h * (rowBytes + 1)
        }
        return GrayImage(unchecked: h.width, h.height, pixels)
    }

    static func parseHeader(_ d: [UInt8], fail: (String) -> SpikeKitError) throws -> Header {
        let width = Int(d[0]) << 24 | Int(d[1]) << 16 | Int(d[2]) << 8 | Int(d[3])
        let height = Int(d[4]) << 24 | Int(d[5]) << 16 | Int(d[6]) << 8 | Int(d[7])
        guard width > 0, height > 0 else { throw fail("zero image size \(width) × \(height)") }
        guard width <= GrayImage.maxPixelCount / height else {
            throw fail("image size \(width) × \(height) exceeds the limit of 2^28 pixels")
        }
        let depth = Int(d[8]), color = Int(d[9])
        let allowed: [Int: [Int]] = [0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]]
        guard let depths = allowed[color] else { throw fail("unsupported colour type \(color)") }
        guard depths.contains(depth) else { throw fail("unsupported bit depth \(depth) for colour type \(color)") }
        guard d[10] == 0 else { throw fail("unknown compression method \(d[10])") }
        guard d[11] == 0 else { throw fail("unknown filter method \(d[11])") }
        guard d[12] <= 1 else { throw fail("unknown interlace method \(d[12])") }
        return Header(width: width, height: height, bitDepth: depth, colorType: color, interlaced: d[12] == 1)
    }

    /// Rec. 601 luma of a colour, in the units of its components.
    @inline(__always)
    static func luma(_ r: Float, _ g: Float, _ b: Float) -> Float { 0.299 * r + 0.587 * g + 0.114 * b }

    /// Sample `index` of the row that starts at `start`, for samples of `depth` bits packed most significant first.
    @inline(__always)
    static func sample(_ r: UnsafeBufferPointer<UInt8>, start: Int, index: Int, depth: Int) -> Int {
        switch depth {
        case 8: return Int(r[start + index])
        case 16: return Int(r[start + 2 * index]) << 8 | Int(r[start + 2 * index + 1])
        default:
            let bit = index * depth
            let shift = 8 - depth - (bit & 7)
            return Int(r[start + (bit >> 3)] >> UInt8(shift)) & ((1 << depth) - 1)
        }
    }

    /// Reverses the PNG filters in place for `rows` rows of `rowBytes` bytes, each preceded by its filter type,
    /// starting at `from`. Returns the index of the first row with an invalid filter type, or nil.
    static func unfilter(_ raw: UnsafeMutableBufferPointer<UInt8>, from: Int, rows: Int, rowBytes: Int, stride bpp: Int) -> Int? {
        for y in 0 ..< rows {
            let f = from + y * (rowBytes + 1)
            let c = f + 1  // current row
            let u = c - (rowBytes + 1)  // the row above, when y > 0
            switch raw[f] {
            case 0:
                break
            case 1:
                if rowBytes > bpp { for i in bpp ..< rowBytes { raw[c + i] &+= raw[c + i - bpp] } }
            case 2:
                if y > 0 { for i in 0 ..< rowBytes { raw[c + i] &+= raw[u + i] } }
            case 3:
                for i in 0 ..< rowBytes {
                    let left = i >= bpp ? Int(raw[c + i - bpp]) : 0
                    let up = y > 0 ? Int(raw[u + i]) : 0
                    raw[c + i] &+= UInt8((left + up) >> 1)
                }
            case 4:
                for i in 0 ..< rowBytes {
                    let a = i >= bpp ? Int(raw[c + i - bpp]) : 0
                    let b = y > 0 ? Int(raw[u + i]) : 0
                    let cc = i >= bpp && y > 0 ? Int(raw[u + i - bpp]) : 0
                    raw[c + i] &+= UInt8(paeth(a, b, cc))
                }
            default:
                return y
            }
        }
        return nil
    }

    /// The Paeth predictor: whichever of left, up and upper-left is closest to left + up - upper-left.
    @inline(__always)
    static func paeth(_ a: Int, _ b: Int, _ c: Int) -> Int {
        let p = a + b - c
        let pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
        if pa <= pb && pa <= pc { return a }
        return pb <= pc ? b : c
    }
}
