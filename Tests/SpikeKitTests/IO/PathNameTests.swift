import Foundation
import Testing
@testable import SpikeKitFormats

/// `PathName.parent(of:)` and the folder creation built on it: one-character names (`--output o`) once trapped
/// inside Foundation's `deletingLastPathComponent`.
@Suite struct PathNameTests {
    @Test func parentsOfPaths() {
        let cases: [(String, String)] = [
            ("o", ""), ("o/", ""), ("ab", ""), ("a/b", "a"), ("a/b/", "a"), ("a//b", "a"), ("/a", "/"), ("/", "/"),
            ("", ""), ("out/x/y.json", "out/x"), ("/tmp/a/b", "/tmp/a"), ("//a", "/"), ("a/bé/c", "a/bé"),
        ]
        for (path, parent) in cases { #expect(PathName.parent(of: path) == parent, "\(path)") }
    }

    @Test func foldersWithOneCharacterNamesAreCreated() throws {
        let root = TestPaths.temporaryFolder()
        try AtomicFile.createFolder(root + "/a/b/c")
        try AtomicFile.createFolder(root + "/x/")
        var isDir: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: root + "/a/b/c", isDirectory: &isDir) && isDir.boolValue)
        #expect(FileManager.default.fileExists(atPath: root + "/x", isDirectory: &isDir) && isDir.boolValue)
        try AtomicFile.write("1\n", to: root + "/a/b/c/d")
        #expect(try String(contentsOfFile: root + "/a/b/c/d", encoding: .utf8) == "1\n")
    }
}
