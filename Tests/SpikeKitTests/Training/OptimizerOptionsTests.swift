import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
import SpikeKit

/// The PyTorch reference cases of tools/reference/generate_optimizer_cases.py (Fixtures/optimizer/cases.json).
struct OptimizerReference: Decodable {
    struct Array: Decodable { let shape: [Int]; let values: [Float] }
    struct Optim: Decodable {
        let kind: String
        let lr: Double
        let weight_decay: Float?
        let decay_biases: Bool?
        let betas: [Float]?
        let eps: Float?
    }
    struct Schedule: Decodable {
        let kind: String, interval: String, step_epochs: Int, gamma: Double, minimum: Double, cosine_epochs: Int?
        let warmup_epochs: Int, warmup_batches: Int, warmup_start_factor: Double
    }
    struct Step: Decodable { let epoch: Int; let batch: Int; let lr: Double; let grad_norm: Double; let params: [String: [Float]] }
    struct Case: Decodable {
        let name: String
        let optimizer: Optim
        let clip: Double?
        let schedule: Schedule?
        let epochs: Int
        let batches_per_epoch: Int
        let steps: [Step]
    }
    let torch: String
    let initial: [String: Array]
    let gradients: [[String: [Float]]]
    let cases: [Case]

    static func load() throws -> OptimizerReference {
        let path = TestPaths.root + "/Tests/SpikeKitTests/Fixtures/optimizer/cases.json"
        return try JSONDecoder().decode(OptimizerReference.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// layer0 with a recurrent matrix and a bias, layer1 with neither, from name → values.
    func parameters(_ values: [String: [Float]]) throws -> NetworkParameters {
        func t(_ n: String) throws -> Tensor { try Tensor(shape: initial[n]!.shape, scalars: values[n]!) }
        return NetworkParameters(feedForward: [try t("layer0.weight"), try t("layer1.weight")],
                                 recurrent: [try t("layer0.recurrent"), nil], biases: [try t("layer0.bias"), nil])
    }

    static func configuration(_ o: Optim) -> OptimizerConfiguration {
        let wd = WeightDecay(o.weight_decay ?? 0, decoupled: o.kind == "adamw", decaysBiases: o.decay_biases ?? true)
        switch o.kind {
        case "sgd": return .gradientDescent(learningRate: Float(o.lr), weightDecay: wd)
        default: return .adam(learningRate: Float(o.lr), beta1: o.betas![0], beta2: o.betas![1], epsilon: o.eps!, weightDecay: wd)
        }
    }

    static func schedule(_ s: Schedule) -> LearningRateSchedule {
        LearningRateSchedule(kind: .init(rawValue: s.kind)!, interval: .init(rawValue: s.interval)!, stepEpochs: s.step_epochs,
                             gamma: s.gamma, minimum: s.minimum, cosineEpochs: s.cosine_epochs, warmupEpochs: s.warmup_epochs,
                             warmupBatches: s.warmup_batches, warmupStartFactor: s.warmup_start_factor)
    }

    /// The largest relative deviations of one case, with the Trainer's order of operations: clip, scheduled η, step.
    struct Deviation { var parameters = 0.0, learningRate = 0.0, norm = 0.0 }

    func replay(_ c: Case) throws -> Deviation {
        var optimizer = Self.configuration(c.optimizer).makeOptimizer()
        let schedule = c.schedule.map(Self.schedule)
        var p = try parameters(initial.mapValues(\.values))
        var d = Deviation()
        let base = optimizer.learningRate
        for (k, s) in c.steps.enumerated() {
            var g = try parameters(gradients[k])
            let norm = c.clip.map { g.clipGlobalNorm(maxNorm: $0) } ?? g.globalNorm
            d.norm = max(d.norm, abs(norm - s.grad_norm) / s.grad_norm)
            let eta = schedule?.rate(base: base, epoch: s.epoch, batch: s.batch, batchesPerEpoch: c.batches_per_epoch,
                                     epochs: c.epochs) ?? base
            d.learningRate = max(d.learningRate, abs(Double(eta) - s.lr) / s.lr)
            optimizer.learningRate = eta
            optimizer.step(parameters: &p, gradients: g)
            optimizer.learningRate = base
            // Relative to the array's largest magnitude, so elements passing near zero do not inflate it.
            for (name, t) in p.named {
                let ref = s.params[name]!
                let scale = ref.map { abs(Double($0)) }.max()!
                for (x, y) in zip(t.scalars, ref) { d.parameters = max(d.parameters, abs(Double(x) - Double(y)) / scale) }
            }
        }
        return d
    }
}

/// Weight decay, gradient-norm clipping and learning-rate schedules against PyTorch, SMORMS3's combinations against
/// closed forms, the configurations' JSON, and the trainer's use of them (exact resume, default path unchanged).
@Suite struct OptimizerOptionsTests {
    @Test func matchesTorchOptim() throws {
        let ref = try OptimizerReference.load()
        #expect(ref.cases.count == 18)
        var worst = OptimizerReference.Deviation()
        for c in ref.cases {
            let d = try ref.replay(c)
            #expect(d.parameters < 1e-6, "\(c.name): parameters deviate by \(d.parameters) (relative)")
            #expect(d.learningRate < 1e-6, "\(c.name): learning rate deviates by \(d.learningRate)")
            #expect(d.norm < 1e-6, "\(c.name): gradient norm deviates by \(d.norm)")
            worst.parameters = max(worst.parameters, d.parameters)
            worst.learningRate = max(worst.learningRate, d.learningRate)
            worst.norm = max(worst.norm, d.norm)
        }
        print("torch \(ref.torch) optimizer cases: largest relative deviation parameters \(worst.parameters), "
            + "learning rate \(worst.learningRate), gradient norm \(worst.norm)")
    }

    /// The reference is sensitive to what it checks: the wrong weight-decay form, biases decayed when they should
    /// not be, a schedule off by one tick or clipping left out all miss it by far more than the tolerance.
    @Test func referenceCatchesTheWrongVariant() throws {
        let ref = try OptimizerReference.load()
        func c(_ name: String) -> OptimizerReference.Case { ref.cases.first { $0.name == name }! }
        func swapped(_ o: OptimizerReference.Optim, kind: String? = nil, decayBiases: Bool? = nil) -> OptimizerReference.Optim {
            .init(kind: kind ?? o.kind, lr: o.lr, weight_decay: o.weight_decay, decay_biases: decayBiases ?? o.decay_biases,
                  betas: o.betas, eps: o.eps)
        }
        func with(_ x: OptimizerReference.Case, optimizer: OptimizerReference.Optim? = nil, clip: Double?? = nil) -> OptimizerReference.Case {
            .init(name: x.name, optimizer: optimizer ?? x.optimizer, clip: clip ?? x.clip, schedule: x.schedule, epochs: x.epochs,
                  batches_per_epoch: x.batches_per_epoch, steps: x.steps)
        }
        let adamw = c("adamw"), adam = c("adam-l2")
        #expect(try ref.replay(with(adamw, optimizer: swapped(adamw.optimizer, kind: "adam"))).parameters > 1e-4)
        #expect(try ref.replay(with(adam, optimizer: swapped(adam.optimizer, kind: "adamw"))).parameters > 1e-4)
        let noBias = c("sgd-l2-no-bias")
        #expect(try ref.replay(with(noBias, optimizer: swapped(noBias.optimizer, decayBiases: true))).parameters > 1e-4)
        #expect(try ref.replay(with(c("sgd-clip"), clip: .some(nil))).parameters > 1e-3)
        // A cosine period of 7 epochs instead of the run's 6, and a per-epoch instead of a per-batch schedule.
        let cosine = c("adamw-cosine-batch"), s = cosine.schedule!
        for (period, interval) in [(7, "batch"), (6, "epoch")] {
            let wrong = OptimizerReference.Case(
                name: cosine.name, optimizer: cosine.optimizer, clip: nil,
                schedule: .init(kind: s.kind, interval: interval, step_epochs: s.step_epochs, gamma: s.gamma, minimum: s.minimum,
                                cosine_epochs: period, warmup_epochs: 0, warmup_batches: 0, warmup_start_factor: s.warmup_start_factor),
                epochs: cosine.epochs, batches_per_epoch: cosine.batches_per_epoch, steps: cosine.steps)
            #expect(try ref.replay(wrong).learningRate > 1e-3)
        }
    }

    // MARK: SMORMS3 with the options (no PyTorch counterpart): closed forms

    /// First SMORMS3 step: g²/(g2+ε) = ½, so w ← w − min(η, ½) d / (|d|/√2 + ε) = w − √2 η sign(d) for η ≤ ½, where
    /// d is the gradient the optimizer sees: with clipping c and L2 decay λ, d = c ∇ + λ w (clip first, then decay);
    /// with decoupled decay w ← w (1 − η λ) − √2 η sign(c ∇).
    @Test func smorms3FirstStepWithDecayAndClipping() throws {
        let w: [Float] = [1, -0.5, 2, 0.25]
        let grad: [Float] = [-0.1, 0.3, -4, 0]
        let eta: Float = 0.01, lambda: Float = 0.05
        func net(_ v: [Float]) throws -> NetworkParameters {
            NetworkParameters(feedForward: [try Tensor(shape: [2, 2], scalars: v)], recurrent: [nil])
        }
        var g = try net(grad)
        let norm = g.clipGlobalNorm(maxNorm: 0.4)
        let expectedNorm = (0.01 + 0.09 + 16.0).squareRoot()
        #expect(abs(norm - expectedNorm) < 1e-6)
        let c = 0.4 / (expectedNorm + 1e-6)
        #expect(abs(Double(g.globalNorm) - 0.4) < 1e-6)

        var l2 = try net(w)
        var opt = SMORMS3(learningRate: eta, weightDecay: .l2(lambda))
        opt.step(parameters: &l2, gradients: g)
        let s2 = 2.0.squareRoot()
        for k in 0 ..< 4 {
            let d = c * Double(grad[k]) + Double(lambda) * Double(w[k])
            let expected = Double(w[k]) - s2 * Double(eta) * (d > 0 ? 1 : -1)
            #expect(abs(Double(l2.feedForward[0].scalars[k]) - expected) < 1e-6, "L2 element \(k)")
        }
        // Element 0: the clipped gradient (−0.01) no longer outweighs the decay (+0.05), so it moves down where the
        // unclipped one would have moved it up: decay after clipping, as in PyTorch.
        #expect(l2.feedForward[0].scalars[0] < w[0])
        // The zero gradient with L2 decay still moves (d = λ w).
        #expect(l2.feedForward[0].scalars[3] < w[3])

        var dec = try net(w)
        var optD = SMORMS3(learningRate: eta, weightDecay: .decoupled(lambda))
        optD.step(parameters: &dec, gradients: g)
        for k in 0 ..< 4 {
            let shrunk = Double(w[k]) * (1 - Double(eta) * Double(lambda))
            let expected = grad[k] == 0 ? shrunk : shrunk - s2 * Double(eta) * (grad[k] > 0 ? 1 : -1)
            #expect(abs(Double(dec.feedForward[0].scalars[k]) - expected) < 1e-6, "decoupled element \(k)")
        }
    }

    /// Six SMORMS3 steps with L2 and with decoupled decay (biases excluded) against the Double transcription with
    /// d = ∇ + λ w, respectively w ← w (1 − ηλ) before the update.
    @Test(arguments: [false, true]) func smorms3WithDecayMatchesTranscription(decoupled: Bool) throws {
        let ref = try OptimizerReference.load()
        var p = try ref.parameters(ref.initial.mapValues(\.values))
        let eta = 0.01, lambda = 0.3
        var opt = SMORMS3(learningRate: Float(eta), weightDecay: WeightDecay(Float(lambda), decoupled: decoupled, decaysBiases: false))
        var w = p.named.map { ($0.name, $0.tensor.scalars.map(Double.init)) }
        var mem = w.map { $0.1.map { _ in 1.0 } }, g1 = w.map { $0.1.map { _ in 0.0 } }, g2 = g1
        for s in 0 ..< 6 {
            let grads = try ref.parameters(ref.gradients[s])
            opt.step(parameters: &p, gradients: grads)
            for (a, (name, g)) in grads.named.map({ ($0.name, $0.tensor.scalars) }).enumerated() {
                let l = name.hasSuffix(".bias") ? 0 : lambda
                for k in g.indices {
                    if decoupled { w[a].1[k] *= 1 - eta * l }
                    let d = Double(g[k]) + (decoupled ? 0 : l * w[a].1[k])
                    let r = 1 / (mem[a][k] + 1)
                    g1[a][k] = (1 - r) * g1[a][k] + r * d
                    g2[a][k] = (1 - r) * g2[a][k] + r * d * d
                    let ratio = g1[a][k] * g1[a][k] / (g2[a][k] + 1e-16)
                    mem[a][k] = 1 + mem[a][k] * (1 - ratio)
                    w[a].1[k] -= min(eta, ratio) * d / (g2[a][k].squareRoot() + 1e-16)
                }
            }
            for (t, (name, expected)) in zip(p.named, w) {
                for (x, y) in zip(t.tensor.scalars, expected) {
                    #expect(abs(Double(x) - y) <= 1e-6 + 2e-5 * abs(y), "step \(s) \(name): \(x) vs \(y)")
                }
            }
        }
    }

    // MARK: Building blocks

    @Test func clippingFollowsClipGradNorm() throws {
        var p = NetworkParameters(feedForward: [try Tensor(shape: [1, 2], scalars: [3, 0])], recurrent: [try Tensor(shape: [1, 1], scalars: [4])],
                                  biases: [try Tensor(shape: [1], scalars: [0])])
        #expect(p.globalNorm == 5)
        let unchanged = p
        #expect(p.clipGlobalNorm(maxNorm: 6) == 5)
        #expect(p == unchanged)
        #expect(p.clipGlobalNorm(maxNorm: 1) == 5)
        let c = Float(1 / (5 + 1e-6))
        #expect(p.feedForward[0].scalars == [3 * c, 0] && p.recurrent[0]!.scalars == [4 * c])
        p.biases[0]!.scalars = [12]
        p.clipGlobalNorm(maxNorm: 1)
        #expect(abs(p.globalNorm - 1) < 1e-6)
    }

    @Test func schedulesArePureFunctionsOfEpochAndBatch() throws {
        let base: Float = 0.1
        #expect(LearningRateSchedule.constant.rate(base: base, epoch: 7, batch: 3, batchesPerEpoch: 5, epochs: 10) == base)
        let step = LearningRateSchedule.step(everyEpochs: 3, gamma: 0.5)
        #expect((0 ..< 9).map { step.rate(base: 1.0, epoch: $0, batch: 2, batchesPerEpoch: 4, epochs: 9) } == [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25])
        // Per batch: the same drops (at the first batch of epochs 3, 6).
        let stepBatch = LearningRateSchedule.step(everyEpochs: 3, gamma: 0.5, interval: .batch)
        #expect(stepBatch.rate(base: 1.0, epoch: 2, batch: 3, batchesPerEpoch: 4, epochs: 9) == 1)
        #expect(stepBatch.rate(base: 1.0, epoch: 3, batch: 0, batchesPerEpoch: 4, epochs: 9) == 0.5)
        // Cosine: η₀ at the start, the midpoint halfway, η_min at and after the end of the period.
        let cosine = LearningRateSchedule.cosine(minimum: 0.1)
        #expect(cosine.rate(base: 1.0, epoch: 0, batch: 5, batchesPerEpoch: 8, epochs: 10) == 1)
        #expect(abs(cosine.rate(base: 1.0, epoch: 5, batch: 0, batchesPerEpoch: 8, epochs: 10) - 0.55) < 1e-12)
        #expect(cosine.rate(base: 1.0, epoch: 12, batch: 0, batchesPerEpoch: 8, epochs: 10) == 0.1)
        let cosineBatch = LearningRateSchedule.cosine(minimum: 0, epochs: 2, interval: .batch)
        #expect(abs(cosineBatch.rate(base: 1.0, epoch: 0, batch: 4, batchesPerEpoch: 8, epochs: 10) - (1 + cos(Double.pi / 4)) / 2) < 1e-12)
        // Warm-up: s, then linearly to 1 at W, in epochs or batches, multiplying the decay.
        let warm = LearningRateSchedule.step(everyEpochs: 1, gamma: 0.5).warmingUp(epochs: 2, startFactor: 0.5)
        #expect((0 ..< 4).map { warm.rate(base: 1.0, epoch: $0, batch: 0, batchesPerEpoch: 3, epochs: 4) } == [0.5, 0.375, 0.25, 0.125])
        let warmBatches = LearningRateSchedule.constant.warmingUp(batches: 4, startFactor: 0.2)
        #expect((0 ..< 6).map { warmBatches.rate(base: 1.0, epoch: $0 / 3, batch: $0 % 3, batchesPerEpoch: 3, epochs: 2) }
            .map { ($0 * 1000).rounded() / 1000 } == [0.2, 0.4, 0.6, 0.8, 1, 1])
        #expect(!warmBatches.isConstant && LearningRateSchedule.constant.isConstant)
    }

    @Test func invalidOptionsAreRejected() throws {
        for bad in [LearningRateSchedule.step(everyEpochs: 0), .step(everyEpochs: 1, gamma: 0), .cosine(minimum: -1),
                    .cosine(epochs: 0), .constant.warmingUp(epochs: -1), .constant.warmingUp(epochs: 2, batches: 3),
                    .constant.warmingUp(epochs: 2, startFactor: 0), .constant.warmingUp(epochs: 2, startFactor: 1.5)] {
            #expect(throws: SpikeKitError.self) { try bad.validate() }
            #expect(throws: SpikeKitError.self) { try TrainerConfiguration(learningRateSchedule: bad).validate(layers: 2) }
        }
        for c in [0.0, -1, .infinity, .nan] {
            #expect(throws: SpikeKitError.self) { try TrainerConfiguration(gradientClipNorm: c).validate(layers: 2) }
        }
        try TrainerConfiguration(learningRateSchedule: .cosine().warmingUp(batches: 10), gradientClipNorm: 1).validate(layers: 2)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(OptimizerConfiguration.self, from: Data(#"{"kind": "adam", "learning_rate": 1, "weight_decay": -0.1}"#.utf8))
        }
    }

    @Test func configurationsRoundTripThroughJSON() throws {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        // Without decay the JSON is what it was (checkpoints of earlier runs compare equal).
        #expect(String(decoding: try e.encode(OptimizerConfiguration.smorms3(learningRate: 0.01, epsilon: 1e-16)), as: UTF8.self)
            == #"{"epsilon":1e-16,"kind":"smorms3","learning_rate":0.01}"#)
        #expect(OptimizerConfiguration.smorms3(learningRate: 0.01, epsilon: 1e-16, weightDecay: WeightDecay(0, decoupled: true))
            == .smorms3(learningRate: 0.01, epsilon: 1e-16))
        for c in [OptimizerConfiguration.adamW(learningRate: 1e-3, decaysBiases: false), .gradientDescent(learningRate: 0.1, weightDecay: .l2(1e-4)),
                  .smorms3(learningRate: 0.01, epsilon: 1e-16, weightDecay: .decoupled(0.2))] {
            let back = try JSONDecoder().decode(OptimizerConfiguration.self, from: e.encode(c))
            #expect(back == c)
            #expect(back.makeOptimizer().configuration == c)
        }
        let adamW = String(decoding: try e.encode(OptimizerConfiguration.adamW(learningRate: 1e-3)), as: UTF8.self)
        #expect(adamW.contains(#""decay_biases":true,"decoupled_weight_decay":true"#) && adamW.contains(#""kind":"adam""#)
            && adamW.contains(#""weight_decay":0.01"#))
        // A trainer configuration without the options has no new keys; one written before them still reads.
        let plain = String(decoding: try e.encode(TrainerConfiguration()), as: UTF8.self)
        #expect(!plain.contains("learningRateSchedule") && !plain.contains("gradientClipNorm"))
        #expect(try JSONDecoder().decode(TrainerConfiguration.self, from: Data(plain.utf8)) == TrainerConfiguration())
        let full = TrainerConfiguration(learningRateSchedule: .cosine(minimum: 1e-4, interval: .batch).warmingUp(batches: 7), gradientClipNorm: 2)
        #expect(try JSONDecoder().decode(TrainerConfiguration.self, from: e.encode(full)) == full)
    }

    // MARK: In the trainer

    /// Weight decay, clipping and a per-batch cosine schedule with warm-up: a run checkpointed mid-epoch, saved to
    /// a file and resumed ends with exactly the weights, optimizer state and metrics of the uninterrupted run.
    @Test(arguments: [OptimizerConfiguration.adamW(learningRate: 0.01, weightDecay: 0.05, decaysBiases: false),
                      .smorms3(learningRate: 0.01, epsilon: 1e-16, weightDecay: .l2(1e-3))])
    func resumeWithOptionsIsExact(_ optimizer: OptimizerConfiguration) throws {
        func options(_ c: inout TrainerConfiguration) {
            c.learningRateSchedule = .cosine(minimum: 1e-4, interval: .batch).warmingUp(batches: 5, startFactor: 0.2)
            c.gradientClipNorm = 0.05
        }
        var whole = try TrainerTests.trainer(epochs: 2, optimizer: optimizer.makeOptimizer(), callbacksConfiguration: options)
        var results: [BatchResult] = []
        while !whole.isFinished {
            while !whole.epochBatchesDone { results.append(try whole.trainBatch()) }
            try whole.finishEpoch()
        }
        // The schedule reached the optimizer and the base rate stayed: warm-up, then the cosine decay.
        let base = Double(optimizer.makeOptimizer().learningRate), B = whole.schedule.batchesPerEpoch
        #expect(whole.optimizer.configuration == optimizer)
        #expect(abs(Double(results[0].learningRate) - 0.2 * base) < 1e-9)
        #expect(results[1].learningRate > results[0].learningRate && results.last!.learningRate < results[5].learningRate)
        #expect(results.map(\.learningRate) == results.indices.map { whole.learningRate(epoch: $0 / B, batch: $0 % B) })
        #expect(results.contains(where: \.clipped) && results.allSatisfy { $0.gradientNorm > 0 })

        var part = try TrainerTests.trainer(epochs: 2, optimizer: optimizer.makeOptimizer(), callbacksConfiguration: options)
        while !part.epochBatchesDone { try part.trainBatch() }
        try part.finishEpoch()
        try part.trainBatch()
        try part.trainBatch()
        let path = TestPaths.temporaryFolder() + "/run.safetensors"
        try part.checkpoint().save(to: path)
        let ck = try Checkpoint.load(path: path)
        #expect(ck.optimizer == optimizer)
        var resumed = try Trainer(resuming: ck, training: part.training, validation: part.validation, test: part.test, threads: 1)
        #expect(resumed.configuration == part.configuration && resumed.position == part.position)
        try resumed.fit()
        #expect(resumed.parameters == whole.parameters)
        #expect(resumed.optimizer.state == whole.optimizer.state)
        #expect(resumed.history.map(\.trainLoss) == whole.history.map(\.trainLoss))
        #expect(resumed.history.map { $0.validation?.loss } == whole.history.map { $0.validation?.loss })
        // The cosine period is the run's epochs: resuming with others would change the rates already used.
        #expect(throws: SpikeKitError.self) {
            try Trainer(resuming: ck, training: part.training, validation: part.validation, test: part.test, epochs: 3, threads: 1)
        }
    }

    /// A warm-up factor ½ in the first epoch with gradient descent at η₀ = 0.01 is gradient descent at 0.005,
    /// bit for bit; the optimizer keeps η₀.
    @Test func scheduledRateIsTheStepsRate() throws {
        var warm = try TrainerTests.trainer(epochs: 1, optimizer: GradientDescent(learningRate: 0.01)) {
            $0.learningRateSchedule = .constant.warmingUp(epochs: 1, startFactor: 0.5)
        }
        var half = try TrainerTests.trainer(epochs: 1, optimizer: GradientDescent(learningRate: 0.005))
        try warm.fit()
        try half.fit()
        #expect(warm.parameters == half.parameters)
        #expect(warm.optimizer.learningRate == 0.01)
        #expect(warm.learningRate(epoch: 0, batch: 3) == 0.005 && warm.learningRate(epoch: 1, batch: 0) == 0.01)
    }

    /// Clipping in the trainer: with gradient descent the step is the unclipped step times max/(‖g‖ + 10⁻⁶); the
    /// batch result records ‖g‖ before clipping.
    @Test func trainerClipsTheGlobalGradientNorm() throws {
        var free = try TrainerTests.trainer(epochs: 1, optimizer: GradientDescent(learningRate: 0.5))
        let start = free.parameters
        let r = try free.trainBatch()
        #expect(!r.clipped && r.gradientNorm > 0)
        let limit = r.gradientNorm / 4
        var clipped = try TrainerTests.trainer(epochs: 1, optimizer: GradientDescent(learningRate: 0.5)) { $0.gradientClipNorm = limit }
        let rc = try clipped.trainBatch()
        #expect(rc.clipped && rc.gradientNorm == r.gradientNorm)
        let c = limit / (r.gradientNorm + 1e-6)
        var worst = 0.0, largest = 0.0
        for ((_, s), ((_, f), (_, q))) in zip(start.named, zip(free.parameters.named, clipped.parameters.named)) {
            for k in s.scalars.indices {
                let full = Double(f.scalars[k]) - Double(s.scalars[k]), part = Double(q.scalars[k]) - Double(s.scalars[k])
                worst = max(worst, abs(part - c * full))
                largest = max(largest, abs(full))
            }
        }
        #expect(largest > 0 && worst <= 1e-3 * largest, "clipped step deviates by \(worst) of \(largest)")
    }

    /// The options off give the same numbers as before they existed: a constant schedule, λ = 0 and no clipping
    /// are bit-identical to the plain trainer.
    @Test func optionsOffChangeNothing() throws {
        var plain = try TrainerTests.trainer(epochs: 1)
        var off = try TrainerTests.trainer(epochs: 1, optimizer: SMORMS3(learningRate: 0.01, weightDecay: .l2(0))) {
            $0.learningRateSchedule = .constant
        }
        try plain.fit()
        try off.fit()
        #expect(plain.parameters == off.parameters && plain.optimizer.state == off.optimizer.state)
    }
}
