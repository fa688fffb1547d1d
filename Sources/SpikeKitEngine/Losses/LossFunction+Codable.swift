import SpikeKitFormats
import SpikeKitKernels

/// The JSON form of a loss, as a checkpoint records it (`trainer.loss`):
/// `{"kind": "l2-spikes"}` or `{"kind": "cross-entropy", "regularizer": {"threshold": 7, "strength": 0.01}}`
/// (`regularizer` absent or null: none).
extension LossFunction: Codable {
    private enum CodingKeys: String, CodingKey { case kind, regularizer }

    /// The loss's name in progress lines, metrics files and on the command line.
    public var name: String {
        switch self {
        case .l2Spikes: return "l2-spikes"
        case .maxOverTimeCrossEntropy: return "cross-entropy"
        }
    }

    /// A loss from its name (`l2-spikes`, `cross-entropy`) and an optional activity regularizer.
    /// - Throws: `SpikeKitError.invalidConfiguration` for another name, or a regularizer with the L2 loss.
    public init(name: String, regularizer: ActivityRegularizer? = nil) throws {
        switch name {
        case "l2-spikes":
            guard regularizer == nil else {
                throw SpikeKitError.invalidConfiguration("the activity regularizer goes with the cross-entropy loss, not l2-spikes")
            }
            self = .l2Spikes
        case "cross-entropy": self = .maxOverTimeCrossEntropy(activityRegularizer: regularizer)
        default: throw SpikeKitError.invalidConfiguration("unknown loss '\(name)' (expected cross-entropy or l2-spikes)")
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .kind)
        do {
            try self.init(name: kind, regularizer: try c.decodeIfPresent(ActivityRegularizer.self, forKey: .regularizer))
        } catch let e as SpikeKitError {
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: e.description)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .kind)
        if let r = activityRegularizer { try c.encode(r, forKey: .regularizer) }
    }
}
