import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitEngine
import SpikeKit

/// docs/model.schema.json against the files SpikeKit reads and writes: every committed network case, every
/// template, every JSON example in docs/ModelFormat.md; and the schema rejects what the reader rejects.
@Suite struct ModelSchemaTests {
    static let schema: JSONSchemaSubset = {
        let data = FileManager.default.contents(atPath: TestPaths.root + "/docs/model.schema.json")!
        return JSONSchemaSubset(root: try! JSONValue.parse(data))
    }()

    static func caseFiles() -> [String] {
        let dirs = [TestPaths.root + "/Tests/SpikeKitTests/Fixtures/cases"] + (TestPaths.shared.map { [$0 + "/reference/cases"] } ?? [])
        return dirs.flatMap { d in
            ((try? FileManager.default.contentsOfDirectory(atPath: d)) ?? []).sorted().map { "\(d)/\($0)/case.json" }
        }
    }

    @Test func schemaUsesOnlyTheCheckedSubset() throws {
        // Walk every sub-schema: an unsupported keyword is reported for any value.
        func walk(_ s: JSONValue, _ path: String) -> [String] {
            guard case .object(let o) = s else { return [] }
            var out = Self.schema.errors(.null, schema: .object(o.filter { $0.key != "$ref" }), path: path)
                .filter { $0.contains("unsupported") }
            for (k, v) in o {
                switch v {
                case .object(let m) where ["properties", "$defs"].contains(k):
                    for (n, sub) in m { out += walk(sub, "\(path).\(k).\(n)") }
                case .object: out += walk(v, "\(path).\(k)")
                case .array(let a): for (i, sub) in a.enumerated() { out += walk(sub, "\(path).\(k)[\(i)]") }
                default: break
                }
            }
            return out
        }
        #expect(walk(Self.schema.root, "$") == [])
    }

