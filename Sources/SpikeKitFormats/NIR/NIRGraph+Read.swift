import Foundation

/// Reading NIR files: the HDF5 layout `nir.write` produces.
///
/// ```
/// /version            vlen string, e.g. "1.0.8"
/// /node/type          "NIRGraph"
/// /node/edges         (E, 2) vlen strings (source, target); an empty float array when there are none
/// /node/metadata/...  optional, one dataset per key (nested groups become "a.b" keys)
/// /node/nodes/<name>/type, /<field> ..., /metadata/...   (a nested graph has nodes/edges itself)
/// ```
/// Parameters are datasets of any rank (h5py writes them gzip-compressed and chunked), scalars (stride, groups)
/// are rank-0 datasets, strings are vlen strings, booleans int8 enums.
extension NIRGraph {
    /// Reads the NIR file at `path`.
    /// - Throws: `SpikeKitError.io` when the file cannot be read, `SpikeKitError.malformedFile` naming the file and
    ///   the node and field when it is not valid HDF5 or not a valid NIR graph.
    public static func read(path: String) throws -> NIRGraph {
        try decode([UInt8](try AtomicFile.read(path)), path: path)
    }

    /// Parses NIR file bytes held in memory; `path` names them in error messages.
    public static func decode(_ bytes: [UInt8], path: String) throws -> NIRGraph {
        let file: HDF5File
        do {
            file = try HDF5File(bytes: bytes, name: path)
        } catch let e as HDF5Error {
            throw SpikeKitError.malformedFile(path: path, message: "not a NIR file: \(e.kind.rawValue): expected \(e.expected), found \(e.found)")
        }
        var reader = NIRHDF5Reader(file: file, path: path)
        let graph = try reader.graph(at: "/node", name: "")
        try graph.validate(path: path)
        return graph
    }
}

/// Walks the HDF5 groups of a NIR file; every failure names the node (a dotted path) and the field.
struct NIRHDF5Reader {
    let file: HDF5File
    let path: String
    /// Nesting limit for graphs and metadata groups (a malformed file might loop).
    static let maximumDepth = 16
    private var depth = 0

    init(file: HDF5File, path: String) {
        self.file = file
        self.path = path
    }

    private func bad(_ node: String, _ m: String) -> SpikeKitError {
        .malformedFile(path: path, message: node.isEmpty ? "NIR graph: \(m)" : "NIR node '\(node)': \(m)")
    }

    /// Runs `body`, turning an `HDF5Error` into a one-line error naming the node and field.
    private func guarded<T>(_ node: String, _ what: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as HDF5Error {
            throw bad(node, "\(what): \(e.kind.rawValue): expected \(e.expected), found \(e.found)")
        }
    }

    private func isGroup(_ at: String, node: String) throws -> Bool {
        try guarded(node, "object \(at)") { try file.resolve(at).first(HDF5Message.layout) == nil }
    }

    private func members(_ at: String, node: String, what: String) throws -> [String] {
        try guarded(node, what) { try file.groupMembers(at: at) }
    }

    mutating func graph(at group: String, name: String) throws -> NIRGraph {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else { throw bad(name, "graphs nested deeper than \(Self.maximumDepth)") }
        let type = try string(at: group + "/type", node: name, field: "type")
        guard type == "NIRGraph" else { throw bad(name, "type is '\(type)', expected 'NIRGraph'") }
        let members = try members(group, node: name, what: "graph group")
        guard members.contains("nodes") else { throw bad(name, "field 'nodes' is missing") }
        guard members.contains("edges") else { throw bad(name, "field 'edges' is missing") }
        var nodes: [String: NIRNode] = [:]
        let prefix = name.isEmpty ? "" : name + "."
        for child in try self.members(group + "/nodes", node: name, what: "field 'nodes'") {
            nodes[child] = try node(at: group + "/nodes/" + child, name: prefix + child)
        }
        let edges = try self.edges(at: group + "/edges", node: name)
        let metadata = members.contains("metadata") ? try self.metadata(at: group + "/metadata", node: name) : [:]
        return NIRGraph(nodes: nodes, edges: edges, metadata: metadata)
    }

