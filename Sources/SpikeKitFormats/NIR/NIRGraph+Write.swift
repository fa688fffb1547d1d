import Foundation

/// Writing NIR files in the layout `nir.read` expects (see `NIRGraph+Read`), with SpikeKit's HDF5 writer:
/// superblock 0, symbol-table groups, contiguous (uncompressed) datasets. Arrays keep their element type, so a
/// float32 weight is written bit for bit; scalars are rank-0 datasets; strings vlen strings; booleans are
/// written as int64 0/1 (h5py's enum type is not written).
extension NIRGraph {
    /// The file's bytes.
    /// - Throws: `SpikeKitError.invalidConfiguration` for a value that cannot be written (an unsupported
    ///   metadata value, a group of more than 256 members) or a graph that fails `validate`.
    public func encode() throws -> [UInt8] {
        try validate(path: "<NIR graph>")
        let root: [String: HDF5Writer.Node] = [
            "version": .dataset(Self.dataset(.string(Self.version))),
            "node": .group(try Self.group(of: self)),
        ]
        do {
            return try HDF5Writer.serialize(root)
        } catch let e as HDF5Error {
            throw SpikeKitError.invalidConfiguration("NIR graph cannot be written: expected \(e.expected), found \(e.found)")
        }
    }

    /// Writes the graph to `path` atomically.
    /// - Throws: as `encode()`, and `SpikeKitError.io` when the file cannot be written.
    public func write(to path: String) throws {
        try AtomicFile.write(Data(try encode()), to: path)
    }

    private static func group(of graph: NIRGraph) throws -> [String: HDF5Writer.Node] {
        var nodes: [String: HDF5Writer.Node] = [:]
        for (name, node) in graph.nodes { nodes[name] = .group(try group(of: node, name: name)) }
        var members: [String: HDF5Writer.Node] = [
            "type": .dataset(dataset(.string("NIRGraph"))),
            "nodes": .group(nodes),
            "edges": .dataset(graph.edges.isEmpty
                ? dataset(.array(NIRArray(uncheckedShape: [0], values: [], elementType: .float64)))
                : dataset(.strings(shape: [graph.edges.count, 2], values: graph.edges.flatMap { [$0.source, $0.target] }))),
        ]
        if !graph.metadata.isEmpty { members["metadata"] = .group(try metadataGroup(graph.metadata, node: "graph")) }
        return members
    }

    private static func group(of node: NIRNode, name: String) throws -> [String: HDF5Writer.Node] {
        var members: [String: HDF5Writer.Node]
        switch node.content {
        case .graph(let g):
            var inner = g
            inner.metadata = node.metadata
            return try group(of: inner)
        case .primitive(let type, let fields):
            members = ["type": .dataset(dataset(.string(type)))]
            for (field, value) in fields {
                guard case .unsupported = value else {
                    members[field] = .dataset(dataset(value))
                    continue
                }
                throw SpikeKitError.invalidConfiguration("NIR node '\(name)' field '\(field)': \(value.kindName) cannot be written")
            }
        }
        if !node.metadata.isEmpty { members["metadata"] = .group(try metadataGroup(node.metadata, node: name)) }
        return members
    }

    private static func metadataGroup(_ metadata: [String: NIRValue], node: String) throws -> [String: HDF5Writer.Node] {
        var out: [String: HDF5Writer.Node] = [:]
        for (key, value) in metadata {
            if case .unsupported = value {
                throw SpikeKitError.invalidConfiguration("NIR node '\(node)' metadata '\(key)': \(value.kindName) cannot be written")
            }
            out[key] = .dataset(dataset(value))
        }
        return out
    }

    private static let vlenString = HDF5Datatype.variableString(padding: .nullTerminated, charset: .utf8)

    private static func dataset(_ value: NIRValue) -> HDF5Writer.Dataset {
        switch value {
        case .string(let s):
            return HDF5Writer.Dataset(datatype: vlenString, payload: .variable([(s.utf8.count, Array(s.utf8))]), shape: [])
        case .strings(let shape, let values):
            return HDF5Writer.Dataset(datatype: vlenString, payload: .variable(values.map { ($0.utf8.count, Array($0.utf8)) }),
                                      shape: shape)
        case .bool(let b):
            return dataset(.array(.scalar(b ? 1 : 0, .int64)))
        case .array(let a):
            var bytes: [UInt8] = []
            let type: HDF5Datatype
            switch a.elementType {
            case .float32:
                type = .floatingPoint(size: 4, bigEndian: false)
                bytes.reserveCapacity(a.count * 4)
                for v in a.values { bytes += HDF5Writer.le(Int(Float(v).bitPattern), 4) }
            case .float64:
                type = .floatingPoint(size: 8, bigEndian: false)
                bytes.reserveCapacity(a.count * 8)
                for v in a.values { bytes += HDF5Writer.le(Int(truncatingIfNeeded: v.bitPattern), 8) }
            case .int64:
                type = .fixedPoint(size: 8, signed: true, bigEndian: false)
                bytes.reserveCapacity(a.count * 8)
                for v in a.values {
                    // Values that are not integers in range were refused by `validate`; 0 keeps this total.
                    bytes += HDF5Writer.le(Int(exactly: v) ?? 0, 8)
                }
            }
            return HDF5Writer.Dataset(datatype: type, payload: .fixed(count: a.count, bytes: bytes), shape: a.shape)
        case .unsupported:
            // Rejected by the callers before this point.
            return dataset(.string(""))
        }
    }
}
