import SpikeKitFormats
import SpikeKitKernels
import Foundation

/// Trains any network the engine runs: a `NetworkDescription` with its `NetworkParameters`, a `LossFunction`, an
/// `Optimizer` and a training `Dataset` (optionally validation and test sets), epoch by epoch with evaluation.
///
/// One training step on batch b of epoch e: the batch's samples (`BatchSchedule`, shuffled from the seed),
/// forward and BPTT (`Simulator`), the gradients scaled per layer (`TrainerConfiguration.learningRateScales`),
/// clipped to the global norm (`gradientClipNorm`), one optimizer step with the scheduled learning rate
/// (`learningRateSchedule`, a pure function of (e, b)). Randomness is addressed, never sequential, so a run can
/// stop after any batch and continue bit-identically from its checkpoint:
/// - the escape noise of training batch b of epoch e is Philox iteration `e · batchesPerEpoch + b`, and so are its
///   dropout masks (their own counter word, `DropoutSource.philoxWord`, so independent of the noise); evaluations
///   and Fano-factor trials run without dropout;
/// - evaluation chunk k (of `evaluationBatchSize` samples) of a set uses iteration `evaluationIteration + k`, the
///   same every epoch (so evaluations are comparable across epochs);
/// - Fano-factor trial chunk k (50 trials) uses iteration `fanoIteration + k`.
///
/// `fit(callbacks:)` runs the remaining epochs and calls the callbacks (progress, checkpoints, early stopping);
/// `trainBatch()` and `finishEpoch()` are the steps it is made of. A `Trainer` owns a `Simulator`: copies of a
/// trainer share it, so use one copy at a time.
public struct Trainer: @unchecked Sendable {
    /// The first Philox iteration of evaluation noise (training uses iterations from 0 up).
    public static let evaluationIteration: UInt32 = 0xF000_0000
    /// The first Philox iteration of the Fano-factor trials.
    public static let fanoIteration: UInt32 = 0xF800_0000

    public let network: NetworkDescription
    public let architecture: NetworkArchitecture
    public let loss: LossFunction
    public let configuration: TrainerConfiguration
    public let training: any Dataset
    public let validation: (any Dataset)?
    public let test: (any Dataset)?
    public let schedule: BatchSchedule
    public private(set) var parameters: NetworkParameters
    public private(set) var optimizer: any Optimizer
    public internal(set) var position: TrainingPosition
    /// The metrics of every completed epoch.
    public internal(set) var history: [EpochMetrics]
    package private(set) var simulator: Simulator
    private var order: (epoch: Int, indices: [Int])?

    /// A fresh run.
    /// - Parameters:
    ///   - parameters: the initial weights; nil: fluctuation-driven from `configuration.initialization` and the seed.
    ///   - threads: worker threads of the simulator (default: all cores); results do not depend on it.
    /// - Throws: `SpikeKitError` when the network is invalid, the data do not fit it (units, steps, labels beyond
    ///   the readout, spike targets of the wrong size) or the loss does not fit the last layer.
    public init(network: NetworkDescription, parameters: NetworkParameters? = nil, loss: LossFunction,
                optimizer: any Optimizer, training: any Dataset, validation: (any Dataset)? = nil, test: (any Dataset)? = nil,
                configuration: TrainerConfiguration = TrainerConfiguration(), threads: Int? = nil) throws {
        let architecture = try NetworkArchitecture(network)
        try configuration.validate(layers: architecture.layers.count)
        try Self.check(architecture, loss: loss, sets: [("training", training), ("validation", validation), ("test", test)])
        self.network = network
        self.architecture = architecture
        self.loss = loss
        self.configuration = configuration
        self.training = training
        self.validation = validation
        self.test = test
        schedule = try BatchSchedule(count: training.count, batchSize: configuration.batchSize, seed: configuration.seed,
                                     shuffle: configuration.shuffle)
        let p = try parameters ?? configuration.initialization.parameters(for: architecture, seed: configuration.seed)
        try p.validate(for: architecture)
        self.parameters = p
        self.optimizer = optimizer
        position = TrainingPosition()
        position.spikeCounts = Array(repeating: 0, count: architecture.layers.count)
        history = []
        simulator = Simulator(architecture: architecture, threads: threads)
    }

