import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine
import RealModule

/// One layer of a Perceptron MLP (SPEC section 2, "Perceptron"): `U = W h + b`, `S = spike(U - θ)`, with the
/// layer's own spike function (escape noise forward, surrogate derivative backward).
///
/// Weights follow PyTorch's dense layout `(outputs, inputs)`, row-major.
public struct PerceptronLayer: Sendable, Equatable {
    /// Number of inputs (the size of the previous layer, or of the network input).
    public let inputs: Int
    /// Number of units.
    public let outputs: Int
    /// `W`, `outputs × inputs`, row-major.
    public var weights: [Double]
    /// `b`, one per unit.
    public var bias: [Double]
    /// How the layer spikes and what replaces dS/dU in a backward pass.
    public var spike: SpikeFunction

    /// Creates a layer.
    /// - Throws: `SpikeKitError.shapeMismatch` when `weights` is not `outputs × inputs` or `bias` not `outputs`.
    public init(inputs: Int, outputs: Int, weights: [Double], bias: [Double], spike: SpikeFunction) throws {
        guard inputs > 0, outputs > 0 else {
            throw SpikeKitError.invalidConfiguration("a Perceptron layer needs at least one input and one unit")
        }
        guard weights.count == inputs * outputs else {
            throw SpikeKitError.shapeMismatch("layer weights hold \(weights.count) values, expected \(outputs)×\(inputs)")
        }
        guard bias.count == outputs else {
            throw SpikeKitError.shapeMismatch("layer bias holds \(bias.count) values, expected \(outputs)")
        }
        self.inputs = inputs
        self.outputs = outputs
        self.weights = weights
        self.bias = bias
        self.spike = spike
    }

    /// Number of trainable parameters (`W` then `b`).
    public var parameterCount: Int { outputs * inputs + outputs }

    /// Whether the layer's spikes depend on a random draw.
    public var isStochastic: Bool { spike.escape.isStochastic }

    /// `U = W h + b`.
    @inlinable
    public func membranePotential(_ h: [Double]) -> [Double] {
        var u = bias
        weights.withUnsafeBufferPointer { w in
            for i in 0..<outputs {
                var acc = u[i]
                let row = i * inputs
                for j in 0..<inputs { acc += w[row + j] * h[j] }
                u[i] = acc
            }
        }
        return u
    }
}

extension EscapeNoise {
    /// The derivative `dp/dx` of the escape probability: `β σ(βx)(1 - σ(βx))` for sigmoid, `(p0/Δu) e^{x/Δu}` where
    /// `p0 e^{x/Δu} < 1` (0 where clipped) for exponential, the probit density for erf, and 0 for `step` (its
    /// derivative vanishes almost everywhere; the Dirac delta at 0 is not represented).
    @inlinable
    public func probabilityDerivative<T: Real & BinaryFloatingPoint>(_ x: T) -> T {
        switch self {
        case .step: return 0
        case .sigmoid(let beta):
            let s = 1 / (1 + T.exp(-T(beta) * x))
            return T(beta) * s * (1 - s)
        case .exponential(let p0, let du):
            let e = T(p0) * T.exp(x / T(du))
            return e < 1 ? e / T(du) : 0
        case .erf(let sigma):
            let sg = T(sigma)
            return T.exp(-x * x / (2 * sg * sg)) / (sg * T.sqrt(2 * T.pi))
        case .user(let u):
            return T(u.function.derivative(Double(x)))
        }
    }
}

/// A feed-forward network of Perceptron layers with one output unit, evaluated at a fixed input `x`, in Double:
/// `h_0 = x`, `U_l = W_l h_{l-1} + b_l`, `h_l = S_l(U_l - θ)` for l = 1..L, output `y = h_L` (0 or 1).
///
/// The theory tools (SPEC sections 3 and 4) study `E[y]` and its gradient with respect to the parameters, flattened
/// in the order layer 0 `W` (row-major), layer 0 `b`, layer 1 `W`, ... (the order of `parameters`).
/// Every random draw is an explicit uniform `ξ` per unit, `S = 1[ξ < p(U - θ)]`.
public struct PerceptronMLP: Sendable, Equatable {
    /// The fixed network input `x`.
    public var input: [Double]
    /// The layers, input side first; the last has exactly one unit.
    public internal(set) var layers: [PerceptronLayer]
    /// The threshold θ subtracted from `U` before the spike nonlinearity (0 in the reference cases).
    public var threshold: Double

