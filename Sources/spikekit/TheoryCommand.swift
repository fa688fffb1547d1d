import ArgumentParser
import Foundation
import SpikeKit

/// `spikekit theory <analysis>`: the paper's analyses (SPEC sections 3 and 4), each printing a table and writing CSV
/// data and SVG plots to an output folder.
struct TheoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "theory",
        abstract: "Check the theory of surrogate gradients numerically (SPEC claims 1-4).",
        subcommands: [TheoryPerceptronCommand.self, TheoryEstimatorsCommand.self, TheorySignFlipCommand.self,
                      TheoryLoopIntegralCommand.self, TheorySNNBiasCommand.self, TheorySNNLearningCommand.self]
    )
}

/// The output folder option shared by every analysis.
struct TheoryOutputOptions: ParsableArguments {
    @Option(name: .long, help: "Folder for the CSV and SVG files (default ./spikekit-out/<analysis>).")
    var output: String?

    /// The folder to write to for `analysis`.
    func folder(for analysis: String) -> String { output ?? "./spikekit-out/\(analysis)" }

    func validate() throws {
        if let o = output, o.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--output must name a folder")
        }
    }
}

/// A comma-separated list of numbers as one option value (`--sizes 3,2,1`).
struct NumberList<T: LosslessStringConvertible & Sendable>: ExpressibleByArgument, Sendable, CustomStringConvertible {
    var values: [T]

    init(_ values: [T]) { self.values = values }

    init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        if argument.trimmingCharacters(in: .whitespaces).isEmpty { values = []; return }
        var out: [T] = []
        for p in parts {
            guard let v = T(p) else { return nil }
            out.append(v)
        }
        values = out
    }

    var description: String { values.map(\.description).joined(separator: ",") }
    var defaultValueDescription: String { description }
}

/// Throws a `ValidationError` unless `value` is a positive finite number.
func requirePositive(_ value: Double, _ option: String) throws {
    guard value.isFinite, value > 0 else { throw ValidationError("\(option) must be a positive number, got \(value)") }
}

/// A plain-text table with aligned columns (numbers right-aligned).
struct TextTable {
    var header: [String]
    var rows: [[String]] = []

    init(_ header: [String]) { self.header = header }

    mutating func add(_ row: [String]) { rows.append(row) }

    var rendered: String {
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                let pad = String(repeating: " ", count: max(0, widths[i] - c.count))
                return i == 0 ? c + pad : pad + c
            }.joined(separator: "  ")
        }
        var out = line(header) + "\n" + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for r in rows { out += line(r) + "\n" }
        return out
    }
}

/// `%.4g`-style formatting for tables.
func fmt(_ v: Double, _ digits: Int = 4) -> String {
    v.isFinite ? String(format: "%.\(digits)g", v) : "\(v)"
}

/// Prints where the files went.
func reportFiles(_ folder: String, _ files: [String]) {
    print("\nwrote \(files.count) files to \(folder): \(files.joined(separator: ", "))")
}
