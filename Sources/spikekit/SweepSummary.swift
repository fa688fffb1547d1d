import Foundation
import SpikeKit

/// The table of a sweep: one row per run and network variant (the last row of each `metrics-<variant>.csv`),
/// with the run's grid values and seed; runs not done get a row with their state.
struct SweepSummary {
    private(set) var header: [String] = []
    private(set) var rows: [[String]] = []
    private(set) var done = 0

    init(plan: SweepPlan, runs: [SweepPlan.Run]) throws {
        let keys = plan.grid.keys.sorted()
        var metricNames: [String]?
        var entries: [(run: SweepPlan.Run, state: String, variant: String, metrics: [String: String])] = []
        let fm = FileManager.default
        for r in runs {
            let finished = fm.fileExists(atPath: r.folder + "/summary.txt")
            let error = (try? String(contentsOfFile: r.folder + "/error.txt", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let state = finished ? "done" : error.map { "failed: \($0)" } ?? "not run"
            if finished { done += 1 }
            let files = ((try? fm.contentsOfDirectory(atPath: r.folder)) ?? [])
                .filter { $0.hasPrefix("metrics-") && $0.hasSuffix(".csv") }.sorted()
            var any = false
            for f in files where finished {
                guard let text = try? String(contentsOfFile: r.folder + "/" + f, encoding: .utf8) else { continue }
                let lines = text.split(separator: "\n").map(String.init)
                guard lines.count >= 2 else { continue }
                let names = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                let values = lines[lines.count - 1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                if metricNames == nil { metricNames = names }
                let variant = String(f.dropFirst("metrics-".count).dropLast(".csv".count))
                entries.append((r, state, variant, Dictionary(zip(names, values), uniquingKeysWith: { a, _ in a })))
                any = true
            }
            if !any { entries.append((r, state, "", [:])) }
        }
        let metrics = metricNames ?? []
        header = ["run"] + keys.map { String($0.dropFirst(2)) } + ["seed", "state", "variant"] + metrics
        for e in entries {
            let values = keys.map { k in e.run.options.first { $0.name == k }?.value ?? "" }
            rows.append([e.run.name] + values + ["\(e.run.seed)", e.state, e.variant] + metrics.map { e.metrics[$0] ?? "" })
        }
    }

    var csv: String {
        func cell(_ s: String) -> String {
            s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        return ([header] + rows).map { $0.map(cell).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    var markdown: String {
        func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
        var s = "| " + header.map(cell).joined(separator: " | ") + " |\n"
        s += "|" + header.map { _ in " --- |" }.joined() + "\n"
        for r in rows { s += "| " + r.map(cell).joined(separator: " | ") + " |\n" }
        return s
    }
}
