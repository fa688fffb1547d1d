import Foundation
import Testing
@testable import SpikeKitFormats
import SpikeKit

@Suite struct RasterFigureTests {
    @Test func fontGlyphsAndWidths() {
        #expect(BitmapFont.width(of: "") == 0)
        #expect(BitmapFont.width(of: "10", scale: 2) == (6 * 2 - 1) * 2)
        // "1": a centred stroke with a foot.
        #expect(BitmapFont.rows(of: "1") == [0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110])
        #expect(BitmapFont.rows(of: " ") == [UInt8](repeating: 0, count: 7))
        // Every printable ASCII character has its own glyph; others fall back to "?".
        for v in 32 ... 126 { #expect(BitmapFont.glyphs[Character(UnicodeScalar(v)!)] != nil, "\(v)") }
        #expect(BitmapFont.rows(of: "ß") == BitmapFont.rows(of: "?"))
        let distinct = Set((32 ... 126).map { BitmapFont.rows(of: Character(UnicodeScalar($0)!)) })
        #expect(distinct.count == 95)
    }

    @Test func canvasDrawsTextPixelForPixel() throws {
        var c = try Canvas(width: 20, height: 10)
        c.text("1", x: 2, y: 1, scale: 1, .black)
        func dark(_ x: Int, _ y: Int) -> Bool { c.pixels[(y * 20 + x) * 3] == 0 }
        for (r, bits) in BitmapFont.rows(of: "1").enumerated() {
            for col in 0 ..< 5 { #expect(dark(2 + col, 1 + r) == (bits & (1 << (4 - col)) != 0)) }
        }
        #expect(!dark(0, 0) && !dark(19, 9))
        // Vertical text reads bottom to top: the first character's first column ends up in the bottom row.
        var v = try Canvas(width: 10, height: 10)
        v.verticalText("1", x: 0, y: 0)
        let rows1 = BitmapFont.rows(of: "1")
        for r in 0 ..< 7 {
            for col in 0 ..< 5 {
                #expect((v.pixels[((4 - col) * 10 + r) * 3] == 0) == (rows1[r] & (1 << (4 - col)) != 0))
            }
        }
        #expect(throws: SpikeKitError.self) { try Canvas(width: 0, height: 3) }
    }

    /// Text and rectangles partly or wholly off the canvas are clipped (a 4-neuron, 12-step raster's figure once
    /// trapped drawing its rotated axis label above the canvas).
    @Test func drawingOffTheCanvasIsClipped() throws {
        var c = try Canvas(width: 8, height: 8)
        c.fill(x: -20, y: -20, width: 5, height: 5, .black)
        c.fill(x: 20, y: 20, width: 5, height: 5, .black)
        c.verticalText("neuron index", x: 0, y: -60, scale: 2)
        c.text("time (ms)", x: -100, y: 50)
        #expect(c.pixels.allSatisfy { $0 == 255 })
        c.fill(x: -2, y: -2, width: 4, height: 4, .black)
        #expect(c.pixels[0] == 0 && c.pixels[(2 * 8 + 2) * 3] == 255)
        for (n, t) in [(1, 1), (4, 12), (2, 300)] {
            let picture = try RasterPicture(neurons: n, steps: t, spikes: [Float](repeating: 1, count: n * t), scale: 1)
            let figure = try RasterFigure(raster: picture, title: "a long title for a tiny raster", msPerStep: 1)
            let canvas = try figure.canvas()
            #expect(canvas.width > 0 && canvas.height > 0)
        }
    }

    @Test func ticksAreNiceNumbersInMilliseconds() throws {
        #expect(RasterFigure.niceStep(37) == 50 && RasterFigure.niceStep(0.013) == 0.02 && RasterFigure.niceStep(1) == 1)
        #expect(RasterFigure.format(0.5, step: 0.1) == "0.5" && RasterFigure.format(150, step: 50) == "150")
        let picture = try RasterPicture(neurons: 200, steps: 189, spikes: [Float](repeating: 0, count: 200 * 189), scale: 3)
        let figure = try RasterFigure(raster: picture, title: "t", msPerStep: 1)
        let xt = figure.xTicks()
        #expect(xt.map(\.label) == ["0", "50", "100", "150"])
        #expect(xt.map(\.position) == [0, 150, 300, 450])
        let yt = figure.yTicks()
        #expect(yt.first?.label == "0" && yt.count >= 5 && yt.count <= 25)
        let step = Int(yt[1].label)! - Int(yt[0].label)!
        #expect([1, 2, 5, 10, 20, 50].contains(step))
        // 2 ms steps: 100 steps span 200 ms.
        let small = try RasterPicture(neurons: 20, steps: 100, spikes: [Float](repeating: 0, count: 2000), scale: 3)
        #expect(try RasterFigure(raster: small, title: "t", msPerStep: 2).xTicks().last?.label == "200")
    }

    @Test func figureHoldsTheRasterCellsUnchanged() throws {
        var spikes = [Float](repeating: 0, count: 30 * 40)
        for n in 0 ..< 40 { spikes[n * 30 + (n % 30)] = 1 }
        let overlay = spikes.enumerated().map { $0.offset % 7 == 0 ? Float(1) : 0 }
        let picture = try RasterPicture(neurons: 30, steps: 40, spikes: spikes, overlay: overlay, scale: 2)
        let figure = try RasterFigure(raster: picture, title: "Output", msPerStep: 1, mainName: "output only",
                                      overlayName: "target only")
        #expect(figure.key.map(\.name) == ["output only", "target only", "both"])
        let canvas = try figure.canvas()
        let cells = picture.cellPixels(), w = 80, h = 60
        // Find the block: the frame is gray one pixel outside it; search for the exact block.
        var found = false
        search: for y0 in 0 ... canvas.height - h {
            for x0 in 0 ... canvas.width - w {
                var match = true
                for y in stride(from: 0, to: h, by: 1) where match {
                    let a = canvas.pixels[((y0 + y) * canvas.width + x0) * 3 ..< ((y0 + y) * canvas.width + x0 + w) * 3]
                    if !a.elementsEqual(cells[y * w * 3 ..< (y + 1) * w * 3]) { match = false }
                }
                if match { found = true; break search }
            }
        }
        #expect(found)
        #expect(canvas.width > w + 20 && canvas.height > h + 30)  // room for title, key, ticks and labels
        let decoded = try GrayImage.decode(canvas.pngData())
        #expect(decoded.width == canvas.width && decoded.height == canvas.height)
    }

    @Test func badFiguresAreRejected() throws {
        #expect(throws: SpikeKitError.self) {
            try RasterFigure(cells: [], columns: 0, rows: 1, cellWidth: 1, cellHeight: 1, title: "", msPerStep: 1)
        }
        #expect(throws: SpikeKitError.self) {
            try RasterFigure(cells: [0, 0, 0], columns: 1, rows: 1, cellWidth: 1, cellHeight: 1, title: "", msPerStep: .nan)
        }
        #expect(throws: SpikeKitError.self) {
            try RasterFigure(cells: [0, 0], columns: 1, rows: 1, cellWidth: 1, cellHeight: 1, title: "", msPerStep: 1)
        }
        #expect(throws: SpikeKitError.self) {
            try RasterFigure(cells: [], columns: Int.max, rows: 2, cellWidth: 2, cellHeight: 1, title: "", msPerStep: 1)
        }
    }
}
