import SpikeKitFormats
import SpikeKitKernels

/// The JSON form of a loss, as a checkpoint records it (`trainer.loss`):
/// `{"kind": "l2-spikes"}`, `{"kind": "cross-entropy", "regularizer": {"threshold": 7, "strength": 0.01}}`
/// (`regularizer` absent or null: none), or
/// `{"kind": "spike-count-mse", "correct_rate": 0.8, "incorrect_rate": 0.2}`, `{"kind": "van-rossum", "tau_vr": 0.01}`,
/// or `{"kind": "user", "name": ...}` for a user loss, which is written but cannot be read back (a resumed trainer
/// is given the loss again, `Trainer(resuming:loss:...)`).
extension LossFunction: Codable {
    private enum CodingKeys: String, CodingKey { case kind, regularizer, correctRate = "correct_rate", incorrectRate = "incorrect_rate", tauVR = "tau_vr", name }

    /// The names `init(name:)` accepts.
    public static let names = ["cross-entropy", "sum-over-time-ce", "mean-membrane-ce", "last-step-ce", "spike-count-mse", "l2-spikes",
                               "van-rossum"]

    /// τ_vr of `van-rossum` when none is given: 10 ms (the output neurons' τ_mem in the paper's Fig. 6).
    public static let defaultTauVR = 0.01

    /// The loss's name in progress lines, metrics files and on the command line.
    public var name: String {
        switch self {
        case .l2Spikes: return "l2-spikes"
        case .maxOverTimeCrossEntropy: return "cross-entropy"
        case .sumOverTimeCrossEntropy: return "sum-over-time-ce"
        case .meanMembraneCrossEntropy: return "mean-membrane-ce"
        case .lastStepCrossEntropy: return "last-step-ce"
        case .spikeCountMSE: return "spike-count-mse"
        case .vanRossum: return "van-rossum"
        case .user(let u): return u.loss.name
        }
    }

