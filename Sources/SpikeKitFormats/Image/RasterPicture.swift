import struct Foundation.Data

/// A picture of a spike raster: time runs left to right, neuron 0 is the top row, spikes are dark on white, inside
/// a thin gray frame with outward ticks every 50 steps and every 50 neurons. A second raster can be overlaid (for
/// example the target under the output), each cell then coloured by which rasters spike there.
///
/// Each raster cell becomes `scale` × `scale` pixels; around the raster there is a 1-pixel frame and a 4-pixel
/// white margin, so the PNG is `steps · scale + 10` wide and `neurons · scale + 10` high.
public struct RasterPicture: Sendable {
    /// An 8-bit RGB colour.
    public struct Color: Sendable, Equatable {
        /// Red, green and blue, 0...255.
        public var red: UInt8, green: UInt8, blue: UInt8
        /// A colour from its components.
        public init(red: UInt8, green: UInt8, blue: UInt8) {
            self.red = red
            self.green = green
            self.blue = blue
        }
        /// Black.
        public static let black = Color(red: 0, green: 0, blue: 0)
        /// White.
        public static let white = Color(red: 255, green: 255, blue: 255)
        /// Mid gray, the frame.
        public static let gray = Color(red: 128, green: 128, blue: 128)
        /// Light red, the overlay's spikes where the main raster is silent.
        public static let lightRed = Color(red: 240, green: 130, blue: 120)
        /// Dark red, cells where both rasters spike.
        public static let darkRed = Color(red: 140, green: 0, blue: 0)
    }

    /// White margin outside the frame, in pixels.
    static let margin = 4
    /// Distance between ticks, in raster cells.
    static let tickSpacing = 50

    /// Number of neurons (rows).
    public let neurons: Int
    /// Number of time steps (columns).
    public let steps: Int
    /// The main raster, time-major: `spikes[n * neurons + i]` for neuron `i` at step `n`; a value ≥ 0.5 is a spike.
    public let spikes: [Float]
    /// An optional second raster of the same shape and layout.
    public let overlay: [Float]?
    /// Pixels per raster cell along each axis (1...64).
    public let scale: Int
    /// Colour of the main raster's spikes where the overlay is silent (or absent).
    public var spikeColor = Color.black
    /// Colour of the overlay's spikes where the main raster is silent.
    public var overlayColor = Color.lightRed
    /// Colour of cells where both rasters spike.
    public var bothColor = Color.darkRed
    /// Colour of the frame and ticks.
    public var frameColor = Color.gray

    /// A picture of `spikes` (layout `[steps][neurons]`), optionally with `overlay` of the same shape.
    /// - Throws: `SpikeKitError.invalidConfiguration` for non-positive dimensions or a scale outside 1...64 or a
    ///   picture above 2^28 pixels, `SpikeKitError.shapeMismatch` when an array does not hold
    ///   `neurons * steps` values.
    public init(neurons: Int, steps: Int, spikes: [Float], overlay: [Float]? = nil, scale: Int = 1) throws {
        guard neurons > 0, steps > 0, (1 ... 64).contains(scale) else {
            throw SpikeKitError.invalidConfiguration("raster picture of \(neurons) neurons × \(steps) steps at scale \(scale)")
        }
        let width = steps * scale + 2 * (RasterPicture.margin + 1), height = neurons * scale + 2 * (RasterPicture.margin + 1)
        guard width <= GrayImage.maxPixelCount / height else {
            throw SpikeKitError.invalidConfiguration("raster picture of \(width) × \(height) pixels is too large")
        }
        guard spikes.count == neurons * steps else {
            throw SpikeKitError.shapeMismatch("\(spikes.count) raster values for \(neurons) neurons × \(steps) steps")
        }
        if let overlay, overlay.count != spikes.count {
            throw SpikeKitError.shapeMismatch("overlay has \(overlay.count) values, the raster \(spikes.count)")
        }
        self.neurons = neurons
        self.steps = steps
        self.spikes = spikes
        self.overlay = overlay
        self.scale = scale
    }