    /// Whether every epoch is done (or a callback stopped the run).
    public var isFinished: Bool { position.epoch >= configuration.epochs || position.stopped != nil }

    /// Whether the current epoch's batches are done (its evaluation, `finishEpoch()`, is next).
    public var epochBatchesDone: Bool { position.batch >= schedule.batchesPerEpoch }

    /// The batch size used when evaluating.
    public var evaluationBatchSize: Int { configuration.evaluationBatchSize ?? configuration.batchSize }

    /// The learning rate of every layer: η times the layer's factor (η as its Float32 value prints, 0.01 not
    /// 0.009999999776482582).
    public var layerLearningRates: [Double] {
        let eta = Double("\(optimizer.learningRate)") ?? Double(optimizer.learningRate)
        return (0 ..< architecture.layers.count).map { eta * (configuration.learningRateScales?[$0] ?? 1) }
    }

    /// The learning rate of batch `batch` of epoch `epoch`: the schedule's rate from the optimizer's base rate
    /// (`optimizer.learningRate`, which stays the base rate between steps), or the base rate without a schedule.
    public func learningRate(epoch: Int, batch: Int) -> Float {
        guard let s = configuration.learningRateSchedule else { return optimizer.learningRate }
        return s.rate(base: optimizer.learningRate, epoch: epoch, batch: batch, batchesPerEpoch: schedule.batchesPerEpoch,
                      epochs: configuration.epochs)
    }

    /// Trains the next batch of the current epoch: forward, BPTT, per-layer factors, clipping, optimizer step.
    /// - Throws: `SpikeKitError.invalidConfiguration` when no batch is left in the epoch.
    @discardableResult
    public mutating func trainBatch() throws -> BatchResult {
        guard !isFinished, !epochBatchesDone else { throw SpikeKitError.invalidConfiguration("no training batch is left in this epoch") }
        let start = Date()
        if order?.epoch != position.epoch { order = (position.epoch, schedule.order(epoch: position.epoch)) }
        let b = position.batch
        let idx = schedule.batch(b, of: order!.indices)
        let (inputs, targets) = try training.batch(idx)
        let iteration = UInt32(truncatingIfNeeded: position.epoch * schedule.batchesPerEpoch + b)
        try simulator.load(parameters)
        let r = try architecture.realValuedInput
            ? simulator.run(currents: training.currentBatch(idx), loss: loss, targets: targets,
                            noise: .philox(seed: configuration.seed, iteration: iteration),
                            dropout: .philox(seed: configuration.seed, iteration: iteration), gradients: true, recordOutput: true)
            : simulator.run(inputs: inputs, loss: loss, targets: targets,
                                  noise: .philox(seed: configuration.seed, iteration: iteration),
                                  dropout: .philox(seed: configuration.seed, iteration: iteration), gradients: true,
                                  recordOutput: true)
        var g = r.gradients!
        if let scales = configuration.learningRateScales {
            for (l, s) in scales.enumerated() where s != 1 {
                let f = Float(s)
                g.feedForward[l].scalars.withUnsafeMutableBufferPointer { for k in $0.indices { $0[k] *= f } }
                if g.recurrent[l] != nil { g.recurrent[l]!.scalars.withUnsafeMutableBufferPointer { for k in $0.indices { $0[k] *= f } } }
                if l < g.biases.count, g.biases[l] != nil { g.biases[l]!.scalars.withUnsafeMutableBufferPointer { for k in $0.indices { $0[k] *= f } } }
                if l < g.logTauMem.count, g.logTauMem[l] != nil { g.logTauMem[l]!.scalars.withUnsafeMutableBufferPointer { for k in $0.indices { $0[k] *= f } } }
                if l < g.logTauSyn.count, g.logTauSyn[l] != nil { g.logTauSyn[l]!.scalars.withUnsafeMutableBufferPointer { for k in $0.indices { $0[k] *= f } } }
                if l < g.thresholds.count, g.thresholds[l] != nil { g.thresholds[l]!.scalars.withUnsafeMutableBufferPointer { for k in $0.indices { $0[k] *= f } } }
            }
        }
        let norm: Double, clipped: Bool
        if let c = configuration.gradientClipNorm {
            norm = g.clipGlobalNorm(maxNorm: c)
            clipped = c / (norm + 1e-6) < 1
        } else {
            norm = g.globalNorm
            clipped = false
        }
        let base = optimizer.learningRate
        let eta = learningRate(epoch: position.epoch, batch: b)
        if eta != base { optimizer.learningRate = eta }
        optimizer.step(parameters: &parameters, gradients: g)
        if eta != base { optimizer.learningRate = base }
        var correct: Int?
        if case .labels(let labels) = targets {
            correct = zip(loss.predictedClasses(output: r.output!) ?? [], labels).filter { $0 == $1 }.count
        }
        position.lossSum += r.sampleLosses.reduce(0, +)
        position.correct += correct ?? 0
        position.seen += idx.count
        for (l, k) in r.spikeCounts.enumerated() { position.spikeCounts[l] += k }
        position.batch += 1
        position.trainingSeconds += Date().timeIntervalSince(start)
        return BatchResult(epoch: position.epoch, batch: b, loss: r.loss, accuracy: correct.map { Double($0) / Double(idx.count) },
                           samples: idx.count, learningRate: eta, gradientNorm: norm, clipped: clipped)
    }

