extension NIRGraph {
    /// The graph with every nested `NIRGraph` node inlined: a nested graph `g`'s nodes become `g.<name>`, an edge
    /// into `g` leads to the successors of `g`'s Input node, an edge out of `g` leaves from the predecessors of its
    /// Output node, and the nested Input and Output nodes disappear (snnTorch exports recurrent layers this way).
    /// - Throws: `SpikeKitError.malformedFile` naming the nested graph when it has not exactly one Input and one
    ///   Output node, or when inlining would give a node name twice.
    public func flattened(path: String) throws -> NIRGraph {
        guard nodes.values.contains(where: { if case .graph = $0.content { return true } else { return false } }) else { return self }
        var outNodes: [String: NIRNode] = [:]
        var entry: [String: [String]] = [:], exit: [String: [String]] = [:]
        var innerEdges: [NIREdge] = []
        for (name, node) in nodes {
            guard case .graph(let g) = node.content else {
                outNodes[name] = node
                continue
            }
            let flat = try g.flattened(path: path)
            let ins = flat.nodes(ofType: "Input"), outs = flat.nodes(ofType: "Output")
            guard ins.count == 1, outs.count == 1 else {
                throw SpikeKitError.malformedFile(path: path, message: "NIR node '\(name)' (NIRGraph): a nested graph needs one Input and one Output node, found \(ins.count) and \(outs.count)")
            }
            entry[name] = flat.successors(of: ins[0]).map { name + "." + $0 }
            exit[name] = flat.predecessors(of: outs[0]).map { name + "." + $0 }
            for (inner, n) in flat.nodes where inner != ins[0] && inner != outs[0] {
                guard outNodes[name + "." + inner] == nil, nodes[name + "." + inner] == nil else {
                    throw SpikeKitError.malformedFile(path: path, message: "NIR node '\(name).\(inner)' appears twice after inlining '\(name)'")
                }
                outNodes[name + "." + inner] = n
            }
            for e in flat.edges where e.source != ins[0] && e.target != outs[0] {
                innerEdges.append(NIREdge(name + "." + e.source, name + "." + e.target))
            }
        }
        var outEdges = innerEdges
        for e in edges {
            for s in exit[e.source] ?? [e.source] {
                for t in entry[e.target] ?? [e.target] where !outEdges.contains(NIREdge(s, t)) { outEdges.append(NIREdge(s, t)) }
            }
        }
        return NIRGraph(nodes: outNodes, edges: outEdges, metadata: metadata)
    }
}
