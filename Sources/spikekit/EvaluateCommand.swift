import ArgumentParser
import Foundation
import SpikeKit

/// `spikekit evaluate <checkpoint> [--data <file or dir>]`: a saved classifier on a data set, with its own and with
/// the other variant's spike function (Fig. 7D).
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate a classification checkpoint (written by shd or classify) on a data set.",
        discussion: """
            Without --data the checkpoint's own data are rebuilt (the same files, split and seed, or the same Randman \
            generator) and the evaluation reproduces the accuracy logged for the checkpoint's epoch. --data <dir> uses \
            the SHD files in the folder (validation: the seeded split of shd_train, test: shd_test); --data <file> \
            evaluates on every sample of an SHD-layout file. The noise stays on, addressed as during training; \
            --draws N repeats the evaluation of a stochastic network with N independent noise draws (draw 1 is the one \
            logged during training) and prints the mean and standard deviation over them. Firing rates (Hz) of every \
            spiking layer are printed with each set.
            """
    )

    @Argument(help: "A checkpoint-<variant>.safetensors file.")
    var checkpoint: String

    @Option(help: "An SHD folder or an SHD-layout file (default: the data the checkpoint was trained on).")
    var data: String?

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(help: "Independent noise draws of a stochastic network's evaluation (mean and spread over them). (default: 1)")
    var draws: Int = 1

    func run() throws {
        if let threads, threads < 1 { throw CommandError("--threads must be at least 1, got \(threads)") }
        guard (1 ... ClassificationExperiment.maxEvaluationDraws).contains(draws) else {
            throw CommandError("--draws must be in 1...\(ClassificationExperiment.maxEvaluationDraws), got \(draws)")
        }
        guard FileManager.default.fileExists(atPath: checkpoint) else { throw CommandError("\(checkpoint): no such file") }
        let ck = try Checkpoint.load(path: checkpoint)
        let config: ClassificationExperiment.Configuration
        do { config = try ClassificationTrainer.configuration(of: ck) } catch { throw CommandError("\(checkpoint): \(error)") }
        let stochastic = ck.metadata["classification.variant"] == "stoch"
        let classes = ck.metadata["classification.classes"].flatMap(Int.init)
        let stored = ck.metadata["classification.source"].flatMap {
            try? JSONDecoder().decode(ClassificationSource.self, from: Data($0.utf8))
        }
        var source: ClassificationSource
        var wholeFile = false
        if let data {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: data, isDirectory: &isDir) else { throw CommandError("--data \(data): no such file or folder") }
            if isDir.boolValue {
                source = try ClassificationSource.shd(folder: data, maxSamples: nil, requireTrain: false)
                if case .shd(let st, let ss, let r, let m)? = stored, case .shd(let t, let s, _, _) = source, t == st, s == ss {
                    source = .shd(train: t, test: s, raster: r, maxSamples: m)
                }
            } else if case .file(let p, _, _)? = stored, p == data {
                source = stored!
            } else {
                let n = ck.model.input.shape.reduce(1, *)
                var duration: Double?
                switch stored {
                case .shd(_, _, let r, _)?, .file(_, let r, _)?: duration = r.duration
                case .randman(let c)?: duration = Double(c.steps) * c.dt
                case nil: duration = nil
                }
                let raster = try ClassificationSource.rasterOptions(for: data, dt: ck.model.dt, duration: duration, channels: n)
                source = .file(path: data, raster: raster, maxSamples: nil)
                wholeFile = true
            }
        } else {
            guard let stored else { throw CommandError("\(checkpoint) does not name its data; give --data") }
            source = stored
        }
        var (train, valid, test): (ClassificationData, ClassificationData, ClassificationData)
        if wholeFile, case .file(let p, let r, _) = source {
            test = try ClassificationData(shd: ClassificationSource.load(p), options: r)
            (train, valid) = (test, test.subset([]))
        } else {
            (train, valid, test) = try source.load(config)
        }
        if train.count == 0 { train = test }
        let exp: ClassificationExperiment
        do {
            exp = try ClassificationExperiment(configuration: config, stochastic: stochastic, training: train, validation: valid,
                                               test: test, classes: classes)
        } catch let e as SpikeKitError { throw CommandError("\(e)") }
        guard exp.description == ck.model else { throw CommandError("the data do not fit the checkpoint's network (\(train.units) units, \(train.steps) steps)") }
        let name = stochastic ? "stoch" : "det", otherName = stochastic ? "det" : "stoch"
        let own = Simulator(architecture: exp.architecture, threads: threads)
        let other = Simulator(architecture: try NetworkArchitecture(exp.otherDescription()), threads: threads)
        print("checkpoint \(checkpoint): \(name) network, epoch \(ck.epoch); data \(source.name)\(wholeFile ? " (all samples as test)" : "")")
        let logged = try? ClassificationTrainer.state(of: ck).history.last
        let n = stochastic ? draws : 1
        if !stochastic, draws > 1 { print("a deterministic network has no noise: one evaluation instead of \(draws) draws") }
        for (setName, set) in [("validation", valid), ("test", test)] where set.count > 0 {
            let own_ = try (0 ..< n).map { try exp.evaluate(ck.parameters, on: set, simulator: own, draw: $0) }
            // The other variant's spike function is deterministic when this network is stochastic: one draw.
            let other_ = [try exp.evaluate(ck.parameters, on: set, simulator: other)]
            let a = own_[0]
            var line = "\(setName) (\(set.count) samples): \(name) spike function loss \(spread(own_.map(\.loss))) "
                + "accuracy \(spread(own_.map(\.accuracy))); \(otherName) spike function accuracy \(spread(other_.map(\.accuracy)))"
            if n > 1 { line += " (mean ± standard deviation over \(n) noise draws)" }
            if source == stored, let m = logged {
                let l = setName == "test" ? m.test : m.validation
                line += "; logged at epoch \(m.epoch): accuracy \(fmt(l.accuracy))"
                    + (l.accuracy == a.accuracy && l.loss == a.loss ? " (draw 1 reproduces it exactly)" : " (DIFFERS)")
            }
            print(line)
            let rates = (0 ..< a.rates.count).map { l in own_.map { $0.rates[l] } }
            print("  firing rates (Hz): " + rates.enumerated().map { "layer \($0.offset + 1) \(spread($0.element))" }.joined(separator: ", "))
        }
    }

    /// "m" for one value, "m ± s" (sample standard deviation) for several.
    func spread(_ v: [Double]) -> String {
        guard v.count > 1 else { return fmt(v.first ?? .nan) }
        let m = v.reduce(0, +) / Double(v.count)
        let sd = (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count - 1)).squareRoot()
        return "\(fmt(m)) ± \(fmt(sd))"
    }

    func fmt(_ v: Double) -> String { v.isFinite ? String(format: "%.4f", v) : "-" }
}
