import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

/// Malformed cases and .npy files give one-line errors that name the file and the problem, never a trap.
@Suite struct BadInputTests {
    static let fixture = TestPaths.root + "/Tests/SpikeKitTests/Fixtures/cases/dense-stochastic-sigmoid"

    /// A copy of the fixture case in a temporary folder.
    func copyOfCase() throws -> String {
        let dir = TestPaths.temporaryFolder() + "/case"
        try FileManager.default.copyItem(atPath: Self.fixture, toPath: dir)
        return dir
    }

    func expectError(_ folder: String, mentioning fragments: [String]) {
        do {
            let r = try CaseRunner.verify(folder: folder, threads: 1)
            Issue.record("expected an error, got \(r.line)")
        } catch {
            let text = "\(error)"
            #expect(!text.contains("\n"), "error spans lines: \(text)")
            for f in fragments { #expect(text.contains(f), "'\(text)' does not mention '\(f)'") }
        }
    }

    @Test func theFixturePasses() throws {
        #expect(try CaseRunner.verify(folder: Self.fixture, threads: 1).passed)
        #expect(try CaseRunner.verify(folder: TestPaths.root + "/Tests/SpikeKitTests/Fixtures/cases/conv-deterministic-readout").passed)
    }

    @Test func missingFile() throws {
        let dir = try copyOfCase()
        try FileManager.default.removeItem(atPath: dir + "/layer1.weight.npy")
        expectError(dir, mentioning: ["layer1.weight.npy", "no such file"])
        expectError(dir + "-absent", mentioning: ["case.json", "no such file"])
    }

    @Test func wrongShape() throws {
        let dir = try copyOfCase()
        try NpyArray(shape: [6, 11], elements: .float32([Float](repeating: 0.1, count: 66))).write(path: dir + "/layer1.weight.npy")
        expectError(dir, mentioning: ["layer1.weight.npy", "shape [6, 11]", "expected [6, 10]"])
    }

    @Test func unknownKinds() throws {
        let dir = try copyOfCase()
        let json = try String(contentsOfFile: dir + "/case.json", encoding: .utf8)
        try json.replacingOccurrences(of: "\"kind\": \"lif\"", with: "\"kind\": \"izhikevich\"")
            .write(toFile: dir + "/case.json", atomically: true, encoding: .utf8)
        expectError(dir, mentioning: ["case.json"])
        try json.replacingOccurrences(of: "\"l2-spikes\"", with: "\"hinge\"").write(toFile: dir + "/case.json", atomically: true, encoding: .utf8)
        expectError(dir, mentioning: ["case.json", "hinge"])
        try json.replacingOccurrences(of: "\"name\"", with: "\"kind\": \"quantum\", \"name\"")
            .write(toFile: dir + "/case.json", atomically: true, encoding: .utf8)
        expectError(dir, mentioning: ["case.json", "unsupported kind \"quantum\""])
        try "{ not json".write(toFile: dir + "/case.json", atomically: true, encoding: .utf8)
        expectError(dir, mentioning: ["case.json"])
    }

    @Test func truncatedArray() throws {
        let dir = try copyOfCase()
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/input.npy"))
        for cut in [0, 5, 20, 100, data.count - 1] {
            try data.prefix(cut).write(to: URL(fileURLWithPath: dir + "/input.npy"))
            expectError(dir, mentioning: ["input.npy"])
        }
    }

    @Test func nanWeights() throws {
        let dir = try copyOfCase()
        var w = try NpyArray.read(path: dir + "/layer0.weight.npy")
        var f = w.floats
        f[3] = .nan
        w.elements = .float32(f)
        try w.write(path: dir + "/layer0.weight.npy")
        expectError(dir, mentioning: ["layer0.weight.npy", "NaN"])
    }

    @Test func npyReaderRejectsOtherDtypesAndLayouts() throws {
        func header(_ h: String) -> Data {
            var d = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
            let text = h + String(repeating: " ", count: 128 - 10 - h.utf8.count - 1) + "\n"
            d.append(contentsOf: [UInt8(text.utf8.count), 0])
            d.append(contentsOf: Array(text.utf8))
            return d + Data(repeating: 0, count: 16)
        }
        let cases: [(Data, String)] = [
            (header("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }"), "dtype '<i4'"),
            (header("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }"), "dtype '>f4'"),
            (header("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }"), "Fortran"),
            (header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 9), }"), "truncated"),
            (Data("hello".utf8), "magic"),
        ]
        for (data, fragment) in cases {
            #expect {
                try NpyArray.decode(data, path: "x.npy")
            } throws: { e in
                "\(e)".contains("x.npy") && "\(e)".contains(fragment)
            }
        }
    }

    @Test func npyRoundTrip() throws {
        let dir = TestPaths.temporaryFolder()
        let arrays = [
            NpyArray(shape: [2, 3], elements: .float32([1, 2, 3, 4, 5, -6.5])),
            NpyArray(shape: [4], elements: .float64([1e-300, 2, .pi, -0.0])),
            NpyArray(shape: [3], elements: .int64([-1, 0, Int64.max])),
            NpyArray(shape: [0, 5], elements: .float32([])),
            NpyArray(shape: [], elements: .float64([42])),
        ]
        for (i, a) in arrays.enumerated() {
            try a.write(path: dir + "/a\(i).npy")
            #expect(try NpyArray.read(path: dir + "/a\(i).npy") == a)
        }
    }
}
