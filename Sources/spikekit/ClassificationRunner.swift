import ArgumentParser
import Foundation
import SpikeKit

/// Runs a classification experiment for `shd` and `classify`: per variant the training loop with a progress bar,
/// checkpoints every N batches and every epoch, metrics CSV, and at the end the cross-evaluation with the other
/// spike function (Fig. 7D), the Fano factor, pictures and a summary.
struct ClassificationRunner {
    let options: ClassificationOptions
    let configuration: ClassificationExperiment.Configuration
    let source: ClassificationSource
    let output: String
    let title: String

    func run() throws {
        let variants = try options.variants()
        try Cluster.write { try AtomicFile.createFolder(output) }
        let t0 = Date()
        let (train, valid, test) = try source.load(configuration, memoryLimit: options.limits.memoryLimit)
        let c = configuration
        print("\(title): \(source.name)")
        print("  \(train.count) training, \(valid.count) validation, \(test.count) test samples of \(train.steps) steps × "
            + "\(train.units) units (Δt \(train.dt * 1000) ms); loaded in \(String(format: "%.1f", Date().timeIntervalSince(t0))) s")
        for (name, d) in [("data", train), ("test file", test)] where d.dropped.total > 0 && (name == "data" || d.dropped != train.dropped) {
            let x = d.dropped
            print("  \(name): dropped \(x.total) spikes: \(x.negativeTime) at negative times, \(x.afterWindow) after the "
                + "\(Double(train.steps) * train.dt) s window, \(x.nonFiniteTime) at NaN or infinite times, "
                + "\(x.unitOutOfRange) on units >= \(train.units)")
        }
        try Self.checkLabels([train, valid, test], source: source.name)
        print("  network \(c.network.rawValue), \(c.epochs) epochs, batch \(c.batchSize), \(c.optimizer.rawValue) lr \(c.learningRate), "
            + "seed \(c.seed), output \(output)")
        var summary = ""
        var runs: [(name: String, history: [ClassificationEpochMetrics])] = []
        for stochastic in variants {
            let (text, history) = try runVariant(stochastic: stochastic, train: train, valid: valid, test: test)
            summary += text
            runs.append((stochastic ? "stoch" : "det", history))
        }
        print(summary, terminator: "")
        try Cluster.write {
            try ClassificationPictures.comparison(runs, folder: output)
            try AtomicFile.write(summary, to: output + "/summary.txt")
        }
        print("wrote \(output)/")
    }