    /// Ends the current epoch: evaluates the validation and test sets, the firing rates and (when due) the Fano
    /// factors, appends the metrics to the history and moves to the next epoch.
    /// - Throws: `SpikeKitError.invalidConfiguration` when the epoch's batches are not done.
    @discardableResult
    public mutating func finishEpoch() throws -> EpochMetrics {
        guard epochBatchesDone else { throw SpikeKitError.invalidConfiguration("the epoch's batches are not done") }
        let start = Date()
        let valid = try validation.flatMap { try evaluate(on: $0) }
        let tested = try test.flatMap { try evaluate(on: $0) }
        let epoch = position.epoch + 1
        let c = configuration
        let due = c.fanoTrials >= 2 && ((c.fanoEvery > 0 && epoch % c.fanoEvery == 0) || epoch == c.epochs)
        var fano: [Double?] = Array(repeating: nil, count: architecture.layers.filter(\.isSpiking).count)
        if due, isStochastic, let f = try measureFano() { fano = f }
        let m = EpochMetrics(
            epoch: epoch, trainLoss: position.lossSum / Double(max(position.seen, 1)),
            trainAccuracy: training.isLabelled ? Double(position.correct) / Double(max(position.seen, 1)) : nil,
            trainRates: rates(spikeCounts: position.spikeCounts, samples: position.seen, steps: training.steps),
            validation: valid, test: tested, fano: fano, trainingSeconds: position.trainingSeconds,
            evaluationSeconds: Date().timeIntervalSince(start))
        history.append(m)
        let stopped = position.stopped
        position = TrainingPosition()
        position.epoch = epoch
        position.stopped = stopped
        position.spikeCounts = Array(repeating: 0, count: architecture.layers.count)
        return m
    }

    /// Whether any layer has stochastic (escape-noise) spikes.
    public var isStochastic: Bool { architecture.layers.contains { $0.spike?.escape.isStochastic == true } }

    /// Evaluates the current weights on `data` with the noise on: simulations of `evaluationBatchSize` samples,
    /// chunk k with Philox iteration `evaluationIteration + k`. nil for an empty set.
    public func evaluate(on data: any Dataset) throws -> Evaluation? {
        try evaluate(parameters, on: data)
    }

