import Foundation

/// A raster drawn as a figure one can show: a title, the cells inside a frame, tick marks with numbers on both
/// axes (time in ms along x, neuron index or a label per band of rows along y), axis labels and a colour key.
///
/// The cells are an RGB block of `columns · cellWidth` × `rows · cellHeight` pixels, column `n` being time step
/// `n` (its left edge is at `n · msPerStep` ms) and row `i` neuron `i` (top first). Text is drawn with
/// `BitmapFont`, twice as large when the cells are at least 360 pixels wide.
public struct RasterFigure: Sendable {
    /// One entry of the colour key: a swatch and what it means.
    public struct KeyEntry: Sendable, Equatable {
        /// The text beside the swatch.
        public var name: String
        /// The swatch's colour.
        public var color: RasterPicture.Color
        /// A key entry.
        public init(_ name: String, _ color: RasterPicture.Color) {
            self.name = name
            self.color = color
        }
    }

    /// A labelled band of rows (for example one readout class), labelled on the y axis instead of neuron indices.
    public struct Band: Sendable, Equatable {
        /// The rows the band covers.
        public var rows: Range<Int>
        /// Its label.
        public var label: String
        /// A band.
        public init(rows: Range<Int>, label: String) {
            self.rows = rows
            self.label = label
        }
    }

    /// The title, drawn above the key.
    public var title: String
    /// The x axis label.
    public var xLabel = "time (ms)"
    /// The y axis label.
    public var yLabel = "neuron"
    /// Milliseconds per column (the time step Δt in ms).
    public var msPerStep: Double
    /// The colour key; empty for none.
    public var key: [KeyEntry] = []
    /// Labelled bands of rows; when not empty they replace the neuron-index ticks.
    public var bands: [Band] = []
    /// Bands to frame with a dark line above and below (for example the true class).
    public var highlightedBands: Set<Int> = []

    let cells: [UInt8]
    let columns: Int, rows: Int, cellWidth: Int, cellHeight: Int

    /// A figure around an RGB block of cells.
    /// - Throws: `SpikeKitError.invalidConfiguration` for non-positive sizes or a non-positive step,
    ///   `SpikeKitError.shapeMismatch` when `cells` is not `columns·cellWidth × rows·cellHeight` RGB pixels.
    public init(cells: [UInt8], columns: Int, rows: Int, cellWidth: Int, cellHeight: Int, title: String,
                msPerStep: Double) throws {
        guard columns > 0, rows > 0, cellWidth > 0, cellHeight > 0, msPerStep.isFinite, msPerStep > 0 else {
            throw SpikeKitError.invalidConfiguration(
                "figure of \(rows) rows × \(columns) columns (cells \(cellWidth) × \(cellHeight), \(msPerStep) ms per step)")
        }
        let (w, wOverflow) = columns.multipliedReportingOverflow(by: cellWidth)
        let (h, hOverflow) = rows.multipliedReportingOverflow(by: cellHeight)
        guard !wOverflow, !hOverflow, w <= GrayImage.maxPixelCount / h else {
            throw SpikeKitError.invalidConfiguration("figure of \(columns) × \(rows) cells is too large")
        }
        guard cells.count == w * h * 3 else {
            throw SpikeKitError.shapeMismatch("\(cells.count) bytes of cells for \(w) × \(h) RGB pixels")
        }
        self.cells = cells
        self.columns = columns
        self.rows = rows
        self.cellWidth = cellWidth
        self.cellHeight = cellHeight
        self.title = title
        self.msPerStep = msPerStep
    }

    /// A figure of a spike raster (and its overlay, if any); the key names the raster's colours:
    /// `spikes` alone, or `mainName`, `overlayName` and `both` with an overlay.
    public init(raster: RasterPicture, title: String, msPerStep: Double, mainName: String = "spike",
                overlayName: String = "target") throws {
        try self.init(cells: raster.cellPixels(), columns: raster.steps, rows: raster.neurons, cellWidth: raster.scale,
                      cellHeight: raster.scale, title: title, msPerStep: msPerStep)
        if raster.overlay != nil {
            key = [KeyEntry(mainName, raster.spikeColor), KeyEntry(overlayName, raster.overlayColor),
                   KeyEntry("both", raster.bothColor)]
        } else {
            key = [KeyEntry(mainName, raster.spikeColor)]
        }
    }

    /// Text scale: 2 for cells at least 360 pixels wide, else 1.
    var textScale: Int { columns * cellWidth >= 360 ? 2 : 1 }

    /// Tick values along x (in ms) and their labels.
    func xTicks() -> [(position: Int, label: String)] {
        let total = Double(columns) * msPerStep
        let labelWidth = BitmapFont.width(of: Self.format(total, step: total), scale: textScale)
        let maxTicks = max(2, columns * cellWidth / max(1, labelWidth + 12 * textScale))
        let step = Self.niceStep(total / Double(maxTicks))
        var ticks: [(Int, String)] = []
        var k = 0
        while Double(k) * step <= total * (1 + 1e-9) {
            let v = Double(k) * step
            ticks.append((Int((v / msPerStep * Double(cellWidth)).rounded()), Self.format(v, step: step)))
            k += 1
        }
        return ticks
    }

