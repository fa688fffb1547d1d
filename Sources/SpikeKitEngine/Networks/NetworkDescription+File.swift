import SpikeKitFormats
import SpikeKitKernels
import Foundation

/// Model files: a `NetworkDescription` as JSON (docs/ModelFormat.md, docs/model.schema.json). A verification
/// case's `case.json` is a model file too (its other keys are ignored).
extension NetworkDescription {
    /// Reads and validates a model file.
    /// - Throws: `SpikeKitError.io` when it cannot be read, `.malformedFile` naming the file and the problem
    ///   when it is not a valid description (JSON syntax, a missing or mistyped field, an impossible layer).
    public static func load(path: String) throws -> NetworkDescription {
        let data = try AtomicFile.read(path)
        let d: NetworkDescription
        do {
            d = try JSONDecoder().decode(NetworkDescription.self, from: data)
        } catch let e as SpikeKitError {
            throw SpikeKitError.malformedFile(path: path, message: e.description)
        } catch let DecodingError.keyNotFound(key, context) {
            throw SpikeKitError.malformedFile(path: path, message: "missing field '\(key.stringValue)'\(Self.where(context.codingPath))")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context),
                let DecodingError.dataCorrupted(context) {
            if context.codingPath.isEmpty, let m = Self.integerFieldProblem(in: data) { throw SpikeKitError.malformedFile(path: path, message: m) }
            throw SpikeKitError.malformedFile(path: path, message: "\(context.debugDescription)\(Self.where(context.codingPath))")
        } catch {
            throw SpikeKitError.malformedFile(path: path, message: "not a model description (\(error))")
        }
        do {
            _ = try NetworkArchitecture(d)
        } catch let e as SpikeKitError {
            throw SpikeKitError.malformedFile(path: path, message: e.description)
        }
        return d
    }

    private static func `where`(_ path: [CodingKey]) -> String {
        path.isEmpty ? "" : " at " + path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }

    /// The description as pretty-printed JSON with sorted keys.
    public func json() throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try e.encode(self), as: UTF8.self) + "\n"
    }

    /// Writes the model file atomically.
    public func save(to path: String) throws { try AtomicFile.write(json(), to: path) }
}