    /// A picture of a target raster, optionally with `overlay` (for example a network's output) of its shape.
    /// - Throws: the errors of `init(neurons:steps:spikes:overlay:scale:)`.
    public init(target: SpikeRasterTarget, overlay: [Float]? = nil, scale: Int = 1) throws {
        try self.init(neurons: target.neurons, steps: target.steps, spikes: target.spikes, overlay: overlay, scale: scale)
    }

    /// Width of the picture in pixels.
    public var width: Int { steps * scale + 2 * (RasterPicture.margin + 1) }
    /// Height of the picture in pixels.
    public var height: Int { neurons * scale + 2 * (RasterPicture.margin + 1) }

    /// The picture as RGB bytes, row by row from the top-left corner.
    public func rgbPixels() -> [UInt8] {
        let w = width, h = height, m = RasterPicture.margin
        var px = [UInt8](repeating: 255, count: w * h * 3)
        func set(_ x: Int, _ y: Int, _ c: Color) {
            guard x >= 0, x < w, y >= 0, y < h else { return }
            let i = (y * w + x) * 3
            px[i] = c.red
            px[i + 1] = c.green
            px[i + 2] = c.blue
        }
        // Frame: the rectangle just outside the raster.
        let left = m, top = m, right = w - m - 1, bottom = h - m - 1
        for x in left ... right { set(x, top, frameColor); set(x, bottom, frameColor) }
        for y in top ... bottom { set(left, y, frameColor); set(right, y, frameColor) }
        for n in stride(from: 0, through: steps, by: RasterPicture.tickSpacing) {
            let x = left + 1 + n * scale - (n == steps ? 1 : 0)
            for k in 1 ... 3 { set(x, bottom + k, frameColor); set(x, top - k, frameColor) }
        }
        for i in stride(from: 0, through: neurons, by: RasterPicture.tickSpacing) {
            let y = top + 1 + i * scale - (i == neurons ? 1 : 0)
            for k in 1 ... 3 { set(left - k, y, frameColor); set(right + k, y, frameColor) }
        }
        for n in 0 ..< steps {
            for i in 0 ..< neurons {
                let main = spikes[n * neurons + i] >= 0.5
                let other = (overlay?[n * neurons + i] ?? 0) >= 0.5
                guard main || other else { continue }
                let c = main && other ? bothColor : main ? spikeColor : overlayColor
                for dy in 0 ..< scale {
                    for dx in 0 ..< scale { set(left + 1 + n * scale + dx, top + 1 + i * scale + dy, c) }
                }
            }
        }
        return px
    }

    /// The cells alone, without frame and margin: `steps · scale` × `neurons · scale` RGB pixels, white where no
    /// raster spikes.
    public func cellPixels() -> [UInt8] {
        let w = steps * scale, h = neurons * scale
        var px = [UInt8](repeating: 255, count: w * h * 3)
        for n in 0 ..< steps {
            for i in 0 ..< neurons {
                let main = spikes[n * neurons + i] >= 0.5
                let other = (overlay?[n * neurons + i] ?? 0) >= 0.5
                guard main || other else { continue }
                let c = main && other ? bothColor : main ? spikeColor : overlayColor
                for dy in 0 ..< scale {
                    for dx in 0 ..< scale {
                        let k = ((i * scale + dy) * w + n * scale + dx) * 3
                        px[k] = c.red
                        px[k + 1] = c.green
                        px[k + 2] = c.blue
                    }
                }
            }
        }
        return px
    }

    /// The picture as an 8-bit RGB PNG file.
    public func pngData() -> [UInt8] {
        PNGEncoder.encode(width: width, height: height, kind: .rgb, pixels: rgbPixels())
    }

    /// Writes the picture to `path` as an 8-bit RGB PNG, atomically, creating missing folders.
    /// - Throws: `SpikeKitError.io` when the file cannot be written.
    public func write(path: String) throws {
        try AtomicFile.write(Data(pngData()), to: path)
    }
}