    /// Tick rows (neuron indices) and their labels, or one label per band.
    func yTicks() -> [(position: Int, label: String)] {
        if !bands.isEmpty {
            return bands.map { b in ((b.rows.lowerBound + b.rows.upperBound) * cellHeight / 2, b.label) }
        }
        let lineHeight = (BitmapFont.glyphHeight + 5) * textScale
        let maxTicks = max(1, rows * cellHeight / lineHeight)
        let step = max(1, Int(Self.niceStep(Double(rows) / Double(maxTicks)).rounded(.up)))
        return stride(from: 0, to: rows, by: step).map { i in (i * cellHeight + cellHeight / 2, String(i)) }
    }

    /// The smallest of 1, 2, 5 × 10^k that is at least `x`.
    static func niceStep(_ x: Double) -> Double {
        guard x.isFinite, x > 0 else { return 1 }
        let e = (x.log10).rounded(.down)
        let base = Foundation.pow(10, e)
        for m in [1.0, 2.0, 5.0, 10.0] where m * base >= x * (1 - 1e-9) { return m * base }
        return 10 * base
    }

    /// `v` with as many decimals as `step` needs.
    static func format(_ v: Double, step: Double) -> String {
        if step >= 1, v == v.rounded() { return String(Int(v)) }
        let decimals = max(0, min(6, Int((-step.log10).rounded(.up))))
        return String(format: "%.\(decimals)f", v)
    }

    /// The composed picture.
    public func canvas() throws -> Canvas {
        let ts = textScale, ch = BitmapFont.glyphHeight * ts, pad = 4 * ts, tick = 3 * ts
        let xt = xTicks(), yt = yTicks()
        let yLabelWidth = yt.map { BitmapFont.width(of: $0.label, scale: ts) }.max() ?? 0
        let cw = columns * cellWidth, chh = rows * cellHeight
        let keyHeight = key.isEmpty ? 0 : ch + pad
        let top = pad + ch + pad + keyHeight + 1
        let left = pad + ch + pad + yLabelWidth + tick + 2
        let lastLabel = xt.last.map { BitmapFont.width(of: $0.label, scale: ts) } ?? 0
        let right = max(pad, lastLabel / 2 + pad)
        let bottom = tick + 2 + ch + pad + ch + pad + 1
        let titleWidth = BitmapFont.width(of: title, scale: ts) + 2 * pad
        let keyWidth = key.reduce(0) { $0 + ch + pad + BitmapFont.width(of: $1.name, scale: ts) + 3 * pad } + 2 * pad
        let width = max(left + cw + right, titleWidth, keyWidth), height = top + chh + bottom
        var c = try Canvas(width: width, height: height)
        let gray = RasterPicture.Color.gray
        c.text(title, x: max(pad, (width - BitmapFont.width(of: title, scale: ts)) / 2), y: pad, scale: ts)
        var kx = max(pad, (width - keyWidth) / 2 + pad)
        for entry in key {
            let ky = pad + ch + pad
            c.fill(x: kx, y: ky, width: ch, height: ch, entry.color)
            c.frame(x: kx, y: ky, width: ch, height: ch, gray)
            kx += ch + pad
            c.text(entry.name, x: kx, y: ky, scale: ts)
            kx += BitmapFont.width(of: entry.name, scale: ts) + 3 * pad
        }
        c.blit(cells, width: cw, height: chh, x: left, y: top)
        c.frame(x: left - 1, y: top - 1, width: cw + 2, height: chh + 2, gray)
        for (k, b) in bands.enumerated() where highlightedBands.contains(k) {
            c.fill(x: left, y: top + b.rows.lowerBound * cellHeight, width: cw, height: max(1, ts), .black)
            c.fill(x: left, y: top + b.rows.upperBound * cellHeight - max(1, ts), width: cw, height: max(1, ts), .black)
        }
        for (p, label) in xt {
            let x = left + min(p, cw - 1)
            c.fill(x: x, y: top + chh + 1, width: 1, height: tick, gray)
            let lw = BitmapFont.width(of: label, scale: ts)
            c.text(label, x: x - lw / 2, y: top + chh + 1 + tick + 2, scale: ts)
        }
        c.text(xLabel, x: left + (cw - BitmapFont.width(of: xLabel, scale: ts)) / 2, y: top + chh + 1 + tick + 2 + ch + pad,
               scale: ts)
        for (p, label) in yt {
            let y = top + p
            c.fill(x: left - 1 - tick, y: y, width: tick, height: 1, gray)
            let lw = BitmapFont.width(of: label, scale: ts)
            c.text(label, x: left - 1 - tick - 2 - lw, y: y - ch / 2, scale: ts)
        }
        let yLen = BitmapFont.width(of: yLabel, scale: ts)
        c.verticalText(yLabel, x: pad, y: top + max(0, (chh - yLen) / 2), scale: ts)
        return c
    }

    /// Writes the figure to `path` as an 8-bit RGB PNG, atomically.
    /// - Throws: `SpikeKitError.io` when the file cannot be written.
    public func write(path: String) throws {
        try canvas().write(path: path)
    }
}

extension Double {
    fileprivate var log10: Double { Foundation.log10(self) }
}
