import ArgumentParser
import Foundation
import SpikeKit

/// `spikekit nir export|import|info`: NIR graphs (docs/NIR.md).
struct NIRCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nir",
        abstract: "Export SpikeKit networks to NIR graphs (.nir) and import NIR graphs.",
        subcommands: [NIRExportCommand.self, NIRImportCommand.self, NIRRunCommand.self, NIRInfoCommand.self]
    )
}

/// `spikekit nir export <checkpoint.safetensors | model.json> -o model.nir`.
struct NIRExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a checkpoint or a model description as a NIR graph.",
        discussion: """
            A checkpoint (.safetensors) gives the model and its weights. A model description (.json, the schema of \
            the verification cases) takes its weights from --weights (a checkpoint, or a safetensors file of \
            layer<i>.weight / layer<i>.recurrent / layer<i>.bias tensors), or else draws fluctuation-driven initial weights \
            (σ_u 1, ν 10 Hz, zero biases) from --seed. A dense layer with a bias becomes an Affine node, a conv \
            layer's bias goes into its Conv1d node; the subtract reset cannot be exported. --paper names one of the paper's networks instead of a file: stm, \
            stm-stoch (spike-train matching), shd, shd-stoch (the SHD CSNN).
            """
    )

    @Argument(help: "A checkpoint .safetensors or a model description .json.")
    var model: String?

    @Option(name: .shortAndLong, help: "The NIR file to write.")
    var output: String

    @Option(help: "Weights for a model description: a safetensors file with layer<i>.weight (and layer<i>.recurrent, layer<i>.bias).")
    var weights: String?

    @Option(help: "One of the paper's networks instead of a file: stm, stm-stoch, shd, shd-stoch.")
    var paper: String?

    @Option(help: "Seed of the initial weights when none are given.")
    var seed: UInt64 = 1

    func run() throws {
        let (description, parameters) = try load()
        let graph = try NIRMapping.export(description, parameters: parameters)
        try graph.write(to: output)
        print("wrote \(output): \(graph.nodes.count) nodes, \(graph.edges.count) edges, dt \(description.dt) s, \(description.layers.count) layers")
    }

    private func load() throws -> (NetworkDescription, NetworkParameters) {
        let description: NetworkDescription
        switch (model, paper) {
        case (nil, nil): throw CommandError("give a checkpoint, a model description or --paper")
        case (_?, _?): throw CommandError("give either a file or --paper, not both")
        case (nil, let name?):
            switch name {
            case "stm": description = try PaperNetworks.spikeTrainMatching(stochastic: false)
            case "stm-stoch": description = try PaperNetworks.spikeTrainMatching(stochastic: true)
            case "shd": description = try PaperNetworks.shdCSNN(stochastic: false)
            case "shd-stoch": description = try PaperNetworks.shdCSNN(stochastic: true)
            default: throw CommandError("--paper \(name): expected stm, stm-stoch, shd or shd-stoch")
            }
        case (let path?, nil):
            if path.hasSuffix(".json") {
                do {
                    description = try JSONDecoder().decode(NetworkDescription.self, from: try AtomicFile.read(path))
                } catch let e as SpikeKitError {
                    throw e
                } catch {
                    throw CommandError("\(path): not a model description (\(error))")
                }
            } else {
                guard weights == nil else { throw CommandError("--weights is for a model description; a checkpoint holds its weights") }
                let ck = try Checkpoint.load(path: path)
                return (ck.model, ck.parameters)
            }
        }
        let architecture = try NetworkArchitecture(description)
        guard let weights else {
            print("weights: fluctuation-driven initialisation, seed \(seed)")
            return (description, try FluctuationDrivenInit(sigmaU: 1, nu: 10).parameters(for: architecture, seed: seed))
        }
        let file = try Safetensors.read(path: weights)
        var p = NetworkParameters(zerosFor: architecture)
        for (i, l) in architecture.layers.enumerated() {
            guard let w = file.tensors["layer\(i).weight"] else { throw CommandError("\(weights): tensor layer\(i).weight is missing") }
            p.feedForward[i] = w
            if l.recurrent != nil {
                guard let r = file.tensors["layer\(i).recurrent"] else { throw CommandError("\(weights): tensor layer\(i).recurrent is missing") }
                p.recurrent[i] = r
            }
            if l.hasBias {
                guard let b = file.tensors["layer\(i).bias"] else { throw CommandError("\(weights): tensor layer\(i).bias is missing") }
                p.biases[i] = b
            }
        }
        do { try p.validate(for: architecture) } catch { throw CommandError("\(weights): \(error)") }
        return (description, p)
    }
}

