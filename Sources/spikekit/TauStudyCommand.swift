import ArgumentParser
import Foundation
import SpikeKit

/// `spikekit tau-study`: fixed, heterogeneous and learned time constants (Perez-Nieves et al. 2021) on Randman or
/// an SHD-layout file, over several seeds; a table of accuracies and the learned time-constant distributions.
struct TauStudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tau-study",
        abstract: "Train one network with fixed, heterogeneous and learned time constants over several seeds.",
        discussion: """
            The network: inputs → one recurrent LIF layer (--hidden) → readout, max-over-time cross-entropy, Adam. \
            Variants: fixed (constant τ̄), heterogeneous (per-neuron τ ~ Γ(k, τ̄/k), fixed), learned (τ per neuron \
            learned as ρ = ln τ from the constant start), heterogeneous-learned (both). Each seed draws the weights, \
            the Γ time constants, the batch order and any noise; the data are the same for every run. Data: \
            generated Randman (default), or --file, an SHD-layout file binned with --dt and split 80/10/10 (seeded). \
            Writes runs.csv, summary.md (mean ± sd over seeds), taus.csv (every hidden neuron's τ at the start and \
            the end), tau-mem.svg and tau-syn.svg (their distributions) and study.json to --output.
            """
    )

    @Option(help: "An SHD-layout file (.h5 or .h5.gz) instead of Randman.")
    var file: String?
    @Option(parsing: .unconditional, help: "--file: Δt of the binning in seconds.")
    var dt: Double = 2e-3
    @Option(parsing: .unconditional, help: "--file: window length in seconds (default: up to the latest spike).")
    var duration: Double?
    @Option(help: "--file: use at most this many samples.")
    var maxSamples: Int?
    @Option(help: "Randman: classes.")
    var classes: Int = 10
    @Option(help: "Randman: input units.")
    var units: Int = 20
    @Option(help: "Randman: time steps (of 2 ms).")
    var steps: Int = 100
    @Option(help: "Randman: samples per class.")
    var samplesPerClass: Int = 100
    @Option(help: "Randman: the generator's seed (the data, the same for every run).")
    var dataSeed: UInt64 = 42

    @Option(help: "Comma-separated variants: fixed, heterogeneous, learned, heterogeneous-learned.")
    var variants: String = TimeConstantStudy.Variant.allCases.map(\.rawValue).joined(separator: ",")
    @Option(help: "Comma-separated seeds, one run per seed and variant.")
    var seeds: String = "1,2,3"
    @Option(help: "Hidden LIF neurons.")
    var hidden: Int = 64
    @Flag(help: "No recurrent connection in the hidden layer.")
    var noRecurrent = false
    @Flag(help: "Stochastic hidden neurons (sigmoid escape noise, β = 10).")
    var stochastic = false
    @Option(parsing: .unconditional, help: "τ̄_mem of the hidden layer in seconds (the constant and the Γ mean).")
    var tauMem: Double = 0.02
    @Option(parsing: .unconditional, help: "τ̄_syn of the hidden layer in seconds.")
    var tauSyn: Double = 0.01
    @Option(parsing: .unconditional, help: "Γ shape k of the heterogeneous start.")
    var gammaShape: Double = 3
    @Option(help: "Training epochs per run.")
    var epochs: Int = 20
    @Option(name: [.customLong("batch"), .customLong("batch-size")], help: "Samples per batch.")
    var batchSize: Int = 25
    @Option(name: .customLong("lr"), parsing: .unconditional, help: "Adam's learning rate (weights and ρ = ln τ alike).")
    var learningRate: Double = 0.01
    @Option(help: "Worker threads (default: all cores; results do not depend on it).")
    var threads: Int?
    @Option(help: "Output folder.")
    var output: String = "spikekit-out/tau-study"

    func study() throws -> TimeConstantStudy {
        var c = TimeConstantStudy.Configuration()
        c.variants = try variants.split(separator: ",").map { name in
            let s = name.trimmingCharacters(in: .whitespaces)
            guard let v = TimeConstantStudy.Variant(rawValue: s) else {
                throw CommandError("--variants: unknown variant '\(s)' (known: \(TimeConstantStudy.Variant.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return v
        }
        c.seeds = try seeds.split(separator: ",").map { s in
            guard let v = UInt64(s.trimmingCharacters(in: .whitespaces)) else { throw CommandError("--seeds: '\(s)' is not a seed (a non-negative integer)") }
            return v
        }
        guard Set(c.seeds).count == c.seeds.count else { throw CommandError("--seeds: a seed is repeated") }
        c.hiddenUnits = hidden
        c.recurrent = !noRecurrent
        c.stochastic = stochastic
        c.tauMem = tauMem
        c.tauSyn = tauSyn
        c.gammaShape = gammaShape
        c.epochs = epochs
        c.batchSize = batchSize
        c.learningRate = learningRate
        if let threads {
            guard threads >= 1 else { throw CommandError("--threads must be at least 1, got \(threads)") }
            c.threads = threads
        }
        do { try c.validate() } catch let e as SpikeKitError { throw CommandError("\(e)") }
        return TimeConstantStudy(configuration: c)
    }

    func data() throws -> (SpikeTrainDataset, SpikeTrainDataset, SpikeTrainDataset, String) {
        let all: SpikeTrainDataset
        let name: String
        if let file {
            guard dt.isFinite, dt > 0 else { throw CommandError("--dt must be a positive number of seconds, got \(dt)") }
            if let duration { guard duration.isFinite, duration > 0 else { throw CommandError("--duration must be positive, got \(duration)") } }
            let shd = try ClassificationSource.load(file)
            let options = SHDLayoutDataset.coveringOptions(for: shd, dt: dt, duration: duration)
            all = try SHDLayoutDataset.bin(shd, options: options, limit: maxSamples)
            name = "\(file) (\(all.count) samples, \(all.steps) steps of \(dt * 1000) ms, \(all.units) units)"
        } else {
            var r = Randman.Configuration()
            r.classes = classes
            r.units = units
            r.steps = steps
            r.samplesPerClass = samplesPerClass
            r.seed = dataSeed
            try r.validate()
            all = try RandmanDataset.generate(r)
            name = "randman (\(classes) classes, \(units) units, \(steps) steps, \(samplesPerClass) per class, data seed \(dataSeed))"
        }
        guard all.count >= 10 else { throw CommandError("the data hold \(all.count) samples; the study needs at least 10") }
        let (train, valid, test) = try all.split(seed: dataSeed, validationFraction: 0.1, testFraction: 0.1)
        return (train, valid, test, name)
    }

    func run() throws {
        let study = try study()
        let (train, valid, test, name) = try data()
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let c = study.configuration
        print("tau-study: \(name); \(train.count)/\(valid.count)/\(test.count) samples; hidden \(c.hiddenUnits) "
              + "\(c.recurrent ? "recurrent " : "")\(c.stochastic ? "stochastic" : "deterministic") LIF, τ̄_mem \(c.tauMem * 1000) ms, "
              + "τ̄_syn \(c.tauSyn * 1000) ms, Γ shape \(c.gammaShape); \(c.epochs) epochs; seeds \(c.seeds.map(String.init).joined(separator: ","))")
        let runs = try study.run(training: train, validation: valid, test: test) { r in
            let acc = r.testAccuracy.map { String(format: "%.3f", $0) } ?? "-"
            print("  \(r.variant.rawValue) seed \(r.seed): test accuracy \(acc), τ_mem \(Self.describe(r.finalTauMem)), "
                  + String(format: "%.1f s", r.seconds))
        }
        try Self.write(runs: runs, study: study, dataName: name, to: output)
        print(try String(contentsOfFile: output + "/summary.md", encoding: .utf8), terminator: "")
        print("wrote \(output)/runs.csv, summary.md, taus.csv, tau-mem.svg, tau-syn.svg, study.json")
    }

    static func describe(_ taus: [Double]) -> String {
        guard let s = TimeConstantStudy.meanAndSD(taus) else { return "-" }
        return String(format: "%.1f ± %.1f ms", s.mean * 1000, s.sd * 1000)
    }

    static func write(runs: [TimeConstantStudy.Run], study: TimeConstantStudy, dataName: String, to folder: String) throws {
        var table = CSVTable(columns: ["variant", "seed", "test_accuracy", "validation_accuracy", "best_validation_accuracy",
                                       "train_accuracy", "hidden_rate_hz", "tau_mem_initial_mean_s", "tau_mem_final_mean_s",
                                       "tau_mem_final_sd_s", "tau_syn_final_mean_s", "tau_syn_final_sd_s", "seconds"])
        var taus = CSVTable(columns: ["variant", "seed", "neuron", "tau_mem_initial_s", "tau_mem_final_s", "tau_syn_initial_s", "tau_syn_final_s"])
        func num(_ v: Double?) -> CSVTable.Cell { v.map(CSVTable.Cell.number) ?? .text("") }
        for r in runs {
            let mi = TimeConstantStudy.meanAndSD(r.initialTauMem), mf = TimeConstantStudy.meanAndSD(r.finalTauMem)
            let sf = TimeConstantStudy.meanAndSD(r.finalTauSyn)
            table.append([.text(r.variant.rawValue), .number(Double(r.seed)), num(r.testAccuracy), num(r.validationAccuracy),
                          num(r.bestValidationAccuracy), num(r.trainAccuracy), num(r.hiddenRate), num(mi?.mean), num(mf?.mean),
                          num(mf?.sd), num(sf?.mean), num(sf?.sd), .number(r.seconds)])
            for k in r.finalTauMem.indices {
                taus.append([.text(r.variant.rawValue), .number(Double(r.seed)), .number(Double(k)), .number(r.initialTauMem[k]),
                             .number(r.finalTauMem[k]), .number(r.initialTauSyn[k]), .number(r.finalTauSyn[k])])
            }
        }
        try table.write(to: folder + "/runs.csv")
        try taus.write(to: folder + "/taus.csv")
        try AtomicFile.write(summary(runs: runs, study: study, dataName: dataName), to: folder + "/summary.md")
        for (which, label) in [("mem", "τ_mem"), ("syn", "τ_syn")] {
            let nominal = which == "mem" ? study.configuration.tauMem : study.configuration.tauSyn
            try distributionPlot(runs: runs, mem: which == "mem", label: label, nominal: nominal).write(to: folder + "/tau-\(which).svg")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        struct Record: Encodable { let data: String; let configuration: TimeConstantStudy.Configuration; let runs: [TimeConstantStudy.Run] }
        let json = try encoder.encode(Record(data: dataName, configuration: study.configuration, runs: runs))
        try AtomicFile.write(json, to: folder + "/study.json")
    }

    /// The Markdown table: per variant, test accuracy mean ± sd over seeds, and the final τ distributions.
    static func summary(runs: [TimeConstantStudy.Run], study: TimeConstantStudy, dataName: String) -> String {
        var s = "| variant | test accuracy (mean ± sd) | seeds | per seed | final τ_mem (ms, mean ± sd over neurons) | final τ_syn (ms) |\n"
        s += "|---|---|---|---|---|---|\n"
        for v in study.configuration.variants {
            let rs = runs.filter { $0.variant == v }
            guard let a = TimeConstantStudy.meanAndSD(rs.map(\.testAccuracy)) else { continue }
            let per = rs.map { $0.testAccuracy.map { String(format: "%.3f", $0) } ?? "-" }.joined(separator: " / ")
            s += "| \(v.rawValue) | " + String(format: "%.3f ± %.3f", a.mean, a.sd) + " | \(a.count) | \(per) | "
            s += describe(rs.flatMap(\.finalTauMem)).replacingOccurrences(of: " ms", with: "") + " | "
            s += describe(rs.flatMap(\.finalTauSyn)).replacingOccurrences(of: " ms", with: "") + " |\n"
        }
        return s
    }

    /// Histograms (fraction of neurons per bin, pooled over seeds) of the learned τ of each learning variant, the
    /// Γ start dashed, and the constant start τ̄ as a vertical line (the fixed variants keep their start).
    static func distributionPlot(runs: [TimeConstantStudy.Run], mem: Bool, label: String, nominal: Double) -> SVGPlot {
        var plot = SVGPlot(title: "Hidden \(label) per neuron after training (all seeds)", xLabel: "\(label) (ms)",
                           yLabel: "fraction of neurons")
        let all = runs.flatMap { mem ? $0.finalTauMem + $0.initialTauMem : $0.finalTauSyn + $0.initialTauSyn }.map { $0 * 1000 }
        let top = max(1e-3, (all.max() ?? 1) * 1.05)
        let bins = 30
        func outline(_ values: [Double]) -> (x: [Double], y: [Double]) {
            var h = [Double](repeating: 0, count: bins)
            for v in values { h[min(bins - 1, max(0, Int(v / top * Double(bins))))] += 1 }
            var x: [Double] = [0], y: [Double] = [0]
            for b in 0 ..< bins {
                let f = h[b] / Double(max(values.count, 1)), x0 = Double(b) * top / Double(bins), x1 = Double(b + 1) * top / Double(bins)
                x += [x0, x1]
                y += [f, f]
            }
            x.append(top)
            y.append(0)
            return (x, y)
        }
        var variants: [TimeConstantStudy.Variant] = []
        for r in runs where !variants.contains(r.variant) { variants.append(r.variant) }
        for (i, v) in variants.enumerated() where v.learns {
            let rs = runs.filter { $0.variant == v }
            let final = outline(rs.flatMap { mem ? $0.finalTauMem : $0.finalTauSyn }.map { $0 * 1000 })
            plot.add(SVGPlot.Series(name: v.rawValue, x: final.x, y: final.y, style: .line,
                                    color: SVGPlot.palette[i % SVGPlot.palette.count]))
        }
        if let het = runs.first(where: { $0.variant.heterogeneousStart }) {
            let start = outline(runs.filter { $0.variant == het.variant }.flatMap { mem ? $0.initialTauMem : $0.initialTauSyn }.map { $0 * 1000 })
            plot.add(SVGPlot.Series(name: "Γ start", x: start.x, y: start.y, style: .dashed, color: "#888888"))
        }
        if runs.contains(where: { !$0.variant.heterogeneousStart }) {
            // The constant start: a vertical line at τ̄ (and a legend entry drawn as a point there).
            plot.verticalLines = [nominal * 1000]
            plot.add(SVGPlot.Series(name: "constant start τ̄ (dotted)", x: [nominal * 1000], y: [0], style: .points, color: "#444444"))
        }
        plot.xRange = 0 ... top
        return plot
    }
}
