import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine

/// Biases in NIR (docs/NIR.md): a dense layer's bias is an `Affine` node's, a conv layer's is its `Conv1d` node's,
/// `b_SpikeKit = gain · b_NIR` with `gain = r · w_in · Δt / τ_syn` (1 on export, so bit for bit).
@Suite struct NIRBiasTests {
    static let spike = try! SpikeFunction(escape: .step, surrogate: .superspike(beta: 10))

    /// conv-lif (conv recurrence) -> lif (dense recurrence, after a Flatten) -> readout, a bias on every layer.
    static func network(reset: ResetMode = .sameStep) -> NetworkDescription {
        NetworkDescription(dt: 1e-3, input: InputDescription(shape: [2, 12]), layers: [
            LayerDescription(kind: .convLIF, channels: 3, kernel: 3, stride: 1, padding: 1, tauMem: 0.01, tauSyn: 0.005,
                             reset: reset, recurrent: RecurrentDescription(kind: .conv, kernel: 3, padding: 1, stride: 1),
                             spike: spike, bias: "layer0.bias"),
            LayerDescription(kind: .lif, units: 8, tauMem: 0.01, tauSyn: 0.005, reset: .nextStep,
                             recurrent: RecurrentDescription(kind: .dense), spike: spike, bias: "layer1.bias"),
            LayerDescription(kind: .readout, units: 3, tauMem: 0.02, tauSyn: 0.005, initialMem: 0.1, bias: "layer2.bias"),
        ])
    }

    static func parameters(_ a: NetworkArchitecture, seed: UInt64) -> NetworkParameters {
        var g = PhiloxGenerator(seed: seed)
        func draw(_ shape: [Int], _ s: Double) -> Tensor {
            try! Tensor(shape: shape, scalars: (0 ..< shape.reduce(1, *)).map { _ in Float(g.normal() * s) })
        }
        return NetworkParameters(feedForward: a.layers.map { draw($0.feedForward.weightShape, 2) },
                                 recurrent: a.layers.map { $0.recurrent.map { draw($0.weightShape, 0.3) } },
                                 biases: a.layers.map { draw($0.biasShape, 0.15) })
    }

    static func array(_ g: NIRGraph, _ node: String, _ field: String) -> NIRArray? {
        guard case .array(let a)? = g.nodes[node]?.fields[field] else { return nil }
        return a
    }

    /// export -> bytes -> read -> import gives the same description and parameters bit for bit, the same bytes when
    /// exported again, and identical spikes and readout; the biases are in the graph as written and they matter.
    @Test func biasesOnEveryLayerKindRoundTripExactly() throws {
        let model = Self.network()
        let a = try NetworkArchitecture(model)
        let p = Self.parameters(a, seed: 21)
        let graph = try NIRMapping.export(model, parameters: p)
        #expect(graph.nodes["layer0.weight"]?.type == "Conv1d")
        #expect(graph.nodes["layer1.weight"]?.type == "Affine" && graph.nodes["layer2.weight"]?.type == "Affine")
        #expect(graph.nodes["layer1.recurrent"]?.type == "Linear", "the recurrent connection carries no bias")
        for i in 0 ..< 3 {
            let b = Self.array(graph, "layer\(i).weight", "bias")
            #expect(b?.elementType == .float32 && b?.shape == a.layers[i].biasShape)
            #expect(b?.values.map { Float($0).bitPattern } == p.biases[i]!.scalars.map(\.bitPattern), "layer \(i): b_NIR != b")
            #expect(graph.nodes["layer\(i).weight"]?.metadata[NIRMapping.Key.bias] == .string("layer\(i).bias"))
        }
        #expect(Self.array(graph, "layer0.recurrent", "bias")?.values == [0, 0, 0])
        let bytes = try graph.encode()
        let read = try NIRGraph.decode(bytes, path: "bias.nir")
        #expect(read == graph)
        let (model2, p2) = try NIRMapping.importGraph(read, path: "bias.nir")
        #expect(model2 == model)
        #expect(NIRFixtures.bits(p2) == NIRFixtures.bits(p))
        #expect(p2.named.map(\.name) == p.named.map(\.name))
        #expect(try NIRMapping.export(model2, parameters: p2).encode() == bytes, "re-export differs")
        let x = try NIRFixtures.inputs(steps: 60, units: a.input.count, p: 0.1, seed: 8)
        let r1 = try NIRFixtures.run(model, p, x), r2 = try NIRFixtures.run(model2, p2, x)
        #expect(r1.spikes == r2.spikes && r1.output == r2.output)
        #expect(r1.spikes.allSatisfy { $0.scalars.reduce(0, +) > 0 }, "a silent layer makes the comparison vacuous")
        // Without its biases the same network behaves differently, so the biases were carried and used.
        var unbiased = model
        for i in unbiased.layers.indices { unbiased.layers[i].bias = nil }
        let r0 = try NIRFixtures.run(unbiased, NetworkParameters(feedForward: p.feedForward, recurrent: p.recurrent), x)
        #expect(r0.spikes != r1.spikes && r0.output != r1.output)
    }

