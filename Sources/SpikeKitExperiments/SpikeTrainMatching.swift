import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine
import Foundation

/// The spike-train-matching experiment (SPEC section 5, the paper's Fig. 6): a 200 → 200 → N network learns to
/// reproduce a binary target raster (N neurons × T steps) from frozen Poisson input, deterministic (SuperSpike) or
/// stochastic (sigmoid escape noise, SuperSpike or matched surrogate, gradient averaged over trials), by plain
/// gradient descent on the L2 spike loss with BPTT, or with the online SuperSpike rule.
public struct SpikeTrainMatching: Sendable {
    /// How the weight update is computed.
    public enum UpdateRule: String, Codable, Sendable, CaseIterable {
        /// BPTT of the L2 spike loss (SPEC section 5), plain gradient descent.
        case bptt
        /// The online SuperSpike rule computed forward in time (`OnlineSuperSpike`).
        case online
    }

    /// The surrogate derivative of the stochastic network.
    public enum StochasticSurrogate: String, Codable, Sendable, CaseIterable {
        /// The derivative of the layer's sigmoid escape noise (smoothed stochAD, SPEC section 5).
        case matched
        /// SuperSpike with the configuration's `surrogateBeta`, as the SHD networks use.
        case superspike

        /// The surrogate derivative this choice stands for.
        func derivative(superspikeBeta: Double) -> SurrogateDerivative {
            self == .matched ? .matched : .superspike(beta: superspikeBeta)
        }
    }

    /// Every parameter of the experiment, with the paper's values as defaults.
    public struct Configuration: Codable, Equatable, Sendable {
        public var inputs = 200
        public var hidden = 200
        /// Input rate in Hz (p = rate · Δt per step).
        public var inputRate = 50.0
        public var epochs = 1500
        public var trials = 10
        public var rule: UpdateRule = .bptt
        /// Learning rate of BPTT gradient descent for the output layer.
        public var learningRate = 40.0
        /// Learning rate of BPTT gradient descent for the hidden layer (nil: the same as `learningRate`).
        public var hiddenLearningRate: Double? = 1.0
        /// Learning rates and Δu_o of the online rule.
        public var onlineHiddenLearningRate = 1e-5
        public var onlineOutputLearningRate = 1e-5
        public var outputScale = 0.013
        public var betaHidden = 10.0
        public var betaOutput = 100.0
        public var surrogateBeta = 10.0
        /// The stochastic network's surrogate derivative: SuperSpike with `surrogateBeta` in both layers (default),
        /// or the one matched to its escape noise (SPEC section 5). With BPTT of the L2 loss the matched derivative
        /// of the output's sigmoid(β = 100) is non-zero only within about ±0.05 of the threshold, so output neurons far
        /// below it get no gradient and the network learns only the picture's dark regions (L2 0.84 of a silent
        /// output on the paper's picture against 0.70 with SuperSpike).
        public var stochasticSurrogate: StochasticSurrogate = .superspike
        /// Fluctuation-driven initialization: target membrane fluctuation σ_u and presynaptic rate ν (Hz). nil
        /// chooses per network, as SPEC section 6 also initialises the two variants differently: 2 for the
        /// deterministic one, which learns the picture best from there with BPTT in 1500 epochs, and the paper's 1
        /// for the stochastic one, whose hidden and output Fano factors then both fall during training.
        public var sigmaU: Double? = nil
        public var nu = 50.0
        public var seed: UInt64 = 1
        /// The van Rossum distance and the Fano factors, which need the recorded rasters of every trial, are
        /// measured every `statisticsEvery` epochs (from epoch 0) and in the last epoch; loss and firing rates every
        /// epoch. Training is the same for any value.
        public var statisticsEvery = 10

        public init() {}

        /// Rejects impossible values with a message naming the option.
        public func validate() throws {
            func bad(_ m: String) -> SpikeKitError { .invalidConfiguration(m) }
            guard inputs > 0, hidden > 0 else { throw bad("inputs and hidden must be positive") }
            guard statisticsEvery >= 1 else { throw bad("statistics interval must be at least 1 epoch, got \(statisticsEvery)") }
            guard inputRate > 0, inputRate * 1e-3 < 1 else { throw bad("input rate must be in (0, 1000) Hz, got \(inputRate)") }
            guard epochs >= 0 else { throw bad("epochs must be at least 0") }
            guard trials >= 1 else { throw bad("trials must be at least 1") }
            // The values become Float in the network and the optimizer: they must be finite as Float (|v| < 3.4e38).
            for (n, v) in [("learning rate", learningRate), ("hidden learning rate", hiddenLearningRate ?? 0),
                           ("online hidden learning rate", onlineHiddenLearningRate),
                           ("online output learning rate", onlineOutputLearningRate)] where !(Float(v).isFinite && v >= 0) {
                throw bad("\(n) must be a non-negative number below 3.4e38, got \(v)")
            }
            for (n, v) in [("beta hidden", betaHidden), ("beta output", betaOutput), ("surrogate beta", surrogateBeta),
                           ("sigma_u", sigmaU ?? 1), ("nu", nu), ("output scale", outputScale)] where !(Float(v).isFinite && v > 0) {
                throw bad("\(n) must be a positive number below 3.4e38, got \(v)")
            }
        }
    }

