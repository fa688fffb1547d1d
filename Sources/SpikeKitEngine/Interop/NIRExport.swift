import SpikeKitFormats
import SpikeKitKernels
import Foundation

extension NIRMapping {
    /// The NIR graph of a SpikeKit network: `input -> layer0.weight -> layer0 -> ... -> output`, each layer a
    /// connection node (`Linear` for dense, `Affine` for dense with a bias, `Conv1d` for conv with its bias or zero,
    /// with a `Flatten` before a dense connection from a [channels, positions] layer) and a neuron node (`CubaLIF`, or `CubaLI` for a readout), recurrence a cycle
    /// `layer<i> -> layer<i>.recurrent -> layer<i>`. Parameters as in `NIRMapping`; Δt, reset, delay, spike
    /// function and U[0] in metadata. The bias b is written as `b_NIR = b` (gain 1, see `NIRMapping`).
    /// - Throws: `SpikeKitError` when the description is invalid, the parameters do not fit it, or a spiking
    ///   layer has the subtract reset (NIR's CubaLIF resets to v_reset).
    public static func export(_ model: NetworkDescription, parameters: NetworkParameters) throws -> NIRGraph {
        let a = try NetworkArchitecture(model)
        try parameters.validate(for: a)
        var nodes: [String: NIRNode] = ["input": .input(shape: model.input.shape)]
        var edges: [NIREdge] = []
        var previous = "input"
        var shape = model.input.shape
        for (i, l) in a.layers.enumerated() {
            // NIR's CubaLIF resets to v_reset: refuse rather than write a graph that peers would simulate differently.
            if l.isSpiking, l.reset == .subtract {
                throw SpikeKitError.invalidConfiguration(
                    "layer \(i) (\(l.kind.rawValue)) has the subtract reset, which NIR cannot express (CubaLIF resets to v_reset); use next-step or same-step to export")
            }
            if l.isAdaptive {
                throw SpikeKitError.invalidConfiguration("layer \(i) is an adaptive LIF (\(l.kind.rawValue)) layer, which NIR cannot express (it has no threshold adaptation)")
            }
            if l.learnsThreshold {
                throw SpikeKitError.invalidConfiguration("layer \(i) learns its threshold; NIR export of per-neuron thresholds is not supported yet")
            }
            if l.hasNeuronTimeConstants {
                throw SpikeKitError.invalidConfiguration("layer \(i) has per-neuron time constants; NIR export of them is not supported yet")
            }
            if l.hasDelay {
                throw SpikeKitError.invalidConfiguration("layer \(i) has a synaptic delay of more than one step; NIR export of delays is not supported yet")
            }
            let n = names(i)
            let delay: [String: NIRValue] = [Key.delaySteps: .array(.scalar(1, .int64))]
            // The bias b goes into the connection node (Affine, or Conv1d's bias) as b_NIR = b / gain with gain 1:
            // bit for bit. The marker keeps a layer's bias when it is all zero.
            let bias = l.hasBias ? parameters.biases[i] : nil
            var connectionMeta = delay
            if bias != nil { connectionMeta[Key.bias] = .string(n.bias) }
            // The connection.
            switch l.feedForward {
            case .dense:
                if shape.count == 2 {
                    nodes[n.flatten] = NIRNode(type: "Flatten", fields: [
                        "start_dim": .array(.scalar(0, .int64)), "end_dim": .array(.scalar(-1, .int64)),
                        "input_type": .array(.integers(shape)),
                    ])
                    edges.append(NIREdge(previous, n.flatten))
                    previous = n.flatten
                }
                var fields: [String: NIRValue] = ["weight": .array(NIRArray(parameters.feedForward[i]))]
                if let bias { fields["bias"] = .array(NIRArray(bias)) }
                nodes[n.connection] = NIRNode(type: bias == nil ? "Linear" : "Affine", fields: fields, metadata: connectionMeta)
            case .conv(let input, let c, _, let s, let p):
                nodes[n.connection] = conv(weight: parameters.feedForward[i], bias: bias, positions: input.positions,
                                           outChannels: c, stride: s, padding: p, metadata: connectionMeta)
            }
            let layerShape = nirShape(l)
            edges.append(NIREdge(previous, n.connection))
            // The neurons.
            let count = l.shape.count
            func filled(_ v: Double) -> NIRValue {
                var arr = NIRArray.filled(v, count: count)
                arr.shape = layerShape
                return .array(arr)
            }
            var fields: [String: NIRValue] = [
                "tau_mem": filled(l.tauMem), "tau_syn": filled(l.tauSyn), "r": filled(1), "v_leak": filled(0),
                "w_in": filled(l.tauSyn / a.dt),
            ]
            var meta: [String: NIRValue] = [
                Key.dt: .array(.scalar(a.dt)), Key.delaySteps: .array(.scalar(1, .int64)),
                Key.discretisation: .string(discretisation(l.kind, reset: l.reset)),
            ]
            if let spike = l.spike {
                if spike.escape.kindName == "user" || spike.surrogate.kindName == "user" {
                    throw SpikeKitError.invalidConfiguration(
                        "layer \(i) has a user-defined spike function, which a NIR file cannot hold (it is code); export a built-in one")
                }
                fields["v_threshold"] = filled(a.threshold)
                fields["v_reset"] = filled(0)
                meta[Key.reset] = .string(l.reset.rawValue)
                meta[Key.spike] = .string(try json(spike))
                meta[Key.escapeNoise] = .string(escapeName(spike.escape))
            } else {
                meta[Key.initialMem] = .array(.scalar(l.initialMem))
            }
            nodes[n.neurons] = NIRNode(type: l.isSpiking ? "CubaLIF" : "CubaLI", fields: fields, metadata: meta)
            edges.append(NIREdge(n.connection, n.neurons))
            // Recurrence: a cycle through its own connection node.
            if let rg = l.recurrent, let rw = parameters.recurrent[i] {
                switch rg {
                case .dense: nodes[n.recurrent] = NIRNode(type: "Linear", fields: ["weight": .array(NIRArray(rw))], metadata: delay)
                case .conv(let input, let c, _, let s, let p):
                    nodes[n.recurrent] = conv(weight: rw, bias: nil, positions: input.positions, outChannels: c, stride: s, padding: p,
                                              metadata: delay)
                }
                edges += [NIREdge(n.neurons, n.recurrent), NIREdge(n.recurrent, n.neurons)]
            }
            previous = n.neurons
            shape = layerShape
        }
        nodes["output"] = .output(shape: shape)
        edges.append(NIREdge(previous, "output"))
        let metadata: [String: NIRValue] = [
            Key.format: .string(formatTag), Key.dt: .array(.scalar(a.dt)), Key.threshold: .array(.scalar(a.threshold)),
            Key.inputConvention: .string(inputConvention),
        ]
        return NIRGraph(nodes: nodes, edges: edges, metadata: metadata)
    }