    private mutating func node(at group: String, name: String) throws -> NIRNode {
        guard try isGroup(group, node: name) else { throw bad(name, "is a dataset, expected a node group") }
        let members = try members(group, node: name, what: "node group")
        guard members.contains("type") else { throw bad(name, "field 'type' is missing") }
        let type = try string(at: group + "/type", node: name, field: "type")
        if type == "NIRGraph" {
            let g = try graph(at: group, name: name)
            return NIRNode(graph: g, metadata: g.metadata)
        }
        var fields: [String: NIRValue] = [:]
        for field in members where field != "type" && field != "metadata" {
            if try isGroup(group + "/" + field, node: name) {
                // Flatten's optional input_type is a group of shapes; keep its members as "input_type.<key>".
                for key in try self.members(group + "/" + field, node: name, what: "field '\(field)'") {
                    fields[field + "." + key] = try value(at: group + "/" + field + "/" + key, node: name, field: field + "." + key)
                }
            } else {
                fields[field] = try value(at: group + "/" + field, node: name, field: field)
            }
        }
        let metadata = members.contains("metadata") ? try self.metadata(at: group + "/metadata", node: name) : [:]
        return NIRNode(type: type, fields: fields, metadata: metadata)
    }

    private mutating func metadata(at group: String, node: String, prefix: String = "") throws -> [String: NIRValue] {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else { throw bad(node, "metadata nested deeper than \(Self.maximumDepth)") }
        guard try isGroup(group, node: node) else { throw bad(node, "field 'metadata' is a dataset, expected a group") }
        var out: [String: NIRValue] = [:]
        for key in try members(group, node: node, what: "metadata") {
            let at = group + "/" + key
            if try isGroup(at, node: node) {
                for (k, v) in try metadata(at: at, node: node, prefix: prefix + key + ".") { out[k] = v }
            } else {
                out[prefix + key] = try value(at: at, node: node, field: "metadata '\(prefix + key)'", lenient: true)
            }
        }
        return out
    }

    private func string(at: String, node: String, field: String) throws -> String {
        guard case .string(let s) = try value(at: at, node: node, field: field) else {
            throw bad(node, "field '\(field)' is not a string")
        }
        return s
    }

    private func edges(at: String, node: String) throws -> [NIREdge] {
        switch try value(at: at, node: node, field: "edges") {
        case .strings(let shape, let values) where shape.count == 2 && shape[1] == 2:
            return stride(from: 0, to: values.count, by: 2).map { NIREdge(values[$0], values[$0 + 1]) }
        case .array(let a) where a.count == 0:
            return []
        case let v:
            throw bad(node, "field 'edges' is a \(v.kindName), expected (E, 2) strings")
        }
    }

    /// A dataset's value. `lenient` (metadata) keeps types SpikeKit does not read as `.unsupported`.
    private func value(at: String, node: String, field: String, lenient: Bool = false) throws -> NIRValue {
        let what = field.hasPrefix("metadata") ? field : "field '\(field)'"
        let d = try guarded(node, what) { try file.dataset(at: at) }
        return try guarded(node, what) { () throws -> NIRValue in
            switch d.datatype {
            case .fixedString, .variableString:
                let s = try d.readStrings()
                return d.shape.isEmpty ? .string(s.first ?? "") : .strings(shape: d.shape, values: s)
            case .floatingPoint(let size, _):
                let type: NIRArray.ElementType = size == 8 ? .float64 : .float32
                return .array(NIRArray(uncheckedShape: d.shape, values: try d.readFloats(), elementType: type))
            case .fixedPoint:
                let ints = try d.readIntegers()
                guard ints.allSatisfy({ $0.magnitude <= 1 << 53 }) else {
                    throw bad(node, "\(what) holds integers beyond 2^53")
                }
                return .array(NIRArray(uncheckedShape: d.shape, values: ints.map(Double.init), elementType: .int64))
            case .other(let cls, let size) where cls == 8 && size == 1 && d.shape.isEmpty:
                // h5py's bool: an enum over int8 with FALSE = 0 and TRUE = 1.
                let raw = try d.rawData()
                guard raw.count == 1, raw[0] <= 1 else { throw bad(node, "\(what) is not a boolean") }
                return .bool(raw[0] == 1)
            default:
                if lenient { return .unsupported(typeName: d.datatype.name) }
                throw bad(node, "\(what) has HDF5 type \(d.datatype.name), expected numbers or strings")
            }
        }
    }
}
