import ArgumentParser
import Testing
@testable import spikekit

/// In-process runs of the command line for the command tests: `run` parses and runs arguments as `spikekit` would
/// and returns ArgumentParser's message and exit status (0 when it succeeded).
protocol CommandRunning {}

extension CommandRunning {
    @discardableResult
    func run(_ arguments: [String]) -> (message: String, status: Int32) {
        do {
            var command = try SpikeKitCommand.parseAsRoot(arguments)
            try command.run()
            return ("", 0)
        } catch {
            return (SpikeKitCommand.message(for: error), SpikeKitCommand.exitCode(for: error).rawValue)
        }
    }

    /// The run fails with one non-empty line that mentions every fragment; returns the message.
    @discardableResult
    func expectOneLineFailure(_ arguments: [String], mentioning fragments: [String], sourceLocation: SourceLocation) -> String {
        let (message, status) = run(arguments)
        #expect(status != 0, "\(arguments) succeeded", sourceLocation: sourceLocation)
        #expect(!message.isEmpty && !message.contains("\n"), "not one line: '\(message)'", sourceLocation: sourceLocation)
        for f in fragments {
            #expect(message.contains(f), "'\(message)' does not mention '\(f)'", sourceLocation: sourceLocation)
        }
        return message
    }
}
