import Foundation
@testable import SpikeKit

/// Shared helpers of the training and safetensors tests.
enum TrainingFixtures {
    /// A fresh temporary folder for one test.
    static func temporaryFolder() -> String {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("spikekit-tests-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }

    /// The folder of the committed test fixtures.
    static let fixturesFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path

    /// The SHD network of SPEC section 6: input [1, 700] → conv-LIF 16 (k21 s10) → 32 (k7 s3) → 64 (k7 s3), each
    /// with a recurrent conv (k5 p2) → readout of 20 units (τ_mem 0.7 s).
    static func shdDescription() -> NetworkDescription {
        let spike = SpikeFunction.deterministic(beta: 10)
        func conv(_ c: Int, _ k: Int, _ s: Int) -> LayerDescription {
            LayerDescription(kind: .convLIF, channels: c, kernel: k, stride: s, tauMem: 0.02, tauSyn: 0.01,
                             recurrent: RecurrentDescription(kind: .conv, kernel: 5, padding: 2, stride: 1), spike: spike)
        }
        return NetworkDescription(dt: 2e-3, input: InputDescription(shape: [1, 700]), layers: [
            conv(16, 21, 10), conv(32, 7, 3), conv(64, 7, 3),
            LayerDescription(kind: .readout, units: 20, tauMem: 0.7, tauSyn: 0.01, initialMem: -1e-3),
        ])
    }
}
