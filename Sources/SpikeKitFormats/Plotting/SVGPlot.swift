import Foundation

/// A line plot written as standalone SVG text: several named series, optional shaded bands (confidence intervals),
/// axes with ticks and labels, a legend, linear or log10 axes and a title. No dependencies, no fonts to embed.
///
/// Non-finite points (and, on a log axis, non-positive ones) are left out and break the line, so a series can hold
/// gaps. Axis ranges are taken from the data (bands included) unless set.
///
/// ```swift
/// var plot = SVGPlot(title: "Relative error", xLabel: "samples", yLabel: "‖ĝ - g‖/‖g‖")
/// plot.xScale = .log10
/// plot.add(SVGPlot.Series(name: "REINFORCE", x: n, y: err, band: (lower, upper)))
/// try plot.write(to: "out/error.svg")
/// ```
public struct SVGPlot: Sendable {
    /// How an axis maps values to positions.
    public enum Scale: Sendable, Equatable {
        case linear
        /// Base-10 logarithmic; values ≤ 0 are not drawn.
        case log10
    }

    /// How a series is drawn.
    public enum Style: Sendable, Equatable {
        case line
        case dashed
        /// Markers only, no line.
        case points
        /// A line with markers.
        case lineAndPoints
    }

    /// One named series.
    public struct Series: Sendable {
        public var name: String
        public var x: [Double]
        public var y: [Double]
        /// Lower and upper edges of a shaded band at the same x (for example a 95 % confidence interval).
        public var band: (lower: [Double], upper: [Double])?
        public var style: Style
        /// A CSS colour; `nil` picks the next colour of the palette.
        public var color: String?

        public init(name: String, x: [Double], y: [Double], band: (lower: [Double], upper: [Double])? = nil,
                    style: Style = .line, color: String? = nil) {
            self.name = name
            self.x = x
            self.y = y
            self.band = band
            self.style = style
            self.color = color
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var xScale: Scale = .linear
    public var yScale: Scale = .linear
    /// Fixed axis ranges; `nil` fits the data.
    public var xRange: ClosedRange<Double>?
    public var yRange: ClosedRange<Double>?
    /// Horizontal reference lines (for example y = 0).
    public var horizontalLines: [Double] = []
    /// Vertical reference lines.
    public var verticalLines: [Double] = []
    public var width: Double = 720
    public var height: Double = 450
    public private(set) var series: [Series] = []

    /// The colour cycle (colour-blind-safe Tableau 10).
    public static let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
                                 "#ff9da7", "#9c755f", "#bab0ac"]

    public init(title: String, xLabel: String, yLabel: String) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    /// Appends a series.
    public mutating func add(_ s: Series) { series.append(s) }

    /// Appends a series from its values.
    public mutating func add(name: String, x: [Double], y: [Double], band: (lower: [Double], upper: [Double])? = nil,
                             style: Style = .line) {
        series.append(Series(name: name, x: x, y: y, band: band, style: style))
    }

    /// Writes the SVG atomically to `path` (parent folders are created).
    public func write(to path: String) throws { try AtomicFile.write(svg(), to: path) }

    // MARK: - Rendering

    private struct Frame {
        var left: Double, right: Double, top: Double, bottom: Double
        var x0: Double, x1: Double, y0: Double, y1: Double  // axis ranges in transformed units
        var xScale: Scale, yScale: Scale

        func tx(_ v: Double) -> Double? { transform(v, xScale).map { left + ($0 - x0) / (x1 - x0) * (right - left) } }
        func ty(_ v: Double) -> Double? { transform(v, yScale).map { bottom - ($0 - y0) / (y1 - y0) * (bottom - top) } }
    }

    private static func transform(_ v: Double, _ s: Scale) -> Double? {
        guard v.isFinite else { return nil }
        switch s {
        case .linear: return v
        case .log10: return v > 0 ? Foundation.log10(v) : nil
        }
    }

    private static func fit(_ values: [Double], _ s: Scale, fixed: ClosedRange<Double>?) -> (Double, Double) {
        if let r = fixed, let a = transform(r.lowerBound, s), let b = transform(r.upperBound, s), b > a { return (a, b) }
        let t = values.compactMap { transform($0, s) }
        guard var lo = t.min(), var hi = t.max() else { return (0, 1) }
        if hi - lo < 1e-300 || (hi - lo) < 1e-12 * max(abs(lo), abs(hi)) {
            let pad = max(abs(lo) * 0.05, s == .log10 ? 0.5 : 1e-12, 1e-300)
            lo -= pad
            hi += pad
        } else if s == .linear {
            let pad = (hi - lo) * 0.04
            lo -= pad
            hi += pad
        } else {
            lo = Foundation.floor(lo * 1e9) / 1e9
            hi = Foundation.ceil(hi * 1e9) / 1e9
        }
        return (lo, hi)
    }

