import SpikeKitFormats
import SpikeKitKernels
/// The trainable arrays of a network in canonical (PyTorch) layout: per layer the feed-forward weights
/// (dense `(out, in)`, conv `(out_channels, in_channels, kernel)`), the optional recurrent weights and the optional
/// bias (`[units]`, or `[channels]` for conv layers). Gradients have the same type.
public struct NetworkParameters: Equatable, Sendable {
    public var feedForward: [Tensor]
    public var recurrent: [Tensor?]
    /// One entry per layer (nil: no bias).
    public var biases: [Tensor?]

    /// Parameters from their arrays; `biases` empty means no layer has a bias.
    public init(feedForward: [Tensor], recurrent: [Tensor?], biases: [Tensor?] = []) {
        self.feedForward = feedForward
        self.recurrent = recurrent
        self.biases = biases.isEmpty ? Array(repeating: nil, count: feedForward.count) : biases
    }

    /// Zero arrays shaped for `architecture`.
    public init(zerosFor architecture: NetworkArchitecture) {
        feedForward = architecture.layers.map { Tensor(zeros: $0.feedForward.weightShape) }
        recurrent = architecture.layers.map { $0.recurrent.map { Tensor(zeros: $0.weightShape) } }
        biases = architecture.layers.map { $0.hasBias ? Tensor(zeros: $0.biasShape) : nil }
    }

    /// Every array with a stable name: `layer<i>.weight`, `layer<i>.recurrent` and `layer<i>.bias`.
    public var named: [(name: String, tensor: Tensor)] {
        var out: [(String, Tensor)] = []
        for (i, w) in feedForward.enumerated() {
            out.append(("layer\(i).weight", w))
            if let r = recurrent[i] { out.append(("layer\(i).recurrent", r)) }
            if i < biases.count, let b = biases[i] { out.append(("layer\(i).bias", b)) }
        }
        return out
    }

    /// Checks shapes against `architecture` and that every value is finite.
    public func validate(for architecture: NetworkArchitecture) throws {
        guard feedForward.count == architecture.layers.count, recurrent.count == architecture.layers.count,
              biases.count == architecture.layers.count else {
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
            switch (l.hasBias, biases[i]) {
            case (false, nil): break
            case (true, let b?):
                guard b.shape == l.biasShape else {
                    throw SpikeKitError.shapeMismatch("layer\(i).bias has shape \(b.shape), expected \(l.biasShape)")
                }
                guard b.isFinite else { throw SpikeKitError.nonFiniteValues("layer\(i).bias holds NaN or infinite values") }
            case (false, _?): throw SpikeKitError.shapeMismatch("layer\(i) has no bias but a bias was given")
            case (true, nil): throw SpikeKitError.shapeMismatch("layer\(i) needs a bias")
            }
        }
    }
}
