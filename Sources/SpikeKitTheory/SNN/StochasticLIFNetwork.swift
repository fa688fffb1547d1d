import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine

/// A small stochastic LIF network with one input and one objective, in Double: the object whose expected loss
/// `E[L]` and gradient `dE[L]/dw` the SNN theory tools compute exactly and estimate.
///
/// The network is any `NetworkArchitecture` the engine builds (dense or conv LIF layers, dense or conv recurrence,
/// next-step or same-step reset, per-layer spike functions with `bpReset`, a readout or a spiking output), with the
/// dynamics of SPEC section 2 exactly as `LayerPass` runs them, for n = 0..T-1:
/// ```
/// S[n]   = 1[ξ[n] < p(U[n] - θ)]             (step escape noise: 1[U[n] - θ > 0])
/// I[n+1] = λ_s I[n] + W·S_in[n] + V·S[n]
/// next-step reset: U[n+1] = (λ_m U[n] + (1-λ_m) I[n]) (1 - S[n])
/// same-step reset: U[n+1] = λ_m U[n] (1 - S[n]) + (1-λ_m) I[n]
/// readout:         U[n+1] = λ_m U[n] + (1-λ_m) I[n], output U[n], U[0] = initial_mem
/// ```
/// Parameters are flattened in the order of `NetworkParameters.named`: layer 0 weight (canonical layout), layer 0
/// recurrent, layer 1 weight, ... Every random draw is an explicit uniform ξ per neuron and step (`LIFUniforms`).
public struct StochasticLIFNetwork: Sendable {
    public let architecture: NetworkArchitecture
    /// Every weight, flattened (see the type's documentation).
    public var parameters: [Double]
    /// The input spikes, a raster `[T][input units]` of 0/1 (canonical order).
    public private(set) var input: [Double]
    /// T, the number of steps.
    public private(set) var steps: Int
    public private(set) var objective: LIFObjective
    let layers: [LIFLayerModel]

    /// Builds the network from an architecture, its weights (canonical layout, as the engine loads them), one input
    /// and an objective.
    /// - Throws: `SpikeKitError` when the weights do not fit the architecture, the input has the wrong number of
    ///   units, or the objective does not fit the last layer (L2 and spike count need a spiking output,
    ///   cross-entropy a readout and a label in range; a target raster of the wrong size or not 0/1).
    public init(architecture: NetworkArchitecture, parameters: NetworkParameters, input: SpikeTrains,
                objective: LIFObjective) throws {
        try parameters.validate(for: architecture)
        var flat: [Double] = []
        for (_, t) in parameters.named { flat += t.scalars.map(Double.init) }
        try self.init(architecture: architecture, flatParameters: flat, input: input, objective: objective)
    }

    /// Builds the network from flattened parameters (the order of `parameterNames`).
    public init(architecture: NetworkArchitecture, flatParameters: [Double], input: SpikeTrains,
                objective: LIFObjective) throws {
        guard input.units == architecture.input.count else {
            throw SpikeKitError.shapeMismatch("the input has \(input.units) units, the network expects \(architecture.input.count)")
        }
        guard input.steps > 0 else { throw SpikeKitError.invalidConfiguration("the input needs at least one step") }
        var layers: [LIFLayerModel] = []
        var offset = 0
        for l in architecture.layers {
            let m = LIFLayerModel(l, dt: architecture.dt, offset: offset)
            offset += m.feedForward.parameterCount + (m.recurrent?.parameterCount ?? 0)
            layers.append(m)
        }
        guard flatParameters.count == offset else {
            throw SpikeKitError.shapeMismatch("\(flatParameters.count) parameters given, the network has \(offset)")
        }
        guard flatParameters.allSatisfy(\.isFinite) else { throw SpikeKitError.nonFiniteValues("the weights hold NaN or infinite values") }
        try Self.check(objective, architecture: architecture, steps: input.steps)
        self.architecture = architecture
        self.parameters = flatParameters
        self.input = input.raster.map(Double.init)
        self.steps = input.steps
        self.objective = objective
        self.layers = layers
    }

    /// The same network and weights with another input and objective (validated as by the initializer).
    public func with(input newInput: SpikeTrains, objective newObjective: LIFObjective) throws -> StochasticLIFNetwork {
        guard newInput.units == architecture.input.count, newInput.steps > 0 else {
            throw SpikeKitError.shapeMismatch("the input has \(newInput.units) units × \(newInput.steps) steps, the network expects \(architecture.input.count) units")
        }
        try Self.check(newObjective, architecture: architecture, steps: newInput.steps)
        var c = self
        c.input = newInput.raster.map(Double.init)
        c.steps = newInput.steps
        c.objective = newObjective
        return c
    }

