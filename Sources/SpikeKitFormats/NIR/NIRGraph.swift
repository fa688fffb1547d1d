/// A directed edge of a NIR graph, from one node's output to another node's input (identity: no delay, no
/// weight). Cycles are allowed; they express recurrence.
public struct NIREdge: Hashable, Sendable {
    public var source: String
    public var target: String

    public init(_ source: String, _ target: String) {
        self.source = source
        self.target = target
    }
}

/// A Neuromorphic Intermediate Representation graph (NIR 1.0): named nodes, the edges between them and
/// free-form metadata. `NIRGraph.read(path:)` and `write(to:)` convert it to and from the HDF5 files the `nir`
/// Python package reads and writes (`nir.read`, `nir.write`); see docs/NIR.md.
///
/// NIR describes continuous-time dynamics; a node's parameters are those of its equations (e.g. `CubaLIF`:
/// `τ_syn dI/dt = -I + w_in S`, `τ_mem dv/dt = (v_leak - v) + R I`, spike and reset at `v_threshold`), and how a
/// simulator discretises them is its own choice, recorded (by SpikeKit) in metadata.
public struct NIRGraph: Equatable, Sendable {
    /// The NIR version written to files.
    public static let version = "1.0.8"

    public var nodes: [String: NIRNode]
    public var edges: [NIREdge]
    public var metadata: [String: NIRValue]

    public init(nodes: [String: NIRNode], edges: [NIREdge], metadata: [String: NIRValue] = [:]) {
        self.nodes = nodes
        self.edges = edges
        self.metadata = metadata
    }

    /// The names of the nodes an edge leads into from `name`, in edge order.
    public func successors(of name: String) -> [String] { edges.filter { $0.source == name }.map(\.target) }

    /// The names of the nodes with an edge into `name`, in edge order.
    public func predecessors(of name: String) -> [String] { edges.filter { $0.target == name }.map(\.source) }

    /// The names of the nodes of type `type`, sorted.
    public func nodes(ofType type: String) -> [String] { nodes.filter { $0.value.type == type }.map(\.key).sorted() }

    /// Checks the structure: every edge joins existing nodes, no edge appears twice, no node name is empty or
    /// holds "/", and every node (nested graphs too) passes `NIRSchema.validate`.
    /// - Throws: `SpikeKitError.malformedFile` naming `path` and the node or edge.
    public func validate(path: String, prefix: String = "") throws {
        var seen = Set<NIREdge>()
        for e in edges {
            for end in [e.source, e.target] where nodes[end] == nil {
                throw SpikeKitError.malformedFile(path: path, message: "NIR edge \(prefix)\(e.source) -> \(prefix)\(e.target): no node '\(prefix)\(end)'")
            }
            guard seen.insert(e).inserted else {
                throw SpikeKitError.malformedFile(path: path, message: "NIR edge \(prefix)\(e.source) -> \(prefix)\(e.target) appears twice")
            }
        }
        for (name, node) in nodes.sorted(by: { $0.key < $1.key }) {
            guard !name.isEmpty, !name.contains("/") else {
                throw SpikeKitError.malformedFile(path: path, message: "NIR node name '\(name)' is empty or holds '/'")
            }
            switch node.content {
            case .primitive: try NIRSchema.validate(node, name: prefix + name, path: path)
            case .graph(let g): try g.validate(path: path, prefix: prefix + name + ".")
            }
        }
    }
}
