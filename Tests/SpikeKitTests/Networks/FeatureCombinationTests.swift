import Foundation
import Testing
@testable import SpikeKitEngine
import SpikeKit

/// Combinations of layer features that one engine path cannot run together are refused with one line instead of
/// silently running one of them.
@Suite struct FeatureCombinationTests {
    static func layer(_ kind: LayerKind, recurrentDelay: Int, learnThreshold: Bool? = nil) -> LayerDescription {
        let adaptive = kind == .alif || kind == .convALIF
        return LayerDescription(kind: kind, units: kind == .convALIF ? nil : 6, channels: kind == .convALIF ? 2 : nil,
                                kernel: kind == .convALIF ? 3 : nil, tauMem: 0.02, tauSyn: 0.01,
                                recurrent: RecurrentDescription(kind: kind == .convALIF ? .conv : .dense,
                                                                kernel: kind == .convALIF ? 3 : nil,
                                                                padding: kind == .convALIF ? 1 : nil, delay: recurrentDelay),
                                spike: SpikeFunction.deterministic(), tauAdapt: adaptive ? 0.05 : nil, adaptStrength: adaptive ? 0.2 : nil,
                                learnThreshold: learnThreshold)
    }

    @Test func recurrentDelaysAreRefusedOnAdaptiveLayersAndLearnedThresholds() throws {
        for (kind, learn) in [(LayerKind.alif, nil), (.convALIF, nil), (.lif, true)] as [(LayerKind, Bool?)] {
            let input = InputDescription(shape: kind == .convALIF ? [2, 10] : [4])
            let bad = NetworkDescription(dt: 1e-3, input: input, layers: [Self.layer(kind, recurrentDelay: 2, learnThreshold: learn)])
            #expect {
                _ = try NetworkArchitecture(bad)
            } throws: { e in
                let m = "\(e)"
                return m.contains("recurrent delay") && m.contains("layer 0") && !m.contains("\n")
            }
            // Delay 1 (the default timing) is accepted.
            let good = NetworkDescription(dt: 1e-3, input: input, layers: [Self.layer(kind, recurrentDelay: 1, learnThreshold: learn)])
            _ = try NetworkArchitecture(good)
        }
    }

    @Test func currentsAreRefusedBehindAFirstLayerDelay() throws {
        var hidden = LayerDescription(kind: .lif, units: 5, tauMem: 0.02, tauSyn: 0.01, spike: SpikeFunction.deterministic())
        hidden.delay = 2
        let d = NetworkDescription(dt: 1e-3, input: InputDescription(shape: [3]), layers: [hidden])
        let a = try NetworkArchitecture(d)
        let sim = Simulator(architecture: a, threads: 1)
        try sim.load(NetworkParameters(zerosFor: a))
        let currents = try Tensor(shape: [1, 8, 3], scalars: [Float](repeating: 0.5, count: 24))
        #expect {
            _ = try sim.run(currents: currents)
        } throws: { e in
            let m = "\(e)"
            return m.contains("delay") && m.contains("currents") && !m.contains("\n")
        }
    }
}
