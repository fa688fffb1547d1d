import SpikeKitFormats
import SpikeKitKernels
import Foundation
import RealModule

/// A smooth random manifold (Zenke & Vogels 2021, the `randman` package): a map from the intrinsic coordinates
/// x ∈ [0, 1]^d into D embedding dimensions, each coordinate a product over the d intrinsic axes of a random sum of
/// sinusoids whose amplitudes fall off as a power law:
/// ```
/// f_j(x) = Π_{i<d} Σ_{k<F} a_{jik} s_k sin(2π (k x_i b_{jik} + c_{jik})),   s_k = 1 / ((k+1)^α + 1)
/// ```
/// with a, b, c uniform in [0, 1) (a_{ji0} = 0, no constant term) and F = min(⌈precision^{-1/α}⌉, maxFrequencies)
/// frequencies. The larger α, the smoother the manifold.
public struct RandomManifold: Sendable {
    /// D, the number of embedding dimensions (units).
    public let embeddingDimension: Int
    /// d, the intrinsic dimension.
    public let manifoldDimension: Int
    /// α, the power-law exponent of the spectrum.
    public let alpha: Double
    /// F, the number of frequencies.
    public let frequencies: Int
    /// (a, b, c) per (embedding j, axis i, frequency k), index ((j·d + i)·F + k)·3.
    private let parameters: [Double]
    private let spectrum: [Double]

    /// F = min(⌈precision^{-1/α}⌉, maxFrequencies): 1000 for α = 1 and the default precision 1e-3.
    public static func frequencyCount(alpha: Double, precision: Double = 1e-3, maxFrequencies: Int = 1000) -> Int {
        let f = Double.pow(precision, -1 / alpha).rounded(.up)
        return max(1, min(f.isFinite ? Int(min(f, 1e9)) : maxFrequencies, maxFrequencies))
    }

    /// A manifold whose random parameters come from `PhiloxGenerator(seed:stream:)`, drawn in the order
    /// (embedding j, axis i, basis a/b/c, frequency k) as randman draws its `(D, d, 3, F)` array.
    public init(embeddingDimension: Int, manifoldDimension: Int, alpha: Double, precision: Double = 1e-3,
                maxFrequencies: Int = 1000, seed: UInt64, stream: UInt64) {
        self.embeddingDimension = embeddingDimension
        self.manifoldDimension = manifoldDimension
        self.alpha = alpha
        let F = Self.frequencyCount(alpha: alpha, precision: precision, maxFrequencies: maxFrequencies)
        frequencies = F
        var rng = PhiloxGenerator(seed: seed, stream: stream)
        var p = [Double](repeating: 0, count: embeddingDimension * manifoldDimension * F * 3)
        for j in 0 ..< embeddingDimension {
            for i in 0 ..< manifoldDimension {
                for basis in 0 ..< 3 {
                    for k in 0 ..< F {
                        let v = rng.uniform()
                        p[((j * manifoldDimension + i) * F + k) * 3 + basis] = basis == 0 && k == 0 ? 0 : v
                    }
                }
            }
        }
        parameters = p
        spectrum = (0 ..< F).map { 1 / (Double.pow(Double($0 + 1), alpha) + 1) }
    }

    /// The embedding f(x) of one point x ∈ [0, 1]^d (D values).
    public func evaluate(_ x: [Double]) -> [Double] {
        let d = manifoldDimension, F = frequencies
        return (0 ..< embeddingDimension).map { j in
            var product = 1.0
            for i in 0 ..< d {
                var sum = 0.0
                let base = (j * d + i) * F * 3
                for k in 0 ..< F {
                    let a = parameters[base + 3 * k], b = parameters[base + 3 * k + 1], c = parameters[base + 3 * k + 2]
                    sum += a * spectrum[k] * Double.sin(2 * Double.pi * (Double(k) * x[i] * b + c))
                }
                product *= sum
            }
            return product
        }
    }
}

/// The "tempo randman" spike-timing classification data of Zenke & Vogels (2021) (stork's `make_tempo_randman`):
/// each class is a random manifold in `units` dimensions (one per spike of a unit); a sample is a uniformly drawn
/// point on its class's manifold, each coordinate normalised over the class's samples to [0, 1) and turned into one
/// spike time of one unit. Every unit fires `spikesPerUnit` spikes in every sample, so only the timing carries
/// the class.
///
/// Step of a spike: `floor(steps · stepFraction · y)` with y = (f - min) / (max - min + 1e-7) over the class's
/// samples (stork's standardisation). Samples are shuffled after generation, as stork does.
public enum Randman {
    /// Every parameter of the generator, with the values of stork's Randman example as defaults.
    public struct Configuration: Codable, Equatable, Sendable {
        public var classes = 10
        public var units = 20
        public var steps = 100
        /// Step size in seconds (for export and for the network).
        public var dt = 2e-3
        public var samplesPerClass = 1000
        /// α, the smoothness (spectral decay exponent).
        public var alpha = 1.0
        /// d, the intrinsic dimension of each manifold.
        public var manifoldDimension = 1
        public var spikesPerUnit = 1
        /// The share of the window (from its start) in which spikes fall (stork's example: 0.5).
        public var stepFraction = 0.5
        /// The precision that sets the number of frequencies, F = ⌈precision^{-1/α}⌉.
        public var precision = 1e-3
        /// Upper bound on F (randman's max_f_cutoff).
        public var maxFrequencies = 1000
        public var seed: UInt64 = 42

