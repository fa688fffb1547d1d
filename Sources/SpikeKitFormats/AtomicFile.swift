import Foundation

/// Writes files atomically: the bytes go to a temporary file beside the destination, which is then renamed over
/// it, so an interrupted run never leaves a half-written file where a complete one was.
public enum AtomicFile {
    /// Writes `data` to `path` atomically, creating missing parent folders.
    /// - Throws: `SpikeKitError.io` naming the path when the folder or file cannot be written.
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            throw SpikeKitError.io(path: dir.path, message: "cannot create folder (\(error.localizedDescription))")
        }
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        do {
            try data.write(to: tmp)
        } catch {
            throw SpikeKitError.io(path: path, message: "cannot write (\(error.localizedDescription))")
        }
        if rename(tmp.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: tmp)
            throw SpikeKitError.io(path: path, message: "cannot replace file (\(reason))")
        }
    }

    /// Writes UTF-8 text to `path` atomically.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    /// Reads a whole file.
    /// - Throws: `SpikeKitError.io` naming the path when it is missing or unreadable.
    public static func read(_ path: String) throws -> Data {
        guard FileManager.default.fileExists(atPath: path) else {
            throw SpikeKitError.io(path: path, message: "no such file")
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SpikeKitError.io(path: path, message: "cannot read (\(error.localizedDescription))")
        }
    }
}
