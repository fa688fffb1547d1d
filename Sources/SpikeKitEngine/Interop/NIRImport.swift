import SpikeKitFormats
import SpikeKitKernels
import Foundation

extension NIRMapping {
    /// What a graph may lack and SpikeKit needs: Δt, reset mode and spike function for graphs SpikeKit did not
    /// write (SpikeKit's own graphs carry them in metadata, which takes precedence).
    public struct ImportOptions: Sendable {
        /// Δt in seconds when the graph has no `spikekit.dt`.
        public var dt: Double?
        /// The reset of spiking layers without `spikekit.reset` (default same-step: reset, then integrate, as
        /// NIR's `v -> v_reset` and the peers' simulators do).
        public var reset: ResetMode
        /// The spike function of spiking layers without `spikekit.spike` (default step with SuperSpike(10)).
        public var spike: SpikeFunction

        public init(dt: Double? = nil, reset: ResetMode = .sameStep, spike: SpikeFunction = .deterministic()) {
            self.dt = dt
            self.reset = reset
            self.spike = spike
        }
    }

    /// The node types the importer maps.
    public static let supportedTypes = ["Input", "Output", "Linear", "Affine", "Conv1d", "Flatten", "CubaLIF", "CubaLI"]

    /// A SpikeKit network and weights from a NIR graph: a chain `Input -> [Flatten] -> connection -> neurons -> ...
    /// -> Output`, connections `Linear`, `Affine` or `Conv1d`, neurons `CubaLIF` or (last) `CubaLI`, each neuron
    /// node optionally in a cycle through one connection node (recurrence). Nested graphs are flattened first.
    /// Parameters as in `NIRMapping`: a layer gets a bias `layer<i>.bias` = gain · (the connection's bias + the
    /// recurrent connection's bias) when one of them is non-zero or the connection has `spikekit.bias`.
    /// - Throws: `SpikeKitError.malformedFile` naming the node (and its type or field) for anything SpikeKit
    ///   cannot represent; `path` names the file.
    public static func importGraph(_ graph: NIRGraph, path: String, options: ImportOptions = ImportOptions())
        throws -> (model: NetworkDescription, parameters: NetworkParameters) {
        var importer = NIRImporter(graph: try graph.flattened(path: path), path: path, options: options)
        return try importer.run()
    }
}

/// The walk along a NIR chain that builds layer descriptions; every error names the node.
struct NIRImporter {
    let graph: NIRGraph
    let path: String
    let options: NIRMapping.ImportOptions
    /// The neuron node of each layer, in order (filled by `layer`).
    private var layerNeurons: [String] = []
    /// Each layer's bias in NIR units (before the gain), in the layer's bias shape; nil without one.
    private var layerBiases: [[Double]?] = []

    init(graph: NIRGraph, path: String, options: NIRMapping.ImportOptions) {
        self.graph = graph
        self.path = path
        self.options = options
    }

    private func bad(_ node: String, _ m: String) -> SpikeKitError {
        .malformedFile(path: path, message: "NIR node '\(node)' (\(graph.nodes[node]?.type ?? "?")): \(m)")
    }

    private func type(_ name: String) -> String { graph.nodes[name]?.type ?? "?" }

    private func array(_ node: String, _ field: String) throws -> NIRArray {
        guard case .array(let a)? = graph.nodes[node]?.fields[field] else { throw bad(node, "field '\(field)' is missing or not numeric") }
        return a
    }

    /// A field that must hold one value for every element (a per-neuron parameter SpikeKit holds per layer).
    private func uniform(_ node: String, _ field: String, default value: Double? = nil) throws -> Double {
        if graph.nodes[node]?.fields[field] == nil, let value { return value }
        let a = try array(node, field)
        guard let first = a.values.first else { throw bad(node, "field '\(field)' is empty") }
        guard a.values.allSatisfy({ $0 == first }) else {
            throw bad(node, "field '\(field)' differs between neurons (SpikeKit layers have one value per layer)")
        }
        return first
    }

    private func integer(_ node: String, _ field: String) throws -> Int {
        let a = try array(node, field)
        guard let v = a.values.first, a.values.allSatisfy({ $0 == v }), v == v.rounded(), abs(v) < 1e9 else {
            throw bad(node, "field '\(field)' is not one integer (\(a.values.prefix(4)))")
        }
        return Int(v)
    }