    /// Creates a network.
    /// - Throws: `SpikeKitError.shapeMismatch` when layer sizes do not chain or the last layer has more than one unit.
    public init(input: [Double], layers: [PerceptronLayer], threshold: Double = 0) throws {
        guard !layers.isEmpty else { throw SpikeKitError.invalidConfiguration("a Perceptron MLP needs at least one layer") }
        var fan = input.count
        for (l, layer) in layers.enumerated() {
            guard layer.inputs == fan else {
                throw SpikeKitError.shapeMismatch("layer \(l) takes \(layer.inputs) inputs but receives \(fan)")
            }
            fan = layer.outputs
        }
        guard fan == 1 else {
            throw SpikeKitError.shapeMismatch("the last layer of a Perceptron MLP must have one unit, it has \(fan)")
        }
        guard threshold.isFinite, input.allSatisfy(\.isFinite),
              layers.allSatisfy({ $0.weights.allSatisfy(\.isFinite) && $0.bias.allSatisfy(\.isFinite) }) else {
            throw SpikeKitError.nonFiniteValues("Perceptron MLP input, weights, biases and threshold must be finite")
        }
        self.input = input
        self.layers = layers
        self.threshold = threshold
    }

    /// A random network initialised as the reference cases are (../shared/reference/generate.py): `x ~ N(0, 1)`,
    /// `W ~ N(0, (1.5/√fan_in)²)`, `b ~ N(0, 0.3²)`, drawn from `PhiloxGenerator(seed:)`, every layer with `spike`.
    /// - Parameters:
    ///   - inputSize: the length of `x`.
    ///   - sizes: units per layer; the last must be 1.
    public static func random(inputSize: Int, sizes: [Int], spike: SpikeFunction, seed: UInt64) throws -> PerceptronMLP {
        guard inputSize > 0, !sizes.isEmpty, sizes.allSatisfy({ $0 > 0 }) else {
            throw SpikeKitError.invalidConfiguration("layer sizes and the input size must be positive")
        }
        var rng = PhiloxGenerator(seed: seed)
        let x = (0..<inputSize).map { _ in rng.normal() }
        var layers: [PerceptronLayer] = []
        var fan = inputSize
        for n in sizes {
            let scale = 1.5 / Double(fan).squareRoot()
            let w = (0..<(n * fan)).map { _ in rng.normal() * scale }
            let b = (0..<n).map { _ in rng.normal() * 0.3 }
            layers.append(try PerceptronLayer(inputs: fan, outputs: n, weights: w, bias: b, spike: spike))
            fan = n
        }
        return try PerceptronMLP(input: x, layers: layers)
    }

    /// Total number of parameters.
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }

    /// Index of layer `l`'s first parameter (its `W[0,0]`) in the flat parameter vector; its `b` follows `W`.
    public func parameterOffset(layer l: Int) -> Int { layers[..<l].reduce(0) { $0 + $1.parameterCount } }

    /// All parameters, flattened: layer 0 `W` (row-major), layer 0 `b`, layer 1 `W`, ...
    public var parameters: [Double] {
        get { layers.flatMap { $0.weights + $0.bias } }
        set {
            precondition(newValue.count == parameterCount, "parameter vector has the wrong length")
            var k = 0
            for l in layers.indices {
                let nw = layers[l].weights.count, nb = layers[l].bias.count
                layers[l].weights = Array(newValue[k..<(k + nw)])
                layers[l].bias = Array(newValue[(k + nw)..<(k + nw + nb)])
                k += nw + nb
            }
        }
    }

    /// Names of the parameters in flat order, e.g. `layer1.weight[0,2]`, `layer1.bias[0]`.
    public var parameterNames: [String] {
        var names: [String] = []
        for (l, layer) in layers.enumerated() {
            for i in 0..<layer.outputs { for j in 0..<layer.inputs { names.append("layer\(l).weight[\(i),\(j)]") } }
            for i in 0..<layer.outputs { names.append("layer\(l).bias[\(i)]") }
        }
        return names
    }

    /// Number of stochastic units outside the output layer: what an exact enumeration has to branch on.
    public var stochasticHiddenUnits: Int {
        layers.dropLast().reduce(0) { $0 + ($1.isStochastic ? $1.outputs : 0) }
    }

    /// The same weights with every layer's spike function replaced by `spike`.
    public func withSpikeFunction(_ spike: SpikeFunction) -> PerceptronMLP {
        var copy = self
        for l in copy.layers.indices { copy.layers[l].spike = spike }
        return copy
    }

    /// One uniform draw `ξ ∈ [0, 1)` per unit of every layer (drawn for deterministic layers too, so a stream's
    /// position does not depend on which layers are stochastic).
    public func drawUniforms(using rng: inout PhiloxGenerator) -> [[Double]] {
        layers.map { layer in (0..<layer.outputs).map { _ in rng.uniform() } }
    }
}

