import Foundation
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine

/// The NIR fixtures (Tests/SpikeKitTests/Fixtures/nir, made by tools/nir/make_fixtures.py).
enum NIRFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/nir").path

    static func path(_ name: String) -> String { folder + "/" + name }

    static func bytes(_ name: String) throws -> [UInt8] { [UInt8](try AtomicFile.read(path(name))) }

    /// Seeded input spikes [steps, units] with rate `p` per step.
    static func inputs(steps: Int, units: Int, p: Double = 0.1, seed: UInt64) throws -> SpikeTrains {
        var g = PhiloxGenerator(seed: seed)
        return try SpikeTrains(raster: ArraySlice((0 ..< steps * units).map { _ in g.uniform() < p ? Float(1) : 0 }),
                               steps: steps, units: units)
    }

    /// Runs a network on one sample and returns every spiking layer's spikes and the output.
    static func run(_ model: NetworkDescription, _ parameters: NetworkParameters, _ x: SpikeTrains, seed: UInt64 = 7)
        throws -> (spikes: [Tensor], output: Tensor) {
        let sim = Simulator(architecture: try NetworkArchitecture(model), threads: 1)
        try sim.load(parameters)
        let r = try sim.run(inputs: [x], noise: .philox(seed: seed, iteration: 0), record: true)
        return (r.spikes ?? [], r.output ?? Tensor(zeros: [0]))
    }

    /// The bit patterns of every weight, for bit-for-bit comparisons.
    static func bits(_ p: NetworkParameters) -> [[UInt32]] {
        p.named.map { $0.tensor.scalars.map(\.bitPattern) }
    }
}
