import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

/// Tiny Randman problems (3 classes, 10 units, 40 steps) trained for 2-3 epochs: fast checks of the experiment's
/// mechanics, not of its accuracy.
@Suite struct ClassificationTests {
    static func randmanConfiguration(seed: UInt64 = 5) -> Randman.Configuration {
        var r = Randman.Configuration()
        r.classes = 3
        r.units = 10
        r.steps = 40
        r.samplesPerClass = 40
        r.maxFrequencies = 50
        r.seed = seed
        return r
    }

    static func experiment(stochastic: Bool, epochs: Int = 2) throws -> ClassificationExperiment {
        let data = try ClassificationData(randman: Randman.generate(randmanConfiguration()))
        var c = ClassificationExperiment.Configuration()
        c.network = .recurrentLIF
        c.hidden = 16
        c.epochs = epochs
        c.batchSize = 16
        c.evaluationBatchSize = 16
        c.nu = 10
        c.fanoTrials = 4
        c.seed = 3
        let (train, valid, test) = try data.split(seed: c.seed, validationFraction: c.validationFraction, testFraction: c.testFraction)
        return try ClassificationExperiment(configuration: c, stochastic: stochastic, training: train, validation: valid, test: test)
    }

    /// Runs `trainer` to the end of its configuration.
    static func runToEnd(_ trainer: inout ClassificationTrainer, _ sim: Simulator) throws {
        while !trainer.isFinished {
            if trainer.epochBatchesDone { try trainer.finishEpoch(simulator: sim) } else { _ = try trainer.trainBatch(simulator: sim) }
        }
    }

