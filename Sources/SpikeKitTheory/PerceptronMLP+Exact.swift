import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine
/// Exact expectations of a stochastic Perceptron MLP by enumerating the tree of spike patterns (SPEC section 3,
/// "exact"): the ground truth every estimator is measured against.
///
/// A node of the tree is the spike pattern of one hidden layer given the pattern of the layer before; a stochastic
/// layer of `n` units branches into `2^n` children with probabilities `Π_i q_i`, `q_i = p_i` if `s_i = 1` else
/// `1 - p_i`; a deterministic (step) layer has one child. The output unit is not branched on: `E[y | h_{L-1}] = p(U_L - θ)`.
/// The cost is exponential in the number of stochastic hidden units, so enumeration is refused above a limit.
extension PerceptronMLP {
    /// The default largest number of stochastic hidden units an exact enumeration accepts (2^20 leaves).
    public static let defaultEnumerationLimit = 20

    /// Throws unless the network is small enough to enumerate.
    /// - Throws: `SpikeKitError.invalidConfiguration` naming the count and the limit.
    public func checkEnumerable(limit: Int = PerceptronMLP.defaultEnumerationLimit) throws {
        let n = stochasticHiddenUnits
        guard n <= limit else {
            throw SpikeKitError.invalidConfiguration(
                "the network has \(n) stochastic hidden units; exact enumeration visits 2^\(n) spike patterns and is "
                    + "refused above \(limit) units (use fewer or smaller stochastic layers)")
        }
    }

    /// `E[y]` and `dE[y]/d(parameters)` (flat order), exactly.
    ///
    /// With `V(l, h) = E[y | layer l receives h]`, the gradient with respect to layer `l`'s parameters is
    /// `Σ_h P(reach h) Σ_i p'(U_i - θ) D_i(h) [h_j | 1]`, where `D_i(h) = Σ_s V(l+1, s) (2 s_i - 1) Π_{j≠i} q_j`
    /// is the change of the expected output when unit `i` flips. Deterministic layers contribute no gradient
    /// (the step's derivative vanishes almost everywhere).
    /// - Throws: when the network has more than `limit` stochastic hidden units.
    public func exactExpectation(limit: Int = PerceptronMLP.defaultEnumerationLimit) throws -> (mean: Double, gradient: [Double]) {
        try checkEnumerable(limit: limit)
        var grad = [Double](repeating: 0, count: parameterCount)
        let mean = exactNode(layer: 0, input: input, reach: 1, grad: &grad)
        return (mean, grad)
    }

    /// `E[y | layer l receives h]`, accumulating `reach ×` its parameter derivatives into `grad`.
    private func exactNode(layer l: Int, input h: [Double], reach: Double, grad: inout [Double]) -> Double {
        let layer = layers[l]
        let u = layer.membranePotential(h)
        let off = parameterOffset(layer: l)
        let escape = layer.spike.escape
        if l == layers.count - 1 {
            let x: Double = u[0] - threshold
            let dpdx: Double = escape.probabilityDerivative(x)
            let dp = dpdx * reach
            if dp != 0 {
                for j in 0..<layer.inputs { grad[off + j] += dp * h[j] }
                grad[off + layer.inputs] += dp
            }
            let p: Double = escape.probability(x)
            return p
        }
        let n = layer.outputs
        if !layer.isStochastic {
            var s = [Double](repeating: 0, count: n)
            for i in 0..<n where u[i] - threshold > 0 { s[i] = 1 }
            return exactNode(layer: l + 1, input: s, reach: reach, grad: &grad)
        }
        var p = [Double](repeating: 0, count: n), dp = p
        for i in 0..<n {
            let x: Double = u[i] - threshold
            p[i] = escape.probability(x)
            dp[i] = escape.probabilityDerivative(x)
        }
        var value = 0.0
        var flip = [Double](repeating: 0, count: n)  // D_i(h)
        var s = [Double](repeating: 0, count: n)
        var q = [Double](repeating: 0, count: n)
        var prefix = [Double](repeating: 1, count: n + 1)
        for pattern in 0..<(1 << n) {
            for i in 0..<n {
                let bit = (pattern >> i) & 1 == 1
                s[i] = bit ? 1 : 0
                q[i] = bit ? p[i] : 1 - p[i]
                prefix[i + 1] = prefix[i] * q[i]
            }
            let prob = prefix[n]
            let v = exactNode(layer: l + 1, input: s, reach: reach * prob, grad: &grad)
            value += prob * v
            var suffix = 1.0
            for i in stride(from: n - 1, through: 0, by: -1) {
                let sign: Double = 2 * s[i] - 1
                flip[i] += v * sign * prefix[i] * suffix
                suffix *= q[i]
            }
        }
        for i in 0..<n {
            let g: Double = reach * dp[i] * flip[i]
            if g == 0 { continue }
            let row = off + i * layer.inputs
            for j in 0..<layer.inputs { grad[row + j] += g * h[j] }
            grad[off + n * layer.inputs + i] += g
        }
        return value
    }

    /// Calls `body(path, probability)` for every path of the tree of spike patterns: every hidden pattern and,
    /// for a stochastic output, both outputs `y ∈ {0, 1}`. Paths of probability 0 are skipped. The probabilities sum
    /// to 1.
    /// - Throws: when the network has more than `limit` stochastic hidden units.
    public func forEachPath(limit: Int = PerceptronMLP.defaultEnumerationLimit,
                            _ body: (PerceptronPath, Double) -> Void) throws {
        try checkEnumerable(limit: limit)
        var path = PerceptronPath(potentials: [], spikes: [])
        enumeratePaths(layer: 0, input: input, prob: 1, path: &path, body)
    }

    private func enumeratePaths(layer l: Int, input h: [Double], prob: Double, path: inout PerceptronPath,
                                _ body: (PerceptronPath, Double) -> Void) {
        let layer = layers[l]
        let u = layer.membranePotential(h)
        let escape = layer.spike.escape
        path.potentials.append(u)
        defer { path.potentials.removeLast() }
        let n = layer.outputs
        var p = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let x: Double = u[i] - threshold
            p[i] = escape.probability(x)
        }
        let patterns = layer.isStochastic ? (1 << n) : 1
        var s = [Double](repeating: 0, count: n)
        for pattern in 0..<patterns {
            var q = 1.0
            for i in 0..<n {
                if layer.isStochastic {
                    let bit = (pattern >> i) & 1 == 1
                    s[i] = bit ? 1 : 0
                    q *= bit ? p[i] : 1 - p[i]
                } else {
                    s[i] = p[i]
                }
            }
            let pr = prob * q
            if pr == 0 { continue }
            path.spikes.append(s)
            if l == layers.count - 1 { body(path, pr) } else { enumeratePaths(layer: l + 1, input: s, prob: pr, path: &path, body) }
            path.spikes.removeLast()
        }
    }

    /// The exact expectation over all paths of a pathwise quantity `f(path)` (a vector of `parameterCount` values):
    /// `Σ_paths P(path) f(path)`. With `surrogateGradient(along:)` this is the mean of the stochastic surrogate
    /// gradient without sampling error.
    public func pathExpectation(limit: Int = PerceptronMLP.defaultEnumerationLimit,
                                of f: (PerceptronPath) -> [Double]) throws -> [Double] {
        var acc = [Double](repeating: 0, count: parameterCount)
        try forEachPath(limit: limit) { path, prob in
            let g = f(path)
            for k in acc.indices { acc[k] += prob * g[k] }
        }
        return acc
    }
}