/// One forward pass of a Perceptron MLP: the membrane potential `U` and spike `S` (0 or 1) of every unit.
public struct PerceptronPath: Sendable, Equatable {
    /// `U_l` for every layer.
    public var potentials: [[Double]]
    /// `S_l` for every layer (the last holds the output `y`).
    public var spikes: [[Double]]
    /// The output `y`.
    public var output: Double { spikes[spikes.count - 1][0] }
}

extension PerceptronMLP {
    /// The input seen by layer `l` on `path`: `x` for layer 0, else the spikes of layer `l - 1`.
    @inlinable
    func layerInput(_ l: Int, _ path: PerceptronPath) -> [Double] { l == 0 ? input : path.spikes[l - 1] }

    /// A stochastic forward pass with the given uniforms: `S = 1[ξ < p(U - θ)]` (or `1[U - θ > 0]` for step layers).
    public func forward(uniforms: [[Double]]) -> PerceptronPath {
        var h = input
        var us: [[Double]] = [], ss: [[Double]] = []
        us.reserveCapacity(layers.count)
        ss.reserveCapacity(layers.count)
        for (l, layer) in layers.enumerated() {
            let u = layer.membranePotential(h)
            var s = [Double](repeating: 0, count: layer.outputs)
            for i in 0..<layer.outputs where layer.spike.escape.spike(u[i] - threshold, uniform: uniforms[l][i]) { s[i] = 1 }
            us.append(u)
            ss.append(s)
            h = s
        }
        return PerceptronPath(potentials: us, spikes: ss)
    }

    /// The forward pass of the deterministic counterpart: every layer spikes as `1[U - θ > 0]` (step escape noise),
    /// whatever its escape noise. This is the network a deterministic surrogate gradient is computed on.
    public func deterministicForward() -> PerceptronPath {
        var h = input
        var us: [[Double]] = [], ss: [[Double]] = []
        for layer in layers {
            let u = layer.membranePotential(h)
            var s = [Double](repeating: 0, count: u.count)
            for i in u.indices where u[i] - threshold > 0 { s[i] = 1 }
            us.append(u)
            ss.append(s)
            h = s
        }
        return PerceptronPath(potentials: us, spikes: ss)
    }

    /// The output of the deterministic counterpart (step escape noise in every layer).
    public var deterministicOutput: Double { deterministicForward().output }

    /// Back-propagates `y` along a fixed path, using `derivative(l, i, x, s)` in place of dS/dU at unit `i` of layer
    /// `l` (`x = U - θ`, `s` the emitted spike), and returns dy/d(parameters) in flat order.
    ///
    /// This is the pathwise ("conditioned on the sampled spike pattern") derivative of SPEC claim 2: with the layer's
    /// surrogate it is a surrogate gradient; with smoothed left/right stochastic derivatives it is those estimators.
    public func backpropagate(_ path: PerceptronPath,
                              derivative: (_ layer: Int, _ unit: Int, _ x: Double, _ spike: Double) -> Double) -> [Double] {
        var grad = [Double](repeating: 0, count: parameterCount)
        var upstream: [Double] = [1]  // dy/dh_L
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let layer = layers[l]
            let h = layerInput(l, path)
            var delta = [Double](repeating: 0, count: layer.outputs)
            for i in 0..<layer.outputs {
                delta[i] = upstream[i] * derivative(l, i, path.potentials[l][i] - threshold, path.spikes[l][i])
            }
            let off = parameterOffset(layer: l)
            for i in 0..<layer.outputs where delta[i] != 0 {
                let row = off + i * layer.inputs
                for j in 0..<layer.inputs { grad[row + j] = delta[i] * h[j] }
                grad[off + layer.outputs * layer.inputs + i] = delta[i]
            }
            if l > 0 {
                var next = [Double](repeating: 0, count: layer.inputs)
                for i in 0..<layer.outputs where delta[i] != 0 {
                    let row = i * layer.inputs
                    for j in 0..<layer.inputs { next[j] += layer.weights[row + j] * delta[i] }
                }
                upstream = next
            }
        }
        return grad
    }

    /// The surrogate gradient along `path`: each layer's surrogate derivative `SD(U - θ)` in place of dS/dU.
    public func surrogateGradient(along path: PerceptronPath) -> [Double] {
        backpropagate(path) { l, _, x, s in layers[l].spike.surrogateDerivative(x, spike: s) }
    }

    /// The deterministic surrogate gradient: the surrogate gradient along the deterministic counterpart's path
    /// (one path per input; SPEC section 3).
    public var deterministicSurrogateGradient: [Double] { surrogateGradient(along: deterministicForward()) }
}
