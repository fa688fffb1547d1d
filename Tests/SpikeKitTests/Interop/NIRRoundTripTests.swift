import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitExperiments

/// SpikeKit -> NIR -> SpikeKit is exact for the paper's networks: the same description, the same weights bit for
/// bit, the same spikes, and the same file bytes when exported again.
@Suite struct NIRRoundTripTests {
    static func network(_ name: String) throws -> NetworkDescription {
        switch name {
        case "stm-det": return try PaperNetworks.spikeTrainMatching(stochastic: false)
        case "stm-stoch": return try PaperNetworks.spikeTrainMatching(stochastic: true)
        case "shd-det": return try PaperNetworks.shdCSNN(stochastic: false)
        default: return try PaperNetworks.shdCSNN(stochastic: true)
        }
    }

    @Test(arguments: ["stm-det", "stm-stoch", "shd-det", "shd-stoch"])
    func paperNetworkRoundTripIsExact(name: String) throws {
        let model = try Self.network(name)
        let a = try NetworkArchitecture(model)
        let p = try FluctuationDrivenInit(sigmaU: 1, nu: 10).parameters(for: a, seed: 11)
        let graph = try NIRMapping.export(model, parameters: p)
        let bytes = try graph.encode()
        let read = try NIRGraph.decode(bytes, path: name + ".nir")
        #expect(read == graph, "\(name): the graph read back differs from the one written")
        let (model2, p2) = try NIRMapping.importGraph(read, path: name + ".nir")
        #expect(model2 == model, "\(name): description differs")
        #expect(NIRFixtures.bits(p2) == NIRFixtures.bits(p), "\(name): weights differ")
        #expect(try NIRMapping.export(model2, parameters: p2).encode() == bytes, "\(name): re-export differs")
        let x = try NIRFixtures.inputs(steps: 30, units: a.input.count, p: 0.2, seed: 5)
        let r1 = try NIRFixtures.run(model, p, x), r2 = try NIRFixtures.run(model2, p2, x)
        #expect(r1.spikes == r2.spikes && r1.output == r2.output, "\(name): simulations differ")
        #expect(r1.spikes.map { $0.scalars.reduce(0, +) }.reduce(0, +) > 0, "\(name): no spikes at all (a vacuous comparison)")
    }

    /// The exporter writes NIR's continuous-time parameters: τ as given, r = 1, w_in = τ_syn/Δt, threshold and
    /// reset potential, the structure of a recurrent conv network, and the metadata NIR has no field for.
    @Test func exportedParametersAndStructure() throws {
        let model = try PaperNetworks.shdCSNN(stochastic: true)
        let a = try NetworkArchitecture(model)
        let g = try NIRMapping.export(model, parameters: NetworkParameters(zerosFor: a))
        #expect(g.nodes["layer0"]?.type == "CubaLIF" && g.nodes["layer3"]?.type == "CubaLI")
        #expect(g.nodes["layer0.weight"]?.type == "Conv1d" && g.nodes["layer0.recurrent"]?.type == "Conv1d")
        #expect(g.nodes["layer3.flatten"]?.type == "Flatten" && g.nodes["layer3.weight"]?.type == "Linear")
        #expect(g.successors(of: "layer1") .sorted() == ["layer1.recurrent", "layer2.weight"])
        #expect(g.successors(of: "layer1.recurrent") == ["layer1"])
        guard case .array(let w)? = g.nodes["layer0"]?.fields["w_in"], case .array(let tau)? = g.nodes["layer0"]?.fields["tau_syn"],
              case .array(let r)? = g.nodes["layer0"]?.fields["r"], case .array(let th)? = g.nodes["layer0"]?.fields["v_threshold"] else {
            Issue.record("layer0 lacks its parameters"); return
        }
        #expect(tau.shape == [16, 68] && tau.values.allSatisfy { $0 == 0.01 })
        #expect(w.values.allSatisfy { $0 == 0.01 / 0.002 } && r.values.allSatisfy { $0 == 1 } && th.values.allSatisfy { $0 == 1 })
        let meta = g.nodes["layer0"]!.metadata
        #expect(meta[NIRMapping.Key.reset] == .string("next-step"))
        #expect(meta[NIRMapping.Key.escapeNoise] == .string("sigmoid(beta=10.0)"))
        #expect(meta[NIRMapping.Key.dt] == .array(.scalar(0.002)))
        #expect(g.nodes["layer3"]!.metadata[NIRMapping.Key.initialMem] == .array(.scalar(-1e-3)))
        guard case .array(let stride)? = g.nodes["layer0.weight"]?.fields["stride"] else { Issue.record("no stride"); return }
        #expect(stride.values == [10] && stride.shape == [])
    }
}