/// `spikekit nir import model.nir -o model.json [--weights out.safetensors]`.
struct NIRImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Read a NIR graph as a SpikeKit model description (and weights).",
        discussion: """
            Graphs SpikeKit wrote carry Δt, reset and spike function in metadata; for other graphs --dt is needed \
            and --reset (default same-step) applies. The weights are written as a checkpoint (seed 0, epoch 0) that \
            evaluate and nir export read.
            """
    )

    @Argument(help: "The NIR file.")
    var graph: String

    @Option(name: .shortAndLong, help: "The model description (.json) to write.")
    var output: String

    @Option(help: "Where to write the weights as a checkpoint (.safetensors).")
    var weights: String?

    @Option(help: "Δt in seconds for graphs without spikekit.dt.")
    var dt: Double?

    @Option(help: "Reset of spiking layers without spikekit.reset: same-step or next-step.")
    var reset: String = "same-step"

    func run() throws {
        guard let mode = ResetMode(rawValue: reset) else { throw CommandError("--reset \(reset): expected same-step or next-step") }
        if let dt, !(dt.isFinite && dt > 0) { throw CommandError("--dt must be positive, got \(dt)") }
        let g = try NIRGraph.read(path: graph)
        let (model, parameters) = try NIRMapping.importGraph(g, path: graph, options: .init(dt: dt, reset: mode))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(model), to: output)
        var line = "wrote \(output): \(model.layers.count) layers, dt \(model.dt) s"
        if let weights {
            try Checkpoint(model: model, parameters: parameters, seed: 0, epoch: 0, metadata: ["source": "nir import \(graph)"])
                .save(to: weights)
            line += "; weights \(weights)"
        }
        print(line)
    }
}

/// `spikekit nir info model.nir`: the nodes and edges of a graph.
struct NIRInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "List a NIR graph's nodes and edges.")

    @Argument(help: "The NIR file.")
    var graph: String

    func run() throws {
        let g = try NIRGraph.read(path: graph)
        for (name, node) in g.nodes.sorted(by: { $0.key < $1.key }) {
            let fields = node.fields.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.kindName)" }.joined(separator: ", ")
            print("\(name) \(node.type) \(fields)\(node.metadata.isEmpty ? "" : " (\(node.metadata.count) metadata)")")
        }
        for e in g.edges { print("\(e.source) -> \(e.target)") }
    }
}

/// `spikekit nir run model.nir --input spikes.npy -o folder`: simulates a graph in SpikeKit.
struct NIRRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a NIR graph in SpikeKit on input spikes and save every layer's spikes and the output.",
        discussion: """
            The input is a .npy array [T, *input shape] of 0/1 values. The folder receives output.npy [T, *output \
            shape] (spikes, or a readout's membrane U[n]) and spikes-layer<i>.npy for every spiking layer. \
            Stochastic layers draw from Philox with --seed.
            """
    )

    @Argument(help: "The NIR file.")
    var graph: String

    @Option(help: "Input spikes, a .npy array [T, *input shape].")
    var input: String

    @Option(name: .shortAndLong, help: "The folder for the results.")
    var output: String

    @Option(help: "Δt in seconds for graphs without spikekit.dt.")
    var dt: Double?

    @Option(help: "Reset of spiking layers without spikekit.reset: same-step or next-step.")
    var reset: String = "same-step"

    @Option(help: "Seed of the escape-noise draws.")
    var seed: UInt64 = 0

    func run() throws {
        guard let mode = ResetMode(rawValue: reset) else { throw CommandError("--reset \(reset): expected same-step or next-step") }
        if let dt, !(dt.isFinite && dt > 0) { throw CommandError("--dt must be positive, got \(dt)") }
        let (model, parameters) = try NIRMapping.importGraph(try NIRGraph.read(path: graph), path: graph,
                                                             options: .init(dt: dt, reset: mode))
        let architecture = try NetworkArchitecture(model)
        let x = try NpyArray.read(path: input)
        let units = architecture.input.count
        guard x.shape.count >= 2, x.shape.dropFirst().reduce(1, *) == units, x.shape[0] > 0 else {
            throw CommandError("\(input): shape \(x.shape) is not [T, \(model.input.shape.map(String.init).joined(separator: ", "))]")
        }
        let values = x.floats
        guard values.allSatisfy({ $0 == 0 || $0 == 1 }) else { throw CommandError("\(input): values must be 0 or 1") }
        let sim = Simulator(architecture: architecture, threads: 1)
        try sim.load(parameters)
        let trains = try SpikeTrains(raster: ArraySlice(values), steps: x.shape[0], units: units)
        let result = try sim.run(inputs: [trains], noise: .philox(seed: seed, iteration: 0), record: true)
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        guard let out = result.output, let spikes = result.spikes else { throw CommandError("the simulation recorded nothing") }
        try NpyArray(try out.reshaped(Array(out.shape.dropFirst()))).write(path: output + "/output.npy")
        for (i, s) in spikes.enumerated() {
            try NpyArray(try s.reshaped(Array(s.shape.dropFirst()))).write(path: output + "/spikes-layer\(i).npy")
        }
        print("ran \(graph) for \(x.shape[0]) steps (dt \(model.dt) s, seed \(seed)): spikes per layer \(result.spikeCounts); wrote \(output)")
    }
}