    private func meta(_ node: String, _ key: String) -> NIRValue? { graph.nodes[node]?.metadata[key] }

    private func metaNumber(_ node: String, _ key: String) throws -> Double? {
        guard let v = meta(node, key) else { return nil }
        guard case .array(let a) = v, a.count == 1, a.values[0].isFinite else { throw bad(node, "metadata '\(key)' is not one number") }
        return a.values[0]
    }

    private func metaString(_ node: String, _ key: String) throws -> String? {
        guard let v = meta(node, key) else { return nil }
        guard case .string(let s) = v else { throw bad(node, "metadata '\(key)' is not a string") }
        return s
    }

    /// The one successor of `node` other than `except`, or nil for none.
    private func next(after node: String, except: String? = nil) throws -> String? {
        let s = graph.successors(of: node).filter { $0 != except }
        guard s.count <= 1 else { throw bad(node, "has \(s.count) successors \(s.sorted()); SpikeKit networks are chains") }
        return s.first
    }

    /// The recurrent connection of neuron node `n`: a connection whose only predecessor and successor is `n`.
    private func recurrent(of n: String) -> String? {
        graph.successors(of: n).first { c in
            ["Linear", "Affine", "Conv1d"].contains(type(c)) && graph.successors(of: c) == [n] && graph.predecessors(of: c) == [n]
        }
    }