    @Test func randmanIsDeterministicInTheSeed() throws {
        let a = try Randman.generate(Self.randmanConfiguration())
        let b = try Randman.generate(Self.randmanConfiguration())
        let c = try Randman.generate(Self.randmanConfiguration(seed: 6))
        #expect(a == b)
        #expect(a.spikes != c.spikes)
        #expect(a.labels.count == 120)
        for k in 0 ..< 3 { #expect(a.labels.filter { $0 == k }.count == 40) }
        // One spike per unit, all in the first half of the window (step fraction 0.5).
        for s in a.spikes {
            #expect(s.count == 10)
            #expect(Set(s.indices).count == 10)
            #expect(s.offsets[20] == s.offsets[40])
        }
    }

    @Test func randmanManifoldFollowsTheSpectrum() {
        #expect(RandomManifold.frequencyCount(alpha: 1) == 1000)
        #expect(RandomManifold.frequencyCount(alpha: 2) == 32)
        let m = RandomManifold(embeddingDimension: 4, manifoldDimension: 1, alpha: 2, seed: 1, stream: 0)
        let y0 = m.evaluate([0.3]), y1 = m.evaluate([0.3 + 1e-6])
        // Smooth: a tiny step in x moves the point by a tiny amount.
        for j in 0 ..< 4 { #expect(abs(y0[j] - y1[j]) < 1e-3) }
    }

    @Test func exportReadsBackIdentically() throws {
        let r = try Randman.generate(Self.randmanConfiguration())
        let bytes = try SHDFile.encode(r.shdDataset())
        let back = try SHDDataset(file: HDF5File(bytes: bytes))
        let options = SHDRasterOptions(dt: r.configuration.dt, duration: Double(r.configuration.steps) * r.configuration.dt,
                                       channels: r.configuration.units)
        let a = try ClassificationData(randman: r)
        let b = try ClassificationData(shd: back, options: options)
        #expect(a.samples == b.samples)
        #expect(a.labels == b.labels)
        #expect(a.classNames == b.classNames)
    }

    /// The SHD binning of `ClassificationData` (spike lists straight to `SpikeTrains`) equals the dense rasters of
    /// `SHDDataset.raster` on the shared SHD-layout file (skipped without ../shared).
    @Test func shdSamplesMatchTheRasters() throws {
        guard let shared = TestPaths.shared else { return }
        let d = try SHDDataset(path: shared + "/data/shd-like.h5.gz")
        let data = try ClassificationData(shd: d, limit: 30)
        #expect(data.count == min(30, d.count))
        #expect(data.steps == 350 && data.units == 700)
        for i in 0 ..< data.count {
            #expect(data.samples[i].raster == (try d.raster(sample: i).tensor.scalars))
            #expect(data.labels[i] == d.labels[i])
        }
    }

    @Test func lossDecreasesOnATinyProblem() throws {
        let e = try Self.experiment(stochastic: false, epochs: 3)
        let sim = Simulator(architecture: e.architecture, threads: 2)
        var t = try ClassificationTrainer(experiment: e)
        let before = try e.evaluate(t.parameters, on: e.training, simulator: sim)
        try Self.runToEnd(&t, sim)
        let after = try e.evaluate(t.parameters, on: e.training, simulator: sim)
        #expect(after.loss < before.loss)
        #expect(t.state.history.count == 3)
        #expect(t.state.history.allSatisfy { $0.fano.count == 1 })
    }

    @Test func resumeMidEpochIsBitIdentical() throws {
        let e = try Self.experiment(stochastic: true)
        let sim = Simulator(architecture: e.architecture, threads: 2)
        var whole = try ClassificationTrainer(experiment: e)
        try Self.runToEnd(&whole, sim)

        var first = try ClassificationTrainer(experiment: e)
        while first.state.epoch < 1 || first.state.batch < 2 {
            if first.epochBatchesDone { try first.finishEpoch(simulator: sim) } else { _ = try first.trainBatch(simulator: sim) }
        }
        let path = TestPaths.temporaryFolder() + "/run.safetensors"
        try first.checkpoint().save(to: path)
        // A fresh process: new experiment, new simulator (other thread count), state from the file only.
        let e2 = try Self.experiment(stochastic: true)
        let sim2 = Simulator(architecture: e2.architecture, threads: 1)
        var resumed = try ClassificationTrainer(experiment: e2, checkpoint: Checkpoint.load(path: path))
        #expect(resumed.state.epoch == 1 && resumed.state.batch == 2)
        try Self.runToEnd(&resumed, sim2)
        #expect(resumed.parameters == whole.parameters)
        #expect(resumed.optimizer.state == whole.optimizer.state)
        var a = resumed.state.history, b = whole.state.history
        for i in a.indices { a[i].trainingSeconds = 0; a[i].evaluationSeconds = 0; b[i].trainingSeconds = 0; b[i].evaluationSeconds = 0 }
        #expect(a == b)
    }

    @Test func evaluatingACheckpointReproducesTheLoggedAccuracy() throws {
        let e = try Self.experiment(stochastic: true)
        let sim = Simulator(architecture: e.architecture, threads: 2)
        var t = try ClassificationTrainer(experiment: e)
        try Self.runToEnd(&t, sim)
        let path = TestPaths.temporaryFolder() + "/final.safetensors"
        try t.checkpoint().save(to: path)

        let ck = try Checkpoint.load(path: path)
        let config = try ClassificationTrainer.configuration(of: ck)
        let logged = try ClassificationTrainer.state(of: ck).history.last!
        let data = try ClassificationData(randman: Randman.generate(Self.randmanConfiguration()))
        let (train, valid, test) = try data.split(seed: config.seed, validationFraction: config.validationFraction, testFraction: config.testFraction)
        let e2 = try ClassificationExperiment(configuration: config, stochastic: ck.metadata["classification.variant"] == "stoch",
                                              training: train, validation: valid, test: test)
        #expect(e2.description == ck.model)
        let ev = try e2.evaluate(ck.parameters, on: e2.test, simulator: Simulator(architecture: e2.architecture, threads: 1))
        #expect(ev.accuracy == logged.test.accuracy)
        #expect(ev.loss == logged.test.loss)
        // Fig. 7D: the same weights with the other spike function run and give a valid accuracy.
        let other = try NetworkArchitecture(e2.otherDescription())
        let cross = try e2.evaluate(ck.parameters, on: e2.test, simulator: Simulator(architecture: other, threads: 1))
        #expect((0 ... 1).contains(cross.accuracy))
    }

    @Test func evaluationDrawsAreIndependentNoiseAndDrawZeroIsTheLoggedOne() throws {
        let e = try Self.experiment(stochastic: true, epochs: 1)
        let sim = Simulator(architecture: e.architecture, threads: 1)
        let p = try e.initialParameters()
        let logged = try e.evaluate(p, on: e.test, simulator: sim)
        #expect(try e.evaluate(p, on: e.test, simulator: sim, draw: 0) == logged)
        let draws = try (1 ..< 4).map { try e.evaluate(p, on: e.test, simulator: sim, draw: $0) }
        #expect(draws.allSatisfy { $0.loss != logged.loss })
        #expect(Set(draws.map(\.loss)).count == 3)
        #expect(try e.evaluate(p, on: e.test, simulator: sim, draw: 2) == draws[1])
        #expect(throws: SpikeKitError.self) { try e.evaluate(p, on: e.test, simulator: sim, draw: ClassificationExperiment.maxEvaluationDraws) }
        // A deterministic network's draws are all the same evaluation.
        let d = try Self.experiment(stochastic: false, epochs: 1)
        let dsim = Simulator(architecture: d.architecture, threads: 1)
        let dp = try d.initialParameters()
        #expect(try d.evaluate(dp, on: d.test, simulator: dsim, draw: 3) == d.evaluate(dp, on: d.test, simulator: dsim))
    }

    @Test func fanoIsNeverMeasuredForDeterministicNetworks() throws {
        for stochastic in [false, true] {
            let e = try Self.experiment(stochastic: stochastic, epochs: 2)
            let sim = Simulator(architecture: e.architecture, threads: 1)
            var t = try ClassificationTrainer(experiment: e)
            try Self.runToEnd(&t, sim)
            let measured = t.state.history.map { $0.fano.contains { $0 != nil } }
            // Default interval 10 epochs: only after the last epoch here, and only for the stochastic network.
            #expect(measured == [false, stochastic])
        }
    }

    @Test func badConfigurationsAreRejected() throws {
        let data = try ClassificationData(randman: Randman.generate(Self.randmanConfiguration()))
        var c = ClassificationExperiment.Configuration()
        c.network = .recurrentLIF
        c.learningRate = -1
        #expect(throws: SpikeKitError.self) {
            try ClassificationExperiment(configuration: c, stochastic: false, training: data, validation: data, test: data)
        }
        c.learningRate = 0.01
        c.batchSize = 0
        #expect(throws: SpikeKitError.self) {
            try ClassificationExperiment(configuration: c, stochastic: false, training: data, validation: data, test: data)
        }
        c.batchSize = 4
        var bad = data
        bad.labels[0] = 7
        #expect(throws: SpikeKitError.self) {
            try ClassificationExperiment(configuration: c, stochastic: false, training: data, validation: data, test: bad, classes: 3)
        }
    }
}
