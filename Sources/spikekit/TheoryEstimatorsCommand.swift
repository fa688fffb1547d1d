import ArgumentParser
import Foundation
import SpikeKit

/// `spikekit theory estimators` (Fig. 3, S1; SPEC section 3 and claim 2).
struct TheoryEstimatorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "estimators",
        abstract: "Bias, variance, cosine and sign agreement of every gradient estimator on a Perceptron MLP.",
        discussion: """
            The network has sigmoid(β) escape noise and the matched surrogate in every layer, weights drawn from \
            --seed as in the reference cases. The exact dE[y]/dθ comes from enumerating every hidden spike pattern. \
            Each estimator is sampled --samples times; bias is reported with its 95 % interval and in standard \
            errors, and averages over 1 to --samples samples are compared with the exact gradient. With one layer \
            the stochastic surrogate gradient is exact; with hidden layers it is biased, while stochastic triples \
            and REINFORCE are not. Writes estimators.csv, curves.csv, gradients.csv, relative-error.svg, cosine.svg, \
            sign-agreement.svg and variance.svg.
            """
    )

    @Option(parsing: .unconditional, help: "Units per layer, input side first, comma-separated; the last must be 1.")
    var sizes: NumberList<Int> = NumberList([3, 2, 1])
    @Option(parsing: .unconditional, help: "Length of the input x.")
    var inputs: Int = 3
    @Option(parsing: .unconditional, help: "Steepness β of the sigmoid escape noise in every layer.")
    var beta: Double = 2
    @Option(parsing: .unconditional, help: "Seed of the weights, input and all sampling.")
    var seed: UInt64 = 0
    @Option(parsing: .unconditional, help: "Samples per estimator (the largest sample count of the curves).")
    var samples: Int = 10_000
    @Option(name: .customLong("fd-step"), parsing: .unconditional, help: "Step h of the central finite differences.")
    var fdStep: Double = 0.01
    @OptionGroup var out: TheoryOutputOptions

    func validate() throws {
        try requirePositive(beta, "--beta")
        try requirePositive(fdStep, "--fd-step")
        guard !sizes.values.isEmpty else { throw ValidationError("--sizes is empty; give the units per layer, e.g. 3,2,1") }
        guard sizes.values.allSatisfy({ $0 > 0 }) else { throw ValidationError("--sizes must be positive, got \(sizes)") }
        guard sizes.values.last == 1 else { throw ValidationError("the last layer of --sizes must have 1 unit (the output), got \(sizes)") }
        guard inputs > 0, inputs <= 10_000 else { throw ValidationError("--inputs must be between 1 and 10000, got \(inputs)") }
        let hidden = sizes.values.dropLast().reduce(0, +)
        guard hidden <= PerceptronMLP.defaultEnumerationLimit else {
            throw ValidationError("--sizes \(sizes) has \(hidden) stochastic hidden units; the exact gradient enumerates "
                                  + "2^\(hidden) spike patterns and is refused above \(PerceptronMLP.defaultEnumerationLimit)")
        }
        guard samples >= 2, samples <= 1_000_000 else { throw ValidationError("--samples must be between 2 and 1000000, got \(samples)") }
    }

    func run() throws {
        let spike = try SpikeFunction(escape: .sigmoid(beta: beta), surrogate: .matched)
        let net = try PerceptronMLP.random(inputSize: inputs, sizes: sizes.values, spike: spike, seed: seed)
        let folder = out.folder(for: "estimators")
        let exact = try net.exactExpectation()
        var pilot = PhiloxGenerator(seed: seed, stream: 1_000)
        let baseline = net.sampledMeanOutput(samples: 200, using: &pilot)
        let estimators = GradientEstimator.all(baseline: baseline, finiteDifferenceStep: fdStep)
        let counts = sampleCountGrid(upTo: samples)
        let stats = estimators.enumerated().map { i, e in
            EstimatorStatistics.measure(e, on: net, exact: exact.gradient, samples: samples, sampleCounts: counts,
                                        seed: seed, stream: UInt64(i + 1))
        }

        print("Perceptron MLP \(inputs) -> \(sizes), sigmoid escape noise β = \(fmt(beta)), matched surrogate, seed \(seed)")
        print("E[y] = \(fmt(exact.mean, 6)) (exact, \(net.stochasticHiddenUnits) stochastic hidden units), "
              + "\(net.parameterCount) parameters, ‖dE[y]/dθ‖ = \(fmt(norm(exact.gradient))), \(samples) samples per estimator, "
              + "REINFORCE baseline \(fmt(baseline)) (200 independent samples)\n")
        var table = TextTable(["estimator", "rel. bias", "95% CI", "bias/SE", "within 3 SE", "exact-mean bias",
                               "variance", "cosine", "sign agree"])
        for s in stats {
            let rb = s.relativeBias
            // A 95 % interval of ‖bias‖/‖g‖ from the standard errors (sampling noise adds ≈ ‖SE‖ in quadrature).
            let half = 1.96 * norm(s.standardError) / max(norm(exact.gradient), 1e-300)
            table.add([s.estimator.description, fmt(rb), s.estimator.isDeterministic ? "exact" : "±" + fmt(half, 2),
                       fmt(s.biasInStandardErrors, 3), String(format: "%.0f%%", 100 * s.fractionWithin(standardErrors: 3)),
                       s.exactRelativeBias.map { fmt($0) } ?? "-", fmt(s.meanVariance), fmt(s.cosine), fmt(s.signAgreement, 3)])
        }
        print(table.rendered)
        print("rel. bias = ‖mean - exact‖/‖exact‖; bias/SE = ‖mean - exact‖/√ΣSE² (≈ 1 when unbiased); within 3 SE = share of")
        print("parameters whose bias is within 3 standard errors; exact-mean bias = the pathwise estimator's exact expectation")
        print("over all paths (no sampling error); variance = per-sample variance averaged over parameters.\n")
        let shown = counts.filter { [1, 10, 100, 1000, 10_000, 100_000, 1_000_000].contains($0) || $0 == samples }
        var byCount = TextTable(["relative error ‖mean_N - exact‖/‖exact‖"] + shown.map { "N = \($0)" })
        for s in stats {
            byCount.add([s.estimator.description] + shown.map { n in
                guard let p = s.curve.first(where: { $0.samples == n }) ?? (s.estimator.isDeterministic ? s.curve.first : nil) else { return "-" }
                return p.batches > 1 ? "\(fmt(p.relativeError.value, 3)) ±\(fmt(p.relativeError.upper - p.relativeError.value, 1))"
                                     : fmt(p.relativeError.value, 3)
            })
        }
        print(byCount.rendered)
        print("(mean over the disjoint batches of N samples, ± the 95 % half-width; cosine and sign agreement per N are in curves.csv)\n")
        let det = stats[0], ssg = stats[1]
        print("selection bias of the deterministic SG against the stochastic network's exact gradient: "
              + "‖det SG - exact‖/‖exact‖ = \(fmt(det.relativeBias)), cosine \(fmt(det.cosine)), sign agreement \(fmt(det.signAgreement, 3))")
        if let eb = ssg.exactRelativeBias {
            print("stochastic SG (smoothed stochAD): exact relative bias \(fmt(eb))"
                  + (sizes.values.count == 1 ? " (one layer: unbiased)" : " (hidden layers: biased in general)")
                  + ", sampled bias = \(fmt(ssg.biasInStandardErrors, 3)) standard errors")
        }
        let fdI = stats.first { $0.estimator == .finiteDifference(step: fdStep, commonRandomNumbers: false) }!
        let fdC = stats.first { $0.estimator == .finiteDifference(step: fdStep, commonRandomNumbers: true) }!
        print("finite differences (h = \(fmt(fdStep))): variance independent / common random numbers = "
              + "\(fmt(fdI.meanVariance)) / \(fmt(fdC.meanVariance)) = \(fmt(fdI.meanVariance / fdC.meanVariance, 3))x")

        var summary = CSVTable(columns: ["estimator", "samples", "relative_bias", "relative_bias_ci95_half", "bias_in_se",
                                         "fraction_within_3se", "max_parameter_z", "exact_mean_relative_bias",
                                         "mean_variance", "cosine", "sign_agreement"])
        for s in stats {
            summary.append([.text(s.estimator.description), .number(Double(s.samples)), .number(s.relativeBias),
                            .number(1.96 * norm(s.standardError) / max(norm(exact.gradient), 1e-300)),
                            .number(s.biasInStandardErrors), .number(s.fractionWithin(standardErrors: 3)),
                            .number(s.maxBiasInStandardErrors), .number(s.exactRelativeBias ?? .nan),
                            .number(s.meanVariance), .number(s.cosine), .number(s.signAgreement)])
        }
        try summary.write(to: "\(folder)/estimators.csv")
        var curves = CSVTable(columns: ["estimator", "samples", "batches", "relative_error", "relative_error_lo",
                                        "relative_error_hi", "cosine", "cosine_lo", "cosine_hi", "sign_agreement",
                                        "sign_agreement_lo", "sign_agreement_hi"])
        for s in stats {
            for p in s.curve {
                curves.append([.text(s.estimator.description), .number(Double(p.samples)), .number(Double(p.batches)),
                               .number(p.relativeError.value), .number(p.relativeError.lower), .number(p.relativeError.upper),
                               .number(p.cosine.value), .number(p.cosine.lower), .number(p.cosine.upper),
                               .number(p.signAgreement.value), .number(p.signAgreement.lower), .number(p.signAgreement.upper)])
            }
        }
        try curves.write(to: "\(folder)/curves.csv")
        var grads = CSVTable(columns: ["parameter", "exact"] + stats.flatMap { ["\($0.estimator)_mean", "\($0.estimator)_se"] })
        for (k, name) in net.parameterNames.enumerated() {
            grads.append([.text(name), .number(exact.gradient[k])] + stats.flatMap { [.number($0.mean[k]), .number($0.standardError[k])] })
        }
        try grads.write(to: "\(folder)/gradients.csv")

        let xs = counts.map(Double.init)
        func curvePlot(_ title: String, _ ylabel: String, _ pick: (SampleCountPoint) -> Estimate, logY: Bool) -> SVGPlot {
            var plot = SVGPlot(title: title, xLabel: "samples averaged", yLabel: ylabel)
            plot.xScale = .log10
            if logY { plot.yScale = .log10 }
            for s in stats {
                if s.estimator.isDeterministic {
                    let v = pick(s.curve[0]).value
                    plot.add(SVGPlot.Series(name: s.estimator.description, x: xs, y: xs.map { _ in v }, style: .dashed))
                } else {
                    let e = s.curve.map(pick)
                    plot.add(name: s.estimator.description, x: s.curve.map { Double($0.samples) }, y: e.map(\.value),
                             band: (e.map(\.lower), e.map(\.upper)))
                }
            }
            return plot
        }
        let sizeText = sizes.values.map(String.init).joined(separator: "-")
        try curvePlot("Relative error of the averaged estimate (\(inputs)-\(sizeText), β = \(fmt(beta)))",
                      "‖mean - exact‖ / ‖exact‖", { $0.relativeError }, logY: true).write(to: "\(folder)/relative-error.svg")
        try curvePlot("Cosine to the exact gradient", "cosine similarity", { $0.cosine }, logY: false)
            .write(to: "\(folder)/cosine.svg")
        try curvePlot("Sign agreement with the exact gradient", "fraction of parameters", { $0.signAgreement }, logY: false)
            .write(to: "\(folder)/sign-agreement.svg")
        var variance = SVGPlot(title: "Per-sample variance and bias of each estimator", xLabel: "estimator (index)",
                               yLabel: "value (log10)")
        variance.yScale = .log10
        let idx = stats.indices.map(Double.init)
        variance.add(SVGPlot.Series(name: "variance (mean over parameters)", x: idx, y: stats.map(\.meanVariance), style: .lineAndPoints))
        variance.add(SVGPlot.Series(name: "squared bias ‖bias‖²", x: idx, y: stats.map { norm($0.bias) * norm($0.bias) },
                                    style: .lineAndPoints))
        try variance.write(to: "\(folder)/variance.svg")
        var legend = CSVTable(columns: ["index", "estimator"])
        for (i, s) in stats.enumerated() { legend.append([.number(Double(i)), .text(s.estimator.description)]) }
        try legend.write(to: "\(folder)/variance-index.csv")
        reportFiles(folder, ["estimators.csv", "curves.csv", "gradients.csv", "variance-index.csv", "relative-error.svg",
                             "cosine.svg", "sign-agreement.svg", "variance.svg"])
    }
}

/// Euclidean norm.
func norm(_ v: [Double]) -> Double { v.reduce(0.0) { $0 + $1 * $1 }.squareRoot() }