    /// A zero bias survives the round trip through SpikeKit's `spikekit.bias` marker; a foreign all-zero bias is
    /// no bias; a network without biases exports Linear nodes as before.
    @Test func zeroBiasesKeepTheirLayerBiasOnlyWithTheMarker() throws {
        let model = Self.network()
        let a = try NetworkArchitecture(model)
        var p = Self.parameters(a, seed: 3)
        p.biases[1] = Tensor(zeros: [8])
        var g = try NIRMapping.export(model, parameters: p)
        let (m2, p2) = try NIRMapping.importGraph(g, path: "z.nir")
        #expect(m2.layers[1].bias == "layer1.bias" && p2.biases[1]?.scalars == [Float](repeating: 0, count: 8))
        g.nodes["layer1.weight"]!.metadata[NIRMapping.Key.bias] = nil
        let (m3, p3) = try NIRMapping.importGraph(g, path: "z.nir")
        #expect(m3.layers[1].bias == nil && p3.biases[1] == nil && m3.layers[0].bias == "layer0.bias")
        var plain = model
        for i in plain.layers.indices { plain.layers[i].bias = nil }
        let pg = try NIRMapping.export(plain, parameters: NetworkParameters(feedForward: p.feedForward, recurrent: p.recurrent))
        #expect(pg.nodes["layer1.weight"]?.type == "Linear" && pg.nodes["layer1.weight"]?.metadata[NIRMapping.Key.bias] == nil)
        #expect(Self.array(pg, "layer0.weight", "bias")?.values == [0, 0, 0])
        let (m4, _) = try NIRMapping.importGraph(pg, path: "p.nir")
        #expect(m4 == plain)
    }

    /// One neuron of each kind driven by its bias alone (zero weights, no input spikes), with gains 2 and 0.5:
    /// the imported biases are gain · b_NIR; the readout follows the closed form of
    /// I[n] = b (1 - λ_s^n) / (1 - λ_s), U[n+1] = λ_m U[n] + (1 - λ_m) I[n], U[0] = 0:
    /// U[n] = b / (1 - λ_s) · [(1 - λ_m^n) - (1 - λ_m)(λ_m^n - λ_s^n) / (λ_m - λ_s)],
    /// and the LIF neuron fires when the same recursion (with its same-step reset) crosses θ.
    @Test func aBiasAloneFollowsTheClosedForm() throws {
        let dt = 1e-3, tauSyn = 5e-3, tauMem = 1e-2, tauMemOut = 2e-2
        let bHidden = 0.15, bOut = 0.3
        func filled(_ v: Double) -> NIRValue { .array(.filled(v, count: 1)) }
        func affine(_ b: Double) -> NIRNode {
            NIRNode(type: "Affine", fields: ["weight": .array(try! NIRArray(shape: [1, 1], values: [0], elementType: .float32)),
                                             "bias": .array(try! NIRArray(shape: [1], values: [b], elementType: .float64))])
        }
        let g = NIRGraph(nodes: [
            "input": .input(shape: [1]),
            "fc1": affine(bHidden),
            "lif": NIRNode(type: "CubaLIF", fields: [
                "tau_syn": filled(tauSyn), "tau_mem": filled(tauMem), "r": filled(1), "v_leak": filled(0),
                "v_threshold": filled(1), "v_reset": filled(0), "w_in": filled(2 * tauSyn / dt)]),
            "fc2": affine(bOut),
            "li": NIRNode(type: "CubaLI", fields: [
                "tau_syn": filled(tauSyn), "tau_mem": filled(tauMemOut), "r": filled(0.5), "v_leak": filled(0),
                "w_in": filled(tauSyn / dt)]),
            "output": .output(shape: [1]),
        ], edges: [NIREdge("input", "fc1"), NIREdge("fc1", "lif"), NIREdge("lif", "fc2"), NIREdge("fc2", "li"),
                   NIREdge("li", "output")])
        let (model, p) = try NIRMapping.importGraph(g, path: "bias-alone.nir", options: .init(dt: dt))
        #expect(model.layers.map(\.bias) == ["layer0.bias", "layer1.bias"])
        #expect(p.biases.map { $0?.scalars } == [[Float(bHidden * 2)], [Float(bOut * 0.5)]])
        let steps = 200
        let x = try SpikeTrains(raster: ArraySlice([Float](repeating: 0, count: steps)), steps: steps, units: 1)
        let r = try NIRFixtures.run(model, p, x)
        // The readout, b = 0.15 after the gain.
        let b = Double(Float(bOut * 0.5))
        let lm = exp(-dt / tauMemOut), ls = exp(-dt / tauSyn)
        for n in 0 ..< steps {
            let nn = Double(n)
            let u = b / (1 - ls) * ((1 - pow(lm, nn)) - (1 - lm) * (pow(lm, nn) - pow(ls, nn)) / (lm - ls))
            #expect(abs(Double(r.output.scalars[n]) - u) < 1e-5 * max(1, abs(u)), "readout U[\(n)]")
        }
        #expect(abs(Double(r.output.scalars[steps - 1]) - b / (1 - ls)) < 0.01, "U approaches b / (1 - λ_s)")
        // The LIF neuron, b = 0.3 after the gain: I -> 0.3 / (1 - e^{-0.2}) ≈ 1.65, so with the steady-state U
        // above θ = 1 it fires periodically.
        let bh = Double(Float(bHidden * 2)), lmh = exp(-dt / tauMem)
        var u = 0.0, i = 0.0, expected: [Float] = [], margin = Double.infinity
        for _ in 0 ..< steps {
            let s = u > 1 ? 1.0 : 0.0
            margin = min(margin, abs(u - 1))
            expected.append(Float(s))
            (u, i) = (lmh * u * (1 - s) + (1 - lmh) * i, ls * i + bh)
        }
        #expect(margin > 1e-4, "the hand recursion comes too close to θ for a float32 comparison")
        #expect(expected.reduce(0, +) >= 3)
        #expect(r.spikes[0].scalars == expected)
    }

