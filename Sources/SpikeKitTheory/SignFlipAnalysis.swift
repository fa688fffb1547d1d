import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine
import RealModule

/// `σ_β(z) = 1 / (1 + e^{-βz})`.
@inlinable
func sigmoid(_ z: Double, beta: Double) -> Double { 1 / (1 + Double.exp(-beta * z)) }

/// `σ'_β(z) = β σ_β(z) (1 - σ_β(z))`.
@inlinable
func sigmoidDerivative(_ z: Double, beta: Double) -> Double {
    let s = sigmoid(z, beta: beta)
    return beta * s * (1 - s)
}

/// The small sigmoid network of the paper's sign-flip example (Fig. 4, Eq. 7-9; SPEC section 4):
/// `g = σ_β(w x)`, `h_k = σ_β(v_k g)` (k = 1, 2), `y = σ_β(u1 h1 + u2 h2)`.
public struct SignFlipNetwork: Sendable, Equatable {
    public var x: Double
    public var v1: Double
    public var v2: Double
    public var u1: Double
    public var u2: Double
    /// The forward steepness β.
    public var beta: Double

    /// The paper's parameters: x = 1, v1 = 0.05, v2 = 0.1, u1 = 1, u2 = -1, β = 100.
    public init(x: Double = 1, v1: Double = 0.05, v2: Double = 0.1, u1: Double = 1, u2: Double = -1, beta: Double = 100) {
        self.x = x
        self.v1 = v1
        self.v2 = v2
        self.u1 = u1
        self.u2 = u2
        self.beta = beta
    }

    /// The output `y(w)`.
    public func output(w: Double) -> Double {
        let g = sigmoid(w * x, beta: beta)
        return sigmoid(u1 * sigmoid(v1 * g, beta: beta) + u2 * sigmoid(v2 * g, beta: beta), beta: beta)
    }

    /// `dy/dw` with `σ'_{βd}` at every node: the true derivative for `βd = β`, the surrogate gradient otherwise:
    /// `[u1 v1 σ'(v1 g) + u2 v2 σ'(v2 g)] · σ'(u1 h1 + u2 h2) · σ'(w x) · x`.
    public func derivative(w: Double, backwardBeta bd: Double) -> Double {
        let g = sigmoid(w * x, beta: beta)
        let h1 = sigmoid(v1 * g, beta: beta), h2 = sigmoid(v2 * g, beta: beta)
        let d1: Double = sigmoidDerivative(v1 * g, beta: bd)
        let d2: Double = sigmoidDerivative(v2 * g, beta: bd)
        let inner: Double = u1 * v1 * d1 + u2 * v2 * d2
        let da: Double = sigmoidDerivative(u1 * h1 + u2 * h2, beta: bd)
        let dc: Double = sigmoidDerivative(w * x, beta: bd)
        return inner * da * dc * x
    }

    /// The true derivative `dy/dw`.
    public func trueDerivative(w: Double) -> Double { derivative(w: w, backwardBeta: beta) }
}

/// SPEC claim 3: along a grid of `w`, the true `dy/dw` and surrogate gradients of several `β_SG`, where their signs
/// agree, and the minimum of `y` against the minimum of the integrated surrogate gradient.
public struct SignFlipAnalysis: Sendable {
    /// One surrogate steepness.
    public struct Surrogate: Sendable {
        /// `β_SG`.
        public var beta: Double
        /// The surrogate gradient at each grid point.
        public var derivative: [Double]
        /// `y(w_0) + ∫_{w_0}^{w} SG` (trapezoid rule): the "loss" a surrogate-gradient descent would see.
        public var integrated: [Double]
        /// Fraction of grid points where `sign(SG) = sign(dy/dw)`.
        public var signAgreement: Double
        /// The maximal intervals of `w` on which SG and the true derivative have opposite (nonzero) signs.
        public var oppositeSignIntervals: [ClosedRange<Double>]
        /// The `w` that minimises `integrated`.
        public var argminIntegrated: Double
    }

    public var network: SignFlipNetwork
    /// The grid of `w`.
    public var w: [Double]
    /// `y(w)`.
    public var output: [Double]
    /// The true `dy/dw`.
    public var trueDerivative: [Double]
    /// The `w` that minimises `y` on the grid.
    public var argminOutput: Double
    /// One entry per `β_SG`.
    public var surrogates: [Surrogate]

    /// Evaluates the analysis on `grid` for each surrogate steepness in `surrogateBetas`.
    public init(network: SignFlipNetwork = SignFlipNetwork(), surrogateBetas: [Double] = [25, 15, 30],
                grid: [Double] = linspace(-0.2, 0.2, count: 10001)) {
        self.network = network
        w = grid
        let y = grid.map { network.output(w: $0) }
        let truth = grid.map { network.trueDerivative(w: $0) }
        output = y
        trueDerivative = truth
        argminOutput = grid.isEmpty ? .nan : grid[argmin(y)]
        let y0 = y.first ?? 0
        surrogates = surrogateBetas.map { b in
            let d = grid.map { network.derivative(w: $0, backwardBeta: b) }
            var integ = [Double](repeating: y0, count: grid.count)
            for i in grid.indices.dropFirst() {
                let mid: Double = 0.5 * (d[i] + d[i - 1])
                let dw: Double = grid[i] - grid[i - 1]
                integ[i] = integ[i - 1] + mid * dw
            }
            var agree = 0
            for i in grid.indices where sameSign(d[i], truth[i]) { agree += 1 }
            var intervals: [ClosedRange<Double>] = []
            var start: Int? = nil
            for i in grid.indices {
                let opposite = d[i] * truth[i] < 0
                if opposite, start == nil { start = i }
                if !opposite, let s = start { intervals.append(grid[s]...grid[i - 1]); start = nil }
            }
            if let s = start { intervals.append(grid[s]...grid[grid.count - 1]) }
            let best = grid.isEmpty ? .nan : grid[argmin(integ)]
            return Surrogate(beta: b, derivative: d, integrated: integ,
                             signAgreement: grid.isEmpty ? 0 : Double(agree) / Double(grid.count),
                             oppositeSignIntervals: intervals, argminIntegrated: best)
        }
    }
}

/// The index of the smallest element (the first one on ties); 0 for an empty array.
func argmin(_ v: [Double]) -> Int {
    var best = 0
    for i in v.indices where v[i] < v[best] { best = i }
    return best
}