    /// "Nice" tick positions (1, 2, 5 × 10^k steps) covering `[lo, hi]`, in data units.
    static func linearTicks(_ lo: Double, _ hi: Double, target: Int = 6) -> [Double] {
        let span = hi - lo
        guard span > 0, span.isFinite else { return [lo] }
        let raw = span / Double(target)
        let mag = Foundation.pow(10, Foundation.floor(Foundation.log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        var t = Foundation.ceil(lo / step) * step
        var ticks: [Double] = []
        while t <= hi + step * 1e-9 {
            ticks.append(abs(t) < step * 1e-9 ? 0 : t)
            t += step
        }
        return ticks
    }

    private static func ticks(_ lo: Double, _ hi: Double, _ s: Scale) -> [(position: Double, label: String)] {
        switch s {
        case .linear:
            return linearTicks(lo, hi).map { ($0, label($0)) }
        case .log10:
            let a = Int(Foundation.ceil(lo - 1e-9)), b = Int(Foundation.floor(hi + 1e-9))
            if b < a { return linearTicks(lo, hi, target: 3).map { ($0, label(Foundation.pow(10, $0))) } }
            let stride = max(1, (b - a + 1) / 8)
            return Swift.stride(from: a, through: b, by: stride).map { (Double($0), "1e\($0)") }
        }
    }

    static func label(_ v: Double) -> String {
        if v == 0 { return "0" }
        let a = abs(v)
        if a >= 1e5 || a < 1e-3 { return String(format: "%.2g", v) }
        var s = String(format: "%.4f", v)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    private static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    private static func num(_ v: Double) -> String { String(format: "%.2f", v) }

    /// The SVG document.
    public func svg() -> String {
        var xs: [Double] = [], ys: [Double] = []
        for s in series {
            xs += s.x
            ys += s.y
            if let b = s.band { ys += b.lower + b.upper }
        }
        ys += horizontalLines
        xs += verticalLines
        let (x0, x1) = Self.fit(xs, xScale, fixed: xRange)
        let (y0, y1) = Self.fit(ys, yScale, fixed: yRange)
        let legendWidth = series.isEmpty ? 0 : min(260, 30 + 7.0 * Double(series.map(\.name.count).max() ?? 0))
        let f = Frame(left: 78, right: width - 20 - legendWidth, top: 44, bottom: height - 58,
                      x0: x0, x1: x1, y0: y0, y1: y1, xScale: xScale, yScale: yScale)
        var out = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Self.num(width))" height="\(Self.num(height))" \
        viewBox="0 0 \(Self.num(width)) \(Self.num(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(Self.num((f.left + f.right) / 2))" y="24" text-anchor="middle" font-size="15" \
        font-weight="bold">\(Self.escape(title))</text>

        """
        // Grid and ticks.
        for (pos, text) in Self.ticks(x0, x1, xScale) {
            let px = f.left + (pos - x0) / (x1 - x0) * (f.right - f.left)
            guard px >= f.left - 0.5, px <= f.right + 0.5 else { continue }
            out += "<line x1=\"\(Self.num(px))\" y1=\"\(Self.num(f.top))\" x2=\"\(Self.num(px))\" y2=\"\(Self.num(f.bottom))\" stroke=\"#e6e6e6\"/>\n"
            out += "<line x1=\"\(Self.num(px))\" y1=\"\(Self.num(f.bottom))\" x2=\"\(Self.num(px))\" y2=\"\(Self.num(f.bottom + 5))\" stroke=\"black\"/>\n"
            out += "<text x=\"\(Self.num(px))\" y=\"\(Self.num(f.bottom + 18))\" text-anchor=\"middle\">\(Self.escape(text))</text>\n"
        }
        for (pos, text) in Self.ticks(y0, y1, yScale) {
            let py = f.bottom - (pos - y0) / (y1 - y0) * (f.bottom - f.top)
            guard py >= f.top - 0.5, py <= f.bottom + 0.5 else { continue }
            out += "<line x1=\"\(Self.num(f.left))\" y1=\"\(Self.num(py))\" x2=\"\(Self.num(f.right))\" y2=\"\(Self.num(py))\" stroke=\"#e6e6e6\"/>\n"
            out += "<line x1=\"\(Self.num(f.left - 5))\" y1=\"\(Self.num(py))\" x2=\"\(Self.num(f.left))\" y2=\"\(Self.num(py))\" stroke=\"black\"/>\n"
            out += "<text x=\"\(Self.num(f.left - 8))\" y=\"\(Self.num(py + 4))\" text-anchor=\"end\">\(Self.escape(text))</text>\n"
        }
        out += "<rect x=\"\(Self.num(f.left))\" y=\"\(Self.num(f.top))\" width=\"\(Self.num(f.right - f.left))\" height=\"\(Self.num(f.bottom - f.top))\" fill=\"none\" stroke=\"black\"/>\n"
        out += "<text x=\"\(Self.num((f.left + f.right) / 2))\" y=\"\(Self.num(height - 16))\" text-anchor=\"middle\">\(Self.escape(xLabel))</text>\n"
        out += "<text transform=\"translate(18 \(Self.num((f.top + f.bottom) / 2))) rotate(-90)\" text-anchor=\"middle\">\(Self.escape(yLabel))</text>\n"
        out += "<defs><clipPath id=\"plot-area\"><rect x=\"\(Self.num(f.left))\" y=\"\(Self.num(f.top))\" width=\"\(Self.num(f.right - f.left))\" height=\"\(Self.num(f.bottom - f.top))\"/></clipPath></defs>\n"
        out += "<g clip-path=\"url(#plot-area)\">\n"
        for v in horizontalLines {
            if let py = f.ty(v) {
                out += "<line x1=\"\(Self.num(f.left))\" y1=\"\(Self.num(py))\" x2=\"\(Self.num(f.right))\" y2=\"\(Self.num(py))\" stroke=\"#555\" stroke-dasharray=\"2 3\"/>\n"
            }
        }
        for v in verticalLines {
            if let px = f.tx(v) {
                out += "<line x1=\"\(Self.num(px))\" y1=\"\(Self.num(f.top))\" x2=\"\(Self.num(px))\" y2=\"\(Self.num(f.bottom))\" stroke=\"#555\" stroke-dasharray=\"2 3\"/>\n"
            }
        }
        // Bands first, then lines, so lines stay visible.
        for (k, s) in series.enumerated() {
            guard let band = s.band else { continue }
            let color = s.color ?? Self.palette[k % Self.palette.count]
            var upper: [(Double, Double)] = [], lower: [(Double, Double)] = []
            for i in s.x.indices where i < band.lower.count && i < band.upper.count {
                guard let px = f.tx(s.x[i]), let pl = f.ty(band.lower[i]), let pu = f.ty(band.upper[i]) else { continue }
                upper.append((px, pu))
                lower.append((px, pl))
            }
            guard upper.count > 1 else { continue }
            let pts = (upper + lower.reversed()).map { "\(Self.num($0.0)),\(Self.num($0.1))" }.joined(separator: " ")
            out += "<polygon points=\"\(pts)\" fill=\"\(color)\" fill-opacity=\"0.2\" stroke=\"none\"/>\n"
        }
        for (k, s) in series.enumerated() {
            let color = s.color ?? Self.palette[k % Self.palette.count]
            var segments: [[(Double, Double)]] = [[]]
            for i in s.x.indices where i < s.y.count {
                if let px = f.tx(s.x[i]), let py = f.ty(s.y[i]) {
                    segments[segments.count - 1].append((px, py))
                } else if !segments[segments.count - 1].isEmpty {
                    segments.append([])
                }
            }
            if s.style != .points {
                let dash = s.style == .dashed ? " stroke-dasharray=\"6 4\"" : ""
                for seg in segments where seg.count > 1 {
                    let pts = seg.map { "\(Self.num($0.0)),\(Self.num($0.1))" }.joined(separator: " ")
                    out += "<polyline points=\"\(pts)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\"\(dash)/>\n"
                }
            }
            if s.style == .points || s.style == .lineAndPoints || segments.allSatisfy({ $0.count <= 1 }) {
                for seg in segments {
                    for p in seg {
                        out += "<circle cx=\"\(Self.num(p.0))\" cy=\"\(Self.num(p.1))\" r=\"2.8\" fill=\"\(color)\"/>\n"
                    }
                }
            }
        }
        out += "</g>\n"
        // Legend.
        if !series.isEmpty {
            let lx = f.right + 14
            for (k, s) in series.enumerated() {
                let color = s.color ?? Self.palette[k % Self.palette.count]
                let ly = f.top + 8 + Double(k) * 18
                let dash = s.style == .dashed ? " stroke-dasharray=\"6 4\"" : ""
                out += "<line x1=\"\(Self.num(lx))\" y1=\"\(Self.num(ly))\" x2=\"\(Self.num(lx + 20))\" y2=\"\(Self.num(ly))\" stroke=\"\(color)\" stroke-width=\"2.5\"\(dash)/>\n"
                out += "<text x=\"\(Self.num(lx + 26))\" y=\"\(Self.num(ly + 4))\">\(Self.escape(s.name))</text>\n"
            }
        }
        out += "</svg>\n"
        return out
    }
}
