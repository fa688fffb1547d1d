/// The errors SpikeKit reports to a user. Each case carries the context needed to act on it: the file, what was
/// expected and what was found. `description` is one line, suitable for a command-line tool.
public enum SpikeKitError: Error, CustomStringConvertible, Equatable, Sendable {
    /// An option or a configuration value that cannot be used (negative time constant, unknown kind, ...).
    case invalidConfiguration(String)
    /// A file that could not be read or written.
    case io(path: String, message: String)
    /// A file whose content is not what the format requires.
    case malformedFile(path: String, message: String)
    /// Arrays whose shapes do not fit together.
    case shapeMismatch(String)
    /// Data that holds NaN or infinite values where finite numbers are required.
    case nonFiniteValues(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let m): return "invalid configuration: \(m)"
        case .io(let path, let m): return "\(path): \(m)"
        case .malformedFile(let path, let m): return "\(path): \(m)"
        case .shapeMismatch(let m): return "shape mismatch: \(m)"
        case .nonFiniteValues(let m): return "non-finite values: \(m)"
        }
    }
}
