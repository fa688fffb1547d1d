import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

/// A small recurrent network: 4 inputs → 3 LIF (dense recurrent) → 2 readout.
private func smallDescription() -> NetworkDescription {
    NetworkDescription(dt: 1e-3, input: InputDescription(shape: [4]), layers: [
        LayerDescription(kind: .lif, units: 3, tauMem: 0.01, tauSyn: 0.005, recurrent: RecurrentDescription(kind: .dense),
                         spike: .deterministic(beta: 10)),
        LayerDescription(kind: .readout, units: 2, tauMem: 0.02, tauSyn: 0.005),
    ])
}

/// A checkpoint of `description` after two SMORMS3 steps with made-up gradients.
private func trainedCheckpoint(_ description: NetworkDescription, seed: UInt64 = 7) throws -> (Checkpoint, SMORMS3) {
    let arch = try NetworkArchitecture(description)
    var p = try FluctuationDrivenInit(sigmaU: 1, nu: 15.8, alpha: 0.9).parameters(for: arch, seed: seed)
    var opt = SMORMS3(learningRate: 0.01)
    for s in 0 ..< 2 {
        var g = p
        for i in g.feedForward.indices { g.feedForward[i].scalars = g.feedForward[i].scalars.map { $0 * Float(s + 1) - 0.1 } }
        opt.step(parameters: &p, gradients: g)
    }
    let c = Checkpoint(model: description, parameters: p, optimizer: opt, seed: seed, epoch: 12,
                       metadata: ["dataset": "shd", "valid_accuracy": "0.93", "note": "{\"json\": \"inside\"}"])
    return (c, opt)
}

@Suite struct CheckpointTests {
    @Test func roundTripOfTheSHDNetwork() throws {
        let (c, _) = try trainedCheckpoint(TrainingFixtures.shdDescription(), seed: UInt64.max - 3)
        let path = TrainingFixtures.temporaryFolder() + "/run/epoch12.safetensors"
        try c.save(to: path)
        let loaded = try Checkpoint.load(path: path)
        #expect(loaded == c)
        #expect(loaded.seed == UInt64.max - 3)
        // The file is plain safetensors with the documented names and keys.
        let (tensors, meta) = try Safetensors.read(path: path)
        #expect(meta[Checkpoint.MetadataKey.format] == "checkpoint-1")
        #expect(meta[Checkpoint.MetadataKey.epoch] == "12")
        #expect(tensors["layer0.weight"]?.shape == [16, 1, 21])
        #expect(tensors["layer2.recurrent"]?.shape == [64, 64, 5])
        #expect(tensors["layer3.weight"]?.shape == [20, 320])
        #expect(tensors["optimizer.layer1.weight.g2"]?.shape == [32, 16, 7])
    }

    @Test func resumedTrainingContinuesIdentically() throws {
        let (c, optimizer) = try trainedCheckpoint(smallDescription())
        let path = TrainingFixtures.temporaryFolder() + "/c.safetensors"
        try c.save(to: path)
        let loaded = try Checkpoint.load(path: path)
        var resumed = try #require(try loaded.restoredOptimizer())
        var straight = optimizer
        var p = c.parameters, q = loaded.parameters
        var g = p
        g.recurrent[0]!.scalars = [0.3, -0.2, 0.1, 0, 0.5, -0.5, 1, 2, -3]
        for _ in 0 ..< 3 {
            straight.step(parameters: &p, gradients: g)
            resumed.step(parameters: &q, gradients: g)
        }
        #expect(p == q)
    }

    @Test func nonFiniteWeightsAreKept() throws {
        var (c, _) = try trainedCheckpoint(smallDescription())
        c.parameters.feedForward[0].scalars[1] = .nan
        c.optimizer = nil
        c.optimizerState = [:]
        let path = TrainingFixtures.temporaryFolder() + "/nan.safetensors"
        try c.save(to: path)
        let loaded = try Checkpoint.load(path: path)
        #expect(loaded.parameters.feedForward[0].scalars[1].isNaN)
        #expect(loaded.optimizer == nil)
        #expect(try loaded.restoredOptimizer() == nil)
    }

    @Test func rejectsFilesThatAreNotCheckpoints() throws {
        let dir = TrainingFixtures.temporaryFolder()
        let (c, _) = try trainedCheckpoint(smallDescription())
        // Plain safetensors without SpikeKit metadata.
        try Safetensors.write(tensors: [("layer0.weight", Tensor(zeros: [3, 4]))], to: dir + "/plain.safetensors")
        #expect(throws: SpikeKitError.malformedFile(path: dir + "/plain.safetensors",
                                                    message: "checkpoint: metadata key 'spikekit.format' is missing (not a SpikeKit checkpoint?)")) {
            try Checkpoint.load(path: dir + "/plain.safetensors")
        }
        // A weight of the wrong shape, an unknown tensor, a missing weight: the checkpoint's own metadata (without the
        // optimizer) around edited tensors.
        try c.save(to: dir + "/full.safetensors")
        let metadata = try Safetensors.read(path: dir + "/full.safetensors").metadata
            .filter { $0.key != Checkpoint.MetadataKey.optimizer }
        func variant(_ edit: (inout [(String, Tensor)]) -> Void) throws -> String {
            var tensors = c.parameters.named.map { ($0.name, $0.tensor) }
            edit(&tensors)
            let path = dir + "/variant.safetensors"
            try Safetensors.write(tensors: tensors, metadata: metadata, to: path)
            do {
                _ = try Checkpoint.load(path: path)
                return "loaded"
            } catch {
                return "\(error)"
            }
        }
        #expect(try variant { $0[0].1 = Tensor(zeros: [4, 3]) }.contains("layer0.weight' has shape [4, 3]"))
        #expect(try variant { $0.append(("extra", Tensor(zeros: [1]))) }.contains("unexpected tensors extra"))
        #expect(try variant { $0.remove(at: 1) }.contains("layer0.recurrent' is missing"))
        #expect(try variant { $0.append(("optimizer.layer0.weight.g", Tensor(zeros: [3, 4]))) }.contains("without a 'spikekit.optimizer'"))
        #expect(try variant { _ in } == "loaded")
    }

    @Test func damagedFilesNeverCrash() throws {
        let (c, _) = try trainedCheckpoint(smallDescription())
        let path = TrainingFixtures.temporaryFolder() + "/c.safetensors"
        try c.save(to: path)
        let bytes = [UInt8](try AtomicFile.read(path))
        // Every truncation fails cleanly.
        for n in 0 ..< bytes.count {
            #expect(throws: SpikeKitError.self) { try Checkpoint.decode(Data(bytes[0 ..< n]), path: path) }
        }
        // Random byte changes either fail cleanly or load; neither may crash.
        var rng = PhiloxGenerator(seed: 2024)
        var failures = 0
        let trials = 3000
        for _ in 0 ..< trials {
            var damaged = bytes
            for _ in 0 ..< Int.random(in: 1 ... 3, using: &rng) {
                let k = Int.random(in: 0 ..< damaged.count, using: &rng)
                damaged[k] = rng.next32() % 2 == 0 ? damaged[k] ^ UInt8(1 << Int.random(in: 0 ..< 8, using: &rng))
                                                   : UInt8.random(in: 0 ... 255, using: &rng)
            }
            do {
                _ = try Checkpoint.decode(Data(damaged), path: path)
            } catch is SpikeKitError {
                failures += 1
            }
        }
        #expect(failures > trials / 4)
    }
}
