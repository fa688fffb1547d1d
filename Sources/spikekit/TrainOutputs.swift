import Foundation
import SpikeKit

/// The files of a `spikekit train` run, rewritten after every epoch: `metrics.csv` (one row per epoch),
/// `loss.svg`, `accuracy.svg` (labelled data) and `rates.svg`; and the summary text.
struct TrainOutputs: TrainingCallback {
    let folder: String

    mutating func epochEnded(_ trainer: Trainer, metrics: EpochMetrics) throws -> TrainingDecision {
        try write(trainer)
        return .proceed
    }

    mutating func trainingEnded(_ trainer: Trainer) throws { try write(trainer) }

    func write(_ trainer: Trainer) throws {
        let history = trainer.history
        guard let first = history.first else { return }
        let loss = trainer.loss.name
        let L = first.trainRates.count
        func cell(_ v: Double?) -> String { v.map { "\($0)" } ?? "" }
        var header = "epoch,train_\(loss),train_accuracy,valid_\(loss),valid_accuracy,test_\(loss),test_accuracy"
        for l in 0 ..< L { header += ",train_rate_l\(l)_hz" }
        for l in 0 ..< L { header += ",test_rate_l\(l)_hz" }
        for l in 0 ..< L { header += ",fano_l\(l)" }
        header += ",training_seconds,evaluation_seconds"
        var csv = CSVText(header: header)
        for m in history {
            var r = ["\(m.epoch)", cell(m.trainLoss), cell(m.trainAccuracy), cell(m.validation?.loss), cell(m.validation?.accuracy ?? nil),
                     cell(m.test?.loss), cell(m.test?.accuracy ?? nil)]
            r += m.trainRates.map { "\($0)" }
            r += (0 ..< L).map { l in cell(m.test.flatMap { l < $0.rates.count ? $0.rates[l] : nil }) }
            r += (0 ..< L).map { l in cell(l < m.fano.count ? m.fano[l] : nil) }
            r += ["\(m.trainingSeconds)", "\(m.evaluationSeconds)"]
            csv.row(r)
        }
        try AtomicFile.write(csv.text, to: folder + "/metrics.csv")
        let x = history.map { Double($0.epoch) }
        var lossPlot = SVGPlot(title: "Loss (\(loss))", xLabel: "epoch", yLabel: loss)
        lossPlot.add(name: "train", x: x, y: history.map(\.trainLoss), style: .lineAndPoints)
        if first.validation != nil { lossPlot.add(name: "validation", x: x, y: history.map { $0.validation?.loss ?? .nan }, style: .lineAndPoints) }
        if first.test != nil { lossPlot.add(name: "test", x: x, y: history.map { $0.test?.loss ?? .nan }, style: .lineAndPoints) }
        try lossPlot.write(to: folder + "/loss.svg")
        if first.trainAccuracy != nil {
            var acc = SVGPlot(title: "Accuracy", xLabel: "epoch", yLabel: "accuracy")
            acc.yRange = 0 ... 1
            acc.add(name: "train", x: x, y: history.map { $0.trainAccuracy ?? .nan }, style: .lineAndPoints)
            if first.validation != nil { acc.add(name: "validation", x: x, y: history.map { ($0.validation?.accuracy ?? nil) ?? .nan }, style: .lineAndPoints) }
            if first.test != nil { acc.add(name: "test", x: x, y: history.map { ($0.test?.accuracy ?? nil) ?? .nan }, style: .lineAndPoints) }
            try acc.write(to: folder + "/accuracy.svg")
        }
        var rates = SVGPlot(title: "Firing rates during training", xLabel: "epoch", yLabel: "rate (Hz)")
        for l in 0 ..< L { rates.add(name: "spiking layer \(l)", x: x, y: history.map { $0.trainRates[l] }, style: .lineAndPoints) }
        try rates.write(to: folder + "/rates.svg")
    }

    /// The summary: the last epoch's figures, the best validation epoch, why the run ended.
    static func summary(_ trainer: Trainer, model: String) -> String {
        func f(_ v: Double?) -> String { v.map { $0.isFinite ? String(format: abs($0) < 10 ? "%.4f" : "%.1f", $0) : "-" } ?? "-" }
        let loss = trainer.loss.name
        var s = "train \(model): seed \(trainer.configuration.seed), \(loss) loss, learning rates "
            + trainer.layerLearningRates.map { "\($0)" }.joined(separator: "/") + "\n"
        guard let m = trainer.history.last else { return s + "  no epoch trained\n" }
        s += "  epoch \(m.epoch): train \(loss) \(f(m.trainLoss)) acc \(f(m.trainAccuracy))"
        if let v = m.validation { s += "; valid \(loss) \(f(v.loss)) acc \(f(v.accuracy))" }
        if let t = m.test { s += "; test \(loss) \(f(t.loss)) acc \(f(t.accuracy)); test rates " + t.rates.map { f($0) }.joined(separator: "/") + " Hz" }
        s += "\n"
        if let best = trainer.history.filter({ $0.validation?.accuracy != nil }).max(by: { $0.validation!.accuracy! < $1.validation!.accuracy! }) {
            s += "  best valid acc \(f(best.validation!.accuracy)) at epoch \(best.epoch) (test acc \(f(best.test?.accuracy ?? nil)))\n"
        }
        if let fano = m.fano.compactMap({ $0 }).last { s += "  Fano factor of the last spiking layer \(f(fano))\n" }
        if let r = trainer.position.stopped { s += "  stopped: \(r)\n" }
        return s
    }
}
