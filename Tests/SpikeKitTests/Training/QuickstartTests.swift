import Foundation
import Testing

/// The README's library quickstart is the Examples package's program, verbatim (CI builds and runs that program).
@Suite struct QuickstartTests {
    @Test func readmeShowsTheExampleProgramVerbatim() throws {
        let readme = try String(contentsOfFile: TestPaths.root + "/README.md", encoding: .utf8)
        let program = try String(contentsOfFile: TestPaths.root + "/Examples/Sources/RandmanQuickstart/main.swift", encoding: .utf8)
        #expect(readme.contains("```swift\n" + program + "```"))
        let lines = program.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        #expect(lines.count >= 20 && lines.count <= 30)
        #expect(program.hasPrefix("import SpikeKit\n") && !program.contains("@testable"))
        let manifest = try String(contentsOfFile: TestPaths.root + "/Examples/Package.swift", encoding: .utf8)
        #expect(manifest.contains(#".package(name: "SpikeKit", path: "..")"#))
    }
}
