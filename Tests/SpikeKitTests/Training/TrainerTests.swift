import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitExperiments
import SpikeKit

/// The general `Trainer`: data sets, seeded batching, exact resume, callbacks, and agreement with the built-in
/// classification experiment.
@Suite struct TrainerTests {
    static func randman(classes: Int = 3, units: Int = 10, perClass: Int = 40, seed: UInt64 = 5) throws -> SpikeTrainDataset {
        var r = Randman.Configuration()
        r.classes = classes
        r.units = units
        r.steps = 40
        r.samplesPerClass = perClass
        r.maxFrequencies = 50
        r.seed = seed
        return try RandmanDataset.generate(r)
    }

    static func recurrentNetwork(inputs: Int = 10, hidden: Int = 16, classes: Int = 3, stochastic: Bool) throws -> NetworkDescription {
        // The readout integrates over the sample's 80 ms, as classify sets it.
        var d = try ModelTemplate.recurrent.description(inputs: inputs, hidden: hidden, classes: classes, dt: 2e-3, stochastic: stochastic)
        d.layers[1].tauMem = 0.08
        return d
    }

    static func trainer(epochs: Int = 2, stochastic: Bool = true, optimizer: any Optimizer = SMORMS3(learningRate: 0.01),
                        callbacksConfiguration: (inout TrainerConfiguration) -> Void = { _ in }) throws -> Trainer {
        let (train, valid, test) = try randman().split(seed: 3, validationFraction: 0.1, testFraction: 0.1)
        var c = TrainerConfiguration(epochs: epochs, batchSize: 16, seed: 3)
        callbacksConfiguration(&c)
        return try Trainer(network: recurrentNetwork(stochastic: stochastic), loss: .maxOverTimeCrossEntropy(activityRegularizer: nil),
                           optimizer: optimizer, training: train, validation: valid, test: test, configuration: c, threads: 2)
    }

    @Test func batchScheduleIsASeededPermutationSplitIntoBatches() throws {
        let s = try BatchSchedule(count: 23, batchSize: 5, seed: 9)
        #expect(s.batchesPerEpoch == 5)
        let o0 = s.order(epoch: 0), o1 = s.order(epoch: 1)
        #expect(o0.sorted() == Array(0 ..< 23))
        #expect(o0 != o1)
        #expect(o0 == (try BatchSchedule(count: 23, batchSize: 7, seed: 9)).order(epoch: 0))
        #expect(o0 != (try BatchSchedule(count: 23, batchSize: 5, seed: 10)).order(epoch: 0))
        #expect((0 ..< 5).flatMap { s.batch($0, of: o0) } == o0)
        #expect(s.batch(4, of: o0).count == 3)
        #expect((try BatchSchedule(count: 4, batchSize: 2, seed: 1, shuffle: false)).order(epoch: 3) == [0, 1, 2, 3])
        #expect(throws: SpikeKitError.self) { try BatchSchedule(count: 3, batchSize: 0, seed: 1) }
    }

    @Test func splitHasTheClassifySizes() throws {
        let d = try Self.randman(classes: 10, perClass: 100)
        let (t, v, s) = try d.split(seed: 1, validationFraction: 0.1, testFraction: 0.1)
        #expect((t.count, v.count, s.count) == (810, 90, 100))
        #expect(d.classes == 10)
    }

    /// Randman data written as an SHD-layout file and binned back: the same spikes, and the same rasters as
    /// `classify`'s `ClassificationData`.
    @Test func shdLayoutDatasetBinsLikeClassify() throws {
        var r = Randman.Configuration()
        r.classes = 3
        r.units = 12
        r.steps = 30
        r.samplesPerClass = 5
        r.maxFrequencies = 20
        let samples = try Randman.generate(r)
        let path = TestPaths.temporaryFolder() + "/randman.h5"
        try SHDFile.write(samples.shdDataset(), to: path)
        let options = SHDLayoutDataset.coveringOptions(for: try SHDDataset(path: path), dt: r.dt)
        #expect(options.channels <= 12 && options.steps <= 30)
        let full = SHDRasterOptions(dt: r.dt, duration: Double(r.steps) * r.dt, channels: 12)
        let mine = try SHDLayoutDataset.load(path: path, options: full)
        let theirs = try ClassificationData(shd: SHDDataset(path: path), options: full)
        #expect(mine.count == 15 && mine.steps == 30 && mine.units == 12)
        #expect(mine.samples == theirs.samples && mine.samples == samples.spikes)
        #expect(mine.labels == theirs.labels && mine.labels == samples.labels)
        #expect(try SHDLayoutDataset.load(path: path, options: full, limit: 4).count == 4)
    }

