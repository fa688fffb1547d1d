import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine

/// Graphs SpikeKit did not write: made with the `nir` package, exported by snnTorch and by Norse
/// (Fixtures/nir, tools/nir/make_fixtures.py).
@Suite struct NIRFixtureTests {
    /// Affine -> CubaLIF (recurrent) -> Affine -> CubaLI built with the nir package imports, and SpikeKit's run
    /// reproduces the spikes and readout membrane of the independent NumPy implementation in make_fixtures.py.
    @Test func nirPackageGraphImportsAndRunsAsTheReference() throws {
        let name = "nir-affine-cubalif-rec.nir"
        let g = try NIRGraph.read(path: NIRFixtures.path(name))
        let (model, p) = try NIRMapping.importGraph(g, path: name, options: .init(dt: 1e-3))
        #expect(model.layers.map(\.kind) == [.lif, .readout])
        #expect(model.layers[0].recurrent?.kind == .dense && model.layers[0].reset == .sameStep)
        #expect(model.layers[0].tauSyn == 5e-3 && model.layers[1].tauMem == 2e-2)
        // gain r·w_in·Δt/τ_syn = 2 (hidden), 0.5 (readout).
        guard case .array(let w1)? = g.nodes["fc1"]?.fields["weight"], case .array(let w2)? = g.nodes["fc2"]?.fields["weight"] else {
            Issue.record("missing weights"); return
        }
        #expect(p.feedForward[0].scalars == w1.values.map { Float($0 * 2) })
        #expect(p.feedForward[1].scalars == w2.values.map { Float($0 * 0.5) })
        let x = try NpyArray.read(path: NIRFixtures.path("nir-affine-cubalif-rec-input.npy"))
        let hidden = try NpyArray.read(path: NIRFixtures.path("nir-affine-cubalif-rec-hidden.npy")).floats
        let output = try NpyArray.read(path: NIRFixtures.path("nir-affine-cubalif-rec-output.npy")).floats
        let r = try NIRFixtures.run(model, p, try SpikeTrains(raster: ArraySlice(x.floats), steps: 100, units: 8))
        #expect(r.spikes[0].scalars == hidden)
        #expect(hidden.reduce(0, +) > 100)
        let worst = zip(r.output.scalars, output).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-5, "readout membrane differs by \(worst)")
    }

    /// snnTorch's Synaptic export (dt 1e-4 inside snnTorch): τ = dt/(1-α), r = τ_mem/dt, w_in = τ_syn/dt, so the
    /// gain is τ_mem/dt = 5 for β = 0.8; the recurrent variant puts the recurrence in a cycle.
    @Test(arguments: ["snntorch-synaptic.nir", "snntorch-rsynaptic.nir"])
    func snnTorchGraphImportsAndRuns(name: String) throws {
        let g = try NIRGraph.read(path: NIRFixtures.path(name))
        let (model, p) = try NIRMapping.importGraph(g, path: name, options: .init(dt: 1e-4))
        #expect(model.layers.map(\.kind) == [.lif, .lif])
        #expect(model.layers[0].recurrent?.kind == (name.contains("rsyn") ? .dense : nil))
        #expect(abs(model.layers[0].tauMem / 5e-4 - 1) < 1e-6 && abs(model.layers[0].tauSyn / 1e-3 - 1) < 1e-6)
        guard case .array(let w1)? = g.nodes["fc1"]?.fields["weight"] else { Issue.record("no fc1 weight"); return }
        let expected = w1.values.map { $0 * 5 }
        #expect(zip(p.feedForward[0].scalars, expected).allSatisfy { abs(Double($0) - $1) <= 1e-5 * max(1, abs($1)) })
        let r = try NIRFixtures.run(model, p, try NIRFixtures.inputs(steps: 50, units: 8, p: 0.3, seed: 2))
        #expect(r.spikes.count == 2 && r.spikes[0].shape == [1, 50, 16])
    }

    /// Norse's LIFCell export: CubaLIF with r = 1 and w_in = 1; its τ are Norse's dt·τ (Norse divides dt by
    /// τ⁻¹), which SpikeKit takes as written.
    @Test func norseGraphImportsAndRuns() throws {
        let g = try NIRGraph.read(path: NIRFixtures.path("norse-lif.nir"))
        let (model, p) = try NIRMapping.importGraph(g, path: "norse-lif.nir", options: .init(dt: 1e-3))
        #expect(model.layers.map(\.kind) == [.lif, .lif])
        #expect(abs(model.layers[0].tauMem - 1e-5) < 1e-12)
        let r = try NIRFixtures.run(model, p, try NIRFixtures.inputs(steps: 20, units: 8, p: 0.3, seed: 2))
        #expect(r.spikes[1].shape == [1, 20, 4])
    }

    @Test func unsupportedNodeIsNamedWithItsType() throws {
        let g = try NIRGraph.read(path: NIRFixtures.path("nir-conv2d.nir"))
        #expect(g.nodes["conv"]?.type == "Conv2d")
        do {
            _ = try NIRMapping.importGraph(g, path: "nir-conv2d.nir", options: .init(dt: 1e-3))
            Issue.record("a Conv2d graph imported")
        } catch let e as SpikeKitError {
            #expect(e.description.contains("NIR node 'conv' (Conv2d)") && e.description.contains("not supported"), "\(e)")
        }
    }

    @Test func foreignGraphWithoutTimeStepAsksForOne() throws {
        let g = try NIRGraph.read(path: NIRFixtures.path("snntorch-synaptic.nir"))
        #expect(throws: SpikeKitError.self) { try NIRMapping.importGraph(g, path: "x.nir") }
        do { _ = try NIRMapping.importGraph(g, path: "x.nir") } catch { #expect("\(error)".contains("--dt")) }
    }

    /// Graphs SpikeKit cannot represent are refused with the node and field named.
    @Test func unrepresentableParametersAreNamed() throws {
        let base = try NIRGraph.read(path: NIRFixtures.path("nir-affine-cubalif-rec.nir"))
        func message(_ edit: (inout NIRGraph) -> Void) -> String {
            var g = base
            edit(&g)
            do { _ = try NIRMapping.importGraph(g, path: "g.nir", options: .init(dt: 1e-3)); return "imported" } catch { return "\(error)" }
        }
        func set(_ g: inout NIRGraph, _ node: String, _ field: String, _ v: NIRValue) {
            guard case .primitive(let t, var f) = g.nodes[node]!.content else { return }
            f[field] = v
            g.nodes[node]!.content = .primitive(type: t, fields: f)
        }
        var tau = NIRArray.filled(5e-3, count: 16)
        tau.values[3] = 6e-3
        #expect(message { set(&$0, "lif", "tau_syn", .array(tau)) }.contains("'lif' (CubaLIF): field 'tau_syn' differs between neurons"))
        #expect(message { set(&$0, "fc1", "bias", .array(.filled(0.5, count: 16))) } == "imported", "a bias is a layer bias (NIRBiasTests)")
        #expect(message { set(&$0, "fc1", "bias", .array(.filled(0.5, count: 4))) }.contains("'fc1' (Affine): bias has shape [4], expected [16]"))
        #expect(message { set(&$0, "lif", "v_reset", .array(.filled(-1, count: 16))) }.contains("'lif' (CubaLIF): v_reset"))
        #expect(message { $0.edges.append(NIREdge("input", "li")) }.contains("'input'"))
    }
}
