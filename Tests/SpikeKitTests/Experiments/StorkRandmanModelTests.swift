import Foundation
import Testing
@testable import spikekit
@testable import SpikeKitEngine
import SpikeKit

/// The stork Randman model files (`Examples/models/stork-randman-*.json`, the parity experiment of docs/Classification.md):
/// they load, have stork's timing on every connection, and the `randman-rec` bench workload runs the same network as
/// the recurrent file.
@Suite struct StorkRandmanModelTests {
    static func load(_ name: String) throws -> NetworkDescription {
        try NetworkDescription.load(path: TestPaths.root + "/Examples/models/stork-randman-\(name).json")
    }

    @Test func benchWorkloadIsTheRecurrentModelFile() throws {
        #expect(try Benchmarks.storkRandmanRecurrent() == Self.load("rec"))
    }

    @Test(arguments: ["ff", "rec", "stoch"])
    func modelFilesHaveStorksTimingAndNeurons(_ name: String) throws {
        let d = try Self.load(name)
        let a = try NetworkArchitecture(d)
        #expect(a.input.count == 20 && a.layers.map(\.shape.count) == [128, 10])
        #expect(d.layers.allSatisfy { $0.delay == 2 })
        #expect((d.layers[0].recurrent != nil) == (name == "rec"))
        #expect(d.layers[0].recurrent.map { $0.delay == 2 } ?? true)
        #expect(d.layers[0].reset == .nextStep && d.layers[1].initialMem == -0.01 && d.layers[1].tauMem == 0.2)
        #expect(d.layers[0].spike?.escape.isStochastic == (name == "stoch"))
    }
}