    /// A bias on a foreign graph's recurrent connection (snnTorch's RSynaptic exports one) adds to the layer's
    /// bias; both are scaled by the gain (2 in this fixture).
    @Test func foreignBiasesAreScaledAndRecurrentBiasesAdded() throws {
        var g = try NIRGraph.read(path: NIRFixtures.path("nir-affine-cubalif-rec.nir"))
        let b1 = (0 ..< 16).map { Double($0) * 0.125 - 1 }, bRec = (0 ..< 16).map { Double($0 % 4) * 0.5 }
        func set(_ node: String, type: String? = nil, _ field: String, _ v: NIRValue) {
            guard case .primitive(let t, var f) = g.nodes[node]!.content else { return }
            f[field] = v
            g.nodes[node]!.content = .primitive(type: type ?? t, fields: f)
        }
        set("fc1", "bias", .array(try NIRArray(shape: [16], values: b1, elementType: .float64)))
        let (m1, p1) = try NIRMapping.importGraph(g, path: "g.nir", options: .init(dt: 1e-3))
        #expect(m1.layers[0].bias == "layer0.bias" && m1.layers[1].bias == nil)
        #expect(p1.biases[0]?.scalars == b1.map { Float($0 * 2) })
        set("rec", type: "Affine", "bias", .array(try NIRArray(shape: [16], values: bRec, elementType: .float32)))
        let (_, p2) = try NIRMapping.importGraph(g, path: "g.nir", options: .init(dt: 1e-3))
        #expect(p2.biases[0]?.scalars == zip(b1, bRec).map { Float(($0 + $1) * 2) })
        set("fc2", "bias", .array(.filled(0.25, count: 4)))
        let (m3, p3) = try NIRMapping.importGraph(g, path: "g.nir", options: .init(dt: 1e-3))
        #expect(m3.layers[1].bias == "layer1.bias" && p3.biases[1]?.scalars == [Float](repeating: 0.125, count: 4))
    }

    /// Biases SpikeKit cannot take are refused in one line naming node and field; the subtract reset is refused on
    /// export in one line naming the layer.
    @Test func badBiasesAndTheSubtractResetAreRefusedInOneLine() throws {
        let base = try NIRGraph.read(path: NIRFixtures.path("nir-affine-cubalif-rec.nir"))
        func message(_ v: NIRValue) -> String {
            var g = base
            guard case .primitive(let t, var f) = g.nodes["fc1"]!.content else { return "?" }
            f["bias"] = v
            g.nodes["fc1"]!.content = .primitive(type: t, fields: f)
            do { _ = try NIRMapping.importGraph(g, path: "g.nir", options: .init(dt: 1e-3)); return "imported" } catch { return "\(error)" }
        }
        let short = message(.array(.filled(0.5, count: 15)))
        #expect(short.contains("'fc1' (Affine): bias has shape [15], expected [16]"), "\(short)")
        var nan = NIRArray.filled(0, count: 16)
        nan.values[2] = .nan
        #expect(message(.array(nan)).contains("'fc1' (Affine): bias holds infinite or NaN values"))
        #expect(message(.string("zero")).contains("'fc1' (Affine): field 'bias' is missing or not numeric"))
        let model = Self.network(reset: .subtract)
        let p = Self.parameters(try NetworkArchitecture(model), seed: 1)
        do {
            _ = try NIRMapping.export(model, parameters: p)
            Issue.record("a subtract reset exported")
        } catch {
            let m = "\(error)"
            #expect(m.contains("layer 0 (conv-lif) has the subtract reset") && m.contains("v_reset") && !m.contains("\n"), "\(m)")
        }
    }
}
