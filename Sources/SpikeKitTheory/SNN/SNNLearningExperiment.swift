import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine
import Foundation

/// Does bias or variance decide learning? The same stochastic LIF network (issue 13, item 4) trained on a small
/// Randman task with three gradient estimators: the stochastic surrogate gradient (biased, low variance),
/// REINFORCE with a baseline and stochastic triples (both unbiased), at equal numbers of samples and equal wall time.
///
/// Every update draws a minibatch of `batch` training examples (the same examples, in the same order, for every
/// estimator) and one noise sample per example; the update is Adam (β1 = 0.9, β2 = 0.999, ε = 1e-8) on the
/// minibatch mean of the estimates. REINFORCE's baseline is the running mean of the minibatch losses before the
/// update (independent of the sample it multiplies). A run stops once it has made `updates` updates and trained
/// for `seconds` (training time only; evaluations are not timed), so that the curves can be compared both against
/// samples and against seconds. The test loss is the mean over the test set of `evaluationSamples` noisy forward
/// passes with draws shared by every estimator; accuracy counts the arg max over classes of the max-over-time
/// readout membrane (ties shared).
public struct SNNLearningExperiment: Sendable {
    public struct Configuration: Sendable, Equatable {
        public var data = Randman.Configuration()
        public var hidden = 12
        public var escapeBeta = 5.0
        public var updates = 300
        public var seconds = 2.0
        public var batch = 8
        public var learningRate = 0.02
        public var testFraction = 0.3
        public var evaluationSamples = 4
        /// Evaluate every this many updates (after `updates`, every `updates / 2`).
        public var evaluateEvery = 10
        public var weightMean = 3.2
        public var weightSpread = 1.6
        public var seed: UInt64 = 0

        public init() {
            data.classes = 3
            data.units = 8
            data.steps = 12
            data.samplesPerClass = 150
            data.dt = 1e-3
        }

        /// Rejects impossible values with a message naming the parameter.
        public func validate() throws {
            try data.validate()
            func bad(_ m: String) -> SpikeKitError { .invalidConfiguration(m) }
            guard hidden >= 1, hidden <= 256 else { throw bad("hidden units must be between 1 and 256, got \(hidden)") }
            guard escapeBeta.isFinite, escapeBeta > 0 else { throw bad("the escape-noise β must be positive") }
            guard updates >= 1, batch >= 1, evaluateEvery >= 1, evaluationSamples >= 1 else {
                throw bad("updates, batch, evaluation samples and the evaluation interval must be at least 1")
            }
            guard seconds.isFinite, seconds >= 0 else { throw bad("seconds must be non-negative") }
            guard learningRate.isFinite, learningRate > 0 else { throw bad("the learning rate must be positive") }
            guard testFraction > 0, testFraction < 1 else { throw bad("the test fraction must be in (0, 1)") }
            guard data.classes >= 2 else { throw bad("the task needs at least 2 classes") }
            guard weightMean.isFinite, weightSpread.isFinite, weightSpread >= 0 else { throw bad("weight mean and spread must be finite") }
        }
    }

    /// One evaluation point of a run.
    public struct Point: Sendable, Equatable {
        public var update: Int
        /// Noise samples consumed so far (updates × batch).
        public var samples: Int
        /// Training seconds so far (evaluations excluded).
        public var seconds: Double
        public var testLoss: Double
        public var testAccuracy: Double
    }

    /// The curve of one estimator.
    public struct Run: Sendable {
        public var estimator: GradientEstimator
        public var points: [Point]
        /// Mean training seconds per update.
        public var secondsPerUpdate: Double
    }

    public let configuration: Configuration
    public let network: StochasticLIFNetwork
    public let train: [(input: SpikeTrains, label: Int)]
    public let test: [(input: SpikeTrains, label: Int)]

    /// Generates the data and the initial network (weights from `seed`, as `SNNBiasSetup.randomNetwork`).
    public init(_ c: Configuration) throws {
        try c.validate()
        var data = c.data
        data.seed = c.seed
        let samples = try Randman.generate(data)
        let nTest = max(1, Int((Double(samples.spikes.count) * c.testFraction).rounded()))
        let all = Array(zip(samples.spikes, samples.labels)).map { (input: $0.0, label: $0.1) }
        guard all.count > nTest else { throw SpikeKitError.invalidConfiguration("too few samples for a train/test split") }
        test = Array(all[..<nTest])
        train = Array(all[nTest...])
        let spike = try SpikeFunction(escape: .sigmoid(beta: c.escapeBeta), surrogate: .matched)
        let d = NetworkDescription(dt: data.dt, input: InputDescription(shape: [data.units]), layers: [
            LayerDescription(kind: .lif, units: c.hidden, tauMem: 4 * data.dt, tauSyn: 2 * data.dt, spike: spike),
            LayerDescription(kind: .readout, units: data.classes, tauMem: 8 * data.dt, tauSyn: 2 * data.dt),
        ])
        let base = try SNNBiasSetup.randomNetwork(architecture: try NetworkArchitecture(d), steps: data.steps, seed: c.seed,
                                                  weightMean: c.weightMean, weightSpread: c.weightSpread)
        network = try base.with(input: train[0].input, objective: .crossEntropy(label: train[0].label, activityRegularizer: nil))
        configuration = c
    }

