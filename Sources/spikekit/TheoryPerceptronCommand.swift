import ArgumentParser
import Foundation
import SpikeKit

/// `spikekit theory perceptron` (Fig. 1B, S3; SPEC claim 1).
struct TheoryPerceptronCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perceptron",
        abstract: "One stochastic Perceptron: SD, dE[y]/dU and smoothed stochastic derivatives on a grid of U.",
        discussion: """
            With sigmoid escape noise p = σ(β(U - θ)) and the matched surrogate SD = β σ (1 - σ), the surrogate \
            derivative, the derivative of the expected output and the affine combination p·left + (1-p)·right of \
            the smoothed stochastic derivatives are the same number for either outcome y. Writes perceptron.csv, \
            derivatives.svg and smoothed.svg.
            """
    )

    @Option(parsing: .unconditional, help: "Steepness β of the sigmoid escape noise (the surrogate is matched to it).")
    var beta: Double = 5
    @Option(parsing: .unconditional, help: "Threshold θ.")
    var threshold: Double = 0
    @Option(name: .customLong("u-min"), parsing: .unconditional, help: "Smallest membrane potential U of the grid.")
    var uMin: Double = -2
    @Option(name: .customLong("u-max"), parsing: .unconditional, help: "Largest membrane potential U of the grid.")
    var uMax: Double = 2
    @Option(parsing: .unconditional, help: "Number of grid points.")
    var points: Int = 401
    @OptionGroup var out: TheoryOutputOptions

    func validate() throws {
        try requirePositive(beta, "--beta")
        guard threshold.isFinite, uMin.isFinite, uMax.isFinite else { throw ValidationError("grid bounds and --threshold must be finite") }
        guard points >= 2 else { throw ValidationError("--points must be at least 2 (the grid would be empty), got \(points)") }
        guard points <= 10_000_000 else { throw ValidationError("--points must be at most 10000000, got \(points)") }
        guard uMin < uMax else { throw ValidationError("--u-min (\(uMin)) must be smaller than --u-max (\(uMax)); the grid would be empty") }
    }

    func run() throws {
        let spike = try SpikeFunction(escape: .sigmoid(beta: beta), surrogate: .matched)
        let a = SinglePerceptronAnalysis(spike: spike, threshold: threshold, grid: linspace(uMin, uMax, count: points))
        let folder = out.folder(for: "perceptron")

        print("Single stochastic Perceptron, sigmoid escape noise β = \(fmt(beta)), matched surrogate, θ = \(fmt(threshold))\n")
        var table = TextTable(["U", "p", "SD", "dE[y]/dU", "left y=1", "right y=0", "affine y=0", "affine y=1"])
        let stride = max(1, (a.rows.count - 1) / 10)
        for (i, r) in a.rows.enumerated() where i % stride == 0 || i == a.rows.count - 1 {
            table.add([fmt(r.potential), fmt(r.probability), fmt(r.surrogate, 6), fmt(r.expectedDerivative, 6),
                       fmt(r.left.y1, 6), fmt(r.right.y0, 6), fmt(r.affine.y0, 6), fmt(r.affine.y1, 6)])
        }
        print(table.rendered)
        print("largest difference between SD, dE[y]/dU and the affine combination (y = 0 and 1) over \(points) points: "
              + String(format: "%.3e", a.largestDifference))

        var csv = CSVTable(columns: ["U", "p", "surrogate", "dEy_dU", "left_y0", "left_y1", "right_y0", "right_y1",
                                    "affine_y0", "affine_y1"])
        for r in a.rows {
            csv.append(numbers: [r.potential, r.probability, r.surrogate, r.expectedDerivative, r.left.y0, r.left.y1,
                                 r.right.y0, r.right.y1, r.affine.y0, r.affine.y1])
        }
        try csv.write(to: "\(folder)/perceptron.csv")

        let u = a.rows.map(\.potential)
        var plot = SVGPlot(title: "SD = dE[y]/dU = affine smoothed stochAD (β = \(fmt(beta)))", xLabel: "membrane potential U",
                           yLabel: "derivative")
        plot.add(name: "surrogate derivative", x: u, y: a.rows.map(\.surrogate))
        plot.add(SVGPlot.Series(name: "dE[y]/dU", x: u, y: a.rows.map(\.expectedDerivative), style: .dashed))
        plot.add(SVGPlot.Series(name: "affine, y = 0", x: u, y: a.rows.map(\.affine.y0), style: .points))
        plot.add(SVGPlot.Series(name: "affine, y = 1", x: u, y: a.rows.map(\.affine.y1), style: .dashed))
        try plot.write(to: "\(folder)/derivatives.svg")

        var smoothed = SVGPlot(title: "Smoothed stochastic derivatives of one Perceptron (β = \(fmt(beta)))",
                               xLabel: "membrane potential U", yLabel: "derivative")
        smoothed.add(name: "left, y = 1  (y/p · p')", x: u, y: a.rows.map(\.left.y1))
        smoothed.add(name: "right, y = 0  ((1-y)/(1-p) · p')", x: u, y: a.rows.map(\.right.y0))
        smoothed.add(SVGPlot.Series(name: "left y = 0, right y = 1 (= 0)", x: u, y: a.rows.map(\.left.y0), style: .dashed))
        smoothed.add(SVGPlot.Series(name: "dE[y]/dU = SD", x: u, y: a.rows.map(\.expectedDerivative), style: .dashed))
        try smoothed.write(to: "\(folder)/smoothed.svg")
        reportFiles(folder, ["perceptron.csv", "derivatives.svg", "smoothed.svg"])
    }
}
