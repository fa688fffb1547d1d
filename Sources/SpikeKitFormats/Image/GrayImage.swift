import struct Foundation.Data

/// A grayscale image: `width` × `height` pixels, row-major from the top-left corner, each a brightness in 0...1
/// (0 = black, 1 = white).
///
/// Images are read from PNG, PGM/PPM/PBM files (`load(path:)`, which picks the format from the magic bytes) and
/// written as 8-bit grayscale PNG (`pngData()`, `write(path:)`). Colour is converted to gray with the Rec. 601
/// luma weights 0.299 R + 0.587 G + 0.114 B, and transparency is composited onto white.
public struct GrayImage: Sendable, Equatable {
    /// The largest number of pixels an image may have (2^28), so a corrupt header cannot request an absurd
    /// allocation.
    public static let maxPixelCount = 1 << 28

    /// Number of columns.
    public let width: Int
    /// Number of rows.
    public let height: Int
    /// Brightness of each pixel, row by row (`pixels[y * width + x]`), in 0...1 with 0 black.
    public private(set) var pixels: [Float]

    /// An image from its pixels.
    /// - Throws: `SpikeKitError.shapeMismatch` when `pixels.count != width * height` or a dimension is not
    ///   positive, `SpikeKitError.nonFiniteValues` when a pixel is NaN or infinite. Values are clamped to 0...1.
    public init(width: Int, height: Int, pixels: [Float]) throws {
        guard width > 0, height > 0, width <= GrayImage.maxPixelCount / height else {
            throw SpikeKitError.shapeMismatch("image size \(width) × \(height) must be positive and at most 2^28 pixels")
        }
        guard pixels.count == width * height else {
            throw SpikeKitError.shapeMismatch("\(pixels.count) pixels for a \(width) × \(height) image")
        }
        guard pixels.allSatisfy({ $0.isFinite }) else {
            throw SpikeKitError.nonFiniteValues("image pixels")
        }
        self.width = width
        self.height = height
        self.pixels = pixels.map { min(max($0, 0), 1) }
    }

    /// An image of one uniform brightness (clamped to 0...1); dimensions below 1 are raised to 1.
    public init(width: Int, height: Int, value: Float) {
        self.width = max(1, width)
        self.height = max(1, height)
        pixels = [Float](repeating: value.isFinite ? min(max(value, 0), 1) : 0, count: self.width * self.height)
    }

    /// Internal memberwise initializer for pixels already known to be valid.
    init(unchecked width: Int, _ height: Int, _ pixels: [Float]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The brightness at column `x`, row `y` (both zero-based from the top-left corner).
    public subscript(x x: Int, y y: Int) -> Float {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = min(max(newValue, 0), 1) }
    }

    /// True when every pixel is exactly 0 or 1 (a 1-bit image).
    public var isBinary: Bool { pixels.allSatisfy { $0 == 0 || $0 == 1 } }

    /// The fraction of pixels darker than mid-gray (< 0.5): for a 1-bit image, the fraction of black pixels.
    public var blackFraction: Double {
        Double(pixels.reduce(0) { $0 + ($1 < 0.5 ? 1 : 0) }) / Double(pixels.count)
    }

    /// Reads an image file: PNG, or Netpbm PGM/PPM/PBM (P1 to P6), chosen by the magic bytes, not the name.
    /// - Throws: `SpikeKitError.io` when the file cannot be read, `SpikeKitError.malformedFile` (one line naming the
    ///   file and the problem) when it is not a supported image or is corrupt.
    public static func load(path: String) throws -> GrayImage {
        try decode(AtomicFile.readBytes(path), path: path)
    }

    /// Decodes the bytes of a PNG or Netpbm file; `path` is used in error messages only.
    /// - Throws: `SpikeKitError.malformedFile` naming `path` when the bytes are not a supported, valid image.
    public static func decode(_ bytes: [UInt8], path: String = "<memory>") throws -> GrayImage {
        if bytes.starts(with: PNGDecoder.signature) { return try PNGDecoder.decode(bytes, path: path) }
        if bytes.count >= 2, bytes[0] == UInt8(ascii: "P"), (UInt8(ascii: "1") ... UInt8(ascii: "6")).contains(bytes[1]) {
            return try PNMDecoder.decode(bytes, path: path)
        }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) {
            throw SpikeKitError.malformedFile(path: path, message: "PNG: bad signature (damaged file header)")
        }
        throw SpikeKitError.malformedFile(path: path, message: "not a PNG, PGM or PPM image (unrecognised magic bytes)")
    }

    /// The image as an 8-bit grayscale PNG (brightness × 255, rounded).
    public func pngData() -> [UInt8] {
        let bytes = pixels.map { UInt8(min(max($0 * 255 + 0.5, 0), 255)) }
        return PNGEncoder.encode(width: width, height: height, kind: .gray, pixels: bytes)
    }

    /// Writes the image to `path` as an 8-bit grayscale PNG, atomically.
    /// - Throws: `SpikeKitError.io` when the file cannot be written.
    public func write(path: String) throws {
        try AtomicFile.write(Data(pngData()), to: path)
    }
}
