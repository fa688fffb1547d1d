import struct Foundation.Data

/// An RGB pixel buffer to compose pictures on: filled rectangles, lines, text in `BitmapFont`, and blocks of
/// pixels copied in. Coordinates are pixels from the top-left corner; drawing outside the canvas is clipped.
public struct Canvas: Sendable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// RGB bytes, row by row from the top-left corner.
    public private(set) var pixels: [UInt8]

    /// A canvas filled with `background`.
    /// - Throws: `SpikeKitError.invalidConfiguration` for a non-positive size or one above 2^28 pixels.
    public init(width: Int, height: Int, background: RasterPicture.Color = .white) throws {
        guard width > 0, height > 0, width <= GrayImage.maxPixelCount / height else {
            throw SpikeKitError.invalidConfiguration("canvas of \(width) × \(height) pixels")
        }
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0 ..< width * height {
            pixels[3 * i] = background.red
            pixels[3 * i + 1] = background.green
            pixels[3 * i + 2] = background.blue
        }
    }

    /// Sets one pixel (ignored outside the canvas).
    public mutating func set(_ x: Int, _ y: Int, _ c: RasterPicture.Color) {
        guard x >= 0, x < width, y >= 0, y < height else { return }
        let i = (y * width + x) * 3
        pixels[i] = c.red
        pixels[i + 1] = c.green
        pixels[i + 2] = c.blue
    }

    /// Fills the rectangle `[x, x + w) × [y, y + h)`, clipped to the canvas (wholly outside: nothing).
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, _ c: RasterPicture.Color) {
        let y0 = max(0, y), y1 = min(height, y + max(0, h)), x0 = max(0, x), x1 = min(width, x + max(0, w))
        guard y0 < y1, x0 < x1 else { return }
        for yy in y0 ..< y1 {
            for xx in x0 ..< x1 { set(xx, yy, c) }
        }
    }

    /// The outline of the rectangle `[x, x + w) × [y, y + h)`, one pixel wide.
    public mutating func frame(x: Int, y: Int, width w: Int, height h: Int, _ c: RasterPicture.Color) {
        guard w > 0, h > 0 else { return }
        fill(x: x, y: y, width: w, height: 1, c)
        fill(x: x, y: y + h - 1, width: w, height: 1, c)
        fill(x: x, y: y, width: 1, height: h, c)
        fill(x: x + w - 1, y: y, width: 1, height: h, c)
    }

    /// Copies an RGB block of `w × h` pixels with its top-left corner at `(x, y)`.
    public mutating func blit(_ rgb: [UInt8], width w: Int, height h: Int, x: Int, y: Int) {
        precondition(rgb.count == w * h * 3, "block of \(rgb.count) bytes is not \(w) × \(h) RGB")
        for yy in 0 ..< h where y + yy >= 0 && y + yy < height {
            for xx in 0 ..< w where x + xx >= 0 && x + xx < width {
                let s = (yy * w + xx) * 3, d = ((y + yy) * width + x + xx) * 3
                pixels[d] = rgb[s]
                pixels[d + 1] = rgb[s + 1]
                pixels[d + 2] = rgb[s + 2]
            }
        }
    }

    /// Draws `text` with its top-left corner at `(x, y)`; `scale` pixels per font pixel.
    public mutating func text(_ text: String, x: Int, y: Int, scale: Int = 1, _ c: RasterPicture.Color = .black) {
        var cx = x
        for ch in text {
            let rows = BitmapFont.rows(of: ch)
            for (r, bits) in rows.enumerated() {
                for col in 0 ..< BitmapFont.glyphWidth where bits & (1 << (BitmapFont.glyphWidth - 1 - col)) != 0 {
                    fill(x: cx + col * scale, y: y + r * scale, width: scale, height: scale, c)
                }
            }
            cx += BitmapFont.advance * scale
        }
    }

    /// Draws `text` rotated a quarter turn counter-clockwise (reading bottom to top), its bounding box's top-left
    /// corner at `(x, y)`; the box is `7·scale` wide and `BitmapFont.width(of: text, scale:)` high.
    public mutating func verticalText(_ text: String, x: Int, y: Int, scale: Int = 1, _ c: RasterPicture.Color = .black) {
        let length = BitmapFont.width(of: text, scale: scale)
        var offset = 0
        for ch in text {
            let rows = BitmapFont.rows(of: ch)
            for (r, bits) in rows.enumerated() {
                for col in 0 ..< BitmapFont.glyphWidth where bits & (1 << (BitmapFont.glyphWidth - 1 - col)) != 0 {
                    // Font pixel (col, r) goes to (r, length - 1 - (offset + col)) in the rotated box.
                    fill(x: x + r * scale, y: y + length - (offset + (col + 1) * scale), width: scale, height: scale, c)
                }
            }
            offset += BitmapFont.advance * scale
        }
    }

    /// The canvas as an 8-bit RGB PNG file.
    public func pngData() -> [UInt8] {
        PNGEncoder.encode(width: width, height: height, kind: .rgb, pixels: pixels)
    }

    /// Writes the canvas to `path` as an 8-bit RGB PNG, atomically, creating missing folders.
    /// - Throws: `SpikeKitError.io` when the file cannot be written.
    public func write(path: String) throws {
        try AtomicFile.write(Data(pngData()), to: path)
    }
}