    /// The estimators compared: stochastic SG, REINFORCE with a baseline, stochastic triples.
    public static let estimators: [GradientEstimator] = [.stochasticSurrogate, .reinforce(baseline: 0), .stochasticTriples]

    /// Trains a copy of the initial network with `estimator`.
    public func run(_ estimator: GradientEstimator) throws -> Run {
        let c = configuration
        var w = network.parameters
        let P = w.count
        var m = [Double](repeating: 0, count: P), v = m
        var order = PhiloxGenerator(seed: c.seed, stream: 10)  // minibatches: the same for every estimator
        var noise = PhiloxGenerator(seed: c.seed, stream: 11)
        var baseline = 0.0, baselineReady = false
        var points = [try evaluate(w, update: 0, seconds: 0)]
        var trainingSeconds = 0.0
        let clock = ContinuousClock()
        var update = 0
        while update < c.updates || trainingSeconds < c.seconds {
            let start = clock.now
            var grad = [Double](repeating: 0, count: P)
            var lossSum = 0.0
            let current = network.with(parameters: w)
            for _ in 0..<c.batch {
                let ex = train[Int(order.next32()) % train.count]
                let net = try current.with(input: ex.input, objective: .crossEntropy(label: ex.label, activityRegularizer: nil))
                let g: [Double]
                switch estimator {
                case .reinforce:
                    let path = net.simulate(uniforms: net.drawUniforms(using: &noise))
                    let L = net.loss(path)
                    lossSum += L
                    var r = net.pathwiseGradient(along: path)
                    let s = net.scoreGradient(along: path)
                    let weight = L - (baselineReady ? baseline : L)
                    for k in 0..<P { r[k] += weight * s[k] }
                    g = r
                default:
                    g = net.sampleGradient(estimator, using: &noise)
                }
                for k in 0..<P { grad[k] += g[k] / Double(c.batch) }
            }
            if case .reinforce = estimator {
                let mean = lossSum / Double(c.batch)
                baseline = baselineReady ? 0.9 * baseline + 0.1 * mean : mean
                baselineReady = true
            }
            update += 1
            let t = Double(update)
            for k in 0..<P {
                m[k] = 0.9 * m[k] + 0.1 * grad[k]
                v[k] = 0.999 * v[k] + 0.001 * grad[k] * grad[k]
                let mh = m[k] / (1 - Foundation.pow(0.9, t)), vh = v[k] / (1 - Foundation.pow(0.999, t))
                w[k] -= c.learningRate * mh / (vh.squareRoot() + 1e-8)
            }
            let elapsed = clock.now - start
            trainingSeconds += Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            let due = update <= c.updates ? update % c.evaluateEvery == 0 : update % max(1, c.updates / 2) == 0
            let last = update >= c.updates && trainingSeconds >= c.seconds
            if due || last { points.append(try evaluate(w, update: update, seconds: trainingSeconds)) }
        }
        return Run(estimator: estimator, points: points, secondsPerUpdate: trainingSeconds / Double(max(update, 1)))
    }

    /// Test loss and accuracy of weights `w`, over `evaluationSamples` noisy passes per test example (stream 12,
    /// the same draws for every estimator and every evaluation).
    func evaluate(_ w: [Double], update: Int, seconds: Double) throws -> Point {
        var rng = PhiloxGenerator(seed: configuration.seed, stream: 12)
        let current = network.with(parameters: w)
        var loss = 0.0, correct = 0.0
        let n = Double(test.count * configuration.evaluationSamples)
        let classes = current.architecture.outputShape.count
        for ex in test {
            let net = try current.with(input: ex.input, objective: .crossEntropy(label: ex.label, activityRegularizer: nil))
            for _ in 0..<configuration.evaluationSamples {
                let path = net.simulate(uniforms: net.drawUniforms(using: &rng))
                loss += net.loss(path)
                let u = path.potential[path.potential.count - 1]
                var peak = [Double](repeating: -.infinity, count: classes)
                for t in 0..<net.steps { for q in 0..<classes { peak[q] = max(peak[q], u[t * classes + q]) } }
                // Ties (a silent readout keeps U[0] as every maximum) are broken at random: 1/k for k tied classes.
                let top = peak.max()!
                let tied = peak.indices.filter { peak[$0] == top }
                if tied.contains(ex.label) { correct += 1 / Double(tied.count) }
            }
        }
        return Point(update: update, samples: update * configuration.batch, seconds: seconds, testLoss: loss / n,
                     testAccuracy: correct / n)
    }

    /// The point of `run` at `samples` noise samples (the last evaluation at or before it) and at `seconds` seconds.
    public static func point(_ run: Run, atSamples samples: Int) -> Point? { run.points.last { $0.samples <= samples } }
    public static func point(_ run: Run, atSeconds seconds: Double) -> Point? { run.points.last { $0.seconds <= seconds } }
}