    mutating func run() throws -> (model: NetworkDescription, parameters: NetworkParameters) {
        for (name, node) in graph.nodes.sorted(by: { $0.key < $1.key }) where !NIRMapping.supportedTypes.contains(node.type) {
            throw bad(name, "type \(node.type) is not supported by SpikeKit (supported: \(NIRMapping.supportedTypes.joined(separator: ", ")))")
        }
        let inputs = graph.nodes(ofType: "Input"), outputs = graph.nodes(ofType: "Output")
        guard inputs.count == 1, outputs.count == 1 else {
            throw SpikeKitError.malformedFile(path: path, message: "a NIR graph for SpikeKit needs one Input and one Output node, found \(inputs.count) and \(outputs.count)")
        }
        let input = inputs[0]
        let rawShape = try array(input, "shape").values
        guard (1 ... 2).contains(rawShape.count), rawShape.allSatisfy({ $0 >= 1 && $0 <= Double(1 << 24) && $0 == $0.rounded() }) else {
            throw bad(input, "shape \(rawShape) is not [units] or [channels, positions] of positive sizes up to 2^24")
        }
        let inputShape = rawShape.map { Int($0) }
        let graphDt = try graphNumber(NIRMapping.Key.dt)
        var layers: [LayerDescription] = []
        var feedForward: [Tensor] = [], recurrentWeights: [Tensor?] = []
        var thresholds: [(String, Double)] = []
        var dts: [(String, Double)] = []
        var node = try next(after: input)
        var shape = inputShape
        var visited = Set<String>([input])
        while let current = node, type(current) != "Output" {
            guard visited.insert(current).inserted else { throw bad(current, "is reached twice (a cycle outside recurrence)") }
            var connection = current
            if type(current) == "Flatten" {
                guard let after = try next(after: current) else { throw bad(current, "leads nowhere") }
                shape = [shape.reduce(1, *)]
                connection = after
                visited.insert(after)
            }
            guard ["Linear", "Affine", "Conv1d"].contains(type(connection)) else {
                throw bad(connection, "a layer must start with Linear, Affine or Conv1d, found \(type(connection))")
            }
            guard let neurons = try next(after: connection) else { throw bad(connection, "leads nowhere") }
            guard ["CubaLIF", "CubaLI"].contains(type(neurons)) else {
                throw bad(neurons, "a connection must lead into CubaLIF or CubaLI neurons, found \(type(neurons))")
            }
            visited.insert(neurons)
            let index = layers.count
            let (layer, weight, rec, outShape) = try self.layer(index: index, connection: connection, neurons: neurons, input: shape)
            layers.append(layer)
            feedForward.append(weight)
            recurrentWeights.append(rec)
            if layer.kind != .readout { thresholds.append((neurons, try threshold(neurons))) }
            if let d = try metaNumber(neurons, NIRMapping.Key.dt) { dts.append((neurons, d)) }
            shape = outShape
            let r = recurrent(of: neurons)
            if let r { visited.insert(r) }
            node = try next(after: neurons, except: r)
            if layer.kind == .readout, let n = node, type(n) != "Output" {
                throw bad(neurons, "a CubaLI readout must be the last layer, but it leads to '\(n)'")
            }
        }
        guard node != nil else { throw SpikeKitError.malformedFile(path: path, message: "the chain from '\(input)' does not reach the Output node") }
        guard !layers.isEmpty else { throw SpikeKitError.malformedFile(path: path, message: "the graph has no layer between Input and Output") }
        let unvisited = Set(graph.nodes.keys).subtracting(visited).subtracting(outputs)
        guard unvisited.isEmpty else {
            throw SpikeKitError.malformedFile(path: path, message: "NIR nodes \(unvisited.sorted()) are not on the chain from Input to Output")
        }
        // Δt: the graph's, else the nodes' (all equal), else the option.
        let dt: Double
        if let d = graphDt ?? dts.first?.1 {
            if let other = dts.first(where: { $0.1 != d }) { throw bad(other.0, "metadata spikekit.dt \(other.1) differs from \(d)") }
            dt = d
        } else if let d = options.dt {
            dt = d
        } else {
            throw SpikeKitError.malformedFile(path: path, message: "the graph does not say its time step (no spikekit.dt); give one (--dt)")
        }
        guard dt.isFinite, dt > 0 else { throw SpikeKitError.malformedFile(path: path, message: "dt must be positive, got \(dt)") }
        // One threshold for the network.
        let threshold = try graphNumber(NIRMapping.Key.threshold) ?? thresholds.first?.1 ?? 1
        if let other = thresholds.first(where: { $0.1 != threshold }) {
            throw bad(other.0, "v_threshold - v_leak = \(other.1) differs from the network's threshold \(threshold) (SpikeKit has one threshold)")
        }
        // Weights and biases: W_SpikeKit = gain · W_NIR, b_SpikeKit = gain · b_NIR, gain = r · w_in · Δt / τ_syn.
        var biases: [Tensor?] = []
        for (i, l) in layers.enumerated() {
            let neurons = layerNeurons[i]
            let gain = try uniform(neurons, "r") * uniform(neurons, "w_in") * dt / l.tauSyn
            guard gain.isFinite, gain != 0 else { throw bad(neurons, "gain r * w_in * dt / tau_syn is \(gain)") }
            let exact = abs(gain - 1) <= NIRMapping.gainTolerance
            if !exact {
                feedForward[i].scalars = feedForward[i].scalars.map { Float(Double($0) * gain) }
                if var r = recurrentWeights[i] {
                    r.scalars = r.scalars.map { Float(Double($0) * gain) }
                    recurrentWeights[i] = r
                }
            }
            if let b = layerBiases[i] {
                let scaled = b.map { Float(exact ? $0 : $0 * gain) }
                guard scaled.allSatisfy(\.isFinite) else { throw bad(neurons, "gain \(gain) times the bias overflows float32") }
                biases.append(try Tensor(shape: [b.count], scalars: scaled))
            } else {
                biases.append(nil)
            }
        }
        let model = NetworkDescription(dt: dt, threshold: threshold, input: InputDescription(shape: inputShape), layers: layers)
        let parameters = NetworkParameters(feedForward: feedForward, recurrent: recurrentWeights, biases: biases)
        let architecture: NetworkArchitecture
        do {
            architecture = try NetworkArchitecture(model)
            try parameters.validate(for: architecture)
        } catch {
            throw SpikeKitError.malformedFile(path: path, message: "the imported network is invalid: \(error)")
        }
        return (model, parameters)
    }

    private func graphNumber(_ key: String) throws -> Double? {
        guard let v = graph.metadata[key] else { return nil }
        guard case .array(let a) = v, a.count == 1, a.values[0].isFinite else {
            throw SpikeKitError.malformedFile(path: path, message: "NIR graph metadata '\(key)' is not one number")
        }
        return a.values[0]
    }