    /// Throws unless `objective` fits the last layer of `architecture` for `T` steps.
    static func check(_ objective: LIFObjective, architecture: NetworkArchitecture, steps T: Int) throws {
        let last = architecture.layers[architecture.layers.count - 1]
        switch objective {
        case .l2Spikes(let target):
            guard last.isSpiking else { throw SpikeKitError.invalidConfiguration("the L2 spike loss needs a spiking last layer") }
            guard target.count == T * last.shape.count else {
                throw SpikeKitError.shapeMismatch("the target has \(target.count) values, expected \(T) × \(last.shape.count)")
            }
            guard target.allSatisfy({ $0 == 0 || $0 == 1 }) else {
                throw SpikeKitError.invalidConfiguration("the target raster must hold 0 and 1 only")
            }
        case .outputSpikeCount:
            guard last.isSpiking else { throw SpikeKitError.invalidConfiguration("the spike count needs a spiking last layer") }
        case .crossEntropy(let label, let r):
            guard !last.isSpiking else { throw SpikeKitError.invalidConfiguration("cross-entropy needs a readout as the last layer") }
            guard (0..<last.shape.count).contains(label) else {
                throw SpikeKitError.invalidConfiguration("label \(label) is outside 0..<\(last.shape.count)")
            }
            if let r, !(r.strength.isFinite && r.threshold.isFinite) {
                throw SpikeKitError.nonFiniteValues("the activity regularizer needs a finite threshold and strength")
            }
        }
    }

    /// The number of weights.
    public var parameterCount: Int { parameters.count }

    /// `layer<i>.weight[k]` and `layer<i>.recurrent[k]`, one per parameter (k the canonical flat index).
    public var parameterNames: [String] {
        var names: [String] = []
        for (i, l) in layers.enumerated() {
            names += (0..<l.feedForward.parameterCount).map { "layer\(i).weight[\($0)]" }
            if let r = l.recurrent { names += (0..<r.parameterCount).map { "layer\(i).recurrent[\($0)]" } }
        }
        return names
    }

    /// The weights as the engine loads them (Float32, canonical layout).
    public func networkParameters() throws -> NetworkParameters {
        var ff: [Tensor] = [], rec: [Tensor?] = []
        for (i, l) in layers.enumerated() {
            let a = architecture.layers[i]
            ff.append(try Tensor(shape: a.feedForward.weightShape,
                                 scalars: parameters[l.feedForwardOffset..<(l.feedForwardOffset + l.feedForward.parameterCount)].map(Float.init)))
            if let r = l.recurrent, let g = a.recurrent {
                rec.append(try Tensor(shape: g.weightShape,
                                      scalars: parameters[l.recurrentOffset..<(l.recurrentOffset + r.parameterCount)].map(Float.init)))
            } else {
                rec.append(nil)
            }
        }
        return NetworkParameters(feedForward: ff, recurrent: rec)
    }

    /// The same network with other weights.
    public func with(parameters p: [Double]) -> StochasticLIFNetwork {
        precondition(p.count == parameters.count, "wrong number of parameters")
        var c = self
        c.parameters = p
        return c
    }

    /// Whether a spike of layer `l` at step `n` can change the loss: it reaches the output layer `d` layers later at
    /// step `n + 2d` (each connection adds a current step and a membrane step), which must be a step the loss sees,
    /// `n + 2d ≤ T - 1`; with the activity regularizer every spike counts. Spikes that cannot reach the loss are
    /// left out of the enumeration and of the score function (their contribution to `dE[L]/dw` is exactly 0).
    public func reachesLoss(layer l: Int, step n: Int) -> Bool {
        if objective.readsEveryLayer, layers[l].spiking { return n < steps }
        let distance = layers.count - 1 - l
        return n + 2 * distance <= steps - 1
    }

    /// The number of stochastic neuron-steps that can change the loss: the exponent of the 2^K paths that the exact
    /// expectation enumerates.
    public var stochasticNeuronSteps: Int {
        var k = 0
        for (l, layer) in layers.enumerated() where layer.stochastic {
            for n in 0..<steps where reachesLoss(layer: l, step: n) { k += layer.n }
        }
        return k
    }
}

/// One layer of a `StochasticLIFNetwork`: its connections written synapse by synapse, its decays and spike function.
struct LIFLayerModel: Sendable {
    let n: Int
    let spiking: Bool
    let stochastic: Bool
    let spike: SpikeFunction?
    let lambdaMem: Double
    let lambdaSyn: Double
    let nextStep: Bool
    let bpReset: Bool
    let initialMem: Double
    let feedForward: LIFConnectionMap
    let recurrent: LIFConnectionMap?
    let feedForwardOffset: Int
    let recurrentOffset: Int

    init(_ a: LayerArchitecture, dt: Double, offset: Int) {
        n = a.shape.count
        spiking = a.isSpiking
        spike = a.spike
        stochastic = a.spike?.escape.isStochastic ?? false
        let d = a.decay(dt: dt)
        lambdaMem = d.mem
        lambdaSyn = d.syn
        nextStep = a.reset == .nextStep
        bpReset = a.spike?.bpReset ?? false
        initialMem = a.kind == .readout ? a.initialMem : 0
        feedForward = LIFConnectionMap(a.feedForward)
        recurrent = a.recurrent.map(LIFConnectionMap.init)
        feedForwardOffset = offset
        recurrentOffset = offset + feedForward.parameterCount
    }
}
