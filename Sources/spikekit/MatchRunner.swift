import ArgumentParser
import Foundation
import SpikeKit

/// Runs spike-train matching for `match` and `demo`: training loops for the selected variants, metrics,
/// checkpoints, pictures and the summary.
struct MatchRunner {
    let options: MatchOptions
    let defaultOutput: String

    func run() throws {
        let out = options.output ?? defaultOutput
        let (target, neurons, steps, targetName) = try loadTarget()
        let config = options.configuration
        print("spike-train matching: target \(targetName) (\(neurons) neurons × \(steps) steps, "
            + String(format: "%.1f %% spikes", 100 * Double(target.reduce(0, +)) / Double(target.count))
            + "), rule \(config.rule.rawValue), \(config.epochs) epochs, seed \(config.seed), output \(out)")
        let variants: [Bool] = options.variant == .det ? [false] : options.variant == .stoch ? [true] : [false, true]
        var finals: [(String, SpikeTrainMatching.EpochMetrics, SpikeTrainMatching.EpochMetrics, Double)] = []
        for stochastic in variants {
            let name = stochastic ? "stoch" : "det"
            let exp = try SpikeTrainMatching(configuration: config, stochastic: stochastic, target: target, neurons: neurons, steps: steps)
            let sim = Simulator(architecture: exp.architecture, threads: options.threads)
            var params = try exp.initialParameters()
            var optimizer: any Optimizer = GradientDescent(learningRate: Float(config.learningRate))
            var history: [SpikeTrainMatching.EpochMetrics] = []
            var start = 0
            let checkpointPath = out + "/checkpoint-\(name).safetensors"
            if let resume = options.resume {
                let path = resume.hasSuffix(".safetensors") ? resume : resume + "/checkpoint-\(name).safetensors"
                if resume.hasSuffix(".safetensors"), !path.contains(name) {
                    throw ValidationError("\(path) is not a checkpoint of the \(name) network")
                }
                let ck = try Checkpoint.load(path: path)
                guard ck.model == exp.description else {
                    throw ValidationError("\(path) holds another network than the one these options describe")
                }
                guard ck.seed == config.seed else { throw ValidationError("\(path) was written with seed \(ck.seed), not \(config.seed)") }
                params = ck.parameters
                if let o = try ck.restoredOptimizer() { optimizer = o }
                start = ck.epoch
                if let h = ck.metadata["history"], let data = h.data(using: .utf8) {
                    history = try JSONDecoder().decode([SpikeTrainMatching.EpochMetrics].self, from: data)
                }
                print("\(name): resumed from \(path) at epoch \(start)")
            }
            let initial = try exp.evaluate(epoch: 0, simulator: sim, parameters: try exp.initialParameters())
            var progress = ProgressReporter(totalEpochs: config.epochs, batchesPerEpoch: 1)
            let t0 = Date()
            var lastOutputs = initial.outputs
            for epoch in start ..< config.epochs {
                let (m, outs) = try exp.trainEpoch(epoch, simulator: sim, parameters: &params, optimizer: &optimizer)
                history.append(m)
                lastOutputs = outs
                progress.finishEpoch(epoch + 1, metrics: [("loss", m.relativeLoss), ("vR", m.vanRossum)])
                if (epoch + 1) % options.checkpointEvery == 0 || epoch + 1 == config.epochs {
                    try save(exp, params, optimizer, epoch: epoch + 1, history: history, to: checkpointPath)
                }
            }
            progress.finish()
            let seconds = Date().timeIntervalSince(t0)
            let final = try exp.evaluate(epoch: config.epochs, simulator: sim, parameters: params)
            if config.epochs == start { lastOutputs = final.outputs }
            try writeMetrics(history, to: out + "/metrics-\(name).csv")
            try MatchPictures.write(experiment: exp, name: name, initial: initial.outputs, final: final.outputs, folder: out)
            finals.append((name, initial.metrics, final.metrics, seconds / Double(max(1, config.epochs - start))))
            _ = lastOutputs
        }
        var summary = ""
        for (name, i, f, spe) in finals {
            summary += "\(name): L2 loss \(fmt(i.relativeLoss)) → \(fmt(f.relativeLoss)) of a silent output; van Rossum "
                + "\(fmt(i.vanRossum)) → \(fmt(f.vanRossum)); rates hidden \(fmt(f.hiddenRate)) Hz, output \(fmt(f.outputRate)) Hz"
            if let a = i.outputFano, let b = f.outputFano { summary += "; output Fano \(fmt(a)) → \(fmt(b))" }
            if let a = i.hiddenFano, let b = f.hiddenFano { summary += "; hidden Fano \(fmt(a)) → \(fmt(b))" }
            summary += String(format: "; %.2f ms per epoch\n", spe * 1000)
        }
        print(summary, terminator: "")
        try AtomicFile.write(summary, to: out + "/summary.txt")
        print("wrote \(out)/")
    }

    func fmt(_ v: Double) -> String { String(format: v < 10 ? "%.3f" : "%.1f", v) }

    /// The target raster `[steps][neurons]`, its size and a name for messages.
    func loadTarget() throws -> ([Float], Int, Int, String) {
        let t = try MatchTargets.load(path: options.target, neurons: options.neurons, steps: options.steps, dither: !options.noDither)
        return (t.spikes, t.neurons, t.steps, options.target ?? "built-in")
    }

    func save(_ exp: SpikeTrainMatching, _ params: NetworkParameters, _ optimizer: any Optimizer, epoch: Int,
              history: [SpikeTrainMatching.EpochMetrics], to path: String) throws {
        let h = String(decoding: try JSONEncoder().encode(history), as: UTF8.self)
        let ck = Checkpoint(model: exp.description, parameters: params, optimizer: optimizer, seed: exp.configuration.seed,
                            epoch: epoch, metadata: ["experiment": "spike-train-matching", "history": h,
                                                     "variant": exp.stochastic ? "stoch" : "det"])
        try ck.save(to: path)
    }

    func writeMetrics(_ h: [SpikeTrainMatching.EpochMetrics], to path: String) throws {
        var s = "epoch,loss,relative_loss,van_rossum,hidden_rate_hz,output_rate_hz,hidden_fano,output_fano\n"
        for m in h {
            s += "\(m.epoch),\(m.loss),\(m.relativeLoss),\(m.vanRossum),\(m.hiddenRate),\(m.outputRate),"
                + "\(m.hiddenFano.map { "\($0)" } ?? ""),\(m.outputFano.map { "\($0)" } ?? "")\n"
        }
        try AtomicFile.write(s, to: path)
    }
}
