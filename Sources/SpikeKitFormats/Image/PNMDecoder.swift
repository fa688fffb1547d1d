/// Decoder of Netpbm images (PBM, PGM and PPM; magic numbers P1 to P6) to `GrayImage`.
///
/// The header is whitespace-separated ASCII (magic, width, height and, except for PBM, maxval 1...65535) with `#`
/// comments running to the end of a line. Plain formats (P1, P2, P3) hold ASCII numbers; raw formats (P4, P5, P6)
/// hold binary samples after exactly one whitespace byte: packed bits for P4, one byte per sample when maxval < 256
/// and two big-endian bytes otherwise. In PBM 1 is black; in PGM and PPM 0 is black and maxval white. Colour
/// becomes gray with the luma 0.299 R + 0.587 G + 0.114 B. Only the first image of a multi-image file is read.
enum PNMDecoder {
    static func decode(_ bytes: [UInt8], path: String) throws -> GrayImage {
        func fail(_ message: String) -> SpikeKitError { .malformedFile(path: path, message: "Netpbm: " + message) }
        let kind = Int(bytes[1]) - 0x30  // 1...6, checked by the caller
        var p = 2
        let n = bytes.count

        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (0x09 ... 0x0D).contains(b) }
        /// Skips whitespace and comments, then reads a decimal number of at most 9 digits.
        func number(_ what: String) throws -> Int {
            while p < n {
                if isSpace(bytes[p]) {
                    p += 1
                } else if bytes[p] == UInt8(ascii: "#") {
                    while p < n && bytes[p] != 0x0A && bytes[p] != 0x0D { p += 1 }
                } else {
                    break
                }
            }
            guard p < n else { throw fail("truncated (file ends before the \(what))") }
            var value = 0, digits = 0
            while p < n, (0x30 ... 0x39).contains(bytes[p]) {
                value = value * 10 + Int(bytes[p] - 0x30)
                digits += 1
                p += 1
                guard digits <= 9 else { throw fail("\(what) is too large") }
            }
            guard digits > 0 else { throw fail("expected a number for the \(what) at byte \(p)") }
            return value
        }

        guard p < n, isSpace(bytes[p]) || bytes[p] == UInt8(ascii: "#") else { throw fail("bad header after the magic number") }
        let width = try number("width")
        let height = try number("height")
        guard width > 0, height > 0 else { throw fail("zero image size \(width) × \(height)") }
        guard width <= GrayImage.maxPixelCount / height else {
            throw fail("image size \(width) × \(height) exceeds the limit of 2^28 pixels")
        }
        let bitmap = kind == 1 || kind == 4
        let maxval = bitmap ? 1 : try number("maxval")
        guard (1 ... 65535).contains(maxval) else { throw fail("maxval \(maxval) is not in 1...65535") }
        let channels = kind == 3 || kind == 6 ? 3 : 1
        let count = width * height
        let scale = Float(maxval)

        if kind <= 3 {
            // Each sample takes at least one byte: check before allocating for a header's claimed size.
            guard count * channels <= n - p else {
                throw fail("truncated (\(n - p) bytes left for \(count * channels) samples)")
            }
            var pixels = [Float](repeating: 1, count: count)
            // Plain formats: one ASCII number per sample (PBM digits may be unseparated).
            var values = [Int](repeating: 0, count: channels)
            for i in 0 ..< count {
                for c in 0 ..< channels {
                    if kind == 1 {
                        while p < n && (isSpace(bytes[p]) || bytes[p] == UInt8(ascii: "#")) {
                            if bytes[p] == UInt8(ascii: "#") { while p < n && bytes[p] != 0x0A { p += 1 } } else { p += 1 }
                        }
                        guard p < n else { throw fail("truncated (\(i) of \(count) pixels)") }
                        guard bytes[p] == UInt8(ascii: "0") || bytes[p] == UInt8(ascii: "1") else {
                            throw fail("PBM pixel at byte \(p) is not 0 or 1")
                        }
                        values[c] = Int(bytes[p] - 0x30)
                        p += 1
                    } else {
                        guard p < n else { throw fail("truncated (\(i) of \(count) pixels)") }
                        values[c] = try number("sample")
                        guard values[c] <= maxval else { throw fail("sample \(values[c]) exceeds maxval \(maxval)") }
                    }
                }
                pixels[i] = gray(values, channels: channels, bitmap: bitmap, scale: scale)
            }
            return GrayImage(unchecked: width, height, pixels)
        }

        // Raw formats: exactly one whitespace byte, then binary samples.
        guard p < n, isSpace(bytes[p]) else { throw fail("truncated (no pixel data)") }
        p += 1
        if kind == 4 {
            let rowBytes = (width + 7) / 8
            guard n - p >= rowBytes * height else {
                throw fail("truncated (\(n - p) bytes of pixel data, expected \(rowBytes * height))")
            }
            var pixels = [Float](repeating: 1, count: count)
            for y in 0 ..< height {
                for x in 0 ..< width {
                    let bit = (bytes[p + y * rowBytes + (x >> 3)] >> UInt8(7 - (x & 7))) & 1
                    pixels[y * width + x] = bit == 1 ? 0 : 1
                }
            }
            return GrayImage(unchecked: width, height, pixels)
        }
        let sampleBytes = maxval < 256 ? 1 : 2
        let needed = count * channels * sampleBytes
        guard n - p >= needed else { throw fail("truncated (\(n - p) bytes of pixel data, expected \(needed))") }
        var pixels = [Float](repeating: 1, count: count)
        var values = [Int](repeating: 0, count: channels)
        for i in 0 ..< count {
            for c in 0 ..< channels {
                let q = p + (i * channels + c) * sampleBytes
                values[c] = sampleBytes == 1 ? Int(bytes[q]) : Int(bytes[q]) << 8 | Int(bytes[q + 1])
                guard values[c] <= maxval else { throw fail("sample \(values[c]) exceeds maxval \(maxval)") }
            }
            pixels[i] = gray(values, channels: channels, bitmap: false, scale: scale)
        }
        return GrayImage(unchecked: width, height, pixels)
    }

    /// Brightness in 0...1 of one pixel's samples; `scale` is maxval.
    private static func gray(_ v: [Int], channels: Int, bitmap: Bool, scale: Float) -> Float {
        if bitmap { return v[0] == 1 ? 0 : 1 }
        if channels == 1 { return Float(v[0]) / scale }
        return min(1, PNGDecoder.luma(Float(v[0]), Float(v[1]), Float(v[2])) / scale)
    }
}