        public init() {}

        /// Rejects impossible values with a message naming the parameter.
        public func validate() throws {
            func bad(_ m: String) -> SpikeKitError { .invalidConfiguration(m) }
            for (n, v) in [("classes", classes), ("units", units), ("steps", steps), ("samples per class", samplesPerClass),
                           ("manifold dimension", manifoldDimension), ("spikes per unit", spikesPerUnit),
                           ("max frequencies", maxFrequencies)] where v < 1 {
                throw bad("randman \(n) must be at least 1, got \(v)")
            }
            guard classes <= 65535, units <= 65535 else { throw bad("randman classes and units must fit in 16 bits") }
            guard Double(classes) * Double(samplesPerClass) <= 1e7 else { throw bad("randman: too many samples") }
            guard dt.isFinite, dt > 0 else { throw bad("randman dt must be positive, got \(dt)") }
            guard alpha.isFinite, alpha > 0 else { throw bad("randman alpha must be positive, got \(alpha)") }
            guard stepFraction > 0, stepFraction <= 1 else { throw bad("randman step fraction must be in (0, 1], got \(stepFraction)") }
            guard precision > 0, precision < 1 else { throw bad("randman precision must be in (0, 1), got \(precision)") }
        }
    }

    /// Generated samples.
    public struct Samples: Sendable, Equatable {
        public var configuration: Configuration
        /// One spike list per sample (duplicates within a step merged).
        public var spikes: [SpikeTrains]
        public var labels: [Int]

        /// The data in the SHD layout: spike times at the centre of their step, `(n + 0.5) Δt` (so that binning
        /// at Δt gives back step n), units, labels and class names "class <k>".
        public func shdDataset() throws -> SHDDataset {
            try SHDDataset(spikeTrains: spikes, labels: labels, dt: configuration.dt,
                           classNames: (0 ..< configuration.classes).map { "class \($0)" })
        }
    }

    /// Generates the data set: classes × samplesPerClass samples, shuffled. Deterministic in the seed: the manifold
    /// of class k and spike s uses stream 2^20 + k·spikesPerUnit + s, the intrinsic points of class k stream
    /// 2^21 + k, the shuffle stream 2^22.
    public static func generate(_ c: Configuration) throws -> Samples {
        try c.validate()
        let perClass = c.samplesPerClass, U = c.units, S = c.spikesPerUnit
        let window = Double(c.steps) * c.stepFraction
        final class Box: @unchecked Sendable { var events: [[[(step: Int, unit: Int)]]] = [] }
        let box = Box()
        box.events = Array(repeating: [], count: c.classes)
        let lock = NSLock()
        let workers = min(Parallel.defaultThreadCount, c.classes)
        Parallel.forEachWorker(workers) { w in
            for k in stride(from: w, to: c.classes, by: workers) {
                var rng = PhiloxGenerator(seed: c.seed, stream: (1 << 21) + UInt64(k))
                let x = (0 ..< perClass).map { _ in (0 ..< c.manifoldDimension).map { _ in rng.uniform() } }
                var events = [[(step: Int, unit: Int)]](repeating: [], count: perClass)
                for s in 0 ..< S {
                    let m = RandomManifold(embeddingDimension: U, manifoldDimension: c.manifoldDimension, alpha: c.alpha,
                                           precision: c.precision, maxFrequencies: c.maxFrequencies, seed: c.seed,
                                           stream: (1 << 20) + UInt64(k * S + s))
                    let y = x.map { m.evaluate($0) }
                    for j in 0 ..< U {
                        var lo = Double.infinity, hi = -Double.infinity
                        for v in y { lo = min(lo, v[j]); hi = max(hi, v[j]) }
                        for (i, v) in y.enumerated() {
                            let z = (v[j] - lo) / (hi - lo + 1e-7)
                            events[i].append((min(c.steps - 1, max(0, Int((window * z).rounded(.down)))), j))
                        }
                    }
                }
                lock.lock()
                box.events[k] = events
                lock.unlock()
            }
        }
        var order: [(Int, Int)] = []
        for k in 0 ..< c.classes { for i in 0 ..< perClass { order.append((k, i)) } }
        var rng = PhiloxGenerator(seed: c.seed, stream: 1 << 22)
        if order.count > 1 {
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                order.swapAt(i, SHDDataset.uniformIndex(below: i + 1, using: &rng))
            }
        }
        let spikes = try order.map { try SpikeTrains(steps: c.steps, units: U, events: box.events[$0.0][$0.1]) }
        return Samples(configuration: c, spikes: spikes, labels: order.map(\.0))
    }
}