    /// A layer's shape in NIR: `[units]` for dense layers, `[channels, positions]` for conv layers.
    static func nirShape(_ l: LayerArchitecture) -> [Int] {
        if case .conv = l.feedForward { return [l.shape.channels, l.shape.positions] }
        return [l.shape.count]
    }

    /// A `Conv1d` node; NIR's Conv1d always has a bias (zero without one, float32 like the weight).
    private static func conv(weight: Tensor, bias: Tensor?, positions: Int, outChannels: Int, stride: Int, padding: Int,
                             metadata: [String: NIRValue]) -> NIRNode {
        var b = bias.map(NIRArray.init) ?? NIRArray.filled(0, count: outChannels)
        b.elementType = .float32
        return NIRNode(type: "Conv1d", fields: [
            "weight": .array(NIRArray(weight)), "input_shape": .array(.scalar(Double(positions), .int64)),
            "stride": .array(.scalar(Double(stride), .int64)), "padding": .array(.scalar(Double(padding), .int64)),
            "dilation": .array(.scalar(1, .int64)), "groups": .array(.scalar(1, .int64)), "bias": .array(b),
        ], metadata: metadata)
    }

    static func escapeName(_ e: EscapeNoise) -> String {
        switch e {
        case .step: return "step"
        case .sigmoid(let b): return "sigmoid(beta=\(b))"
        case .exponential(let p0, let du): return "exponential(p0=\(p0), du=\(du))"
        case .erf(let s): return "erf(sigma=\(s))"
        case .user(let u): return "user(\(u.function.name))"
        }
    }
}