    /// Metrics of one epoch (after its update for training epochs; epoch 0 is the initial network).
    public struct EpochMetrics: Codable, Equatable, Sendable {
        public var epoch: Int
        /// The L2 spike loss, mean over trials.
        public var loss: Double
        /// `loss` divided by the loss of a silent output.
        public var relativeLoss: Double
        /// The van Rossum distance of the output to the target, mean over trials; nil in epochs without statistics.
        public var vanRossum: Double?
        public var hiddenRate: Double
        public var outputRate: Double
        /// Fano factors over trials (stochastic network), nil when undefined or not measured in this epoch.
        public var hiddenFano: Double?
        public var outputFano: Double?
    }

    public let configuration: Configuration
    public let stochastic: Bool
    public let description: NetworkDescription
    public let architecture: NetworkArchitecture
    /// The target raster `[T][N]`.
    public let target: [Float]
    public let steps: Int
    public let outputs: Int
    /// The frozen Poisson input.
    public let input: SpikeTrains

    /// Sets up the network, the input and the target. `target` is `[steps][neurons]`, 0/1.
    public init(configuration: Configuration, stochastic: Bool, target: [Float], neurons: Int, steps: Int) throws {
        try configuration.validate()
        guard neurons > 0, steps > 0, target.count == neurons * steps else {
            throw SpikeKitError.shapeMismatch("the target has \(target.count) values, expected \(neurons) neurons × \(steps) steps")
        }
        guard target.allSatisfy({ $0 == 0 || $0 == 1 }) else {
            throw SpikeKitError.invalidConfiguration("the target raster must hold only 0 and 1")
        }
        self.configuration = configuration
        self.stochastic = stochastic
        self.target = target
        self.steps = steps
        self.outputs = neurons
        description = try PaperNetworks.spikeTrainMatching(
            inputs: configuration.inputs, hidden: configuration.hidden, outputs: neurons, stochastic: stochastic,
            betaHidden: configuration.betaHidden, betaOutput: configuration.betaOutput, surrogateBeta: configuration.surrogateBeta,
            stochasticSurrogate: configuration.stochasticSurrogate.derivative(superspikeBeta: configuration.surrogateBeta))
        architecture = try NetworkArchitecture(description)
        var g = PhiloxGenerator(seed: configuration.seed, stream: 11)
        let p = configuration.inputRate * architecture.dt
        input = try SpikeTrains(raster: ArraySlice((0 ..< steps * configuration.inputs).map { _ in g.uniform() < p ? Float(1) : 0 }),
                                steps: steps, units: configuration.inputs)
    }

    /// The initial weights (fluctuation-driven initialization, SPEC section 8), from the configuration's seed.
    public func initialParameters() throws -> NetworkParameters {
        try FluctuationDrivenInit(sigmaU: sigmaU, nu: configuration.nu, alpha: 1)
            .parameters(for: architecture, seed: configuration.seed &+ (stochastic ? 2 : 1))
    }

    /// σ_u of the initialization for this network.
    public var sigmaU: Double { configuration.sigmaU ?? (stochastic ? 1 : 2) }

    /// Trials per epoch: 1 for the deterministic network, `trials` for the stochastic one.
    public var trialsPerEpoch: Int { stochastic ? configuration.trials : 1 }

    /// The loss of a silent output: (number of target spikes) / (2N).
    public var silentLoss: Double { Double(target.reduce(0, +)) / Double(2 * outputs) }

