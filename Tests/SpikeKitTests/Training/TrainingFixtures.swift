import Foundation
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

/// Shared helpers of the training and safetensors tests.
enum TrainingFixtures {
    /// A fresh temporary folder for one test.
    static func temporaryFolder() -> String { TestPaths.temporaryFolder() }

    /// The folder of the committed test fixtures.
    static let fixturesFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path

    /// The SHD network of SPEC section 6: input [1, 700] → conv-LIF 16 (k21 s10) → 32 (k7 s3) → 64 (k7 s3), each
    /// with a recurrent conv (k5 p2) → readout of 20 units (τ_mem 0.7 s).
    static func shdDescription() -> NetworkDescription {
        // Valid by construction.
        try! PaperNetworks.shdCSNN(stochastic: false)
    }
}