    /// Evaluates `parameters` on `data` (see `evaluate(on:)`).
    public func evaluate(_ parameters: NetworkParameters, on data: any Dataset) throws -> Evaluation? {
        let n = data.count, bs = evaluationBatchSize
        guard n > 0 else { return nil }
        try simulator.load(parameters)
        var lossSum = 0.0, correct = 0
        var counts = [Int](repeating: 0, count: architecture.layers.count)
        var chunk = 0
        for start in stride(from: 0, to: n, by: bs) {
            let idx = Array(start ..< min(n, start + bs))
            let (inputs, targets) = try data.batch(idx)
            let noise = NoiseSource.philox(seed: configuration.seed, iteration: Self.evaluationIteration &+ UInt32(chunk))
            let r = try architecture.realValuedInput
                ? simulator.run(currents: data.currentBatch(idx), loss: loss, targets: targets, noise: noise, recordOutput: true)
                : simulator.run(inputs: inputs, loss: loss, targets: targets, noise: noise, recordOutput: true)
            lossSum += r.sampleLosses.reduce(0, +)
            if case .labels(let labels) = targets {
                correct += zip(loss.predictedClasses(output: r.output!) ?? [], labels).filter { $0 == $1 }.count
            }
            for (l, c) in r.spikeCounts.enumerated() { counts[l] += c }
            chunk += 1
        }
        return Evaluation(loss: lossSum / Double(n), accuracy: data.isLabelled ? Double(correct) / Double(n) : nil,
                          rates: rates(spikeCounts: counts, samples: n, steps: data.steps), samples: n)
    }

    /// The Fano factor of every spiking layer: sample `fanoSample` of the test set (else validation, else
    /// training) repeated over `fanoTrials` trials (chunks of 50, chunk k with Philox iteration
    /// `fanoIteration + k`), spike counts in sliding windows of `fanoWindow` steps (`SpikeStatistics.fanoFactor`).
    /// nil when fewer than 2 trials are configured, or for a network with real-valued input.
    public func measureFano() throws -> [Double?]? {
        let c = configuration
        guard c.fanoTrials >= 2, !architecture.realValuedInput else { return nil }
        let source: any Dataset = [test, validation].compactMap { $0 }.first { $0.count > 0 } ?? training
        let sample = source.input(min(c.fanoSample, source.count - 1))
        let T = sample.steps
        let spiking = architecture.layers.filter(\.isSpiking)
        var trials: [[[Float]]] = spiking.map { _ in [] }
        try simulator.load(parameters)
        var chunk = 0
        for start in stride(from: 0, to: c.fanoTrials, by: 50) {
            let n = min(50, c.fanoTrials - start)
            let r = try simulator.run(inputs: Array(repeating: sample, count: n),
                                      noise: .philox(seed: c.seed, iteration: Self.fanoIteration &+ UInt32(chunk)), record: true)
            for (l, s) in r.spikes!.enumerated() {
                let size = T * spiking[l].shape.count
                for b in 0 ..< n { trials[l].append(Array(s.scalars[b * size ..< (b + 1) * size])) }
            }
            chunk += 1
        }
        return spiking.enumerated().map { l, layer in
            SpikeStatistics.fanoFactor(trials: trials[l], steps: T, neurons: layer.shape.count, window: c.fanoWindow)
        }
    }

    /// Mean firing rates (Hz) of the spiking layers from spike counts over `samples` samples of `steps` steps.
    func rates(spikeCounts: [Int], samples: Int, steps: Int) -> [Double] {
        architecture.layers.enumerated().filter { $0.element.isSpiking }.map { i, l in
            Double(spikeCounts[i]) / (Double(max(samples, 1)) * Double(steps * l.shape.count) * architecture.dt)
        }
    }

    /// The predicted class of each sample: argmax_c max_n U_c[n] of a readout output `[B, T, C]` (first on ties).
    public static func predictedClasses(output: Tensor) -> [Int] {
        LossFunction.maxOverTimeCrossEntropy(activityRegularizer: nil).predictedClasses(output: output)!
    }

