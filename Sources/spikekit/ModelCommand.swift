import ArgumentParser
import Foundation
import SpikeKit

/// `spikekit model new|check`: starting model files and their validation.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Write a starting model file, or check one.",
        subcommands: [New.self, Check.self]
    )

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "new",
            abstract: "Write a starting model file from a template (feed-forward, recurrent, conv or alif).",
            discussion: "Templates: " + ModelTemplate.allCases.map { "\($0.rawValue): \($0.summary)" }.joined(separator: "; ")
                + ". The format is described in docs/ModelFormat.md; edit the file, then `spikekit train --model`."
        )

        @Option(help: "feed-forward, recurrent, conv or alif.")
        var template: String = "recurrent"
        @Option(help: "Input units (the channels of the data files; 700 for SHD).")
        var inputs: Int = 700
        @Option(help: "Neurons per hidden layer (feed-forward and recurrent templates).")
        var hidden: Int = 128
        @Option(help: "Readout units (classes).")
        var classes: Int = 20
        @Option(parsing: .unconditional, help: "Step size Δt in seconds.")
        var dt: Double = 2e-3
        @Flag(help: "Stochastic spikes (sigmoid escape noise) instead of deterministic ones.")
        var stochastic = false
        @Option(parsing: .unconditional, help: "β of the sigmoid escape noise (with --stochastic).")
        var beta: Double = 10
        @Option(parsing: .unconditional, help: "Dropout probability p on every hidden layer's spikes while training (default: none).")
        var dropout: Double?
        @Option(help: "Delay in steps on every connection (default 1: a spike of step n reaches I[n+1]).")
        var delay: Int?
        @Flag(help: "stork's timing: delay 2 on every connection (a spike of step n reaches I[n+2]).")
        var storkTiming = false
        @Flag(help: "Learn a threshold per hidden neuron (per channel for conv layers), starting from the network's.")
        var learnThreshold = false
        @Option(name: .shortAndLong, help: "The file to write (- for standard output).")
        var output: String = "model.json"

        func run() throws {
            guard let t = ModelTemplate(rawValue: template) else {
                throw CommandError("--template must be " + ModelTemplate.allCases.map(\.rawValue).joined(separator: ", ") + ", not '\(template)'")
            }
            guard dt.isFinite, dt > 0, beta.isFinite, beta > 0 else { throw CommandError("--dt and --beta must be positive numbers") }
            var d: NetworkDescription
            do {
                d = try t.description(inputs: inputs, hidden: hidden, classes: classes, dt: dt, stochastic: stochastic, beta: beta,
                                  dropout: dropout, learnThreshold: learnThreshold)
                if let delay = try DelayOptions.delay(delay, storkTiming: storkTiming) {
                    d = d.settingDelays(delay)
                    _ = try NetworkArchitecture(d)
                }
            } catch SpikeKitError.invalidConfiguration(let m) { throw CommandError(m) }
            if output == "-" {
                print(try d.json(), terminator: "")
            } else {
                try d.save(to: output)
                print("wrote \(output): \(t.summary) with inputs \(inputs), hidden \(hidden), classes \(classes), Δt \(dt) s, "
                    + (stochastic ? "stochastic (sigmoid β \(beta))" : "deterministic"))
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check", abstract: "Validate a model file and print its layers and weight tensors.")

        @Argument(help: "The model file.")
        var file: String

        func run() throws {
            let d = try NetworkDescription.load(path: file)
            let a = try NetworkArchitecture(d)
            print("\(file): Δt \(d.dt) s, threshold \(d.threshold), input \(d.input.shape)")
            var total = 0
            for (i, l) in a.layers.enumerated() {
                var line = "  layer \(i) \(l.kind.rawValue) -> \(l.shape.dimensions); layer\(i).weight \(l.feedForward.weightShape)"
                total += l.feedForward.weightShape.reduce(1, *)
                if let r = l.recurrent {
                    line += ", layer\(i).recurrent \(r.weightShape)"
                    total += r.weightShape.reduce(1, *)
                }
                if let s = l.spike { line += "; escape \(s.escape.kindName), surrogate \(s.surrogate.kindName)" }
                for (name, values, learned) in [("tau_mem", l.tauMemValues, l.learnsTauMem), ("tau_syn", l.tauSynValues, l.learnsTauSyn)] {
                    guard let v = values else { continue }
                    line += String(format: "; %@ per %@ %.4g–%.4g s", name, l.isConv ? "channel" : "neuron", v.min()!, v.max()!)
                    if learned { line += " (learned: layer\(i).log_\(name) \(l.biasShape))" }
                }
                if let ta = l.tauAdapt { line += String(format: "; adaptation tau_adapt %.4g s, adapt_strength %.4g", ta, l.adaptStrength) }
                if l.learnsThreshold { line += "; learned threshold layer\(i).threshold \(l.biasShape)" }
                print(line)
            }
            print("  \(total) weights")
        }
    }
}
