import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine
/// The single stochastic Perceptron of SPEC claim 1 (Fig. 1B, S3): on a grid of membrane potentials `U`, the
/// surrogate derivative, the derivative of the expected output, and the smoothed stochastic derivatives.
public struct SinglePerceptronAnalysis: Sendable {
    /// One grid point.
    public struct Row: Sendable, Equatable {
        /// The membrane potential.
        public var potential: Double
        /// The escape probability `p = E[y]`.
        public var probability: Double
        /// The surrogate derivative `SD(U - θ)` of the spike function (spike 0 given; only multilayer-spiker uses it).
        public var surrogate: Double
        /// `dE[y]/dU = p'(U - θ)`.
        public var expectedDerivative: Double
        /// Smoothed left derivative `y/p · p'` for y = 0 and y = 1.
        public var left: (y0: Double, y1: Double)
        /// Smoothed right derivative `(1 - y)/(1 - p) · p'` for y = 0 and y = 1.
        public var right: (y0: Double, y1: Double)
        /// The affine combination `p · left + (1 - p) · right` for y = 0 and y = 1.
        public var affine: (y0: Double, y1: Double)

        /// The largest difference between the surrogate derivative, `dE[y]/dU` and the affine combination (both y).
        public var largestDifference: Double {
            let v = [surrogate, expectedDerivative, affine.y0, affine.y1]
            return v.max()! - v.min()!
        }

        public static func == (a: Row, b: Row) -> Bool {
            a.potential == b.potential && a.probability == b.probability && a.surrogate == b.surrogate
                && a.expectedDerivative == b.expectedDerivative && a.left == b.left && a.right == b.right
                && a.affine == b.affine
        }
    }

    /// The spike function analysed.
    public var spike: SpikeFunction
    /// The threshold θ.
    public var threshold: Double
    /// One row per grid point.
    public var rows: [Row]

    /// Evaluates every quantity at each potential of `grid`.
    public init(spike: SpikeFunction, threshold: Double = 0, grid: [Double]) {
        self.spike = spike
        self.threshold = threshold
        rows = grid.map { u in
            let x = u - threshold
            let p: Double = spike.probability(x)
            let dp: Double = spike.escape.probabilityDerivative(x)
            let sd: Double = spike.surrogateDerivative(x, spike: 0)
            func value(_ d: SmoothedStochasticDerivative, _ y: Double) -> Double {
                d.value(probability: p, derivative: dp, spike: y)
            }
            return Row(potential: u, probability: p, surrogate: sd,
                       expectedDerivative: dp, left: (value(.left, 0), value(.left, 1)),
                       right: (value(.right, 0), value(.right, 1)), affine: (value(.matched, 0), value(.matched, 1)))
        }
    }

    /// The largest difference between SD, `dE[y]/dU` and the affine combination over the grid (0 up to rounding when
    /// the surrogate is matched to the escape noise).
    public var largestDifference: Double { rows.map(\.largestDifference).max() ?? 0 }
}

/// `count` evenly spaced values from `lower` to `upper`, both included (`numpy.linspace`).
public func linspace(_ lower: Double, _ upper: Double, count: Int) -> [Double] {
    guard count > 1 else { return count == 1 ? [lower] : [] }
    let step = (upper - lower) / Double(count - 1)
    return (0..<count).map { $0 == count - 1 ? upper : lower + Double($0) * step }
}
