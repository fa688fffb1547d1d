import Foundation
import SpikeKit

/// A sweep: a base command run once per seed and per point of a grid of options.
///
/// The configuration file (JSON):
///
///     { "command": "classify",
///       "arguments": ["--samples-per-class", "30", "--epochs", "2"],
///       "seeds": [1, 2, 3],
///       "grid": { "--hidden": [16, 32], "--lr": ["0.01", "0.003"] },
///       "output": "spikekit-out/sweep" }
///
/// gives 3 × 2 × 2 = 12 runs; each writes to `<output>/<name>/` (name: the grid values and the seed, e.g.
/// `hidden-16_lr-0.01_seed-1`). The grid's options are combined in the order of their names, their values in the
/// order given, the seed innermost.
struct SweepPlan: Decodable {
    /// `classify`, `shd` or `match`.
    var command: String
    /// Options of every run (not --seed, --output, --resume: the sweep sets them).
    var arguments: [String] = []
    var seeds: [UInt64]
    var grid: [String: [Value]] = [:]
    var output: String = "spikekit-out/sweep"

    static let commands = ["classify", "shd", "match"]
    static let reserved = ["--seed", "--output", "--resume"]

    /// An option's value: a string or a number as written in JSON.
    struct Value: Decodable {
        let text: String
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { text = s }
            else if let i = try? c.decode(Int.self) { text = String(i) }
            else if let d = try? c.decode(Double.self) { text = "\(d)" }
            else if let b = try? c.decode(Bool.self) { text = b ? "true" : "false" }
            else { throw DecodingError.dataCorruptedError(in: c, debugDescription: "a grid value must be a string or a number") }
        }
    }

    enum CodingKeys: String, CodingKey { case command, arguments, seeds, grid, output }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        command = try c.decode(String.self, forKey: .command)
        arguments = try c.decodeIfPresent([String].self, forKey: .arguments) ?? []
        seeds = try c.decode([UInt64].self, forKey: .seeds)
        grid = try c.decodeIfPresent([String: [Value]].self, forKey: .grid) ?? [:]
        output = try c.decodeIfPresent(String.self, forKey: .output) ?? "spikekit-out/sweep"
    }

    /// One run of the sweep.
    struct Run {
        var name: String
        var seed: UInt64
        /// The grid's options of this run, in the order of their names.
        var options: [(name: String, value: String)]
        var folder: String
        /// The full argument list, starting with the command.
        var arguments: [String]
    }

    /// Reads and checks a configuration file.
    static func load(path: String) throws -> SweepPlan {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CommandError("\(path): cannot read the sweep configuration")
        }
        let plan: SweepPlan
        do { plan = try JSONDecoder().decode(SweepPlan.self, from: data) } catch let e as DecodingError {
            throw CommandError("\(path): not a sweep configuration (\(Self.describe(e)))")
        }
        try plan.validate(path: path)
        return plan
    }

    func validate(path: String) throws {
        guard Self.commands.contains(command) else {
            throw CommandError("\(path): \"command\" must be one of \(Self.commands.joined(separator: ", ")), not '\(command)'")
        }
        guard !seeds.isEmpty else { throw CommandError("\(path): \"seeds\" needs at least one seed") }
        guard Set(seeds).count == seeds.count else { throw CommandError("\(path): \"seeds\" lists a seed twice") }
        for a in arguments + grid.keys where Self.reserved.contains(a) {
            throw CommandError("\(path): \(a) is set by the sweep for every run; leave it out")
        }
        for (k, v) in grid {
            guard k.hasPrefix("--"), k.count > 2 else { throw CommandError("\(path): grid option '\(k)' must start with --") }
            guard !v.isEmpty else { throw CommandError("\(path): grid option \(k) has no values") }
            guard !arguments.contains(k) else { throw CommandError("\(path): \(k) is both in \"arguments\" and in \"grid\"") }
        }
        guard !output.isEmpty else { throw CommandError("\(path): \"output\" is empty") }
        let names = runs.map(\.name)
        guard Set(names).count == names.count else {
            throw CommandError("\(path): two grid points give the same run name (values that differ only in characters other than letters, digits, '.', '-')")
        }
    }

    /// Every run, in the sweep's order.
    var runs: [Run] {
        let keys = grid.keys.sorted()
        var points: [[(name: String, value: String)]] = [[]]
        for k in keys {
            points = points.flatMap { p in grid[k]!.map { p + [(k, $0.text)] } }
        }
        return points.flatMap { point in
            seeds.map { seed in
                let parts = point.map { "\(Self.clean(String($0.name.dropFirst(2))))-\(Self.clean($0.value))" } + ["seed-\(seed)"]
                let name = parts.joined(separator: "_")
                let folder = output + "/" + name
                var args = [command] + arguments
                for (k, v) in point { args += [k, v] }
                args += ["--seed", String(seed), "--output", folder]
                if command != "match" { args.append("--resume") }
                return Run(name: name, seed: seed, options: point, folder: folder, arguments: args)
            }
        }
    }

    /// A value as part of a folder name: letters, digits, '.', '-'; anything else becomes '-'.
    static func clean(_ s: String) -> String {
        String(s.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") ? $0 : "-" })
    }

    static func describe(_ e: DecodingError) -> String {
        switch e {
        case .keyNotFound(let k, _): return "no \"\(k.stringValue)\""
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
            let at = c.codingPath.map(\.stringValue).joined(separator: ".")
            return at.isEmpty ? c.debugDescription : "\(at): \(c.debugDescription)"
        @unknown default: return "\(e)"
        }
    }
}