    /// Runs the next simulations on `simulator` (of the same architecture; any thread count gives the same
    /// results).
    package mutating func use(_ simulator: Simulator) {
        precondition(simulator.architecture == architecture, "a simulator of another architecture")
        if simulator !== self.simulator { self.simulator = simulator }
    }

    /// Puts the run at `position` with `history` (a run saved in another checkpoint layout).
    package mutating func restore(position: TrainingPosition, history: [EpochMetrics]) {
        self.position = position
        self.history = history
    }

    /// Marks the run as stopped (by early stopping): `isFinished` becomes true and stays so after a resume.
    public mutating func stop(reason: String) { position.stopped = reason }

    /// Checks that the data sets fit the network and the loss.
    static func check(_ a: NetworkArchitecture, loss: LossFunction, sets: [(String, (any Dataset)?)]) throws {
        let last = a.layers[a.layers.count - 1]
        for case let (name, d?) in sets {
            guard name != "training" || d.count > 0 else { throw SpikeKitError.invalidConfiguration("the training set is empty") }
            guard d.units == a.input.count else {
                throw SpikeKitError.shapeMismatch("the \(name) set has \(d.units) input units, the network's input has \(a.input.count)")
            }
            guard abs(d.dt - a.dt) <= 1e-9 * a.dt else {
                throw SpikeKitError.invalidConfiguration("the \(name) set has Δt = \(d.dt) s, the network \(a.dt) s")
            }
            guard d.count > 0 else { continue }
            guard a.realValuedInput == (d.currents(0) != nil) else {
                throw SpikeKitError.invalidConfiguration(a.realValuedInput
                    ? "the network's input is real-valued (input.kind current) but the \(name) set holds spikes"
                    : "the \(name) set holds real values; the network's input needs input.kind current")
            }
            switch (loss, d.target(0)) {
            case (.user(let u), let t):
                var labels = false
                if case .label = t { labels = true }
                guard labels == u.loss.usesLabels else {
                    throw SpikeKitError.invalidConfiguration("the \(name) set has \(labels ? "labels" : "target spikes"); the user loss \(u.loss.name) needs \(u.loss.usesLabels ? "labels" : "target spikes")")
                }
                if case .spikes(let s) = t, s.count != d.steps * last.shape.count {
                    throw SpikeKitError.shapeMismatch("the \(name) set's target spikes have \(s.count / max(d.steps, 1)) outputs per step, the last layer \(last.shape.count) neurons")
                }
            case (.l2Spikes, .spikes(let s)), (.vanRossum, .spikes(let s)):
                guard last.isSpiking else { throw SpikeKitError.invalidConfiguration("the \(loss.name) loss needs a spiking last layer") }
                guard s.count == d.steps * last.shape.count else {
                    throw SpikeKitError.shapeMismatch("the \(name) set's target spikes have \(s.count / d.steps) outputs per step, the last layer \(last.shape.count) neurons")
                }
            case (.l2Spikes, .label), (.vanRossum, .label):
                throw SpikeKitError.invalidConfiguration("the \(name) set has labels; the \(loss.name) loss needs target spikes (use cross-entropy)")
            case (_, .label):
                if loss.needsReadout {
                    guard !last.isSpiking else { throw SpikeKitError.invalidConfiguration("the \(loss.name) loss needs a readout as the last layer") }
                } else {
                    guard last.isSpiking else { throw SpikeKitError.invalidConfiguration("the \(loss.name) loss needs a spiking last layer") }
                }
                let k = d.classes
                guard k <= last.shape.count else {
                    throw SpikeKitError.invalidConfiguration("the \(name) set has \(k) classes, the last layer \(last.shape.count) units")
                }
            case (_, .spikes):
                throw SpikeKitError.invalidConfiguration("the \(name) set has target spikes; the \(loss.name) loss needs labels (use the l2-spikes or van-rossum loss)")
            }
        }
    }
}
