import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

/// The `perceptron-exact` reference cases of ../shared/reference/cases (skipped when that folder is absent).
@Suite struct PerceptronCaseTests {
    static let casesFolder: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }  // Theory, SpikeKitTests, Tests, file
        return url.deletingLastPathComponent().appendingPathComponent("shared/reference/cases").path
    }()

    static func caseFolder(_ name: String) -> String? {
        let path = (casesFolder as NSString).appendingPathComponent(name)
        return FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("case.json")) ? path : nil
    }

    @Test(.enabled(if: caseFolder("perceptron-mlp-3-2-1") != nil, "../shared/reference/cases is not available"),
          arguments: ["perceptron-mlp-3-2-1", "perceptron-mlp-4-3-1"])
    func referenceCasePasses(_ name: String) throws {
        let folder = try #require(Self.caseFolder(name))
        let report = try verifyPerceptronCase(folder: folder)
        #expect(report.passed, "\(report.line)")
        #expect(report.maxRelativeError <= 1e-9)
        #expect(report.line.hasPrefix("\(name): max_abs_err="))
    }

    @Test func malformedCaseNamesTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spikekit-bad-case-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = dir.appendingPathComponent("case.json").path
        try AtomicFile.write(#"{"name": "bad", "kind": "perceptron-exact", "beta": 2.0}"#, to: json)
        #expect {
            try verifyPerceptronCase(folder: dir.path)
        } throws: { error in
            guard case SpikeKitError.malformedFile(let path, let message) = error else { return false }
            return path == json && message.contains("x")
        }
        #expect(throws: SpikeKitError.self) { try verifyPerceptronCase(folder: dir.appendingPathComponent("missing").path) }
        // A network case is refused by kind, not by a missing key.
        try AtomicFile.write(#"{"name": "net", "dt": 0.001}"#, to: json)
        #expect {
            try verifyPerceptronCase(folder: dir.path)
        } throws: { error in
            guard case SpikeKitError.malformedFile(let path, let message) = error else { return false }
            return path == json && message.contains("perceptron-exact")
        }
        // A weight file of the wrong shape names that file.
        if let good = Self.caseFolder("perceptron-mlp-3-2-1") {
            for f in try FileManager.default.contentsOfDirectory(atPath: good) {
                try FileManager.default.copyItem(atPath: good + "/" + f, toPath: dir.path + "/" + f + ".tmp")
            }
            for f in try FileManager.default.contentsOfDirectory(atPath: dir.path) where f.hasSuffix(".tmp") {
                _ = try? FileManager.default.removeItem(atPath: dir.path + "/" + String(f.dropLast(4)))
                try FileManager.default.moveItem(atPath: dir.path + "/" + f, toPath: dir.path + "/" + String(f.dropLast(4)))
            }
            try NpyArray(shape: [2], elements: .float64([1, 2])).write(path: dir.path + "/layer1.weight.npy")
            #expect {
                try verifyPerceptronCase(folder: dir.path)
            } throws: { error in
                guard case SpikeKitError.malformedFile(let path, _) = error else { return false }
                return path.hasSuffix("layer1.weight.npy")
            }
        }
    }
}
