import ArgumentParser
import Foundation
import SpikeKit

/// `spikekit theory loop-integral` (Fig. 5; SPEC claim 4).
struct TheoryLoopIntegralCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loop-integral",
        abstract: "Loop integrals of surrogate gradients (not zero) and of true gradients (zero up to discretisation).",
        discussion: """
            θ = (w, v1, v2, u1, u2) of the sign-flip network moves around a circle of --radius about 0 in the plane \
            of two random orthonormal directions (--seed). The surrogate gradient (forward β, σ'_{β_SG} backward) \
            and the true gradient of the smoothed network (β_SG both ways) are integrated along the circle with N \
            points. Writes loop-integrals.csv, integrand.csv, cumulative.svg and convergence.svg.
            """
    )

    @Option(name: .customLong("forward-beta"), parsing: .unconditional, help: "Forward steepness β of the surrogate-gradient network.")
    var forwardBeta: Double = 10000
    @Option(name: .customLong("surrogate-betas"), parsing: .unconditional, help: "Surrogate steepnesses β_SG, comma-separated.")
    var surrogateBetas: NumberList<Double> = NumberList([1, 5, 20])
    @Option(parsing: .unconditional, help: "Radius of the circle.")
    var radius: Double = 1.8
    @Option(parsing: .unconditional, help: "Number of points on the circle for the integrand plot.")
    var points: Int = 1500
    @Option(name: .customLong("convergence-points"), parsing: .unconditional, help: "Point counts of the convergence table, comma-separated.")
    var convergencePoints: NumberList<Int> = NumberList([100, 1500, 10000])
    @Option(parsing: .unconditional, help: "Input x.")
    var x: Double = 1
    @Option(parsing: .unconditional, help: "Seed of the two random directions spanning the loop's plane.")
    var seed: UInt64 = 0
    @OptionGroup var out: TheoryOutputOptions

    func validate() throws {
        try requirePositive(forwardBeta, "--forward-beta")
        try requirePositive(radius, "--radius")
        guard x.isFinite else { throw ValidationError("--x must be finite") }
        guard !surrogateBetas.values.isEmpty else { throw ValidationError("--surrogate-betas is empty; give at least one β_SG") }
        for b in surrogateBetas.values { try requirePositive(b, "--surrogate-betas") }
        guard !convergencePoints.values.isEmpty else { throw ValidationError("--convergence-points is empty") }
        for n in convergencePoints.values + [points] where n < 3 || n > 10_000_000 {
            throw ValidationError("point counts must be between 3 and 10000000, got \(n)")
        }
    }

    func run() throws {
        let a = LoopIntegralAnalysis(forwardBeta: forwardBeta, x: x, radius: radius, seed: seed)
        let folder = out.folder(for: "loop-integral")
        let fields = surrogateBetas.values.map { LoopIntegralAnalysis.Field.surrogate(beta: $0) }
            + surrogateBetas.values.map { LoopIntegralAnalysis.Field.smoothedTrue(beta: $0) }
        let ns = convergencePoints.values
        let results = a.convergenceTable(fields: fields, points: ns)
        print("Loop integral ∮ G·dθ around a circle of radius \(fmt(radius)) about θ = 0 (θ = (w, v1, v2, u1, u2), x = \(fmt(x)), "
              + "seed \(seed)); SG forward β = \(fmt(forwardBeta))\n")
        var table = TextTable(["field"] + ns.map { "N = \($0)" })
        for f in fields {
            table.add([f.description] + ns.map { n in String(format: "%.3e", results.first { $0.field == f && $0.points == n }!.integral) })
        }
        print(table.rendered)
        let sgMin = results.filter { if case .surrogate = $0.field { return true } else { return false } }.map { abs($0.integral) }.min() ?? 0
        let trueLast = results.filter { r in
            if case .smoothedTrue = r.field { return r.points == ns.max() } else { return false }
        }.map { abs($0.integral) }.max() ?? 0
        print("smallest |SG loop integral|: \(String(format: "%.3e", sgMin)); largest |true-gradient loop integral| at "
              + "N = \(ns.max()!): \(String(format: "%.3e", trueLast)) (discretisation error; it shrinks as N grows)")

        var csv = CSVTable(columns: ["field", "kind", "beta", "points", "loop_integral"])
        for r in results {
            let (kind, b): (String, Double)
            switch r.field {
            case .surrogate(let v): (kind, b) = ("surrogate", v)
            case .smoothedTrue(let v): (kind, b) = ("true-smoothed", v)
            }
            csv.append([.text(r.field.description), .text(kind), .number(b), .number(Double(r.points)), .number(r.integral)])
        }
        try csv.write(to: "\(folder)/loop-integrals.csv")

        let phis = (0..<points).map { 2 * Double.pi * Double($0) / Double(points) }
        let integrands = fields.map { a.integrand($0, points: points) }
        var icsv = CSVTable(columns: ["phi"] + fields.map(\.description))
        for i in 0..<points { icsv.append(numbers: [phis[i]] + integrands.map { $0[i] }) }
        try icsv.write(to: "\(folder)/integrand.csv")

        var cumulative = SVGPlot(title: "Running loop integral along the circle (N = \(points))", xLabel: "angle φ",
                                 yLabel: "∫_0^φ G·dθ")
        cumulative.horizontalLines = [0]
        for (k, f) in fields.enumerated() {
            var run = 0.0
            let step = 2 * Double.pi / Double(points)
            let ys = integrands[k].map { v -> Double in run += v * step; return run }
            let isSG: Bool
            if case .surrogate = f { isSG = true } else { isSG = false }
            cumulative.add(SVGPlot.Series(name: f.description, x: phis + [2 * Double.pi], y: [0] + ys, style: isSG ? .line : .dashed))
        }
        try cumulative.write(to: "\(folder)/cumulative.svg")

        let grid = Array(Set([100, 150, 200, 300, 500, 700, 1000, 1500, 2000, 3000, 5000, 10000] + ns)).sorted()
        var conv = SVGPlot(title: "|Loop integral| against the number of points", xLabel: "points N", yLabel: "|∮ G·dθ|")
        conv.xScale = .log10
        conv.yScale = .log10
        for f in fields {
            let isSG: Bool
            if case .surrogate = f { isSG = true } else { isSG = false }
            // Exact zeros cannot be drawn on a log axis; show them at the rounding floor 1e-17.
            conv.add(SVGPlot.Series(name: f.description, x: grid.map(Double.init),
                                    y: grid.map { max(abs(a.loopIntegral(f, points: $0)), 1e-17) },
                                    style: isSG ? .lineAndPoints : .dashed))
        }
        try conv.write(to: "\(folder)/convergence.svg")
        reportFiles(folder, ["loop-integrals.csv", "integrand.csv", "cumulative.svg", "convergence.svg"])
    }
}
