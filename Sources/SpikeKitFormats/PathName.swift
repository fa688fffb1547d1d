/// Path arithmetic on strings, in place of `NSString.deletingLastPathComponent`, which traps in the Linux
/// Foundation of Swift 6.3 on a path whose last component is one character (`"o"`, `"x/"`, `"out/a"`).
public enum PathName {
    /// The folder part of `path`: `"a/b/c"` → `"a/b"`, `"a/b/"` → `"a"`, `"/a"` → `"/"`, `"/"` → `"/"`, and `""` for
    /// a name without a folder (`"o"`, `"o/"`). Trailing and repeated slashes are ignored as POSIX does.
    public static func parent(of path: String) -> String {
        var chars = Array(path.utf8)
        while chars.count > 1, chars.last == UInt8(ascii: "/") { chars.removeLast() }
        if chars == [UInt8(ascii: "/")] { return "/" }
        guard let slash = chars.lastIndex(of: UInt8(ascii: "/")) else { return "" }
        var end = slash
        while end > 0, chars[end - 1] == UInt8(ascii: "/") { end -= 1 }
        return end == 0 ? "/" : String(decoding: chars[..<end], as: UTF8.self)
    }
}