    /// A network with every layer kind (conv-lif with a conv recurrence, lif with a dense recurrence, readout),
    /// read from a model file, trains on an SHD-layout file: the loss falls, every weight array changes, every
    /// spiking layer is active.
    @Test func trainsEveryLayerKindFromAModelFileOnAnSHDFile() throws {
        var r = Randman.Configuration()
        r.classes = 3
        r.units = 40
        r.steps = 50
        r.samplesPerClass = 30
        r.maxFrequencies = 50
        let folder = TestPaths.temporaryFolder()
        try SHDFile.write(try Randman.generate(r).shdDataset(), to: folder + "/data.h5")
        let model = """
            {"dt": 0.002, "input": {"shape": [1, 40]}, "layers": [
              {"kind": "conv-lif", "channels": 6, "kernel": 5, "stride": 2, "tau_mem": 0.02, "tau_syn": 0.01,
               "recurrent": {"kind": "conv", "kernel": 3, "padding": 1},
               "spike": {"escape": {"kind": "sigmoid", "beta": 10}, "surrogate": {"kind": "superspike", "beta": 10}}},
              {"kind": "lif", "units": 24, "tau_mem": 0.02, "tau_syn": 0.01, "recurrent": {"kind": "dense"},
               "spike": {"escape": {"kind": "step"}, "surrogate": {"kind": "superspike", "beta": 10}}},
              {"kind": "readout", "units": 3, "tau_mem": 0.1, "tau_syn": 0.01}]}
            """
        try AtomicFile.write(model, to: folder + "/model.json")
        let network = try NetworkDescription.load(path: folder + "/model.json")
        let data = try SHDLayoutDataset.load(path: folder + "/data.h5",
                                             options: SHDRasterOptions(dt: network.dt, duration: 0.1, channels: 40))
        let (train, valid, test) = try data.split(seed: 2, validationFraction: 0.1, testFraction: 0.2)
        var t = try Trainer(network: network, loss: .maxOverTimeCrossEntropy(activityRegularizer: nil), optimizer: Adam(learningRate: 1e-2),
                            training: train, validation: valid, test: test,
                            configuration: TrainerConfiguration(epochs: 4, batchSize: 12, seed: 2,
                                                                initialization: FluctuationDrivenInit(sigmaU: 1, nu: 20)))
        let start = t.parameters, before = try t.evaluate(on: train)!
        try t.fit()
        let after = try t.evaluate(on: train)!
        #expect(after.loss < before.loss)
        for (a, b) in zip(start.named, t.parameters.named) { #expect(a.tensor != b.tensor, "\(a.name) did not change") }
        #expect(start.named.map(\.name) == ["layer0.weight", "layer0.recurrent", "layer1.weight", "layer1.recurrent", "layer2.weight"])
        #expect(after.rates.count == 2 && after.rates.allSatisfy { $0 > 0 })
    }

    @Test func npyDatasetReadsLabelsAndTargetSpikes() throws {
        var x = [Float](repeating: 0, count: 2 * 3 * 4)
        x[0 * 12 + 1 * 4 + 2] = 1
        x[1 * 12 + 2 * 4 + 0] = 1
        let inputs = NpyArray(shape: [2, 3, 4], elements: .float32(x))
        let d = try NpyDataset.make(inputs: inputs, targets: NpyArray(shape: [2], elements: .int64([1, 0])), dt: 1e-3)
        #expect(d.labels == [1, 0])
        #expect(d.input(0).raster == Array(x[0 ..< 12]))
        #expect(d.input(1).count == 1)
        let spikes = NpyArray(shape: [2, 3, 2], elements: .float32([1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0]))
        let s = try NpyDataset.make(inputs: inputs, targets: spikes, dt: 1e-3)
        #expect(s.target(1) == .spikes([0, 0, 1, 1, 0, 0]))
        #expect(throws: SpikeKitError.self) {
            try NpyDataset.make(inputs: inputs, targets: NpyArray(shape: [2], elements: .float64([0.5, 1])), dt: 1e-3)
        }
        #expect(throws: SpikeKitError.self) {
            try NpyDataset.make(inputs: NpyArray(shape: [2, 12], elements: .float32(x)), targets: NpyArray(shape: [2], elements: .int64([1, 0])), dt: 1e-3)
        }
    }

    @Test func dataThatDoesNotFitTheNetworkIsRejected() throws {
        let d = try Self.randman()
        let wrongUnits = try ModelTemplate.recurrent.description(inputs: 11, hidden: 8, classes: 3)
        #expect(throws: SpikeKitError.self) {
            try Trainer(network: wrongUnits, loss: .maxOverTimeCrossEntropy(activityRegularizer: nil), optimizer: Adam(learningRate: 1e-3), training: d)
        }
        let fewClasses = try ModelTemplate.recurrent.description(inputs: 10, hidden: 8, classes: 2)
        #expect(throws: SpikeKitError.self) {
            try Trainer(network: fewClasses, loss: .maxOverTimeCrossEntropy(activityRegularizer: nil), optimizer: Adam(learningRate: 1e-3), training: d)
        }
        let net = try ModelTemplate.recurrent.description(inputs: 10, hidden: 8, classes: 3)
        #expect(throws: SpikeKitError.self) { try Trainer(network: net, loss: .l2Spikes, optimizer: Adam(learningRate: 1e-3), training: d) }
    }

    /// `ClassificationTrainer` (which runs on a `Trainer`) gives what a plain `Trainer` on the experiment's
    /// network, loss, optimizer and data gives: the same weights, optimizer state and metrics. (Against the code
    /// before the trainer existed this was checked with the `classify` command's outputs; see docs/Training.md.)
    @Test(arguments: [false, true]) func reproducesTheClassificationExperiment(stochastic: Bool) throws {
        let exp = try ClassificationTests.experiment(stochastic: stochastic, epochs: 2)
        var old = try ClassificationTrainer(experiment: exp)
        let sim = Simulator(architecture: exp.architecture, threads: 2)
        while !old.isFinished {
            if old.epochBatchesDone { try old.finishEpoch(simulator: sim) } else { _ = try old.trainBatch(simulator: sim) }
        }
        func set(_ d: ClassificationData) throws -> SpikeTrainDataset {
            try SpikeTrainDataset(samples: d.samples, labels: d.labels, steps: d.steps, units: d.units, dt: d.dt, classNames: d.classNames)
        }
        let c = exp.configuration
        let config = TrainerConfiguration(epochs: c.epochs, batchSize: c.batchSize, evaluationBatchSize: c.evaluationBatchSize,
                                          seed: c.seed, fanoTrials: c.fanoTrials, fanoWindow: c.fanoWindow, fanoSample: c.fanoSample,
                                          fanoEvery: c.fanoEvery)
        var new = try Trainer(network: exp.description, parameters: exp.initialParameters(), loss: c.loss, optimizer: c.makeOptimizer(),
                              training: set(exp.training), validation: set(exp.validation), test: set(exp.test),
                              configuration: config, threads: 2)
        try new.fit()
        #expect(new.parameters == old.parameters)
        #expect(new.optimizer.state == old.optimizer.state)
        #expect(new.history.count == old.state.history.count)
        for (a, b) in zip(new.history, old.state.history) {
            #expect(a.trainLoss == b.trainLoss && a.trainAccuracy == b.trainAccuracy && a.trainRates == b.trainRates)
            #expect(a.validation?.loss == b.validation.loss && a.validation?.accuracy == b.validation.accuracy)
            #expect(a.test?.loss == b.test.loss && a.test?.accuracy == b.test.accuracy && a.test?.rates == b.test.rates)
            if stochastic { #expect(a.fano == b.fano) }
        }
    }

    /// 3 Randman classes (20 units, 100 samples each), 32 recurrent stochastic LIF neurons, Adam: the test
    /// accuracy climbs from chance (1/3) to above 0.6 in 10 epochs (0.83 with this seed).
    @Test func learnsRandmanAboveChance() throws {
        let (train, valid, test) = try Self.randman(classes: 3, units: 20, perClass: 100).split(seed: 3, validationFraction: 0.1, testFraction: 0.1)
        var net = try ModelTemplate.recurrent.description(inputs: 20, hidden: 32, classes: 3, stochastic: true)
        net.layers[1].tauMem = 0.08
        var t = try Trainer(network: net, loss: .maxOverTimeCrossEntropy(activityRegularizer: nil), optimizer: Adam(learningRate: 0.01),
                            training: train, validation: valid, test: test,
                            configuration: TrainerConfiguration(epochs: 10, batchSize: 16, seed: 3))
        let before = try t.evaluate(on: test)!
        try t.fit()
        let after = try t.evaluate(on: test)!
        #expect(after.loss < before.loss)
        #expect(after.accuracy! > 0.6 && t.history.last!.trainAccuracy! > 0.6)
        #expect(t.history.count == 10 && t.history.last!.test == after)
    }

    /// A run checkpointed mid-epoch, saved to a file and resumed ends with exactly the weights, optimizer state and
    /// metrics of the uninterrupted run.
    @Test func resumeFromACheckpointIsExact() throws {
        var whole = try Self.trainer(epochs: 2) { $0.fanoTrials = 4; $0.fanoEvery = 1 }
        try whole.fit()
        var part = try Self.trainer(epochs: 2) { $0.fanoTrials = 4; $0.fanoEvery = 1 }
        try part.trainBatch()
        try part.trainBatch()
        try part.trainBatch()
        while !part.epochBatchesDone { try part.trainBatch() }
        try part.finishEpoch()
        try part.trainBatch()
        let path = TestPaths.temporaryFolder() + "/run.safetensors"
        try part.checkpoint(metadata: ["note": "x"]).save(to: path)
        let ck = try Checkpoint.load(path: path)
        #expect(ck.metadata["note"] == "x")
        #expect(ck.metadata[Trainer.MetadataKey.loss] == #"{"kind":"cross-entropy"}"#)
        #expect(ck.metadata[Trainer.MetadataKey.learningRates] == "[0.01,0.01]")
        var resumed = try Trainer(resuming: ck, training: part.training, validation: part.validation, test: part.test, threads: 1)
        #expect(resumed.position == part.position)
        try resumed.fit()
        #expect(resumed.parameters == whole.parameters)
        #expect(resumed.optimizer.state == whole.optimizer.state)
        func figures(_ h: [EpochMetrics]) -> [[Double?]] {
            h.map { [$0.trainLoss, $0.trainAccuracy, $0.validation?.loss, $0.test?.accuracy] + $0.trainRates.map { $0 } + $0.fano }
        }
        #expect(figures(resumed.history) == figures(whole.history))
        #expect(whole.history[1].fano.allSatisfy { $0 != nil })
    }

    @Test func historyRoundTripsThroughItsCompactForm() throws {
        var t = try Self.trainer(epochs: 2)
        try t.fit()
        let json = try Trainer.encoder.encode(TrainingHistory(t.history))
        let back = try Trainer.decoder.decode(TrainingHistory.self, from: json).metrics()
        #expect(back == t.history)
    }

    /// With a zero learning rate the validation loss never improves: patience 2 stops after epoch 3.
    @Test func earlyStoppingStopsAndStaysStopped() throws {
        var t = try Self.trainer(epochs: 10, optimizer: GradientDescent(learningRate: 0))
        let history = try t.fit(callbacks: [EarlyStopping(monitor: .validationLoss, patience: 2)])
        #expect(history.count == 3)
        #expect(t.isFinished && t.position.stopped != nil)
        let resumed = try Trainer(resuming: t.checkpoint(), training: t.training, validation: t.validation, test: t.test)
        #expect(resumed.isFinished)
    }

    @Test func checkpointCallbackWritesEveryKBatches() throws {
        let folder = TestPaths.temporaryFolder()
        struct Count: TrainingCallback {
            let path: String
            var epochsSeen: [Int] = []
            mutating func batchEnded(_ trainer: Trainer, result: BatchResult) throws {
                if trainer.position.batch % 3 == 0 {
                    epochsSeen.append(try Checkpoint.load(path: path).metadata.count)
                }
            }
        }
        var t = try Self.trainer(epochs: 1)
        let path = folder + "/ck.safetensors"
        try t.fit(callbacks: [CheckpointCallback(path: path, everyBatches: 3)])
        let ck = try Checkpoint.load(path: path)
        #expect(ck.epoch == 1)
        // Every 3 batches: after batch 3 of 7 the file holds position batch 3.
        var u = try Self.trainer(epochs: 1)
        var cb = CheckpointCallback(path: folder + "/mid.safetensors", everyBatches: 3)
        try cb.trainingWillStart(u)
        for _ in 0 ..< 4 { let r = try u.trainBatch(); try cb.batchEnded(u, result: r) }
        let mid = try Checkpoint.load(path: folder + "/mid.safetensors")
        let pos = try Trainer.decoder.decode(TrainingPosition.self, from: Data(mid.metadata[Trainer.MetadataKey.position]!.utf8))
        #expect(pos.batch == 3)
    }

    /// Per-layer factors scale each layer's gradient: with gradient descent, a factor 0 freezes a layer exactly.
    @Test func learningRateFactorsScaleEachLayer() throws {
        var t = try Self.trainer(epochs: 1, optimizer: GradientDescent(learningRate: 0.5)) { $0.learningRateScales = [0, 1] }
        let start = t.parameters
        try t.fit()
        #expect(t.parameters.feedForward[0] == start.feedForward[0] && t.parameters.recurrent[0] == start.recurrent[0])
        #expect(t.parameters.feedForward[1] != start.feedForward[1])
        #expect(t.layerLearningRates == [0, 0.5])
    }

    /// The L2 spike loss on in-memory spike trains: a network learns to emit target spikes.
    @Test func trainsSpikeTargetsWithTheL2Loss() throws {
        var rng = PhiloxGenerator(seed: 4)
        let steps = 50, units = 20, outputs = 5
        var samples: [SpikeTrains] = [], targets: [SampleTarget] = []
        for _ in 0 ..< 8 {
            var events: [(step: Int, unit: Int)] = []
            for n in 0 ..< steps { for u in 0 ..< units where rng.uniform() < 0.1 { events.append((n, u)) } }
            samples.append(try SpikeTrains(steps: steps, units: units, events: events))
            var r = [Float](repeating: 0, count: steps * outputs)
            for n in stride(from: 10, to: steps, by: 10) { r[n * outputs + (n / 10) % outputs] = 1 }
            targets.append(.spikes(r))
        }
        let data = try SpikeTrainDataset(samples: samples, targets: targets, steps: steps, units: units, dt: 1e-3)
        let spike = try SpikeFunction(escape: .step, surrogate: .superspike(beta: 10))
        let net = NetworkDescription(dt: 1e-3, input: InputDescription(shape: [units]), layers: [
            LayerDescription(kind: .lif, units: 30, tauMem: 0.01, tauSyn: 0.005, reset: .sameStep, spike: spike),
            LayerDescription(kind: .lif, units: outputs, tauMem: 0.01, tauSyn: 0.005, reset: .sameStep, spike: spike),
        ])
        var t = try Trainer(network: net, loss: .l2Spikes, optimizer: Adam(learningRate: 2e-2), training: data, test: data,
                            configuration: TrainerConfiguration(epochs: 30, batchSize: 8, seed: 2,
                                                                initialization: FluctuationDrivenInit(sigmaU: 2, nu: 100)))
        let before = try t.evaluate(on: data)!
        try t.fit()
        let after = t.history.last!.test!
        #expect(before.accuracy == nil && after.accuracy == nil)
        #expect(after.loss < 0.7 * before.loss)
    }
}
