import Foundation

/// Paths shared by the tests.
enum TestPaths {
    /// The repository root (three levels above this file).
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0 ..< 3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// `../shared` beside the repository, when present (CI has it; a bare clone may not).
    static var shared: String? {
        let p = (root as NSString).appendingPathComponent("../shared")
        return FileManager.default.fileExists(atPath: p + "/SPEC.md") ? p : nil
    }

    /// The reference case folders in ../shared/reference/cases, sorted.
    static var referenceCases: [String] {
        guard let s = shared else { return [] }
        let dir = s + "/reference/cases"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.sorted().map { dir + "/" + $0 }
    }

    /// A fresh temporary folder.
    static func temporaryFolder() -> String {
        let p = NSTemporaryDirectory() + "spikekit-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        return p
    }
}
