import ArgumentParser
import Foundation
import SpikeKit

extension DataCommand {
    /// `spikekit data encode values.npy --encoder poisson|latency|delta --labels labels.npy -o spikes.h5`: analog
    /// values turned into spike trains by `SpikeEncoder`, written as an SHD-layout file (for `spikekit train`) or as a
    /// 0/1 `.npy` raster.
    struct Encode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Encode analog values (.npy) as spike trains: Poisson rate, latency or delta-modulation coding.",
            discussion: """
            poisson and latency take static values [samples, features...] (the features are flattened to units) and \
            give --steps steps per sample: poisson fires unit i at step n when ξ[n, i] < clamp(x_i · max-rate · dt, 0, 1) \
            (x = 1 fires at --max-rate Hz; ξ from the seeded Philox stream of the sample, so the spikes depend only on \
            the seed, the sample index and the values); latency fires each unit once, larger values earlier (log: \
            snnTorch's RC time round(τ · ln(x / (x − threshold))) steps, linear: round((1 − x)(steps − 1))); units at or \
            below the threshold stay silent. delta takes time series [samples, steps, units] and fires when a unit rose by \
            --threshold since its last spike (--off-channels: falls fire on units + i). An .h5 output is an \
            SHD-layout file (a spike of step n at time (n + 0.5) dt, labels from --labels, classes "class k") that \
            `spikekit train` bins back exactly with --duration steps · dt; an .npy output is float32 \
            [samples, steps, units] of 0/1. The options, the seed included, are also written to OUTPUT.encoding.json.
            """
        )

        @Argument(help: "The analog values: a .npy array, [samples, features...] (poisson, latency) or [samples, steps, units] (delta).")
        var values: String
        @Option(help: "Encoder: poisson, latency or delta.")
        var encoder: String
        @Option(help: "Class labels, a .npy array [samples] of whole numbers (needed for an .h5 output).")
        var labels: String?
        @Option(name: [.short, .customLong("output")], help: "Output: an SHD-layout .h5 file or a .npy raster.")
        var output: String
        @Option(help: "poisson, latency: steps per sample.")
        var steps: Int?
        @Option(parsing: .unconditional, help: "Step size Δt in seconds (spike times of an .h5 output; poisson's rate).")
        var dt: Double = 0.001
        @Option(parsing: .unconditional, help: "poisson: the rate in Hz of a value of 1.")
        var maxRate: Double = 100
        @Option(help: "poisson: seed of the Philox noise (printed and saved).")
        var seed: UInt64 = 1
        @Option(help: "latency: log (snnTorch's RC charging time) or linear.")
        var latencyMode: String = "log"
        @Option(parsing: .unconditional, help: "latency, log mode: the RC time constant τ in steps.")
        var tau: Double = 5
        @Option(parsing: .unconditional, help: "latency: values at or below it stay silent (default 0.01); delta: the change that fires (default 0.1).")
        var threshold: Double?
        @Flag(help: "delta: falls fire too, on a second set of units (units + i).")
        var offChannels = false

        func validate() throws {
            guard ["poisson", "latency", "delta"].contains(encoder) else {
                throw ValidationError("--encoder must be poisson, latency or delta, not '\(encoder)'")
            }
            guard output.hasSuffix(".h5") || output.hasSuffix(".npy") else {
                throw ValidationError("--output must end in .h5 (SHD layout) or .npy (a 0/1 raster), got '\(output)'")
            }
            if output.hasSuffix(".h5"), labels == nil { throw ValidationError("an .h5 output needs --labels (a .npy array [samples])") }
            if output.hasSuffix(".npy"), labels != nil {
                throw ValidationError("--labels goes with an .h5 output; a .npy raster leaves the labels in their own file")
            }
            if encoder == "delta" {
                if steps != nil { throw ValidationError("--steps is for poisson and latency; delta takes the steps of its [samples, steps, units] array") }
            } else {
                guard let s = steps else { throw ValidationError("--encoder \(encoder) needs --steps (steps per sample)") }
                guard s >= 1 else { throw ValidationError("--steps must be at least 1, got \(s)") }
            }
            guard dt.isFinite, dt > 0 else { throw ValidationError("--dt must be a positive number of seconds, got \(dt)") }
            guard maxRate.isFinite, maxRate >= 0 else { throw ValidationError("--max-rate must be a non-negative rate in Hz, got \(maxRate)") }
            guard SpikeEncoder.LatencyMode(rawValue: latencyMode) != nil else {
                throw ValidationError("--latency-mode must be log or linear, not '\(latencyMode)'")
            }
            guard tau.isFinite, tau > 0 else { throw ValidationError("--tau must be a positive number of steps, got \(tau)") }
            if let t = threshold {
                guard t.isFinite, encoder == "delta" ? t > 0 : t >= 0 else {
                    throw ValidationError("--threshold must be a \(encoder == "delta" ? "positive" : "non-negative") number, got \(t)")
                }
            }
            if offChannels, encoder != "delta" { throw ValidationError("--off-channels is for --encoder delta") }
        }

        func run() throws {
            let x = try NpyArray.read(path: values)
            guard x.shape.count >= 2, x.shape[0] > 0 else {
                throw CommandError("\(values): values must be [samples, features...] with at least one sample, got \(x.shape)")
            }
            if encoder == "delta", x.shape.count != 3 {
                throw CommandError("\(values): delta modulation needs time series [samples, steps, units], got \(x.shape)")
            }
            let n = x.shape[0], perSample = x.count / n, xs = x.floats
            var labelValues: [Int] = []
            if let labels {
                let y = try NpyArray.read(path: labels)
                guard y.shape == [n] else { throw CommandError("\(labels): labels must be [\(n)] (one per sample of \(values)), got \(y.shape)") }
                labelValues = try y.doubles.enumerated().map { i, v in
                    guard v.isFinite, v >= 0, v == v.rounded(), v <= Double(SHDDataset.maxLabel) else {
                        throw CommandError("\(labels)[\(i)] = \(v) is not a class label (a whole number in 0...\(SHDDataset.maxLabel))")
                    }
                    return Int(v)
                }
            }
            let t0 = Date()
            let trains: [SpikeTrains] = try (0 ..< n).map { i in
                let sample = Array(xs[i * perSample ..< (i + 1) * perSample])
                do {
                    switch encoder {
                    case "poisson":
                        return try SpikeEncoder.poisson(sample, steps: steps!, maxRate: maxRate, dt: dt, seed: seed, sample: i)
                    case "latency":
                        return try SpikeEncoder.latency(sample, steps: steps!, mode: SpikeEncoder.LatencyMode(rawValue: latencyMode)!,
                                                        tau: tau, threshold: threshold ?? 0.01)
                    default:
                        return try SpikeEncoder.delta(sample, steps: x.shape[1], units: x.shape[2], threshold: threshold ?? 0.1,
                                                      offChannels: offChannels)
                    }
                } catch let e as SpikeKitError {
                    throw CommandError("\(values), sample \(i): \(e.description)")
                }
            }
            let T = trains[0].steps, units = trains[0].units
            let spikes = trains.map(\.count).reduce(0, +)
            if output.hasSuffix(".h5") {
                // The layout stores times as float16: every step's centre must bin back to its step.
                let raster = SHDRasterOptions(dt: dt, duration: Double(T) * dt, channels: units)
                if let n = (0 ..< T).first(where: { raster.bin(Double(Float(Float16(Float((Double($0) + 0.5) * dt))))) != $0 }) {
                    throw CommandError("step \(n) of \(T) (Δt \(dt) s) does not survive the SHD layout's float16 spike times; "
                        + "write an .npy raster or use a larger --dt")
                }
                let classes = (labelValues.max() ?? 0) + 1
                let shd = try SHDDataset(spikeTrains: trains, labels: labelValues, dt: dt, classNames: (0 ..< classes).map { "class \($0)" })
                try SHDFile.write(shd, to: output)
            } else {
                var raster: [Float] = []
                raster.reserveCapacity(n * T * units)
                for s in trains { raster += s.raster }
                try NpyArray(shape: [n, T, units], elements: .float32(raster)).write(path: output)
            }
            try writeRecord(samples: n, steps: T, units: units, spikes: spikes)
            if encoder == "poisson" { print("seed \(seed)") }
            let rate = Double(spikes) / (Double(n * units) * Double(T) * dt)
            print("encoded \(n) samples (\(encoder)): \(T) steps × \(units) units, \(spikes) spikes, "
                + "\(String(format: "%.2f", rate)) Hz per unit, in \(String(format: "%.2f", Date().timeIntervalSince(t0))) s")
            print("wrote \(output) and \(output).encoding.json"
                + (output.hasSuffix(".h5") ? "; train on it with --duration \(String(format: "%g", Double(T) * dt))" : ""))
        }

        /// The options behind the output, so that it can be made again.
        func writeRecord(samples: Int, steps: Int, units: Int, spikes: Int) throws {
            struct Record: Encodable {
                let values: String, labels: String?, encoder: String, samples: Int, steps: Int, units: Int, spikes: Int, dt: Double
                let seed: UInt64?, max_rate: Double?, latency_mode: String?, tau: Double?, threshold: Double?, off_channels: Bool?
            }
            let r = Record(values: values, labels: labels, encoder: encoder, samples: samples, steps: steps, units: units,
                           spikes: spikes, dt: dt,
                           seed: encoder == "poisson" ? seed : nil, max_rate: encoder == "poisson" ? maxRate : nil,
                           latency_mode: encoder == "latency" ? latencyMode : nil, tau: encoder == "latency" ? tau : nil,
                           threshold: encoder == "poisson" ? nil : (threshold ?? (encoder == "delta" ? 0.1 : 0.01)),
                           off_channels: encoder == "delta" ? offChannels : nil)
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys, .prettyPrinted]
            try AtomicFile.write(String(decoding: try e.encode(r), as: UTF8.self) + "\n", to: output + ".encoding.json")
        }
    }
}
