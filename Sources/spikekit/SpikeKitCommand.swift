import ArgumentParser
import SpikeKit

@main
struct SpikeKitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spikekit",
        abstract: "Train deterministic and stochastic spiking neural networks with surrogate gradients.",
        subcommands: [DemoCommand.self, MatchCommand.self, ShdCommand.self, ClassifyCommand.self, EvaluateCommand.self,
                      TheoryCommand.self, DataCommand.self, VerifyCommand.self, BenchCommand.self]
    )
}