    func runVariant(stochastic: Bool, train: ClassificationData, valid: ClassificationData,
                    test: ClassificationData) throws -> (String, [ClassificationEpochMetrics]) {
        let name = stochastic ? "stoch" : "det"
        let exp = try ClassificationExperiment(configuration: configuration, stochastic: stochastic, training: train,
                                               validation: valid, test: test)
        let threads = options.threads ?? ProcessInfo.processInfo.activeProcessorCount
        let estimate = RunEstimate(architecture: exp.architecture, steps: train.steps, batch: configuration.batchSize,
                                   samplesPerEpoch: train.count + (valid.count + test.count + 2) / 3,
                                   epochs: configuration.epochs, threads: threads)
        print("  \(name): " + estimate.text)
        try estimate.check(options.limits)
        let sim = Cluster.simulator(exp.architecture, threads: options.threads)
        let path = output + "/checkpoint-\(name).safetensors"
        var trainer: ClassificationTrainer
        if options.resume, FileManager.default.fileExists(atPath: path) {
            let ck = try Checkpoint.load(path: path)
            if let s = ck.metadata["classification.source"], s != sourceJSON {
                throw CommandError("\(path) was trained on other data than these options describe")
            }
            do {
                trainer = try ClassificationTrainer(experiment: exp, checkpoint: ck)
            } catch let e as SpikeKitError {
                throw CommandError("\(path): \(e.description)")
            }
            print("\(name): resumed from \(path) at epoch \(trainer.state.epoch + 1), batch \(trainer.state.batch + 1)")
        } else {
            if options.resume { print("\(name): no checkpoint at \(path), starting afresh") }
            trainer = try ClassificationTrainer(experiment: exp)
        }
        let metadata = ["classification.source": sourceJSON, "command": CommandLine.arguments.joined(separator: " ")]
        var progress = ProgressReporter(totalEpochs: configuration.epochs, batchesPerEpoch: exp.batchesPerEpoch,
                                        lineInterval: .seconds(30))
        progress.label = name
        progress.log("\(name): \(exp.architecture.layers.count) layers, \(exp.classes) classes, \(exp.batchesPerEpoch) batches per epoch")
        while !trainer.isFinished {
            if trainer.epochBatchesDone {
                let m = try trainer.finishEpoch(simulator: sim)
                try Cluster.write {
                    try trainer.checkpoint(metadata: metadata).save(to: path)
                    try Self.writeMetrics(trainer.state.history, to: output + "/metrics-\(name).csv")
                    try ClassificationPictures(folder: output, name: name).curves(trainer.state.history)
                }
                var shown: [(name: String, value: Double)] = [("train_loss", m.trainLoss), ("train_accuracy", m.trainAccuracy),
                                                             ("valid_accuracy", m.validation.accuracy),
                                                             ("test_accuracy", m.test.accuracy)]
                if let f = m.fano.last, let f { shown.append(("fano_l\(m.fano.count - 1)", f)) }
                progress.finishEpoch(m.epoch, metrics: shown)
            } else {
                _ = try trainer.trainBatch(simulator: sim)
                let s = trainer.state
                progress.update(epoch: s.epoch + 1, batch: s.batch,
                                metrics: [("train_loss", s.lossSum / Double(max(s.seen, 1))),
                                          ("train_accuracy", Double(s.correct) / Double(max(s.seen, 1)))])
                if s.batch % options.checkpointEvery == 0, Cluster.writes { try trainer.checkpoint(metadata: metadata).save(to: path) }
            }
        }
        progress.finish()
        try Cluster.write {
            try Self.writeMetrics(trainer.state.history, to: output + "/metrics-\(name).csv")
            try ClassificationPictures(folder: output, name: name).curves(trainer.state.history)
        }
        return (try finalReport(exp, trainer: trainer, name: name, simulator: sim), trainer.state.history)
    }

    /// Throws unless the labels fit the classes: with class names, every label must name one; without, the
    /// classes 0...max label are the classes, and more than half of them without any sample means the labels are
    /// not class indices (labels {0, 60000} would make a 60001-class network).
    static func checkLabels(_ sets: [ClassificationData], source: String) throws {
        let names = sets.first?.classNames ?? []
        let labels = sets.flatMap(\.labels)
        guard let maxLabel = labels.max() else { throw CommandError("\(source): no samples") }
        if !names.isEmpty {
            guard maxLabel < names.count else {
                throw CommandError("\(source): label \(maxLabel) is outside the \(names.count) class names (labels 0...\(names.count - 1))")
            }
            return
        }
        let classes = maxLabel + 1, present = Set(labels).count
        guard classes < 2 || 2 * present >= classes else {
            throw CommandError("\(source): labels run up to \(maxLabel) (\(classes) classes) but only \(present) distinct labels "
                + "occur; labels must be class indices 0..<classes")
        }
    }