    private func threshold(_ neurons: String) throws -> Double {
        let leak = try uniform(neurons, "v_leak")
        let reset = try uniform(neurons, "v_reset", default: 0)
        guard reset == leak else {
            throw bad(neurons, "v_reset \(reset) differs from v_leak \(leak) (SpikeKit resets to the resting potential)")
        }
        return try uniform(neurons, "v_threshold") - leak
    }

    private mutating func layer(index i: Int, connection: String, neurons: String, input: [Int])
        throws -> (LayerDescription, Tensor, Tensor?, [Int]) {
        layerNeurons.append(neurons)
        let isReadout = type(neurons) == "CubaLI"
        let tauMem = try uniform(neurons, "tau_mem"), tauSyn = try uniform(neurons, "tau_syn")
        for (f, v) in [("tau_mem", tauMem), ("tau_syn", tauSyn)] where !(v.isFinite && v > 0) {
            throw bad(neurons, "field '\(f)' must be positive and finite, got \(v)")
        }
        let leak = try uniform(neurons, "v_leak")
        if isReadout, leak != 0 { throw bad(neurons, "v_leak \(leak) is not 0 (a SpikeKit readout rests at 0)") }
        let neuronCount = try array(neurons, "tau_mem").count
        var d = LayerDescription(kind: .lif, tauMem: tauMem, tauSyn: tauSyn)
        let (weight, outShape) = try connectionWeight(connection, input: input, into: &d, isReadout: isReadout)
        guard outShape.reduce(1, *) == neuronCount else {
            throw bad(neurons, "has \(neuronCount) neurons but '\(connection)' gives \(outShape)")
        }
        // The bias, in the layer's bias shape: [units], or [channels] for a conv layer.
        let marked = try metaString(connection, NIRMapping.Key.bias) != nil
        var bias = try self.bias(connection, count: outShape[0])
        var rec: Tensor? = nil
        if let r = recurrent(of: neurons) {
            guard !isReadout else { throw bad(r, "a readout has no recurrent connection") }
            switch type(r) {
            case "Conv1d":
                guard d.kind == .convLIF else { throw bad(r, "a Conv1d recurrence needs a Conv1d layer") }
                var rd = LayerDescription(kind: .convLIF, tauMem: 1, tauSyn: 1)
                let (w, s) = try connectionWeight(r, input: outShape, into: &rd, isReadout: false)
                guard s == outShape else { throw bad(r, "the recurrent Conv1d maps \(outShape) to \(s); it must keep the shape") }
                d.recurrent = RecurrentDescription(kind: .conv, kernel: rd.kernel, padding: rd.padding, stride: rd.stride)
                rec = w
                bias = add(bias, try self.bias(r, count: outShape[0]))
            default:
                let w = try denseWeight(r)
                guard w.shape == [neuronCount, neuronCount] else {
                    throw bad(r, "recurrent weight has shape \(w.shape), expected [\(neuronCount), \(neuronCount)]")
                }
                d.recurrent = RecurrentDescription(kind: .dense)
                rec = w
                if var b = try self.bias(r, count: neuronCount) {
                    if outShape.count == 2 {  // a conv layer: one bias per channel, the same at every position
                        let positions = outShape[1]
                        let perChannel = (0 ..< outShape[0]).map { b[$0 * positions] }
                        guard b.indices.allSatisfy({ b[$0] == perChannel[$0 / positions] }) else {
                            throw bad(r, "bias differs between positions of a channel (a conv layer has one bias per channel)")
                        }
                        b = perChannel
                    }
                    bias = add(bias, b)
                }
            }
        }
        if bias == nil, marked { bias = [Double](repeating: 0, count: outShape[0]) }
        if bias != nil { d.bias = NIRMapping.names(i).bias }
        layerBiases.append(bias)
        if isReadout {
            d.kind = .readout
            d.initialMem = try metaNumber(neurons, NIRMapping.Key.initialMem)
        } else {
            let reset = try metaString(neurons, NIRMapping.Key.reset)
            if let reset {
                guard let m = ResetMode(rawValue: reset) else { throw bad(neurons, "metadata spikekit.reset '\(reset)' is unknown") }
                d.reset = m
            } else {
                d.reset = options.reset
            }
            if let json = try metaString(neurons, NIRMapping.Key.spike) {
                do {
                    d.spike = try JSONDecoder().decode(SpikeFunction.self, from: Data(json.utf8))
                } catch {
                    throw bad(neurons, "metadata spikekit.spike is not a spike function (\(error))")
                }
            } else {
                d.spike = options.spike
            }
        }
        return (d, weight, rec, outShape)
    }

