import ArgumentParser
import Foundation
import SpikeKit

/// `spikekit theory sign-flip` (Fig. 4, Eq. 7-9; SPEC claim 3).
struct TheorySignFlipCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign-flip",
        abstract: "A sigmoid network whose surrogate gradient has the opposite sign of the true gradient.",
        discussion: """
            g = σ_β(w x), h_k = σ_β(v_k g), y = σ_β(u1 h1 + u2 h2); the surrogate gradient uses σ'_{β_SG} in place \
            of σ'_β at every node. Reports, along w, where the signs of dy/dw and the SG agree, the intervals where \
            they are opposite, and the minimum of y against the minimum of the integrated SG. Writes \
            sign-flip.csv, derivatives.svg and integrated.svg.
            """
    )

    @Option(parsing: .unconditional, help: "Forward steepness β.")
    var beta: Double = 100
    @Option(name: .customLong("surrogate-betas"), parsing: .unconditional, help: "Surrogate steepnesses β_SG, comma-separated (the first is the main one).")
    var surrogateBetas: NumberList<Double> = NumberList([25, 15, 30])
    @Option(name: .customLong("w-min"), parsing: .unconditional, help: "Smallest w of the grid.")
    var wMin: Double = -0.2
    @Option(name: .customLong("w-max"), parsing: .unconditional, help: "Largest w of the grid.")
    var wMax: Double = 0.2
    @Option(parsing: .unconditional, help: "Number of grid points of w.")
    var points: Int = 10001
    @Option(parsing: .unconditional, help: "Input x.") var x: Double = 1
    @Option(parsing: .unconditional, help: "Weight v1.") var v1: Double = 0.05
    @Option(parsing: .unconditional, help: "Weight v2.") var v2: Double = 0.1
    @Option(parsing: .unconditional, help: "Weight u1.") var u1: Double = 1
    @Option(parsing: .unconditional, help: "Weight u2.") var u2: Double = -1
    @OptionGroup var out: TheoryOutputOptions

    func validate() throws {
        try requirePositive(beta, "--beta")
        guard !surrogateBetas.values.isEmpty else { throw ValidationError("--surrogate-betas is empty; give at least one β_SG") }
        for b in surrogateBetas.values { try requirePositive(b, "--surrogate-betas") }
        guard [wMin, wMax, x, v1, v2, u1, u2].allSatisfy(\.isFinite) else { throw ValidationError("weights, x and grid bounds must be finite") }
        guard points >= 2 else { throw ValidationError("--points must be at least 2 (the grid would be empty), got \(points)") }
        guard points <= 10_000_000 else { throw ValidationError("--points must be at most 10000000, got \(points)") }
        guard wMin < wMax else { throw ValidationError("--w-min (\(wMin)) must be smaller than --w-max (\(wMax)); the grid would be empty") }
    }

    func run() throws {
        let net = SignFlipNetwork(x: x, v1: v1, v2: v2, u1: u1, u2: u2, beta: beta)
        let a = SignFlipAnalysis(network: net, surrogateBetas: surrogateBetas.values, grid: linspace(wMin, wMax, count: points))
        let folder = out.folder(for: "sign-flip")
        print("Sign flip: g = σ(w x), h_k = σ(v_k g), y = σ(u1 h1 + u2 h2); x = \(fmt(x)), v = (\(fmt(v1)), \(fmt(v2))), "
              + "u = (\(fmt(u1)), \(fmt(u2))), β = \(fmt(beta)), w in [\(fmt(wMin)), \(fmt(wMax))], \(points) points\n")
        var table = TextTable(["β_SG", "sign agreement", "opposite-sign region(s) of w", "argmin y", "argmin ∫SG"])
        for s in a.surrogates {
            let regions = s.oppositeSignIntervals.map { "[\(fmt($0.lowerBound)), \(fmt($0.upperBound))]" }.joined(separator: " ")
            table.add([fmt(s.beta), String(format: "%.2f%%", 100 * s.signAgreement), regions.isEmpty ? "none" : regions,
                       fmt(a.argminOutput), fmt(s.argminIntegrated)])
        }
        print(table.rendered)
        if let main = a.surrogates.first {
            let n = main.oppositeSignIntervals.count
            print("β_SG = \(fmt(main.beta)): SG and dy/dw have opposite signs on \(n) contiguous region\(n == 1 ? "" : "s") of w"
                  + (n > 0 ? " (\(String(format: "%.2f%%", 100 * (1 - main.signAgreement))) of the grid)" : "")
                  + "; descending y ends at w = \(fmt(a.argminOutput)), descending the SG at w = \(fmt(main.argminIntegrated)).")
        }

        var csv = CSVTable(columns: ["w", "y", "true_dy_dw"] + a.surrogates.flatMap { ["sg_beta\(fmt($0.beta))", "integrated_sg_beta\(fmt($0.beta))"] })
        for i in a.w.indices {
            csv.append(numbers: [a.w[i], a.output[i], a.trueDerivative[i]] + a.surrogates.flatMap { [$0.derivative[i], $0.integrated[i]] })
        }
        try csv.write(to: "\(folder)/sign-flip.csv")

        func normalized(_ v: [Double]) -> [Double] {
            let m = v.map(abs).max() ?? 1
            return m > 0 ? v.map { $0 / m } : v
        }
        var d = SVGPlot(title: "True dy/dw vs surrogate gradients (each scaled by its largest |value|)", xLabel: "w",
                        yLabel: "derivative / max |derivative|")
        d.horizontalLines = [0]
        d.verticalLines = [a.argminOutput]
        d.add(SVGPlot.Series(name: "true dy/dw (β = \(fmt(beta)))", x: a.w, y: normalized(a.trueDerivative), color: "black"))
        for s in a.surrogates { d.add(SVGPlot.Series(name: "SG, β_SG = \(fmt(s.beta))", x: a.w, y: normalized(s.derivative), style: .dashed)) }
        try d.write(to: "\(folder)/derivatives.svg")
        var integ = SVGPlot(title: "Output y and the integral of the surrogate gradient", xLabel: "w", yLabel: "y(w_min) + ∫ derivative dw")
        integ.add(SVGPlot.Series(name: "y (true)", x: a.w, y: a.output, color: "black"))
        for s in a.surrogates { integ.add(SVGPlot.Series(name: "∫ SG, β_SG = \(fmt(s.beta))", x: a.w, y: s.integrated, style: .dashed)) }
        try integ.write(to: "\(folder)/integrated.svg")
        reportFiles(folder, ["sign-flip.csv", "derivatives.svg", "integrated.svg"])
    }
}
