import ArgumentParser
import Foundation
import SpikeKit

/// `spikekit theory snn-bias` (issue 13): how biased surrogate gradients are in stochastic LIF networks.
struct TheorySNNBiasCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snn-bias",
        abstract: "Bias and variance of surrogate gradients and unbiased estimators in small stochastic LIF networks.",
        discussion: """
            The exact gradient of the expected loss comes from enumerating every spike pattern (2^K paths, K the \
            stochastic neuron-steps that can reach the loss; refused above --limit). Without --model: networks of \
            --inputs inputs, hidden LIF layers with sigmoid(β) escape noise and the sigmoid(β_SG) surrogate, a readout \
            of --classes units and max-over-time cross-entropy, one with --shallow hidden units and one with --deep; \
            every estimator is sampled --samples times on both, then a sweep (exact except for stochastic triples) \
            varies escape-noise steepness, surrogate steepness, steps, bpReset, reset mode and recurrence. With \
            --model (a verification-case folder or case.json: its weights, first input sample and loss; or a network \
            description JSON: weights, input and target drawn from --seed) the estimators are compared on that network. \
            Writes estimators.csv, curves.csv, gradients.csv, sweep.csv and the SVG plots.
            """
    )

    @Option(help: "A verification-case folder or case.json, or a network description JSON (weights drawn from --seed).")
    var model: String?
    @Option(parsing: .unconditional, help: "Input units (without --model).")
    var inputs: Int = 4
    @Option(parsing: .unconditional, help: "Readout units (classes; without --model).")
    var classes: Int = 2
    @Option(parsing: .unconditional, help: "Hidden units of the one-hidden-layer network, comma-separated.")
    var shallow: NumberList<Int> = NumberList([2])
    @Option(parsing: .unconditional, help: "Hidden units of the deeper network, comma-separated (empty: none).")
    var deep: NumberList<Int> = NumberList([2, 1])
    @Option(parsing: .unconditional, help: "Steps T (also of a --model description without input).")
    var steps: Int = 9
    @Option(parsing: .unconditional, help: "Steepness β of the sigmoid escape noise.")
    var beta: Double = 5
    @Option(name: .customLong("surrogate-beta"), parsing: .unconditional, help: "β_SG of the sigmoid surrogate (default: β, matched).")
    var surrogateBeta: Double?
    @Option(name: .customLong("escape-betas"), parsing: .unconditional, help: "Escape-noise steepnesses of the sweep (matched surrogate).")
    var escapeBetas: NumberList<Double> = NumberList([2, 5, 10, 20])
    @Option(name: .customLong("surrogate-factors"), parsing: .unconditional, help: "β_SG / β of the sweep.")
    var surrogateFactors: NumberList<Double> = NumberList([0.5, 2])
    @Option(name: .customLong("sweep-steps"), parsing: .unconditional, help: "Steps T of the sweep.")
    var sweepSteps: NumberList<Int> = NumberList([7, 8])
    @Option(parsing: .unconditional, help: "Samples per estimator in the estimator tables.")
    var samples: Int = 3000
    @Option(name: .customLong("sweep-samples"), parsing: .unconditional, help: "Stochastic-triple samples per sweep row.")
    var sweepSamples: Int = 300
    @Option(name: .customLong("fd-step"), parsing: .unconditional, help: "Step h of the central finite differences.")
    var fdStep: Double = 0.05
    @Option(parsing: .unconditional, help: "Seed of the weights, input and all sampling.")
    var seed: UInt64 = 0
    @Option(name: .customLong("weight-mean"), parsing: .unconditional, help: "Mean of fan-in × (weight into a hidden layer).")
    var weightMean: Double = 3.2
    @Option(name: .customLong("weight-spread"), parsing: .unconditional, help: "Standard deviation of fan-in × (weight into a hidden layer).")
    var weightSpread: Double = 1.6
    @Option(parsing: .unconditional, help: "Largest number of stochastic neuron-steps to enumerate (2^K paths; K = 18: about 2 s, each step doubles it).")
    var limit: Int = StochasticLIFNetwork.defaultEnumerationLimit
    @Option(parsing: .unconditional, help: "Networks (seeds --seed, --seed + 1, ...) each sweep row averages over.")
    var networks: Int = 1
    @Flag(name: .customLong("no-sweep"), help: "Only the estimator tables.")
    var noSweep = false
    @OptionGroup var out: TheoryOutputOptions

    func validate() throws {
        try requirePositive(beta, "--beta")
        try requirePositive(fdStep, "--fd-step")
        if let s = surrogateBeta { try requirePositive(s, "--surrogate-beta") }
        for b in escapeBetas.values { try requirePositive(b, "--escape-betas") }
        for f in surrogateFactors.values { try requirePositive(f, "--surrogate-factors") }
        guard inputs > 0, inputs <= 64 else { throw ValidationError("--inputs must be between 1 and 64, got \(inputs)") }
        guard classes >= 2, classes <= 64 else { throw ValidationError("--classes must be between 2 and 64, got \(classes)") }
        guard !shallow.values.isEmpty, shallow.values.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--shallow must list positive hidden sizes, got \(shallow)")
        }
        guard deep.values.allSatisfy({ $0 > 0 }) else { throw ValidationError("--deep must list positive hidden sizes, got \(deep)") }
        guard steps >= 1, steps <= 1000, sweepSteps.values.allSatisfy({ $0 >= 1 && $0 <= 1000 }) else {
            throw ValidationError("--steps and --sweep-steps must be between 1 and 1000")
        }
        guard samples >= 2, samples <= 1_000_000 else { throw ValidationError("--samples must be between 2 and 1000000, got \(samples)") }
        guard sweepSamples >= 2, sweepSamples <= 1_000_000 else {
            throw ValidationError("--sweep-samples must be between 2 and 1000000, got \(sweepSamples)")
        }
        guard weightMean.isFinite, weightSpread.isFinite, weightSpread >= 0 else {
            throw ValidationError("--weight-mean must be finite and --weight-spread finite and non-negative")
        }
        guard networks >= 1, networks <= 100 else { throw ValidationError("--networks must be between 1 and 100, got \(networks)") }
        guard limit >= 1, limit <= 24 else { throw ValidationError("--limit must be between 1 and 24, got \(limit)") }
    }

    func run() throws {
        let folder = out.folder(for: "snn-bias")
        let clock = ContinuousClock()
        let started = clock.now
        var base = SNNBiasSetup()
        base.inputs = inputs
        base.classes = classes
        base.steps = steps
        base.escapeBeta = beta
        base.surrogateBeta = surrogateBeta
        base.seed = seed
        base.weightMean = weightMean
        base.weightSpread = weightSpread
        var targets: [(name: String, network: StochasticLIFNetwork)] = []
        if let model {
            targets.append(("model", try loadModel(model)))
        } else {
            for h in [shallow.values, deep.values] where !h.isEmpty {
                var s = base
                s.hidden = h
                targets.append((s.description, try s.network()))
            }
        }
        for n in targets { try n.network.checkEnumerable(limit: limit) }
        print("seed \(seed), \(samples) samples per estimator, finite-difference step \(fmt(fdStep))")
        let counts = sampleCountGrid(upTo: samples)
        var summary = CSVTable(columns: ["network", "estimator", "samples", "relative_bias", "relative_bias_ci95_half", "bias_in_se",
                                         "fraction_within_3se", "exact_mean_relative_bias", "mean_variance", "cosine", "sign_agreement"])
        var curves = CSVTable(columns: ["network", "estimator", "samples", "batches", "relative_error", "relative_error_lo",
                                        "relative_error_hi", "cosine", "sign_agreement"])
        var gradients = CSVTable(columns: ["network", "parameter", "exact", "estimator", "mean", "se"])
        var relativeError = SVGPlot(title: "Relative error of averaged estimates (exact gradient by enumeration)",
                                    xLabel: "samples averaged", yLabel: "‖mean - exact‖ / ‖exact‖")
        relativeError.xScale = .log10
        relativeError.yScale = .log10
        for (name, net) in targets {
            let (exact, baseline, stats) = try SNNBiasAnalysis.estimatorStatistics(net, samples: samples, sampleCounts: counts,
                                                                                     seed: seed, finiteDifferenceStep: fdStep, limit: limit)
            let gnorm = max(norm(exact.gradient), 1e-300)
            print("\n\(name): \(net.architecture.layers.count) layers, \(net.parameterCount) weights, T = \(net.steps), "
                  + "objective \(net.objective.name); K = \(exact.stochasticNeuronSteps) stochastic neuron-steps, "
                  + "\(exact.paths) paths; E[L] = \(fmt(exact.meanLoss, 6)), ‖dE[L]/dw‖ = \(fmt(gnorm)); REINFORCE baseline \(fmt(baseline))\n")
            var table = TextTable(["estimator", "rel. bias", "95% CI", "bias/SE", "within 3 SE", "exact-mean bias", "variance",
                                   "cosine", "sign agree"])
            for s in stats {
                let half = 1.96 * norm(s.standardError) / gnorm
                table.add([s.estimator.description, fmt(s.relativeBias), s.estimator.isDeterministic ? "exact" : "±" + fmt(half, 2),
                           fmt(s.biasInStandardErrors, 3), String(format: "%.0f%%", 100 * s.fractionWithin(standardErrors: 3)),
                           s.exactRelativeBias.map { fmt($0) } ?? "-", fmt(s.meanVariance), fmt(s.cosine), fmt(s.signAgreement, 3)])
                summary.append([.text(name), .text(s.estimator.description), .number(Double(s.samples)), .number(s.relativeBias),
                                .number(half), .number(s.biasInStandardErrors), .number(s.fractionWithin(standardErrors: 3)),
                                .number(s.exactRelativeBias ?? .nan), .number(s.meanVariance), .number(s.cosine), .number(s.signAgreement)])
                for p in s.curve {
                    curves.append([.text(name), .text(s.estimator.description), .number(Double(p.samples)), .number(Double(p.batches)),
                                   .number(p.relativeError.value), .number(p.relativeError.lower), .number(p.relativeError.upper),
                                   .number(p.cosine.value), .number(p.signAgreement.value)])
                }
                for (k, pname) in net.parameterNames.enumerated() {
                    gradients.append([.text(name), .text(pname), .number(exact.gradient[k]), .text(s.estimator.description),
                                      .number(s.mean[k]), .number(s.standardError[k])])
                }
                if s.estimator.isDeterministic {
                    let xs = counts.map(Double.init)
                    relativeError.add(SVGPlot.Series(name: "\(name): \(s.estimator)", x: xs, y: xs.map { _ in s.relativeBias }, style: .dashed))
                } else if s.estimator.description.hasPrefix("fd") == false {
                    let e = s.curve.map(\.relativeError)
                    relativeError.add(name: "\(name): \(s.estimator)", x: s.curve.map { Double($0.samples) }, y: e.map(\.value),
                                      band: (e.map(\.lower), e.map(\.upper)))
                }
            }
            print(table.rendered, terminator: "")
        }
        print("rel. bias = ‖mean - exact‖/‖exact‖ with its 95 % sampling half-width; bias/SE = ‖mean - exact‖/√ΣSE² (≈ 1 when")
        print("unbiased); exact-mean bias = the stochastic SG's expectation over all paths against the exact gradient (no")
        print("sampling error); variance = per-sample variance, mean over parameters. Finite differences estimate the")
        print("difference quotient of E[L] (bias O(h²)).")
        try summary.write(to: "\(folder)/estimators.csv")
        try curves.write(to: "\(folder)/curves.csv")
        try gradients.write(to: "\(folder)/gradients.csv")
        try relativeError.write(to: "\(folder)/relative-error.svg")
        var files = ["estimators.csv", "curves.csv", "gradients.csv", "relative-error.svg"]

        if model == nil {
            let control = try SNNBiasAnalysis.singleLayerControl(seed: seed, escapeBeta: beta)
            let control5 = try SNNBiasAnalysis.singleLayerControl(seed: seed, escapeBeta: beta, steps: 5)
            print("\ncontrol (claim 2): one stochastic layer of 3 neurons, spike-count objective, matched surrogate: "
                  + "‖E[SG] - g‖/‖g‖ = \(fmt(control.bias, 3)) with one weight-dependent step (T = 3), \(fmt(control5.bias, 3)) with three (T = 5)")
        }
        if model == nil && !noSweep {
            let depths = [shallow.values, deep.values].filter { !$0.isEmpty }
            let plan = SNNBiasAnalysis.sweep(base: base, depths: depths, escapeBetas: escapeBetas.values,
                                             surrogateFactors: surrogateFactors.values, steps: sweepSteps.values)
            for p in plan { try p.setup.network().checkEnumerable(limit: limit) }
            let seeded = plan.flatMap { p in (0..<networks).map { j in
                var s = p.setup
                s.seed = seed &+ UInt64(j)
                return s
            } }
            let exactRows = try SNNBiasAnalysis.exactRows(seeded, triplesSamples: sweepSamples, limit: limit)
            let rows = plan.enumerated().map { i, p in
                (group: p.group, row: SNNBiasAnalysis.mean(Array(exactRows[(i * networks)..<((i + 1) * networks)])))
            }
            print("\nsweep (exact by enumeration; stochastic triples from \(sweepSamples) samples; each row the mean over the "
                  + "'nets' of seeds \(seed)..<\(seed &+ UInt64(networks)) whose loss depends on the weights): relative bias, cosine and sign agreement")
            print("against the exact gradient, per-sample variance (mean over parameters; REINFORCE+b with b = E[L])\n")
            var t = TextTable(["varied", "network", "K", "nets", "E[L]", "SG bias", "SG cos", "SG sign", "det bias", "det cos", "det sign",
                               "var SG", "var REINF", "var REINF+b", "var triples", "triples b/SE"])
            var csv = CSVTable(columns: ["varied", "hidden", "steps", "escape_beta", "surrogate_beta", "bp_reset", "reset", "recurrent",
                                         "neuron_steps", "networks", "mean_loss", "gradient_norm", "sg_relative_bias", "sg_cosine", "sg_sign_agreement",
                                         "det_relative_bias", "det_cosine", "det_sign_agreement", "sg_variance", "reinforce_variance",
                                         "reinforce_baseline_variance", "triples_variance", "triples_bias_in_se", "seconds"])
            for (group, r) in rows {
                let s = r.setup
                t.add([group, s.description, "\(r.neuronSteps)", "\(r.networks)", fmt(r.meanLoss), fmt(r.surrogateBias, 3), fmt(r.surrogateCosine, 3),
                       fmt(r.surrogateSign, 3), fmt(r.deterministicBias, 3), fmt(r.deterministicCosine, 3), fmt(r.deterministicSign, 3),
                       fmt(r.surrogateVariance, 3), fmt(r.reinforceVariance, 3), fmt(r.reinforceBaselineVariance, 3),
                       fmt(r.triplesVariance, 3), fmt(r.triplesBiasInStandardErrors, 2)])
                let settings: [CSVTable.Cell] = [.text(group), .text(s.hidden.map(String.init).joined(separator: "-")),
                                                 .number(Double(s.steps)), .number(s.escapeBeta), .number(s.surrogateBeta ?? s.escapeBeta),
                                                 .number(s.bpReset ? 1 : 0), .text(s.reset.rawValue), .number(s.recurrent ? 1 : 0),
                                                 .number(Double(r.neuronSteps)), .number(Double(r.networks))]
                let values: [Double] = [r.meanLoss, r.gradientNorm, r.surrogateBias, r.surrogateCosine, r.surrogateSign,
                                        r.deterministicBias, r.deterministicCosine, r.deterministicSign, r.surrogateVariance,
                                        r.reinforceVariance, r.reinforceBaselineVariance, r.triplesVariance,
                                        r.triplesBiasInStandardErrors, r.seconds]
                csv.append(settings + values.map(CSVTable.Cell.number))
            }
            print(t.rendered, terminator: "")
            try csv.write(to: "\(folder)/sweep.csv")
            files.append("sweep.csv")
            func sweepPlot(_ title: String, _ x: String, group: String, value: (SNNBiasAnalysis.ExactRow) -> Double,
                           _ xv: (SNNBiasSetup) -> Double, log: Bool) -> SVGPlot {
                var p = SVGPlot(title: title, xLabel: x, yLabel: "‖E[estimate] - g‖ / ‖g‖")
                if log { p.xScale = .log10 }
                for h in depths {
                    let picked = rows.filter { ($0.group == group || $0.group == "base") && $0.row.setup.hidden == h }
                        .map(\.row).sorted { xv($0.setup) < xv($1.setup) }
                    let label = h.map(String.init).joined(separator: "-")
                    p.add(SVGPlot.Series(name: "stochastic SG, hidden \(label)", x: picked.map { xv($0.setup) }, y: picked.map(value),
                                         style: .lineAndPoints))
                    p.add(SVGPlot.Series(name: "deterministic SG, hidden \(label)", x: picked.map { xv($0.setup) },
                                         y: picked.map(\.deterministicBias), style: .dashed))
                }
                return p
            }
            try sweepPlot("Bias against escape-noise steepness (matched surrogate)", "escape-noise β", group: "escape β",
                          value: \.surrogateBias, { $0.escapeBeta }, log: true).write(to: "\(folder)/bias-escape-beta.svg")
            try sweepPlot("Bias against surrogate steepness (β = \(fmt(beta)))", "β_SG", group: "surrogate β",
                          value: \.surrogateBias, { $0.surrogateBeta ?? $0.escapeBeta }, log: true).write(to: "\(folder)/bias-surrogate-beta.svg")
            try sweepPlot("Bias against the number of steps", "steps T", group: "steps",
                          value: \.surrogateBias, { Double($0.steps) }, log: false).write(to: "\(folder)/bias-steps.svg")
            var variance = SVGPlot(title: "Per-sample variance against escape-noise steepness", xLabel: "escape-noise β",
                                   yLabel: "variance (mean over weights)")
            variance.xScale = .log10
            variance.yScale = .log10
            for h in depths {
                let picked = rows.filter { ($0.group == "escape β" || $0.group == "base") && $0.row.setup.hidden == h }
                    .map(\.row).sorted { $0.setup.escapeBeta < $1.setup.escapeBeta }
                let label = h.map(String.init).joined(separator: "-")
                let xs = picked.map(\.setup.escapeBeta)
                variance.add(SVGPlot.Series(name: "stochastic SG, \(label)", x: xs, y: picked.map(\.surrogateVariance), style: .lineAndPoints))
                variance.add(SVGPlot.Series(name: "REINFORCE, \(label)", x: xs, y: picked.map(\.reinforceVariance), style: .lineAndPoints))
                variance.add(SVGPlot.Series(name: "REINFORCE + baseline, \(label)", x: xs, y: picked.map(\.reinforceBaselineVariance),
                                            style: .lineAndPoints))
                variance.add(SVGPlot.Series(name: "stochastic triples, \(label)", x: xs, y: picked.map(\.triplesVariance), style: .lineAndPoints))
            }
            try variance.write(to: "\(folder)/variance-escape-beta.svg")
            files += ["bias-escape-beta.svg", "bias-surrogate-beta.svg", "bias-steps.svg", "variance-escape-beta.svg"]
        }
        let elapsed = clock.now - started
        print(String(format: "\nelapsed %.1f s", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18))
        reportFiles(folder, files)
    }

    /// A verification case (folder or case.json: weights, the first input sample, its loss and target) or a network
    /// description (weights, input and objective drawn from --seed).
    func loadModel(_ path: String) throws -> StochasticLIFNetwork {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw SpikeKitError.invalidConfiguration("--model \(path): no such file or folder")
        }
        let caseFolder: String? = isDirectory.boolValue ? path
            : ((path as NSString).lastPathComponent == "case.json" ? PathName.parent(of: path) : nil)
        if let caseFolder {
            let c = try NetworkCase.load(folder: caseFolder.isEmpty ? "." : caseFolder)
            let objective: LIFObjective
            switch (c.loss, c.targets) {
            case (.l2Spikes, .spikes(let t)): objective = .l2Spikes(target: t[0].map(Double.init))
            case (.maxOverTimeCrossEntropy(let r), .labels(let l)): objective = .crossEntropy(label: l[0], activityRegularizer: r)
            default: throw SpikeKitError.malformedFile(path: path, message: "the case's loss and targets do not match")
            }
            return try StochasticLIFNetwork(architecture: c.architecture, parameters: c.parameters, input: c.inputs[0], objective: objective)
        }
        let data = try AtomicFile.read(path)
        let description: NetworkDescription
        do { description = try JSONDecoder().decode(NetworkDescription.self, from: data) } catch {
            throw SpikeKitError.malformedFile(path: path, message: "not a network description (\(error))")
        }
        return try SNNBiasSetup.randomNetwork(architecture: try NetworkArchitecture(description), steps: steps, seed: seed,
                                             weightMean: weightMean, weightSpread: weightSpread)
    }
}
