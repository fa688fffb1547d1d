import Foundation
import SpikeKit

/// The pictures of a classification run (like the paper's Fig. 7): for two test samples the input raster, the
/// raster of every hidden layer and the readout membrane as a gray-scale image; and one neuron's raster over the
/// Fano-factor trials (Fig. 7E).
struct ClassificationPictures {
    let folder: String
    let name: String

    /// Pixels per cell so that the longer side is about 600 pixels (1 to 8).
    static func scale(_ a: Int, _ b: Int) -> Int { max(1, min(8, 600 / max(a, b, 1))) }

    /// `<name>-sample<k>-input.png`, `-layer<l>.png`, `-readout.png` for each recording: figures with a title, time
    /// in ms and neuron index (or class) on the axes, and a colour key.
    func rasters(_ recordings: [ClassificationExperiment.Recording], dt: Double, classNames: [String]) throws {
        let ms = dt * 1000
        for (k, r) in recordings.enumerated() {
            let steps = r.steps, units = r.input.count / max(r.steps, 1)
            let label = r.label < classNames.count && classNames[r.label] != "class \(r.label)"
                ? "\(r.label), \(classNames[r.label])" : "\(r.label)"
            let input = try RasterPicture(neurons: units, steps: steps, spikes: r.input, scale: Self.scale(steps, units))
            var fi = try RasterFigure(raster: input, title: "\(network): test sample \(k + 1) (class \(label)), input",
                                      msPerStep: ms, mainName: "input spike")
            fi.yLabel = "input channel"
            try fi.write(path: "\(folder)/\(name)-sample\(k)-input.png")
            for (l, layer) in r.layers.enumerated() {
                let raster = try RasterPicture(neurons: layer.neurons, steps: steps, spikes: layer.spikes,
                                               scale: Self.scale(steps, layer.neurons))
                try RasterFigure(raster: raster, title: "\(network): test sample \(k + 1), hidden layer \(l + 1)",
                                 msPerStep: ms).write(path: "\(folder)/\(name)-sample\(k)-layer\(l).png")
            }
            try membrane(r.readout, steps: steps, label: r.label, classNames: classNames, msPerStep: ms,
                         title: "\(network): test sample \(k + 1) (class \(label)), readout membrane",
                         path: "\(folder)/\(name)-sample\(k)-readout.png")
        }
    }

    /// "Deterministic network" or "Stochastic network".
    var network: String { name == "det" ? "Deterministic network" : name == "stoch" ? "Stochastic network" : "Network \(name)" }

    /// The readout membrane `[steps][classes]` as a gray-scale figure: one band of rows per class (top: class 0),
    /// labelled with the class, time left to right, dark = high potential (scaled between the minimum and the
    /// maximum); the label's band is framed by a black line above and below.
    func membrane(_ u: [Float], steps: Int, label: Int, classNames: [String], msPerStep: Double, title: String,
                  path: String) throws {
        let C = u.count / max(steps, 1)
        guard C > 0 else { return }
        let sx = Self.scale(steps, steps), sy = max(4, min(24, 240 / C))
        let w = steps * sx, h = C * sy
        let lo = u.min() ?? 0, hi = u.max() ?? 1
        var px = [UInt8](repeating: 255, count: w * h * 3)
        for c in 0 ..< C {
            for t in 0 ..< steps {
                let v = hi > lo ? (u[t * C + c] - lo) / (hi - lo) : 0
                let g = UInt8(max(0, min(255, (1 - v) * 255)))
                for y in 0 ..< sy { for x in 0 ..< sx { let k = ((c * sy + y) * w + t * sx + x) * 3; px[k] = g; px[k + 1] = g; px[k + 2] = g } }
            }
        }
        var figure = try RasterFigure(cells: px, columns: steps, rows: C, cellWidth: sx, cellHeight: sy, title: title,
                                      msPerStep: msPerStep)
        figure.yLabel = "class"
        figure.bands = (0 ..< C).map { c in
            RasterFigure.Band(rows: c ..< c + 1, label: c < classNames.count && classNames[c].count <= 16 ? classNames[c] : "\(c)")
        }
        if label < C { figure.highlightedBands = [label] }
        figure.key = [RasterFigure.KeyEntry(String(format: "U = %.3g (max)", Double(hi)), .black),
                      RasterFigure.KeyEntry(String(format: "U = %.3g (min)", Double(lo)), .white),
                      RasterFigure.KeyEntry("true class: framed", .gray)]
        try figure.write(path: path)
    }

