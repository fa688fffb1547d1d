import SpikeKitFormats
import SpikeKitKernels
/// The trainable arrays of a network in canonical (PyTorch) layout: per layer the feed-forward weights
/// (dense `(out, in)`, conv `(out_channels, in_channels, kernel)`) and the optional recurrent weights.
/// Gradients have the same type.
public struct NetworkParameters: Equatable, Sendable {
    public var feedForward: [Tensor]
    public var recurrent: [Tensor?]

    public init(feedForward: [Tensor], recurrent: [Tensor?]) {
        self.feedForward = feedForward
        self.recurrent = recurrent
    }

    /// Zero arrays shaped for `architecture`.
    public init(zerosFor architecture: NetworkArchitecture) {
        feedForward = architecture.layers.map { Tensor(zeros: $0.feedForward.weightShape) }
        recurrent = architecture.layers.map { $0.recurrent.map { Tensor(zeros: $0.weightShape) } }
    }

    /// Every array with a stable name: `layer<i>.weight` and `layer<i>.recurrent`.
    public var named: [(name: String, tensor: Tensor)] {
        var out: [(String, Tensor)] = []
        for (i, w) in feedForward.enumerated() {
            out.append(("layer\(i).weight", w))
            if let r = recurrent[i] { out.append(("layer\(i).recurrent", r)) }
        }
        return out
    }

    /// Checks shapes against `architecture` and that every value is finite.
    public func validate(for architecture: NetworkArchitecture) throws {
        guard feedForward.count == architecture.layers.count, recurrent.count == architecture.layers.count else {
            throw SpikeKitError.shapeMismatch("parameters for \(feedForward.count) layers, network has \(architecture.layers.count)")
        }
        for (i, l) in architecture.layers.enumerated() {
            guard feedForward[i].shape == l.feedForward.weightShape else {
                throw SpikeKitError.shapeMismatch("layer\(i).weight has shape \(feedForward[i].shape), expected \(l.feedForward.weightShape)")
            }
            guard feedForward[i].isFinite else { throw SpikeKitError.nonFiniteValues("layer\(i).weight holds NaN or infinite values") }
            switch (l.recurrent, recurrent[i]) {
            case (nil, nil): break
            case (let g?, let r?):
                guard r.shape == g.weightShape else {
                    throw SpikeKitError.shapeMismatch("layer\(i).recurrent has shape \(r.shape), expected \(g.weightShape)")
                }
                guard r.isFinite else { throw SpikeKitError.nonFiniteValues("layer\(i).recurrent holds NaN or infinite values") }
            case (nil, _?): throw SpikeKitError.shapeMismatch("layer\(i) has no recurrent connection but recurrent weights were given")
            case (_?, nil): throw SpikeKitError.shapeMismatch("layer\(i) needs recurrent weights")
            }
        }
    }
}
