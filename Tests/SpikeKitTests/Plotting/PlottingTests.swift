import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

@Suite struct PlottingTests {
    @Test func svgHasSeriesBandLegendAndTicks() {
        var plot = SVGPlot(title: "Error <vs> samples", xLabel: "samples", yLabel: "error")
        plot.xScale = .log10
        plot.yScale = .log10
        let x = [1.0, 10, 100, 1000]
        plot.add(name: "unbiased", x: x, y: [1, 0.3, 0.1, 0.03], band: ([0.5, 0.2, 0.08, 0.02], [2, 0.4, 0.12, 0.04]))
        plot.add(SVGPlot.Series(name: "biased & flat", x: x, y: [1, 0.5, 0.4, 0.4], style: .dashed))
        let svg = plot.svg()
        #expect(svg.hasPrefix("<?xml"))
        #expect(svg.hasSuffix("</svg>\n"))
        #expect(svg.contains("Error &lt;vs&gt; samples"))
        #expect(svg.contains("biased &amp; flat"))
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 2)
        #expect(svg.components(separatedBy: "<polygon").count - 1 == 1)
        for decade in ["1e0", "1e1", "1e2", "1e3"] { #expect(svg.contains(">\(decade)<")) }
        #expect(svg.contains("stroke-dasharray=\"6 4\""))
    }

    @Test func nonFiniteAndNonPositivePointsBreakTheLine() {
        var plot = SVGPlot(title: "t", xLabel: "x", yLabel: "y")
        plot.yScale = .log10
        plot.add(name: "gappy", x: [1, 2, 3, 4, 5], y: [1, 2, 0, 4, .nan])
        let svg = plot.svg()
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 1)  // only 1-2 is a segment; 4 is a lone point
        #expect(!svg.contains("nan"))
    }

    @Test func linearTicksAreNice() {
        let sym = SVGPlot.linearTicks(-0.2, 0.2)
        #expect(sym.count == 5 && sym[2] == 0 && abs(sym[0] + 0.2) < 1e-12)
        let t = SVGPlot.linearTicks(0, 10)
        #expect(t.first == 0 && t.last == 10)
    }

    @Test func csvQuotesAndRoundTripsNumbers() throws {
        var table = CSVTable(columns: ["name", "value"])
        table.append(["a, \"b\"", 0.1])
        table.append(numbers: [3, 1e-300])
        #expect(table.text == "name,value\n\"a, \"\"b\"\"\",0.1\n3,1e-300\n")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("spikekit-csv-\(UInt32.random(in: 0...UInt32.max))/t.csv").path
        try table.write(to: path)
        #expect(String(decoding: try AtomicFile.read(path), as: UTF8.self) == table.text)
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }
}