    /// `<name>-neuron-trials.png`: the most active neuron of the last hidden layer over the first (at most 100)
    /// Fano trials, one row per trial.
    func neuronOverTrials(_ f: ClassificationExperiment.FanoMeasurement, steps: Int, dt: Double) throws {
        let shown = min(f.trials, 100)
        var raster = [Float](repeating: 0, count: steps * shown)
        for t in 0 ..< steps { for r in 0 ..< shown { raster[t * shown + r] = f.neuronTrials[t * f.trials + r] } }
        let picture = try RasterPicture(neurons: shown, steps: steps, spikes: raster, scale: Self.scale(steps, shown))
        var figure = try RasterFigure(raster: picture, title: "\(network): most active last-layer neuron over \(shown) trials",
                                      msPerStep: dt * 1000)
        figure.yLabel = "trial"
        try figure.write(path: "\(folder)/\(name)-neuron-trials.png")
    }

    /// `accuracy-<name>.svg` (training, validation and test accuracy per epoch), `fano-<name>.svg` (Fano factor of
    /// every hidden layer, Fig. 7C) and `rates-<name>.svg` (firing rate of every hidden layer).
    func curves(_ history: [ClassificationEpochMetrics]) throws {
        guard !history.isEmpty else { return }
        let x = history.map { Double($0.epoch) }
        var acc = SVGPlot(title: "Accuracy (\(name))", xLabel: "epoch", yLabel: "accuracy")
        acc.yRange = 0 ... 1
        acc.add(name: "train", x: x, y: history.map(\.trainAccuracy), style: .lineAndPoints)
        acc.add(name: "validation", x: x, y: history.map(\.validation.accuracy), style: .lineAndPoints)
        acc.add(name: "test", x: x, y: history.map(\.test.accuracy), style: .lineAndPoints)
        try acc.write(to: "\(folder)/accuracy-\(name).svg")
        let L = history[0].trainRates.count
        var fano = SVGPlot(title: "Fano factor on one test sample (\(name))", xLabel: "epoch", yLabel: "Fano factor")
        var rates = SVGPlot(title: "Firing rates during training (\(name))", xLabel: "epoch", yLabel: "rate (Hz)")
        for l in 0 ..< L {
            fano.add(name: "hidden layer \(l + 1)", x: x, y: history.map { l < $0.fano.count ? $0.fano[l] ?? .nan : .nan },
                     style: .lineAndPoints)
            rates.add(name: "hidden layer \(l + 1)", x: x, y: history.map { $0.trainRates[l] }, style: .lineAndPoints)
        }
        if history.contains(where: { $0.fano.contains { $0 != nil } }) { try fano.write(to: "\(folder)/fano-\(name).svg") }
        try rates.write(to: "\(folder)/rates-\(name).svg")
    }

    /// `accuracy.svg` and `fano.svg` comparing the variants (validation and test accuracy; Fano factor of the last
    /// hidden layer), like Fig. 7B and C.
    static func comparison(_ runs: [(name: String, history: [ClassificationEpochMetrics])], folder: String) throws {
        guard runs.count > 1 else { return }
        var acc = SVGPlot(title: "Validation (solid) and test (dashed) accuracy", xLabel: "epoch", yLabel: "accuracy")
        acc.yRange = 0 ... 1
        var fano = SVGPlot(title: "Fano factor of the last hidden layer", xLabel: "epoch", yLabel: "Fano factor")
        for (k, r) in runs.enumerated() {
            let x = r.history.map { Double($0.epoch) }, color = SVGPlot.palette[k % SVGPlot.palette.count]
            acc.add(SVGPlot.Series(name: "\(r.name) validation", x: x, y: r.history.map(\.validation.accuracy), color: color))
            acc.add(SVGPlot.Series(name: "\(r.name) test", x: x, y: r.history.map(\.test.accuracy), style: .dashed, color: color))
            fano.add(SVGPlot.Series(name: r.name, x: x, y: r.history.map { ($0.fano.last ?? nil) ?? .nan },
                                    style: .lineAndPoints, color: color))
        }
        try acc.write(to: folder + "/accuracy.svg")
        if runs.contains(where: { $0.history.contains { ($0.fano.last ?? nil) != nil } }) { try fano.write(to: folder + "/fano.svg") }
    }
}
