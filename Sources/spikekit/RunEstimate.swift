import ArgumentParser
import Foundation
import SpikeKit

/// The limits a run's estimate is checked against before training starts.
struct RunLimitOptions: ParsableArguments {
    @Option(parsing: .unconditional,
            help: "Refuse to start a run estimated to need more memory than this, in GB (default: 80 % of this machine's memory).")
    var maxMemoryGb: Double?

    @Option(parsing: .unconditional, help: "Refuse to start a run estimated to take longer than this, in hours (default 72).")
    var maxHours: Double = 72

    func validate() throws {
        if let maxMemoryGb, !(maxMemoryGb.isFinite && maxMemoryGb > 0) {
            throw CommandError("--max-memory-gb must be a positive number, got \(maxMemoryGb)")
        }
        guard maxHours.isFinite, maxHours > 0 else { throw CommandError("--max-hours must be a positive number, got \(maxHours)") }
    }

    /// The memory limit in bytes.
    var memoryLimit: Double { (maxMemoryGb.map { $0 * 1e9 }) ?? 0.8 * Double(ProcessInfo.processInfo.physicalMemory) }
}

/// An estimate of a training run's memory and time, made from the architecture and the option values before any
/// large buffer is allocated, so that absurd options (`--hidden 1000000`, `--epochs 9223372036854775807`,
/// `--steps 1000000000`) are refused with the estimate instead of running out of memory or running for years.
///
/// All arithmetic is in Double, so no option value can overflow it. With T steps, N neurons (input included),
/// W weights (feed-forward and recurrent), S synapses per step (Σ fan-in × units), B samples per batch, P workers:
/// ```
/// memory  ≈ data + min(B, P) · T · N · 16 B (membrane, current, spikes, surrogate kept for BPTT)
///               + B · T · N_out · 4 B + W · 4 B · (4 + P) (packed, transposed, optimizer state, one gradient per worker)
/// time    ≈ epochs · samples per epoch · T · S · 3 / (2.5e9 · P)   (forward, backward, weight gradient)
/// ```
/// The time is a dense upper bound: the kernels are event-driven and sparse activity runs faster.
struct RunEstimate {
    /// Estimated peak memory in bytes.
    var bytes: Double
    /// Estimated training time in seconds.
    var seconds: Double

    /// Synaptic operations one worker thread is assumed to perform per second (measured order of magnitude of the
    /// dense products on one core).
    static let operationsPerSecond = 2.5e9

    init(bytes: Double, seconds: Double) {
        self.bytes = bytes
        self.seconds = seconds
    }

    /// The estimate for training `architecture` over `steps` steps.
    init(architecture a: NetworkArchitecture, steps: Int, batch: Int, samplesPerEpoch: Int, epochs: Int, threads: Int,
         dataBytes: Double = 0) {
        let T = Double(steps), P = Double(max(1, threads))
        var neurons = Double(a.input.channels) * Double(a.input.positions), weights = 0.0, synapses = 0.0
        for l in a.layers {
            let units = Double(l.shape.channels) * Double(l.shape.positions)
            neurons += units
            for g in [l.feedForward] + (l.recurrent.map { [$0] } ?? []) {
                weights += g.weightShape.reduce(1.0) { $0 * Double($1) }
                synapses += Double(g.fanIn) * units
            }
        }
        let out = a.layers.last.map { Double($0.shape.channels) * Double($0.shape.positions) } ?? 0
        let B = Double(batch)
        bytes = dataBytes + min(B, P) * T * neurons * 16 + B * T * out * 4 + weights * 4 * (4 + P)
        seconds = Double(epochs) * Double(samplesPerEpoch) * T * synapses * 3 / (Self.operationsPerSecond * P)
    }

    /// One line for the run's log.
    var text: String {
        String(format: "estimated peak memory %@, training time up to %@", Self.size(bytes), Self.duration(seconds))
    }

    /// Throws when the estimate exceeds `limits`, naming the options that raise them.
    func check(_ limits: RunLimitOptions) throws {
        if bytes > limits.memoryLimit {
            throw CommandError("this run would need about \(Self.size(bytes)) of memory, more than the limit of "
                + "\(Self.size(limits.memoryLimit)); reduce the sizes or raise --max-memory-gb")
        }
        if seconds > limits.maxHours * 3600 {
            throw CommandError("this run would take up to \(Self.duration(seconds)), more than the limit of "
                + "\(Self.duration(limits.maxHours * 3600)); reduce the epochs or sizes or raise --max-hours")
        }
    }

    static func size(_ b: Double) -> String {
        b >= 1e9 ? String(format: "%.3g GB", b / 1e9) : String(format: "%.3g MB", b / 1e6)
    }

    static func duration(_ s: Double) -> String {
        if s >= 86400 * 365 { return String(format: "%.3g years", s / (86400 * 365)) }
        if s >= 3600 { return String(format: "%.3g h", s / 3600) }
        if s >= 60 { return String(format: "%.3g min", s / 60) }
        return String(format: "%.2g s", s)
    }
}
