import Foundation
import SpikeKit

/// The pictures of a spike-train-matching run: rasters of input, target and output before and after training.
enum MatchPictures {
    /// Pixels per raster cell.
    static let scale = 3

    /// Writes `input.png`, `target.png`, and for the variant `name`: `<name>-output-initial.png`,
    /// `<name>-output-final.png` (first trial; output black, target light red, both dark red).
    static func write(experiment exp: SpikeTrainMatching, name: String, initial: [[Float]], final: [[Float]], folder: String) throws {
        let input = exp.input.raster
        try RasterPicture(neurons: exp.input.units, steps: exp.steps, spikes: input, scale: scale).write(path: folder + "/input.png")
        try RasterPicture(neurons: exp.outputs, steps: exp.steps, spikes: exp.target, scale: scale).write(path: folder + "/target.png")
        try RasterPicture(neurons: exp.outputs, steps: exp.steps, spikes: initial[0], overlay: exp.target, scale: scale)
            .write(path: folder + "/\(name)-output-initial.png")
        try RasterPicture(neurons: exp.outputs, steps: exp.steps, spikes: final[0], overlay: exp.target, scale: scale)
            .write(path: folder + "/\(name)-output-final.png")
        try RasterPicture(neurons: exp.outputs, steps: exp.steps, spikes: final[0], scale: scale)
            .write(path: folder + "/\(name)-output-final-alone.png")
    }
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
            vr.add(name: label, x: x, y: h.map(\.vanRossum))
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