    /// Runs one epoch on `simulator` (loaded with `parameters`): simulates the trials with the noise of `epoch`,
    /// computes the update with the configured rule and applies it. Returns the metrics of the simulated (pre-update)
    /// network and the output rasters of the trials.
    public func trainEpoch(_ epoch: Int, simulator: Simulator, parameters: inout NetworkParameters,
                           optimizer: inout any Optimizer) throws -> (metrics: EpochMetrics, outputs: [[Float]]) {
        let B = trialsPerEpoch
        let inputs = [SpikeTrains](repeating: input, count: B)
        let targets = [[Float]](repeating: target, count: B)
        try simulator.load(parameters)
        let noise = NoiseSource.philox(seed: configuration.seed, iteration: UInt32(truncatingIfNeeded: epoch))
        let statistics = epoch % configuration.statisticsEvery == 0 || epoch == configuration.epochs - 1
        let r: SimulationResult
        switch configuration.rule {
        case .bptt:
            r = try simulator.run(inputs: inputs, loss: .l2Spikes, targets: .spikes(targets), noise: noise, gradients: true,
                                  record: statistics)
            var g = r.gradients!
            if let h = configuration.hiddenLearningRate, configuration.learningRate > 0 {
                let scale = Float(h / configuration.learningRate)
                // One pass over the buffer: indexing through the nested arrays checks at every element whether
                // their storage is shared, which cost 15 % of a deterministic epoch.
                g.feedForward[0].scalars.withUnsafeMutableBufferPointer { w in
                    for k in w.indices { w[k] *= scale }
                }
            }
            optimizer.step(parameters: &parameters, gradients: g)
        case .online:
            r = try simulator.run(inputs: inputs, loss: .l2Spikes, targets: .spikes(targets), noise: noise, record: true,
                                  recordSurrogates: true)
            let rule = OnlineSuperSpike(outputScale: configuration.outputScale,
                                        hiddenLearningRate: configuration.onlineHiddenLearningRate,
                                        outputLearningRate: configuration.onlineOutputLearningRate)
            let u = try rule.updates(architecture: architecture, parameters: parameters, inputs: inputs, result: r,
                                     targets: targets, threads: simulator.threads)
            rule.apply(u, to: &parameters)
        }
        return metrics(epoch: epoch, result: r, statistics: statistics)
    }

    /// Simulates the current parameters without updating (for the initial and final pictures).
    public func evaluate(epoch: Int, simulator: Simulator, parameters: NetworkParameters) throws -> (metrics: EpochMetrics, outputs: [[Float]]) {
        let B = trialsPerEpoch
        try simulator.load(parameters)
        let r = try simulator.run(inputs: [SpikeTrains](repeating: input, count: B), loss: .l2Spikes,
                                  targets: .spikes([[Float]](repeating: target, count: B)),
                                  noise: .philox(seed: configuration.seed, iteration: UInt32(truncatingIfNeeded: epoch)), record: true)
        return metrics(epoch: epoch, result: r, statistics: true)
    }

    /// The epoch's metrics; the van Rossum distance and Fano factors (and the output rasters) only with `statistics`
    /// and a recorded result.
    private func metrics(epoch: Int, result r: SimulationResult, statistics: Bool) -> (metrics: EpochMetrics, outputs: [[Float]]) {
        let B = trialsPerEpoch, T = steps, N = outputs, H = configuration.hidden
        let hiddenRate = Double(r.spikeCounts[0]) / Double(B * T * H) / architecture.dt
        let outputRate = Double(r.spikeCounts[1]) / Double(B * T * N) / architecture.dt
        guard statistics, let recorded = r.spikes else {
            return (EpochMetrics(epoch: epoch, loss: r.loss, relativeLoss: r.loss / max(silentLoss, 1e-12), vanRossum: nil,
                                 hiddenRate: hiddenRate, outputRate: outputRate, hiddenFano: nil, outputFano: nil), [])
        }
        let out = recorded[1].scalars, hid = recorded[0].scalars
        let outTrials = (0 ..< B).map { Array(out[$0 * T * N ..< ($0 + 1) * T * N]) }
        let hidTrials = (0 ..< B).map { Array(hid[$0 * T * H ..< ($0 + 1) * T * H]) }
        let vr = outTrials.reduce(0.0) {
            $0 + SpikeStatistics.vanRossumDistance($1, target, steps: T, neurons: N, dt: architecture.dt)
        } / Double(B)
        let m = EpochMetrics(
            epoch: epoch, loss: r.loss, relativeLoss: r.loss / max(silentLoss, 1e-12), vanRossum: vr,
            hiddenRate: hiddenRate, outputRate: outputRate,
            hiddenFano: B > 1 ? SpikeStatistics.fanoFactor(trials: hidTrials, steps: T, neurons: H) : nil,
            outputFano: B > 1 ? SpikeStatistics.fanoFactor(trials: outTrials, steps: T, neurons: N) : nil)
        return (m, outTrials)
    }
}
