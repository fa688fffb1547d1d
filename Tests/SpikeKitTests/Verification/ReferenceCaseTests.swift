import Foundation
import Testing
@testable import SpikeKit

/// The PyTorch-computed reference cases of ../shared/reference/cases (SPEC section 9).
@Suite struct ReferenceCaseTests {
    static var networkCases: [String] {
        TestPaths.referenceCases.filter { (try? NetworkCase.kind(ofCaseAt: $0)) == .some(nil) }
    }

    @Test(arguments: networkCases)
    func networkCasePasses(_ folder: String) throws {
        let report = try CaseRunner.verify(folder: folder)
        #expect(report.passed, "\(report.line)")
    }

    @Test func allSevenNetworkCasesAreFound() throws {
        try #require(TestPaths.shared != nil, "../shared is not beside the repository")
        #expect(Self.networkCases.count == 7)
    }

    /// The same case on 1, 2 and 3 threads gives bit-identical output and gradients.
    @Test func resultsAreIdenticalForAnyThreadCount() throws {
        guard let folder = Self.networkCases.first(where: { $0.hasSuffix("conv-stochastic-readout") }) else { return }
        let c = try NetworkCase.load(folder: folder)
        var results: [SimulationResult] = []
        for threads in [1, 2, 3] {
            let sim = Simulator(architecture: c.architecture, threads: threads)
            try sim.load(c.parameters)
            results.append(try sim.run(inputs: c.inputs, loss: c.loss, targets: c.targets, noise: c.noise,
                                       gradients: true, record: true))
        }
        for r in results.dropFirst() {
            #expect(r.loss == results[0].loss)
            #expect(r.output == results[0].output)
            #expect(r.gradients == results[0].gradients)
        }
    }
}
