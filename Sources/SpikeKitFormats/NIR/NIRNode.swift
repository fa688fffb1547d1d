/// One node of a NIR graph: a primitive (its NIR type name, e.g. `CubaLIF`, and its parameters by field name) or
/// a nested graph, plus its metadata (free-form values NIR itself does not interpret).
public struct NIRNode: Equatable, Sendable {
    /// What the node is.
    public indirect enum Content: Equatable, Sendable {
        /// A primitive node: its type and fields (without `type` and `metadata`).
        case primitive(type: String, fields: [String: NIRValue])
        /// A nested `NIRGraph` node.
        case graph(NIRGraph)
    }

    public var content: Content
    public var metadata: [String: NIRValue]

    public init(type: String, fields: [String: NIRValue], metadata: [String: NIRValue] = [:]) {
        content = .primitive(type: type, fields: fields)
        self.metadata = metadata
    }

    public init(graph: NIRGraph, metadata: [String: NIRValue] = [:]) {
        content = .graph(graph)
        self.metadata = metadata
    }

    /// The NIR type name (`NIRGraph` for a nested graph).
    public var type: String {
        switch content {
        case .primitive(let t, _): return t
        case .graph: return "NIRGraph"
        }
    }

    /// The fields of a primitive node (empty for a nested graph).
    public var fields: [String: NIRValue] {
        if case .primitive(_, let f) = content { return f }
        return [:]
    }

    // MARK: - Common nodes

    /// `Input` with the shape of the data fed into the graph.
    public static func input(shape: [Int]) -> NIRNode {
        NIRNode(type: "Input", fields: ["shape": .array(.integers(shape))])
    }

    /// `Output` with the shape of the data leaving the graph.
    public static func output(shape: [Int]) -> NIRNode {
        NIRNode(type: "Output", fields: ["shape": .array(.integers(shape))])
    }
}
