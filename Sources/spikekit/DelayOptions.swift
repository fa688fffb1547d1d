import SpikeKit

/// `--delay D` and `--stork-timing` of `spikekit model new` and `spikekit train`.
enum DelayOptions {
    /// The delay to set on every connection, nil to keep the model's.
    /// - Throws: `CommandError` when both are given or D is not a whole number of steps from 1 to the maximum.
    static func delay(_ d: Int?, storkTiming: Bool) throws -> Int? {
        if storkTiming, d != nil { throw CommandError("give --delay or --stork-timing, not both") }
        if storkTiming { return NetworkDescription.storkDelay }
        guard let d else { return nil }
        guard d >= 1, d <= LayerArchitecture.maximumDelay else {
            throw CommandError("--delay must be a whole number of steps from 1 to \(LayerArchitecture.maximumDelay), got \(d)")
        }
        return d
    }
}
