import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitExperiments

/// Malformed and truncated .nir files give a one-line error naming the file, never a trap.
@Suite struct NIRRobustnessTests {
    /// Reads and imports; nil on success, else the error's description.
    static func readAndImport(_ bytes: [UInt8], name: String) -> String? {
        do {
            let g = try NIRGraph.decode(bytes, path: name)
            _ = try NIRMapping.importGraph(g, path: name, options: .init(dt: 1e-3))
            return nil
        } catch let e as SpikeKitError {
            return e.description
        } catch {
            return "unexpected error type \(type(of: error)): \(error)"
        }
    }

    static func fixtures() throws -> [(String, [UInt8])] {
        let model = try PaperNetworks.spikeTrainMatching(inputs: 6, hidden: 5, outputs: 3, stochastic: true)
        let p = try FluctuationDrivenInit(sigmaU: 1, nu: 10).parameters(for: try NetworkArchitecture(model), seed: 1)
        let own = try NIRMapping.export(model, parameters: p).encode()
        return [("spikekit.nir", own)] + (try ["nir-affine-cubalif-rec.nir", "snntorch-rsynaptic.nir"].map { ($0, try NIRFixtures.bytes($0)) })
    }

    static func check(_ message: String?, _ name: String) {
        guard let message else { return }
        #expect(message.hasPrefix(name + ":"), "\(message)")
        #expect(!message.contains("unexpected error type") && !message.contains("\n"), "\(message)")
    }

    @Test func truncatedFilesGiveErrors() throws {
        for (name, bytes) in try Self.fixtures() {
            var failures = 0
            for n in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 150)) {
                let m = Self.readAndImport(Array(bytes[0 ..< n]), name: name)
                Self.check(m, name)
                if m != nil { failures += 1 }
            }
            #expect(failures > 0, "\(name): no truncation was detected")
        }
    }

    @Test func flippedBytesNeverTrap() throws {
        var g = PhiloxGenerator(seed: 42)
        var detected = 0
        for (name, original) in try Self.fixtures() {
            for _ in 0 ..< 150 {
                var bytes = original
                for _ in 0 ..< 1 + Int(g.uniform() * 3) {
                    let at = Int(g.uniform() * Double(bytes.count)) % bytes.count
                    bytes[at] ^= UInt8(1 + Int(g.uniform() * 254))
                }
                let m = Self.readAndImport(bytes, name: name)
                Self.check(m, name)
                if m != nil { detected += 1 }
            }
        }
        #expect(detected > 0)
    }

    /// A missing field is named with its node; so is a field of the wrong kind.
    @Test func missingAndMistypedFieldsAreNamed() throws {
        typealias W = HDF5Writer
        func str(_ s: String) -> W.Node {
            .dataset(W.Dataset(datatype: .variableString(padding: .nullTerminated, charset: .utf8),
                               payload: .variable([(s.utf8.count, Array(s.utf8))]), shape: []))
        }
        func f64(_ v: [Double]) -> W.Node {
            .dataset(W.Dataset(datatype: .floatingPoint(size: 8, bigEndian: false),
                               payload: .fixed(count: v.count, bytes: v.flatMap { W.le(Int(truncatingIfNeeded: $0.bitPattern), 8) })))
        }
        func file(lif: [String: W.Node]) throws -> [UInt8] {
            try W.serialize(["version": str("1.0.8"), "node": .group([
                "type": str("NIRGraph"),
                "edges": .dataset(W.Dataset(datatype: .variableString(padding: .nullTerminated, charset: .utf8),
                                            payload: .variable([("lif".utf8.count, Array("lif".utf8)), ("lif".utf8.count, Array("lif".utf8))]),
                                            shape: [0, 2].map { $0 == 0 ? 1 : $0 })),
                "nodes": .group(["lif": .group(lif)]),
            ])])
        }
        var lif: [String: W.Node] = ["type": str("CubaLIF")]
        for f in ["tau_mem", "tau_syn", "r", "v_leak", "v_threshold", "w_in"] { lif[f] = f64([1, 1]) }
        _ = try NIRGraph.decode(try file(lif: lif), path: "ok.nir")
        var missing = lif
        missing["tau_mem"] = nil
        #expect(Self.readAndImport(try file(lif: missing), name: "m.nir")?.contains("NIR node 'lif' (CubaLIF): field 'tau_mem' is missing") == true)
        var mistyped = lif
        mistyped["w_in"] = str("one")
        #expect(Self.readAndImport(try file(lif: mistyped), name: "t.nir")?.contains("'lif' (CubaLIF): field 'w_in' is a string") == true)
        var shapes = lif
        shapes["r"] = f64([1, 1, 1])
        #expect(Self.readAndImport(try file(lif: shapes), name: "s.nir")?.contains("field 'r' has shape [3]") == true)
        #expect(Self.readAndImport(Array("not an hdf5 file".utf8), name: "x.nir")?.hasPrefix("x.nir: not a NIR file") == true)
    }
}
