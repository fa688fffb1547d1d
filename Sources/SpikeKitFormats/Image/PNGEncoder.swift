/// Encoder of the PNG files SpikeKit writes: 8-bit grayscale or 8-bit RGB, not interlaced, compressed with
/// `Deflate.zlib`.
///
/// Each row gets the filter (none, sub, up, average or Paeth) whose output has the smallest sum of absolute values
/// (as signed bytes), the usual heuristic of libpng. The file holds IHDR, one IDAT and IEND, nothing else.
public enum PNGEncoder {
    /// The pixel layout of the bytes given to `encode`.
    public enum Kind: Sendable {
        /// One byte per pixel, 0 black to 255 white.
        case gray
        /// Three bytes per pixel, red, green, blue.
        case rgb

        var channels: Int { self == .gray ? 1 : 3 }
        var colorType: UInt8 { self == .gray ? 0 : 2 }
    }

    /// The PNG file of an image given row by row from the top-left corner.
    /// - Precondition: `width` and `height` are positive and `pixels.count == width * height * channels`; a
    ///   mismatch is a programming error (use `checkedEncode` for sizes that come from input).
    public static func encode(width: Int, height: Int, kind: Kind, pixels: [UInt8]) -> [UInt8] {
        precondition(width > 0 && height > 0 && pixels.count == width * height * kind.channels,
                     "PNGEncoder: \(pixels.count) bytes for a \(width) × \(height) \(kind) image")
        let bpp = kind.channels
        let rowBytes = width * bpp
        var filtered = [UInt8]()
        filtered.reserveCapacity(height * (rowBytes + 1))
        var candidate = [UInt8](repeating: 0, count: rowBytes)
        var best = [UInt8](repeating: 0, count: rowBytes)
        pixels.withUnsafeBufferPointer { px in
            for y in 0 ..< height {
                let c = y * rowBytes, u = c - rowBytes
                var bestType: UInt8 = 0, bestScore = Int.max
                for type: UInt8 in 0 ... 4 {
                    var score = 0
                    for i in 0 ..< rowBytes {
                        let x = Int(px[c + i])
                        let a = i >= bpp ? Int(px[c + i - bpp]) : 0
                        let b = y > 0 ? Int(px[u + i]) : 0
                        let d = i >= bpp && y > 0 ? Int(px[u + i - bpp]) : 0
                        let predicted: Int
                        switch type {
                        case 0: predicted = 0
                        case 1: predicted = a
                        case 2: predicted = b
                        case 3: predicted = (a + b) >> 1
                        default: predicted = PNGDecoder.paeth(a, b, d)
                        }
                        let v = UInt8(truncatingIfNeeded: x - predicted)
                        candidate[i] = v
                        score += abs(Int(Int8(bitPattern: v)))
                    }
                    if score < bestScore {
                        bestScore = score
                        bestType = type
                        swap(&best, &candidate)
                    }
                }
                filtered.append(bestType)
                filtered.append(contentsOf: best)
            }
        }
        var png = PNGDecoder.signature
        var header = [UInt8]()
        for v in [width, height] { header += [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        header += [8, kind.colorType, 0, 0, 0]
        appendChunk("IHDR", header, to: &png)
        appendChunk("IDAT", Deflate.zlib(filtered), to: &png)
        appendChunk("IEND", [], to: &png)
        return png
    }

    /// Like `encode`, but reports a size mismatch as an error instead of stopping.
    /// - Throws: `SpikeKitError.shapeMismatch` when the dimensions are not positive or do not match `pixels`.
    public static func checkedEncode(width: Int, height: Int, kind: Kind, pixels: [UInt8]) throws -> [UInt8] {
        guard width > 0, height > 0, width <= GrayImage.maxPixelCount / height,
              pixels.count == width * height * kind.channels else {
            throw SpikeKitError.shapeMismatch("\(pixels.count) bytes for a \(width) × \(height) \(kind) PNG image")
        }
        return encode(width: width, height: height, kind: kind, pixels: pixels)
    }

    /// Appends a chunk: length, type, data and the CRC-32 of type and data.
    static func appendChunk(_ type: String, _ data: [UInt8], to png: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        let n = data.count
        png += [UInt8(n >> 24 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
        png += typeBytes
        png += data
        let crc = CRC32.checksum(data, initial: CRC32.checksum(typeBytes))
        png += [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
    }
}