    var sourceJSON: String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return (try? String(decoding: e.encode(source), as: UTF8.self)) ?? ""
    }

    /// Cross-evaluation, Fano factor, pictures and the summary lines of one variant.
    func finalReport(_ exp: ClassificationExperiment, trainer: ClassificationTrainer, name: String, simulator sim: Simulator) throws -> String {
        let params = trainer.parameters
        let other = Cluster.simulator(try NetworkArchitecture(exp.otherDescription()), threads: options.threads)
        let otherName = exp.stochastic ? "det" : "stoch"
        let crossValid = try exp.evaluate(params, on: exp.validation, simulator: other)
        let crossTest = try exp.evaluate(params, on: exp.test, simulator: other)
        var s = "\(name):"
        if let m = trainer.state.history.last {
            s += " epoch \(m.epoch): train_loss \(f(m.trainLoss)), train_accuracy \(f(m.trainAccuracy)); "
                + "valid_accuracy \(f(m.validation.accuracy)); test_loss \(f(m.test.loss)), test_accuracy \(f(m.test.accuracy)); "
                + "test rates " + m.test.rates.map { f($0) }.joined(separator: " / ") + " Hz"
            let epochs = trainer.state.history
            let tr = epochs.map(\.trainingSeconds).reduce(0, +) / Double(epochs.count)
            let ev = epochs.map(\.evaluationSeconds).reduce(0, +) / Double(epochs.count)
            s += String(format: "; %.2f s training + %.2f s evaluation per epoch", tr, ev)
            if let best = epochs.max(by: { $0.validation.accuracy < $1.validation.accuracy }), best.validation.accuracy.isFinite {
                s += "; best valid_accuracy \(f(best.validation.accuracy)) at epoch \(best.epoch) (test_accuracy \(f(best.test.accuracy)))"
            }
        }
        s += "\n  with the \(otherName) spike function (Fig. 7D): valid_accuracy \(f(crossValid.accuracy)), test_accuracy \(f(crossTest.accuracy))\n"
        let fig = ClassificationPictures(folder: output, name: name)
        let recorded = try exp.record(params, samples: [0, 1], simulator: sim)
        try Cluster.write { try fig.rasters(recorded, dt: exp.training.dt, classNames: exp.training.classNames) }
        if exp.stochastic, exp.configuration.fanoTrials >= 2 {
            let fano = try exp.fano(params, simulator: sim)
            try Cluster.write { try fig.neuronOverTrials(fano, steps: exp.training.steps, dt: exp.training.dt) }
            s += "  Fano factor over \(fano.trials) trials (window \(exp.configuration.fanoWindow)): "
                + fano.fano.map { $0.map { f($0) } ?? "-" }.joined(separator: " / ") + "\n"
        }
        var cross = CSVText(header: "network,spike_function,set,loss,accuracy")
        if let m = trainer.state.history.last {
            cross.row([name, name, "validation", "\(m.validation.loss)", "\(m.validation.accuracy)"])
            cross.row([name, name, "test", "\(m.test.loss)", "\(m.test.accuracy)"])
        }
        cross.row([name, otherName, "validation", "\(crossValid.loss)", "\(crossValid.accuracy)"])
        cross.row([name, otherName, "test", "\(crossTest.loss)", "\(crossTest.accuracy)"])
        try Cluster.write { try AtomicFile.write(cross.text, to: output + "/cross-evaluation-\(name).csv") }
        return s
    }

    func f(_ v: Double) -> String { v.isFinite ? String(format: abs(v) < 10 ? "%.4f" : "%.1f", v) : "-" }

    /// metrics-<variant>.csv: one row per epoch.
    static func writeMetrics(_ history: [ClassificationEpochMetrics], to path: String) throws {
        guard let first = history.first else { return }
        let L = first.trainRates.count
        var header = "epoch,train_loss,train_accuracy,valid_loss,valid_accuracy,test_loss,test_accuracy"
        for l in 0 ..< L { header += ",train_rate_l\(l)_hz" }
        for l in 0 ..< L { header += ",test_rate_l\(l)_hz" }
        for l in 0 ..< L { header += ",fano_l\(l)" }
        header += ",training_seconds,evaluation_seconds"
        var csv = CSVText(header: header)
        for m in history {
            var r = ["\(m.epoch)", "\(m.trainLoss)", "\(m.trainAccuracy)", "\(m.validation.loss)", "\(m.validation.accuracy)",
                     "\(m.test.loss)", "\(m.test.accuracy)"]
            r += m.trainRates.map { "\($0)" }
            r += (0 ..< L).map { $0 < m.test.rates.count ? "\(m.test.rates[$0])" : "" }
            r += (0 ..< L).map { $0 < m.fano.count ? m.fano[$0].map { "\($0)" } ?? "" : "" }
            r += ["\(m.trainingSeconds)", "\(m.evaluationSeconds)"]
            csv.row(r)
        }
        try AtomicFile.write(csv.text, to: path)
    }
}

/// Lines of a CSV file.
struct CSVText {
    private(set) var text: String
    init(header: String) { text = header + "\n" }
    mutating func row(_ cells: [String]) { text += cells.joined(separator: ",") + "\n" }
}