    private func denseWeight(_ c: String) throws -> Tensor {
        let w = try array(c, "weight")
        guard w.shape.count == 2 else { throw bad(c, "weight has shape \(w.shape), expected (out, in)") }
        guard w.values.allSatisfy(\.isFinite) else { throw bad(c, "weight holds infinite values") }
        return try w.tensor()
    }

    /// The bias of connection `c` (`Affine`, `Conv1d`; a `Linear` has none) with `count` entries, or nil when it
    /// has none or it is all zero and `c` does not carry `spikekit.bias`.
    private func bias(_ c: String, count: Int) throws -> [Double]? {
        guard type(c) != "Linear" else { return nil }
        let b = try array(c, "bias")
        guard b.count == count, b.shape.count <= 1 else {
            throw bad(c, "bias has shape \(b.shape), expected [\(count)] (one per \(type(c) == "Conv1d" ? "output channel" : "output"))")
        }
        guard b.values.allSatisfy(\.isFinite) else { throw bad(c, "bias holds infinite or NaN values") }
        guard b.values.contains(where: { $0 != 0 }) || meta(c, NIRMapping.Key.bias) != nil else { return nil }
        return b.values
    }

    /// The elementwise sum of two optional biases.
    private func add(_ a: [Double]?, _ b: [Double]?) -> [Double]? {
        guard let a, let b else { return a ?? b }
        return zip(a, b).map(+)
    }

    /// The feed-forward weight of connection `c` from `input`, setting the layer's kind and geometry.
    private func connectionWeight(_ c: String, input: [Int], into d: inout LayerDescription, isReadout: Bool)
        throws -> (Tensor, [Int]) {
        if type(c) == "Conv1d" {
            guard !isReadout else { throw bad(c, "a CubaLI readout needs a dense connection (Linear or Affine)") }
            let w = try array(c, "weight")
            guard w.shape.count == 3, input.count == 2, w.shape[1] == input[0] else {
                throw bad(c, "weight \(w.shape) does not fit the input \(input) (needs (out, \(input.first ?? 0), kernel) on [channels, positions])")
            }
            for (f, expected) in [("dilation", 1), ("groups", 1)] where try integer(c, f) != expected {
                throw bad(c, "field '\(f)' must be \(expected)")
            }
            if case .array(let s)? = graph.nodes[c]?.fields["input_shape"], s.values.first != Double(input[1]) {
                throw bad(c, "input_shape \(s.values) differs from the incoming \(input[1]) positions")
            }
            let k = w.shape[2], stride = try integer(c, "stride")
            let padding: Int
            switch graph.nodes[c]?.fields["padding"] {
            case .string("valid")?: padding = 0
            case .string("same")? where stride == 1 && k % 2 == 1: padding = (k - 1) / 2
            case .string(let s)?: throw bad(c, "padding '\(s)' cannot be expressed with stride \(stride) and kernel \(k)")
            default: padding = try integer(c, "padding")
            }
            guard stride > 0, padding >= 0, input[1] + 2 * padding >= k else {
                throw bad(c, "stride \(stride), padding \(padding) and kernel \(k) do not fit \(input[1]) positions")
            }
            guard w.values.allSatisfy(\.isFinite) else { throw bad(c, "weight holds infinite values") }
            d.kind = .convLIF
            d.channels = w.shape[0]
            d.kernel = k
            d.stride = stride
            d.padding = padding
            return (try w.tensor(), [w.shape[0], (input[1] - k + 2 * padding) / stride + 1])
        }
        let w = try denseWeight(c)
        let inCount = input.reduce(1, *)
        guard w.shape[1] == inCount else { throw bad(c, "weight has \(w.shape[1]) inputs, the layer before gives \(inCount)") }
        d.kind = .lif
        d.units = w.shape[0]
        return (w, [w.shape[0]])
    }
}
