import SpikeKitFormats
import SpikeKitKernels
import Foundation
/// The trainable arrays of a network in canonical (PyTorch) layout: per layer the feed-forward weights
/// (dense `(out, in)`, conv `(out_channels, in_channels, kernel)`), the optional recurrent weights and the optional
/// bias (`[units]`, or `[channels]` for conv layers), and the optional learnable time constants as ρ = ln(τ / 1 s)
/// (shape of the bias), and the optional learned thresholds θ (shape of the bias). Gradients have the same type (dL/dρ for the time constants).
public struct NetworkParameters: Equatable, Sendable {
    public var feedForward: [Tensor]
    public var recurrent: [Tensor?]
    /// One entry per layer (nil: no bias).
    public var biases: [Tensor?]
    /// One entry per layer: ρ_m = ln(τ_mem / 1 s) per neuron or channel when the layer learns τ_mem, else nil.
    public var logTauMem: [Tensor?]
    /// One entry per layer: ρ_s = ln(τ_syn / 1 s) when the layer learns τ_syn, else nil.
    public var logTauSyn: [Tensor?]

    /// One entry per layer: the learned threshold θ per neuron or channel (`layer<i>.threshold`), else nil.
    public var thresholds: [Tensor?]

    /// Parameters from their arrays; `biases`, `logTauMem`, `logTauSyn` or `thresholds` empty means no layer has one.
    public init(feedForward: [Tensor], recurrent: [Tensor?], biases: [Tensor?] = [], logTauMem: [Tensor?] = [],
                logTauSyn: [Tensor?] = [], thresholds: [Tensor?] = []) {
        self.feedForward = feedForward
        self.recurrent = recurrent
        let none = [Tensor?](repeating: nil, count: feedForward.count)
        self.biases = biases.isEmpty ? none : biases
        self.logTauMem = logTauMem.isEmpty ? none : logTauMem
        self.logTauSyn = logTauSyn.isEmpty ? none : logTauSyn
        self.thresholds = thresholds.isEmpty ? none : thresholds
    }

    /// Zero weights and biases shaped for `architecture`; learnable time constants at their initial values
    /// (`LayerArchitecture.initialLogTauMem`, `initialLogTauSyn`), since ρ = 0 (τ = 1 s) would be no start.
    public init(zerosFor architecture: NetworkArchitecture) {
        feedForward = architecture.layers.map { Tensor(zeros: $0.feedForward.weightShape) }
        recurrent = architecture.layers.map { $0.recurrent.map { Tensor(zeros: $0.weightShape) } }
        biases = architecture.layers.map { $0.hasBias ? Tensor(zeros: $0.biasShape) : nil }
        logTauMem = architecture.layers.map(\.initialLogTauMem)
        logTauSyn = architecture.layers.map(\.initialLogTauSyn)
        thresholds = architecture.initialThresholds
    }

    /// Every array with a stable name: `layer<i>.weight`, `layer<i>.recurrent`, `layer<i>.bias`,
    /// `layer<i>.log_tau_mem`, `layer<i>.log_tau_syn` and `layer<i>.threshold`.
    public var named: [(name: String, tensor: Tensor)] {
        var out: [(String, Tensor)] = []
        for (i, w) in feedForward.enumerated() {
            out.append(("layer\(i).weight", w))
            if let r = recurrent[i] { out.append(("layer\(i).recurrent", r)) }
            if i < biases.count, let b = biases[i] { out.append(("layer\(i).bias", b)) }
            if i < logTauMem.count, let t = logTauMem[i] { out.append(("layer\(i).log_tau_mem", t)) }
            if i < logTauSyn.count, let t = logTauSyn[i] { out.append(("layer\(i).log_tau_syn", t)) }
            if i < thresholds.count, let t = thresholds[i] { out.append(("layer\(i).threshold", t)) }
        }
        return out
    }

    /// The time constants τ = e^ρ in seconds of layer `i`'s learnable arrays (nil where not learned).
    public func timeConstants(layer i: Int) -> (mem: [Double]?, syn: [Double]?) {
        func tau(_ t: Tensor?) -> [Double]? { t.map { $0.scalars.map { Foundation.exp(Double($0)) } } }
        return (tau(i < logTauMem.count ? logTauMem[i] : nil), tau(i < logTauSyn.count ? logTauSyn[i] : nil))
    }

    /// Checks shapes against `architecture` and that every value is finite.
    public func validate(for architecture: NetworkArchitecture) throws {
        guard feedForward.count == architecture.layers.count, recurrent.count == architecture.layers.count,
              biases.count == architecture.layers.count, logTauMem.count == architecture.layers.count,
              logTauSyn.count == architecture.layers.count, thresholds.count == architecture.layers.count else {
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
            for (learns, array, name) in [(l.learnsTauMem, logTauMem[i], "log_tau_mem"), (l.learnsTauSyn, logTauSyn[i], "log_tau_syn")] {
                switch (learns, array) {
                case (false, nil): break
                case (true, let t?):
                    guard t.shape == l.biasShape else {
                        throw SpikeKitError.shapeMismatch("layer\(i).\(name) has shape \(t.shape), expected \(l.biasShape)")
                    }
                    guard t.isFinite else { throw SpikeKitError.nonFiniteValues("layer\(i).\(name) holds NaN or infinite values") }
                case (false, _?): throw SpikeKitError.shapeMismatch("layer\(i) does not learn its time constant but layer\(i).\(name) was given")
                case (true, nil): throw SpikeKitError.shapeMismatch("layer\(i) learns its time constant and needs layer\(i).\(name)")
                }
            }
            switch (l.learnsThreshold, thresholds[i]) {
            case (false, nil): break
            case (true, let t?):
                guard t.shape == l.biasShape else {
                    throw SpikeKitError.shapeMismatch("layer\(i).threshold has shape \(t.shape), expected \(l.biasShape)")
                }
                guard t.isFinite else { throw SpikeKitError.nonFiniteValues("layer\(i).threshold holds NaN or infinite values") }
            case (false, _?): throw SpikeKitError.shapeMismatch("layer\(i) does not learn its threshold but layer\(i).threshold was given")
            case (true, nil): throw SpikeKitError.shapeMismatch("layer\(i) learns its threshold and needs layer\(i).threshold")
            }
        }
    }
}
