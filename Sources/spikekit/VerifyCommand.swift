import ArgumentParser
import Foundation
import SpikeKit

/// `spikekit verify <case-folder>...`: recomputes verification cases and compares (SPEC section 9).
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check SpikeKit against reference cases computed by an independent implementation.",
        discussion: """
            Prints '<name>: max_abs_err=<e> max_rel_err=<r> PASS|FAIL' per case and 'N passed, M failed' at the end; \
            exits non-zero when any case fails or cannot be read.
            """
    )

    @Argument(help: "Case folders, each holding case.json and .npy arrays.")
    var cases: [String]

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        guard !cases.isEmpty else { throw ValidationError("give at least one case folder") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        var passed = 0, failed = 0
        for folder in cases {
            let label = (folder as NSString).lastPathComponent
            do {
                let report = try CaseRunner.verify(folder: folder, threads: threads)
                print(report.line)
                if report.passed { passed += 1 } else { failed += 1 }
            } catch {
                print("\(label): ERROR \(error) FAIL")
                failed += 1
            }
        }
        print("\(passed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode(1) }
    }
}
