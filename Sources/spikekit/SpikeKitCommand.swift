import ArgumentParser
import SpikeKit

@main
struct SpikeKitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spikekit",
        abstract: "Train deterministic and stochastic spiking neural networks with surrogate gradients.",
        subcommands: [DemoCommand.self, MatchCommand.self, VerifyCommand.self, BenchCommand.self, DataCommand.self, TheoryCommand.self]
    )
}
