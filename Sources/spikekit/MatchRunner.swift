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
        if options.neurons != nil || options.steps != nil {
            // Before a target of that size is made: the pictures bound what a run can draw.
            let given = [options.neurons.map { "--neurons \($0)" }, options.steps.map { "--steps \($0)" }].compactMap { $0 }
            try MatchPictures.checkSizes(neurons: options.neurons ?? 1, steps: options.steps ?? 1, what: "target",
                                         name: given.joined(separator: " "))
        }
        let (target, neurons, steps, targetName) = try loadTarget()
        let config = options.configuration
        print("spike-train matching: target \(targetName) (\(neurons) neurons × \(steps) steps, "
            + String(format: "%.1f %% spikes", 100 * Double(target.reduce(0, +)) / Double(target.count))
            + "), rule \(config.rule.rawValue), \(config.epochs) epochs, seed \(config.seed), output \(out)")
        let variants: [Bool] = options.variant == .det ? [false] : options.variant == .stoch ? [true] : [false, true]
        var finals: [(String, SpikeTrainMatching.EpochMetrics, SpikeTrainMatching.EpochMetrics, Double)] = []
        var histories: [(name: String, history: [SpikeTrainMatching.EpochMetrics])] = []
        if let resume = options.resume, resume.hasSuffix(".safetensors"), variants.count > 1 {
            throw CommandError("--resume with one checkpoint file needs --variant det or --variant stoch")
        }
        // Everything that can be checked is checked before the first epoch: the experiments, the size of every
        // picture the run will draw, the memory and time estimate.
        let experiments = try variants.map { stochastic in
            try SpikeTrainMatching(configuration: config, stochastic: stochastic, target: target, neurons: neurons, steps: steps)
        }
        for exp in experiments { try MatchPictures.checkSizes(experiment: exp, target: targetName) }
        let threads = options.threads ?? ProcessInfo.processInfo.activeProcessorCount
        var estimate = RunEstimate(bytes: 0, seconds: 0)
        for exp in experiments {
            let e = RunEstimate(architecture: exp.architecture, steps: steps, batch: exp.trialsPerEpoch,
                                samplesPerEpoch: exp.trialsPerEpoch, epochs: config.epochs, threads: threads)
            estimate.bytes = max(estimate.bytes, e.bytes)
            estimate.seconds += e.seconds
        }
        print("  " + estimate.text)
        try estimate.check(options.limits)
        try Cluster.write { try AtomicFile.createFolder(out) }
        for exp in experiments {
            let stochastic = exp.stochastic
            let name = stochastic ? "stoch" : "det"
            let sim = Cluster.simulator(exp.architecture, threads: options.threads)
            let checkpointPath = out + "/checkpoint-\(name).safetensors"
            var state = try exp.initialState()
            if let resume = options.resume {
                let path = resume.hasSuffix(".safetensors") ? resume : resume + "/checkpoint-\(name).safetensors"
                if FileManager.default.fileExists(atPath: path) {
                    state = try exp.resume(from: path)
                    print("\(name): resumed from \(path) at epoch \(state.epoch)")
                } else if resume.hasSuffix(".safetensors") {
                    throw CommandError("--resume \(path): no such file")
                } else {
                    print("\(name): no checkpoint at \(path), starting afresh")
                }
            }
            let start = state.epoch
            let initial = try exp.evaluate(epoch: 0, simulator: sim, parameters: try exp.initialParameters())
            var progress = ProgressReporter(totalEpochs: config.epochs, batchesPerEpoch: 1, lineInterval: .seconds(5))
            progress.label = name
            let t0 = Date()
            try exp.train(&state, until: config.epochs, simulator: sim, checkpointEvery: options.checkpointEvery,
                          checkpointSeconds: options.checkpointSeconds, checkpointPath: Cluster.writes ? checkpointPath : nil) { m in
                var shown: [(name: String, value: Double)] = [("relative_loss", m.relativeLoss)]
                if let v = m.vanRossum { shown.append(("van_rossum", v)) }
                progress.finishEpoch(m.epoch + 1, metrics: shown)
            }
            progress.finish()
            let seconds = Date().timeIntervalSince(t0)
            let history = state.history
            let final = try exp.evaluate(epoch: config.epochs, simulator: sim, parameters: state.parameters)
            histories.append((name, history))
            try Cluster.write {
                try writeMetrics(history, to: out + "/metrics-\(name).csv")
                try MatchPictures.write(experiment: exp, name: name, initial: initial.outputs, final: final.outputs,
                                       epochs: config.epochs, folder: out)
            }
            finals.append((name, initial.metrics, final.metrics, seconds / Double(max(1, config.epochs - start))))
        }
        try Cluster.write { try MatchPictures.writePlots(folder: out, histories: histories) }
        var summary = ""
        for (name, i, f, spe) in finals {
            summary += "\(name): relative_loss (L2 loss / loss of a silent output) \(fmt(i.relativeLoss)) → \(fmt(f.relativeLoss)); "
                + "van_rossum \(fmt(i.vanRossum ?? .nan)) → \(fmt(f.vanRossum ?? .nan)); hidden_rate_hz \(fmt(f.hiddenRate)), "
                + "output_rate_hz \(fmt(f.outputRate))"
            if let a = i.outputFano, let b = f.outputFano { summary += "; output_fano \(fmt(a)) → \(fmt(b))" }
            if let a = i.hiddenFano, let b = f.hiddenFano { summary += "; hidden_fano \(fmt(a)) → \(fmt(b))" }
            summary += String(format: "; %.2f ms per epoch\n", spe * 1000)
        }
        print(summary, terminator: "")
        try Cluster.write { try AtomicFile.write(summary, to: out + "/summary.txt") }
        print("wrote \(out)/")
    }

    func fmt(_ v: Double) -> String { String(format: v < 10 ? "%.3f" : "%.1f", v) }

    /// The target raster `[steps][neurons]`, its size and a name for messages.
    func loadTarget() throws -> ([Float], Int, Int, String) {
        let t = try MatchTargets.load(path: options.target, neurons: options.neurons, steps: options.steps, dither: !options.noDither)
        return (t.spikes, t.neurons, t.steps, options.target ?? "built-in")
    }

    func writeMetrics(_ h: [SpikeTrainMatching.EpochMetrics], to path: String) throws {
        var s = "epoch,loss,relative_loss,van_rossum,hidden_rate_hz,output_rate_hz,hidden_fano,output_fano\n"
        for m in h {
            s += "\(m.epoch),\(m.loss),\(m.relativeLoss),\(m.vanRossum.map { "\($0)" } ?? ""),\(m.hiddenRate),\(m.outputRate),"
                + "\(m.hiddenFano.map { "\($0)" } ?? ""),\(m.outputFano.map { "\($0)" } ?? "")\n"
        }
        try AtomicFile.write(s, to: path)
    }
}