    /// A loss from its name (one of `names`; `cross-entropy` is the paper's max-over-time cross-entropy), an
    /// optional activity regularizer and, for `spike-count-mse`, the target rates (spikes per step) of the labelled
    /// and of every other output neuron (defaults 0.8 and 0.2, snnTorch's); for `van-rossum` the kernel's τ_vr in
    /// seconds (default `defaultTauVR`).
    /// - Throws: `SpikeKitError.invalidConfiguration` for another name, a regularizer with a spike-train loss, rates
    ///   outside [0, 1], or τ_vr ≤ 0.
    public init(name: String, regularizer: ActivityRegularizer? = nil, correctRate: Double? = nil, incorrectRate: Double? = nil,
                tauVR: Double? = nil) throws {
        if name != "spike-count-mse", correctRate != nil || incorrectRate != nil {
            throw SpikeKitError.invalidConfiguration("target rates go with the spike-count-mse loss, not \(name)")
        }
        if name != "van-rossum", tauVR != nil {
            throw SpikeKitError.invalidConfiguration("tau_vr goes with the van-rossum loss, not \(name)")
        }
        switch name {
        case "van-rossum":
            guard regularizer == nil else {
                throw SpikeKitError.invalidConfiguration("the activity regularizer goes with the cross-entropy loss, not van-rossum")
            }
            let tau = tauVR ?? Self.defaultTauVR
            try VanRossumLoss.validate(tau: tau)
            self = .vanRossum(tau: tau)
        case "l2-spikes":
            guard regularizer == nil else {
                throw SpikeKitError.invalidConfiguration("the activity regularizer goes with the cross-entropy loss, not l2-spikes")
            }
            self = .l2Spikes
        case "cross-entropy", "max-over-time-ce": self = .maxOverTimeCrossEntropy(activityRegularizer: regularizer)
        case "sum-over-time-ce": self = .sumOverTimeCrossEntropy(activityRegularizer: regularizer)
        case "mean-membrane-ce": self = .meanMembraneCrossEntropy(activityRegularizer: regularizer)
        case "last-step-ce": self = .lastStepCrossEntropy(activityRegularizer: regularizer)
        case "spike-count-mse":
            let correct = correctRate ?? 0.8, incorrect = incorrectRate ?? 0.2
            guard correct.isFinite, incorrect.isFinite, (0 ... 1).contains(correct), (0 ... 1).contains(incorrect) else {
                throw SpikeKitError.invalidConfiguration("spike-count-mse rates are spikes per step in [0, 1], got \(correct) and \(incorrect)")
            }
            self = .spikeCountMSE(correctRate: correct, incorrectRate: incorrect, activityRegularizer: regularizer)
        default: throw SpikeKitError.invalidConfiguration("unknown loss '\(name)' (expected \(Self.names.joined(separator: ", ")))")
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .kind)
        if kind == "user" {
            let n = try c.decodeIfPresent(String.self, forKey: .name) ?? "?"
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription:
                "the user loss '\(n)' cannot be read from JSON; give the loss again (Trainer(resuming:loss:...))")
        }
        do {
            try self.init(name: kind, regularizer: try c.decodeIfPresent(ActivityRegularizer.self, forKey: .regularizer),
                          correctRate: try c.decodeIfPresent(Double.self, forKey: .correctRate),
                          incorrectRate: try c.decodeIfPresent(Double.self, forKey: .incorrectRate),
                          tauVR: try c.decodeIfPresent(Double.self, forKey: .tauVR))
        } catch let e as SpikeKitError {
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: e.description)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if case .user(let u) = self {
            try c.encode("user", forKey: .kind)
            try c.encode(u.loss.name, forKey: .name)
            return
        }
        try c.encode(name, forKey: .kind)
        if case .vanRossum(let tau) = self { try c.encode(tau, forKey: .tauVR) }
        if let r = activityRegularizer { try c.encode(r, forKey: .regularizer) }
        if case .spikeCountMSE(let correct, let incorrect, _) = self {
            try c.encode(correct, forKey: .correctRate)
            try c.encode(incorrect, forKey: .incorrectRate)
        }
    }
}

extension LossFunction {
    /// The class each sample of a batch's last-layer output `[B, T, C]` predicts, as the loss reads it (first on
    /// ties): argmax_c max_n U_c[n] (`cross-entropy`), argmax_c Σ_n U_c[n] (sum-over-time and mean-membrane),
    /// argmax_c U_c[T-1] (last-step), argmax_c Σ_n S_c[n] (spike-count-mse). Nil for `l2Spikes`, `vanRossum` and
    /// user losses.
    public func predictedClasses(output: Tensor) -> [Int]? {
        enum Reduction { case max, sum, last }
        let reduction: Reduction
        switch self {
        case .l2Spikes, .vanRossum, .user: return nil
        case .maxOverTimeCrossEntropy: reduction = .max
        case .sumOverTimeCrossEntropy, .meanMembraneCrossEntropy, .spikeCountMSE: reduction = .sum
        case .lastStepCrossEntropy: reduction = .last
        }
        let B = output.shape[0], T = output.shape[1], C = output.shape.dropFirst(2).reduce(1, *)
        return output.scalars.withUnsafeBufferPointer { o in
            (0 ..< B).map { b in
                var best = 0, bestValue = -Double.infinity
                for c in 0 ..< C {
                    var v: Double
                    switch reduction {
                    case .max:
                        v = -.infinity
                        for t in 0 ..< T { v = max(v, Double(o[(b * T + t) * C + c])) }
                    case .sum:
                        v = 0
                        for t in 0 ..< T { v += Double(o[(b * T + t) * C + c]) }
                    case .last:
                        v = T > 0 ? Double(o[(b * T + T - 1) * C + c]) : 0
                    }
                    if v > bestValue { bestValue = v; best = c }
                }
                return best
            }
        }
    }
}
