import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

/// A safetensors file from a hand-written header and data buffer.
private func file(header: String, data: [UInt8] = []) -> Data {
    var out = Data()
    withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { out.append(contentsOf: $0) }
    out.append(contentsOf: Array(header.utf8))
    out.append(contentsOf: data)
    return out
}

/// The message of the `malformedFile` error that `body` throws (nil when it throws something else or nothing).
private func malformedMessage(_ body: () throws -> Void) -> String? {
    do {
        try body()
    } catch SpikeKitError.malformedFile(let path, let message) {
        return "\(path): \(message)"
    } catch {
        return nil
    }
    return nil
}

@Suite struct SafetensorsTests {
    @Test func roundTrip() throws {
        let a = try Tensor(shape: [2, 3], scalars: [1, -2, 3.5, .nan, .infinity, -0.0])
        let b = try Tensor(shape: [], scalars: [42])
        let c = Tensor(zeros: [0, 5])
        let d = try Tensor(shape: [3, 1, 2], scalars: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
        let path = TrainingFixtures.temporaryFolder() + "/t.safetensors"
        let meta = ["note": "quote \" backslash \\ newline \n tab \t bell \u{7} unicode τ ✓", "empty": ""]
        try Safetensors.write(tensors: [("a", a), ("b", b), ("c", c), ("weird \"name\"", d)], metadata: meta, to: path)
        let (tensors, metadata) = try Safetensors.read(path: path)
        #expect(metadata == meta)
        #expect(tensors.count == 4)
        #expect(tensors["a"]!.shape == [2, 3])
        #expect(zip(tensors["a"]!.scalars, a.scalars).allSatisfy { $0.bitPattern == $1.bitPattern })  // NaN, -0 kept
        #expect(tensors["b"] == b)
        #expect(tensors["c"] == c)
        #expect(tensors["weird \"name\""] == d)
        // The header is padded to a multiple of 8 bytes.
        let bytes = try AtomicFile.read(path)
        let n = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(n % 8 == 0)
    }

    @Test func pythonWrittenFixture() throws {
        let (t, meta) = try Safetensors.read(path: TrainingFixtures.fixturesFolder + "/safetensors/python-written.safetensors")
        #expect(meta == ["source": "python safetensors", "unicode": "τ_mem ✓"])
        #expect(t["weight"] == (try Tensor(shape: [2, 3], scalars: [-1, -0.5, 0, 0.5, 1, 1.5])))
        let d = t["double"]!
        #expect(d.shape == [2, 2])
        #expect(d.scalars[0] == Float(1.0 / 3.0) && d.scalars[1] == Float(-2.5e-3) && d.scalars[2] == 1e10)
        #expect(d.scalars[3].isNaN)
        #expect(t["counts"] == (try Tensor(shape: [3], scalars: [0, -7, Float(123_456_789_012 as Int64)])))
        #expect(t["scalar"] == (try Tensor(shape: [], scalars: [3.25])))
        #expect(t["empty"] == Tensor(zeros: [0, 4]))
    }

    @Test func rejectsInvalidNames() {
        #expect(throws: SpikeKitError.self) { try Safetensors.encode(tensors: [("a", Tensor(zeros: [1])), ("a", Tensor(zeros: [1]))]) }
        #expect(throws: SpikeKitError.self) { try Safetensors.encode(tensors: [("__metadata__", Tensor(zeros: [1]))]) }
        #expect(throws: SpikeKitError.self) { try Safetensors.encode(tensors: [("", Tensor(zeros: [1]))]) }
    }

    @Test(arguments: [
        // (description, file, expected fragment of the message)
        ("short", Data([1, 2, 3]), "shorter than"),
        ("absurd length", Data([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0x7B]), "exceeds"),
        ("length past end", file(header: "{}").dropLast(1), "exceeds"),
        ("not JSON", file(header: "{\"a\": [1, 2"), "not valid JSON"),
        ("not an object", file(header: "[1, 2]"), "not a JSON object"),
        ("metadata not strings", file(header: #"{"__metadata__": {"k": 1}}"#), "not a string"),
        ("no dtype", file(header: #"{"a": {"shape": [1], "data_offsets": [0, 4]}}"#, data: [0, 0, 0, 0]), "dtype"),
        ("negative shape", file(header: #"{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}"#, data: [0, 0, 0, 0]), "shape"),
        ("fractional offset", file(header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4.5]}}"#, data: [0, 0, 0, 0]), "data_offsets"),
        ("outside", file(header: #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#, data: [0, 0, 0, 0]), "outside"),
        ("reversed", file(header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}"#, data: [0, 0, 0, 0]), "outside"),
        ("overlap", file(header: #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#,
                         data: [UInt8](repeating: 0, count: 8)), "overlaps"),
        ("gap", file(header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#, data: [UInt8](repeating: 0, count: 8)), "gap"),
        ("trailing", file(header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#, data: [UInt8](repeating: 0, count: 8)), "trailing"),
        ("byte count", file(header: #"{"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}"#, data: [UInt8](repeating: 0, count: 8)), "needs 12"),
        ("huge shape", file(header: #"{"a": {"dtype": "F32", "shape": [4294967296, 4294967296, 4294967296], "data_offsets": [0, 8]}}"#,
                            data: [UInt8](repeating: 0, count: 8)), "needs more bytes"),
        ("dtype", file(header: #"{"a": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}"#, data: [0, 0, 0, 0]), "dtype F16"),
    ] as [(String, Data, String)])
    func rejectsMalformedFiles(_ name: String, _ data: Data, _ fragment: String) {
        let message = malformedMessage { _ = try Safetensors.decode(data, path: "/some/file.safetensors") }
        #expect(message != nil, "\(name): no malformedFile error")
        #expect(message?.hasPrefix("/some/file.safetensors: safetensors: ") == true, "\(name): \(message ?? "")")
        #expect(message?.contains(fragment) == true, "\(name): '\(message ?? "")' lacks '\(fragment)'")
    }

    @Test func missingFileNamesThePath() {
        #expect(throws: SpikeKitError.io(path: "/no/such.safetensors", message: "no such file")) {
            try Safetensors.read(path: "/no/such.safetensors")
        }
    }
}
