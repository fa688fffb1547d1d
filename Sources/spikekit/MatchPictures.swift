import Foundation
import SpikeKit

/// The pictures of a spike-train-matching run: rasters of input, target and output before and after training.
enum MatchPictures {
    /// Pixels per raster cell.
    static let scale = 3

    /// Writes `input.png`, `target.png`, and for the variant `name`: `<name>-output-initial.png`,
    /// `<name>-output-final.png` (first trial; output black, target light red, both dark red) and
    /// `<name>-output-final-alone.png`. Each is a figure with a title, time in ms and neuron index on the axes, and a
    /// colour key.
    static func write(experiment exp: SpikeTrainMatching, name: String, initial: [[Float]], final: [[Float]],
                      epochs: Int, folder: String) throws {
        let ms = exp.architecture.dt * 1000
        let network = name == "det" ? "Deterministic network" : "Stochastic network"
        let c = exp.configuration
        let input = try RasterPicture(neurons: exp.input.units, steps: exp.steps, spikes: exp.input.raster, scale: scale)
        try RasterFigure(raster: input, title: "Input: \(exp.input.units) frozen Poisson trains at \(fmt(c.inputRate)) Hz",
                         msPerStep: ms, mainName: "input spike").write(path: folder + "/input.png")
        let target = try RasterPicture(neurons: exp.outputs, steps: exp.steps, spikes: exp.target, scale: scale)
        var t = try RasterFigure(raster: target, title: "Target: the picture as output spike trains", msPerStep: ms,
                                 mainName: "target spike")
        t.yLabel = "output neuron"
        try t.write(path: folder + "/target.png")
        let views: [(String, [Float], String, Bool)] = [
            ("initial", initial[0], "\(network): output before training", true),
            ("final", final[0], "\(network): output after \(epochs) epochs", true),
            ("final-alone", final[0], "\(network): output after \(epochs) epochs", false),
        ]
        for (suffix, spikes, title, overlay) in views {
            let raster = try RasterPicture(neurons: exp.outputs, steps: exp.steps, spikes: spikes,
                                           overlay: overlay ? exp.target : nil, scale: scale)
            var figure = try RasterFigure(raster: raster, title: title + (exp.stochastic ? " (trial 1)" : ""), msPerStep: ms,
                                          mainName: overlay ? "output only" : "output spike", overlayName: "target only")
            figure.yLabel = "output neuron"
            try figure.write(path: folder + "/\(name)-output-\(suffix).png")
        }
    }

    static func fmt(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(v) }
}

extension MatchPictures {
    /// Throws, before training, when a picture `write` would draw is too large (a target of 3 × 200000 steps):
    /// a raster picture is `steps · scale + 10` × `neurons · scale + 10` pixels and holds at most
    /// `GrayImage.maxPixelCount`.
    static func checkSizes(experiment exp: SpikeTrainMatching, target: String) throws {
        try checkSizes(neurons: exp.input.units, steps: exp.steps, what: "input", name: target)
        try checkSizes(neurons: exp.outputs, steps: exp.steps, what: "target", name: target)
    }

    /// Throws when a raster picture of `neurons` × `steps` would be too large.
    static func checkSizes(neurons n: Int, steps: Int, what: String, name: String) throws {
        let w = Double(steps) * Double(scale) + 10, h = Double(n) * Double(scale) + 10
        guard w * h <= Double(GrayImage.maxPixelCount) else {
            throw CommandError("\(name): the \(what) picture of \(n) neurons × \(steps) steps would be "
                + String(format: "%.0f × %.0f", w, h) + " pixels, more than the \(GrayImage.maxPixelCount) a picture may hold; "
                + "use fewer --steps or --neurons")
        }
    }

    /// Writes `loss.svg` (L2 loss relative to a silent output), `van-rossum.svg` and, when a stochastic network
    /// was trained, `fano.svg` (hidden and output Fano factor), one series per trained network.
    static func writePlots(folder: String, histories: [(name: String, history: [SpikeTrainMatching.EpochMetrics])]) throws {
        var loss = SVGPlot(title: "L2 spike loss", xLabel: "epoch", yLabel: "loss / loss of a silent output")
        var vr = SVGPlot(title: "van Rossum distance", xLabel: "epoch", yLabel: "distance")
        var fano = SVGPlot(title: "Fano factor (stochastic network)", xLabel: "epoch", yLabel: "Fano factor")
        var anyFano = false
        for (name, h) in histories where !h.isEmpty {
            let x = h.map { Double($0.epoch + 1) }
            let label = name == "det" ? "deterministic" : "stochastic"
            loss.add(name: label, x: x, y: h.map(\.relativeLoss))
            let v = h.compactMap { m in m.vanRossum.map { (Double(m.epoch + 1), $0) } }
            vr.add(name: label, x: v.map(\.0), y: v.map(\.1))
            let hf = h.compactMap { m in m.hiddenFano.map { (Double(m.epoch + 1), $0) } }
            let of = h.compactMap { m in m.outputFano.map { (Double(m.epoch + 1), $0) } }
            if !hf.isEmpty { fano.add(name: "hidden", x: hf.map(\.0), y: hf.map(\.1)); anyFano = true }
            if !of.isEmpty { fano.add(name: "output", x: of.map(\.0), y: of.map(\.1)); anyFano = true }
        }
        loss.horizontalLines = [1]
        vr.yScale = .log10
        try loss.write(to: folder + "/loss.svg")
        try vr.write(to: folder + "/van-rossum.svg")
        if anyFano { try fano.write(to: folder + "/fano.svg") }
    }
}
