import ArgumentParser
import Foundation
import SpikeKit

/// `spikekit theory snn-learning` (issue 13, item 4): does bias or variance decide learning in a stochastic SNN?
struct TheorySNNLearningCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snn-learning",
        abstract: "Train one stochastic LIF network with stochastic SG, REINFORCE + baseline and stochastic triples.",
        discussion: """
            A Randman task (--classes classes, --units input units, --steps steps, --per-class samples per class, \
            30 % held out for testing) and a network of --hidden stochastic LIF neurons (sigmoid(β) escape noise, \
            matched surrogate) into a readout with max-over-time cross-entropy. Each estimator trains a copy of the \
            same initial network on the same minibatches (--batch examples, one noise sample each, Adam with \
            --learning-rate) until it has made --updates updates and trained for --seconds: the curves compare the \
            estimators at equal numbers of samples and at equal wall time. Writes learning.csv, loss-samples.svg, \
            loss-seconds.svg, accuracy-samples.svg and accuracy-seconds.svg.
            """
    )

    @Option(parsing: .unconditional, help: "Classes of the Randman task.")
    var classes: Int = 3
    @Option(parsing: .unconditional, help: "Input units.")
    var units: Int = 8
    @Option(parsing: .unconditional, help: "Steps per sample.")
    var steps: Int = 12
    @Option(name: .customLong("per-class"), parsing: .unconditional, help: "Samples per class.")
    var perClass: Int = 150
    @Option(parsing: .unconditional, help: "Hidden stochastic LIF neurons.")
    var hidden: Int = 12
    @Option(parsing: .unconditional, help: "Steepness β of the sigmoid escape noise.")
    var beta: Double = 5
    @Option(parsing: .unconditional, help: "Updates per estimator (equal samples).")
    var updates: Int = 300
    @Option(parsing: .unconditional, help: "Training seconds per estimator at least (equal wall time).")
    var seconds: Double = 2
    @Option(parsing: .unconditional, help: "Examples per minibatch (one noise sample each).")
    var batch: Int = 8
    @Option(name: .customLong("learning-rate"), parsing: .unconditional, help: "Adam learning rate.")
    var learningRate: Double = 0.02
    @Option(parsing: .unconditional, help: "Seed of the data, weights, minibatches and noise.")
    var seed: UInt64 = 0
    @OptionGroup var out: TheoryOutputOptions

    func validate() throws {
        try requirePositive(beta, "--beta")
        try requirePositive(learningRate, "--learning-rate")
        guard seconds.isFinite, seconds >= 0, seconds <= 3600 else { throw ValidationError("--seconds must be between 0 and 3600, got \(seconds)") }
        guard classes >= 2, classes <= 100 else { throw ValidationError("--classes must be between 2 and 100, got \(classes)") }
        guard units >= 1, units <= 1000, steps >= 1, steps <= 1000 else { throw ValidationError("--units and --steps must be between 1 and 1000") }
        guard perClass >= 2, perClass <= 10_000 else { throw ValidationError("--per-class must be between 2 and 10000, got \(perClass)") }
        guard hidden >= 1, hidden <= 256 else { throw ValidationError("--hidden must be between 1 and 256, got \(hidden)") }
        guard updates >= 1, updates <= 1_000_000, batch >= 1, batch <= 10_000 else {
            throw ValidationError("--updates must be between 1 and 1000000 and --batch between 1 and 10000")
        }
    }

    func run() throws {
        var c = SNNLearningExperiment.Configuration()
        c.data.classes = classes
        c.data.units = units
        c.data.steps = steps
        c.data.samplesPerClass = perClass
        c.hidden = hidden
        c.escapeBeta = beta
        c.updates = updates
        c.seconds = seconds
        c.batch = batch
        c.learningRate = learningRate
        c.seed = seed
        let experiment = try SNNLearningExperiment(c)
        let folder = out.folder(for: "snn-learning")
        print("Randman \(classes) classes × \(perClass) samples, \(units) units, \(steps) steps (train \(experiment.train.count), "
              + "test \(experiment.test.count)); \(units) -> \(hidden) stochastic LIF (sigmoid β = \(fmt(beta)), matched SG) -> "
              + "\(classes) readout, \(experiment.network.parameterCount) weights; batch \(batch), Adam \(fmt(learningRate)), seed \(seed)")
        var runs: [SNNLearningExperiment.Run] = []
        for e in SNNLearningExperiment.estimators {
            let r = try experiment.run(e)
            print("  \(e): \(r.points.last!.update) updates in \(String(format: "%.2f", r.points.last!.seconds)) s "
                  + "(\(String(format: "%.2f", 1000 * r.secondsPerUpdate)) ms per update)")
            runs.append(r)
        }
        let atSamples = updates * batch
        let atSeconds = runs.map { $0.points.last!.seconds }.min()!
        var table = TextTable(["estimator", "ms/update", "loss @0", "loss @\(atSamples) samples", "acc @\(atSamples) samples",
                               "loss @\(String(format: "%.1f", atSeconds)) s", "acc @\(String(format: "%.1f", atSeconds)) s"])
        for r in runs {
            let s = SNNLearningExperiment.point(r, atSamples: atSamples)!, t = SNNLearningExperiment.point(r, atSeconds: atSeconds)!
            table.add([r.estimator.description, String(format: "%.2f", 1000 * r.secondsPerUpdate), fmt(r.points[0].testLoss, 3),
                       fmt(s.testLoss, 3), String(format: "%.3f", s.testAccuracy), fmt(t.testLoss, 3), String(format: "%.3f", t.testAccuracy)])
        }
        print("\ntest loss and accuracy (\(c.evaluationSamples) noisy passes per test example) at equal samples and equal wall time:\n")
        print(table.rendered, terminator: "")
        var csv = CSVTable(columns: ["estimator", "update", "samples", "seconds", "test_loss", "test_accuracy"])
        for r in runs {
            for p in r.points {
                csv.append([.text(r.estimator.description), .number(Double(p.update)), .number(Double(p.samples)), .number(p.seconds),
                            .number(p.testLoss), .number(p.testAccuracy)])
            }
        }
        try csv.write(to: "\(folder)/learning.csv")
        func plot(_ title: String, _ x: String, _ y: String, _ xv: (SNNLearningExperiment.Point) -> Double,
                  _ yv: (SNNLearningExperiment.Point) -> Double, xMax: Double) -> SVGPlot {
            var p = SVGPlot(title: title, xLabel: x, yLabel: y)
            for r in runs {
                let pts = r.points.filter { xv($0) <= xMax * 1.0001 }
                p.add(SVGPlot.Series(name: r.estimator.description, x: pts.map(xv), y: pts.map(yv), style: .lineAndPoints))
            }
            return p
        }
        let maxSeconds = runs.map { $0.points.last!.seconds }.max()!
        try plot("Test loss at equal samples", "noise samples (updates × batch)", "test cross-entropy", { Double($0.samples) }, \.testLoss,
                 xMax: Double(atSamples)).write(to: "\(folder)/loss-samples.svg")
        try plot("Test loss at equal wall time", "training seconds", "test cross-entropy", \.seconds, \.testLoss, xMax: maxSeconds)
            .write(to: "\(folder)/loss-seconds.svg")
        try plot("Test accuracy at equal samples", "noise samples (updates × batch)", "accuracy", { Double($0.samples) }, \.testAccuracy,
                 xMax: Double(atSamples)).write(to: "\(folder)/accuracy-samples.svg")
        try plot("Test accuracy at equal wall time", "training seconds", "accuracy", \.seconds, \.testAccuracy, xMax: maxSeconds)
            .write(to: "\(folder)/accuracy-seconds.svg")
        reportFiles(folder, ["learning.csv", "loss-samples.svg", "loss-seconds.svg", "accuracy-samples.svg", "accuracy-seconds.svg"])
    }
}