    @Test func everyCommittedNetworkCaseValidates() throws {
        var checked = 0
        for f in Self.caseFiles() {
            let v = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: f)))
            if case .object(let o) = v, o["kind"] == .string("perceptron-exact") { continue }
            #expect(Self.schema.errors(v) == [], "\(f)")
            _ = try NetworkDescription.load(path: f)
            checked += 1
        }
        #expect(checked >= 6)
    }

    @Test func exampleModelFilesValidate() throws {
        let dir = TestPaths.root + "/Examples/models"
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".json") }
        #expect(!files.isEmpty)
        for f in files {
            #expect(Self.schema.errors(try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: dir + "/" + f)))) == [], "\(f)")
            _ = try NetworkDescription.load(path: dir + "/" + f)
        }
    }

    @Test func everyTemplateValidatesAndRoundTrips() throws {
        for t in ModelTemplate.allCases {
            for stochastic in [false, true] {
                let d = try t.description(inputs: 700, hidden: 32, classes: 20, stochastic: stochastic)
                let json = try d.json()
                #expect(Self.schema.errors(try JSONValue.parse(Data(json.utf8))) == [], "\(t.rawValue)")
                #expect(try JSONDecoder().decode(NetworkDescription.self, from: Data(json.utf8)) == d)
            }
        }
    }

    /// Every ```json block of docs/ModelFormat.md that holds a whole model (has "layers") is valid for the schema
    /// and for the reader.
    @Test func documentedExamplesValidate() throws {
        let text = try String(contentsOfFile: TestPaths.root + "/docs/ModelFormat.md", encoding: .utf8)
        let blocks = text.components(separatedBy: "```json\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        var models = 0
        for b in blocks where b.contains("\"layers\"") {
            let v = try JSONValue.parse(Data(b.utf8))
            #expect(Self.schema.errors(v) == [], "\(b.prefix(80))")
            let d = try JSONDecoder().decode(NetworkDescription.self, from: Data(b.utf8))
            _ = try NetworkArchitecture(d)
            models += 1
        }
        #expect(models >= 3)
    }

    @Test func schemaAndReaderRejectTheSameMistakes() throws {
        let spike = #"{"escape": {"kind": "step"}, "surrogate": {"kind": "superspike", "beta": 10}}"#
        let bad = [
            #"{"dt": 0.001, "input": {"shape": [5]}, "layers": [{"kind": "lif", "units": 3, "tau_syn": 0.005, "spike": \#(spike)}]}"#,
            #"{"dt": -1, "input": {"shape": [5]}, "layers": [{"kind": "lif", "units": 3, "tau_mem": 0.01, "tau_syn": 0.005, "spike": \#(spike)}]}"#,
            #"{"dt": 0.001, "input": {"shape": [5]}, "layers": [{"kind": "dense", "units": 3, "tau_mem": 0.01, "tau_syn": 0.005}]}"#,
            #"{"dt": 0.001, "input": {"shape": [5]}, "layers": [{"kind": "lif", "units": 3, "tau_mem": 0.01, "tau_syn": 0.005}]}"#,
            #"{"dt": 0.001, "input": {"shape": [5]}, "layers": [{"kind": "lif", "units": 0, "tau_mem": 0.01, "tau_syn": 0.005, "spike": \#(spike)}]}"#,
            #"{"dt": 0.001, "input": {"shape": [2, 9]}, "layers": [{"kind": "conv-lif", "channels": 2, "kernel": 3, "tau_mem": 0.01, "tau_syn": 0.005, "recurrent": {"kind": "conv"}, "spike": \#(spike)}]}"#,
            #"{"dt": 0.001, "input": {"shape": [5]}, "layers": [{"kind": "readout", "units": 3, "tau_mem": 0.01, "tau_syn": 0.005, "recurrent": {"kind": "dense"}}]}"#,
            #"{"dt": 0.001, "input": {"shape": [5]}, "layers": [{"kind": "lif", "units": 3, "tau_mem": 0.01, "tau_syn": 0.005, "spike": {"escape": {"kind": "sigmoid"}, "surrogate": {"kind": "superspike", "beta": 10}}}]}"#,
            #"{"dt": 0.001, "input": {"shape": [5]}, "layers": [{"kind": "readout", "units": 3, "tau_mem": 0.01, "tau_syn": 0.005, "tau_mem_init": {"kind": "uniform", "low": 0.01}}]}"#,
            #"{"dt": 0.001, "input": {"shape": [5]}, "layers": [{"kind": "readout", "units": 3, "tau_mem": 0.01, "tau_syn": 0.005, "tau_syn_init": {"kind": "gamma", "shape": 0}}]}"#,
            #"{"dt": 0.001, "input": {"shape": [5]}, "layers": [{"kind": "readout", "units": 3, "tau_mem": 0.01, "tau_syn": 0.005, "tau_mem_init": {"kind": "values", "values": [0.01, -0.01, 0.02]}}]}"#,
            #"{"dt": 0.001, "input": {"shape": [5]}, "layers": [{"kind": "readout", "units": 3, "tau_mem": 0.01, "tau_syn": 0.005, "learn_tau_mem": 1}]}"#,
            #"{"dt": 0.001, "input": {"shape": [5]}, "layers": [{"kind": "lif", "units": 3, "tau_mem": 0.01, "tau_syn": 0.005, "dropout": 1, "spike": \#(spike)}, {"kind": "readout", "units": 2, "tau_mem": 0.01, "tau_syn": 0.005}]}"#,
            #"{"dt": 0.001, "input": {"shape": [5]}, "layers": [{"kind": "lif", "units": 3, "tau_mem": 0.01, "tau_syn": 0.005, "dropout": -0.1, "spike": \#(spike)}, {"kind": "readout", "units": 2, "tau_mem": 0.01, "tau_syn": 0.005}]}"#,
            #"{"dt": 0.001, "input": {"shape": [5]}, "layers": [{"kind": "readout", "units": 3, "tau_mem": 0.01, "tau_syn": 0.005, "dropout": 0.5}]}"#,
        ]
        let folder = TestPaths.temporaryFolder()
        for (i, b) in bad.enumerated() {
            #expect(!Self.schema.errors(try JSONValue.parse(Data(b.utf8))).isEmpty, "schema accepts bad model \(i)")
            let p = "\(folder)/bad\(i).json"
            try AtomicFile.write(b, to: p)
            #expect(throws: SpikeKitError.self, "reader accepts bad model \(i)") { try NetworkDescription.load(path: p) }
        }
        let good = #"{"dt": 0.001, "input": {"shape": [5]}, "layers": [{"kind": "lif", "units": 3, "tau_mem": 0.01, "tau_syn": 0.005, "spike": \#(spike)}]}"#
        #expect(Self.schema.errors(try JSONValue.parse(Data(good.utf8))) == [])
        let dropout = #"{"dt": 0.001, "input": {"shape": [5]}, "layers": [{"kind": "lif", "units": 3, "tau_mem": 0.01, "tau_syn": 0.005, "dropout": 0.2, "spike": \#(spike)}, {"kind": "readout", "units": 2, "tau_mem": 0.01, "tau_syn": 0.005, "initial_mem": -0.5}]}"#
        #expect(Self.schema.errors(try JSONValue.parse(Data(dropout.utf8))) == [])
        let d = try JSONDecoder().decode(NetworkDescription.self, from: Data(dropout.utf8))
        #expect(try NetworkArchitecture(d).layers.map(\.dropout) == [0.2, 0])
    }
}
