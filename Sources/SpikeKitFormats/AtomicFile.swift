import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files atomically: the bytes go to a temporary file beside the destination, `.<name>.tmp-<pid>`, which is
/// then renamed over it, so an interrupted run never leaves a half-written file where a complete one was.
///
/// A write that fails (disk full, read-only folder, file size limit) removes its temporary file before it throws.
/// A process killed mid-write cannot clean up, so every write first removes the temporary files in its folder
/// whose process id no longer names a running process (`removeStaleTemporaries(in:)`).
///
/// Errors are one line naming the path and the reason (`strerror`), never a Foundation error dump.
public enum AtomicFile {
    /// Writes `data` to `path` atomically, creating missing parent folders.
    /// - Throws: `SpikeKitError.io` naming the path when the folder or file cannot be written.
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        try createFolder(dir)
        removeStaleTemporaries(in: dir)
        let tmp = (dir as NSString).appendingPathComponent(
            temporaryPrefix(for: url.lastPathComponent) + String(getpid()))
        if let reason = writeWhole(data, to: tmp) {
            unlink(tmp)
            throw SpikeKitError.io(path: path, message: "cannot write (\(reason))")
        }
        if rename(tmp, url.path) != 0 {
            let reason = errnoText()
            unlink(tmp)
            throw SpikeKitError.io(path: path, message: "cannot replace file (\(reason))")
        }
    }

    /// Writes UTF-8 text to `path` atomically.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    /// Reads a whole regular file.
    /// - Throws: `SpikeKitError.io` naming the path when it is missing, a folder, not a regular file (a device such
    ///   as /dev/null, a pipe) or unreadable.
    public static func read(_ path: String) throws -> Data {
        Data(try readBytes(path))
    }

    /// Reads a whole regular file into an array (one copy from the page cache, no intermediate `Data`).
    /// - Throws: as `read(_:)`.
    public static func readBytes(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            let e = errno
            throw SpikeKitError.io(path: path, message: e == ENOENT ? "no such file" : "cannot read (\(errnoText(e)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw SpikeKitError.io(path: path, message: "cannot read (\(errnoText()))") }
        let kind = st.st_mode & S_IFMT
        if kind == S_IFDIR { throw SpikeKitError.io(path: path, message: "is a folder, not a file") }
        guard kind == S_IFREG else { throw SpikeKitError.io(path: path, message: "is not a regular file") }
        let size = Int(st.st_size)
        var failure: String?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var done = 0
            while done < size, let base = buffer.baseAddress {
                let n = posixRead(fd, base + done, size - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errnoText()
                    break
                }
                if n == 0 { break }  // the file shrank while it was read
                done += n
            }
            initialized = done
        }
        if let failure { throw SpikeKitError.io(path: path, message: "cannot read (\(failure))") }
        return bytes
    }

    /// Creates `folder` and its missing parents.
    /// - Throws: `SpikeKitError.io` naming the folder: "a part of the path is a file, not a folder", "permission
    ///   denied", "read-only file system", ...
    public static func createFolder(_ folder: String) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isDir) {
            guard isDir.boolValue else { throw SpikeKitError.io(path: folder, message: "is a file, not a folder") }
            return
        }
        let parent = PathName.parent(of: folder)
        if !parent.isEmpty, parent != folder { try createFolder(parent) }
        if mkdir(folder, 0o755) != 0, errno != EEXIST {
            let e = errno
            throw SpikeKitError.io(path: folder, message: e == ENOTDIR
                ? "cannot create folder (a part of the path is a file, not a folder)"
                : "cannot create folder (\(errnoText(e)))")
        }
    }

    /// Removes the temporary files `.<name>.tmp-<pid>` in `folder` left by processes that are no longer running
    /// (killed during a write). Files of running processes, including this one, are kept. Returns the names removed.
    @discardableResult
    public static func removeStaleTemporaries(in folder: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        var removed: [String] = []
        for name in names where name.hasPrefix(".") {
            guard let r = name.range(of: ".tmp-", options: .backwards),
                  let pid = Int32(name[r.upperBound...]), pid > 0 else { continue }
            guard pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            if unlink((folder as NSString).appendingPathComponent(name)) == 0 { removed.append(name) }
        }
        return removed
    }

    /// The temporary name of `name` without the process id.
    static func temporaryPrefix(for name: String) -> String { ".\(name).tmp-" }

    /// Writes all of `data` to a new file `path`; nil on success, else the reason.
    private static func writeWhole(_ data: Data, to path: String) -> String? {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return errnoText() }
        var failure: String? = data.withUnsafeBytes { raw -> String? in
            guard let base = raw.baseAddress else { return nil }
            var done = 0
            while done < raw.count {
                let n = posixWrite(fd, base + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errnoText()
                }
                done += n
            }
            return nil
        }
        if close(fd) != 0, failure == nil { failure = errnoText() }
        return failure
    }

    private static func errnoText(_ e: Int32 = errno) -> String { String(cString: strerror(e)) }
}

// `read` and `write` are shadowed by the static methods inside `AtomicFile`.
#if canImport(Glibc)
private func posixRead(_ fd: Int32, _ buf: UnsafeMutableRawPointer, _ n: Int) -> Int { Glibc.read(fd, buf, n) }
private func posixWrite(_ fd: Int32, _ buf: UnsafeRawPointer, _ n: Int) -> Int { Glibc.write(fd, buf, n) }
#elseif canImport(Darwin)
private func posixRead(_ fd: Int32, _ buf: UnsafeMutableRawPointer, _ n: Int) -> Int { Darwin.read(fd, buf, n) }
private func posixWrite(_ fd: Int32, _ buf: UnsafeRawPointer, _ n: Int) -> Int { Darwin.write(fd, buf, n) }
#endif
