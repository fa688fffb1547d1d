import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine
import RealModule

/// SPEC claim 4 (Fig. 5): the surrogate gradient is not the gradient of any function, because its integral around a
/// closed loop in parameter space is not zero; the gradient of a smoothed network integrates to zero.
///
/// The network is the sign-flip network with all five parameters free, `θ = (w, v1, v2, u1, u2)`:
/// `g = σ_β(w x)`, `h_k = σ_β(v_k g)`, `y = σ_β(u1 h1 + u2 h2)`. The loop is the circle
/// `θ(φ) = c + r (cos φ e1 + sin φ e2)` in the plane of two random orthonormal directions; the integral
/// `∮ G · dθ` is evaluated with `N` equally spaced points, `Σ_i G(θ(φ_i)) · θ'(φ_i) · 2π/N` (tangent times arc length).
public struct LoopIntegralAnalysis: Sendable {
    /// What is integrated.
    public enum Field: Sendable, Equatable, CustomStringConvertible {
        /// The surrogate gradient: forward with the network's β, `σ'_{β_SG}` at every node backward.
        case surrogate(beta: Double)
        /// The true gradient of the smoothed network (β_SG forward and backward): a conservative field.
        case smoothedTrue(beta: Double)

        public var description: String {
            switch self {
            case .surrogate(let b): return "SG beta_SG=\(shortNumber(b))"
            case .smoothedTrue(let b): return "true gradient beta=\(shortNumber(b))"
            }
        }
    }

    /// One loop integral.
    public struct Result: Sendable, Equatable {
        public var field: Field
        public var points: Int
        public var integral: Double
    }

    /// The forward β of the surrogate-gradient network (10000 in the paper).
    public var forwardBeta: Double
    /// The input x.
    public var x: Double
    /// The loop's centre (5 values).
    public var centre: [Double]
    /// The loop's radius.
    public var radius: Double
    /// The two orthonormal directions spanning the loop's plane.
    public var directions: ([Double], [Double])

    /// The paper's loop: `x = 1`, forward β = 10000, centre 0, radius 1.8, directions drawn from `seed`.
    public init(forwardBeta: Double = 10000, x: Double = 1, centre: [Double] = [0, 0, 0, 0, 0], radius: Double = 1.8,
                seed: UInt64 = 0) {
        self.forwardBeta = forwardBeta
        self.x = x
        self.centre = centre
        self.radius = radius
        directions = LoopIntegralAnalysis.orthonormalPair(dimension: centre.count, seed: seed)
    }

    /// Two orthonormal vectors from Gaussian draws of `PhiloxGenerator(seed:)` (Gram-Schmidt).
    public static func orthonormalPair(dimension: Int, seed: UInt64) -> ([Double], [Double]) {
        var rng = PhiloxGenerator(seed: seed)
        var a = (0..<dimension).map { _ in rng.normal() }
        var b = (0..<dimension).map { _ in rng.normal() }
        let na = norm(a)
        a = a.map { $0 / na }
        let proj = dot(a, b)
        for k in b.indices { b[k] -= proj * a[k] }
        let nb = norm(b)
        b = b.map { $0 / nb }
        return (a, b)
    }

    /// The gradient field at `θ = (w, v1, v2, u1, u2)`: forward with `forward` steepness, `σ'_{backward}` at every node.
    public func gradient(_ theta: [Double], forward bf: Double, backward bb: Double) -> [Double] {
        let (w, v1, v2, u1, u2) = (theta[0], theta[1], theta[2], theta[3], theta[4])
        let g = sigmoid(w * x, beta: bf)
        let h1 = sigmoid(v1 * g, beta: bf), h2 = sigmoid(v2 * g, beta: bf)
        let da = sigmoidDerivative(u1 * h1 + u2 * h2, beta: bb)
        let d1 = sigmoidDerivative(v1 * g, beta: bb), d2 = sigmoidDerivative(v2 * g, beta: bb)
        let dc: Double = sigmoidDerivative(w * x, beta: bb)
        let inner: Double = u1 * d1 * v1 + u2 * d2 * v2
        let dw: Double = da * inner * dc * x
        return [dw, da * u1 * d1 * g, da * u2 * d2 * g, da * h1, da * h2]
    }

    /// The field's value at `θ`.
    public func field(_ f: Field, at theta: [Double]) -> [Double] {
        switch f {
        case .surrogate(let b): return gradient(theta, forward: forwardBeta, backward: b)
        case .smoothedTrue(let b): return gradient(theta, forward: b, backward: b)
        }
    }

    /// The point of the loop at angle φ and its derivative `dθ/dφ`.
    public func loopPoint(_ phi: Double) -> (point: [Double], tangent: [Double]) {
        let (c, s) = (Double.cos(phi), Double.sin(phi))
        let (e1, e2) = directions
        var p = centre, t = centre
        for k in centre.indices {
            let along: Double = c * e1[k] + s * e2[k]
            let across: Double = c * e2[k] - s * e1[k]
            p[k] = centre[k] + radius * along
            t[k] = radius * across
        }
        return (p, t)
    }

    /// `G(θ(φ_i)) · θ'(φ_i)` at `φ_i = 2π i / N`, i = 0..N-1 (the integrand per unit angle).
    public func integrand(_ f: Field, points n: Int) -> [Double] {
        (0..<n).map { i in
            let (p, t) = loopPoint(2 * Double.pi * Double(i) / Double(n))
            return dot(field(f, at: p), t)
        }
    }

    /// `∮ G · dθ` with `n` points.
    public func loopIntegral(_ f: Field, points n: Int) -> Double {
        var sum = 0.0
        for v in integrand(f, points: n) { sum += v }
        return sum * 2 * Double.pi / Double(n)
    }

    /// The loop integrals of every field for every point count.
    public func convergenceTable(fields: [Field], points: [Int]) -> [Result] {
        fields.flatMap { f in points.map { Result(field: f, points: $0, integral: loopIntegral(f, points: $0)) } }
    }
}

/// A number without a trailing `.0` when it is whole (`20`, `0.5`).
func shortNumber(_ v: Double) -> String {
    v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : "\(v)"
}
