/// The fields each NIR 1.0 primitive carries in a file (as the `nir` package's `read` expects them), and the
/// checks a node must pass before anything interprets it: every required field present, numeric where NIR
/// stores numbers, and the per-neuron parameters of a neuron model all of one shape.
public enum NIRSchema {
    /// A primitive's fields: required and optional.
    public struct Fields: Sendable {
        public let required: [String]
        public let optional: [String]
        /// Fields that must be arrays of one shape (the neuron parameters).
        public let sameShape: [String]
    }

    /// The primitives of NIR 1.0 by type name.
    public static let primitives: [String: Fields] = [
        "Input": Fields(required: ["shape"], optional: [], sameShape: []),
        "Output": Fields(required: ["shape"], optional: [], sameShape: []),
        "Affine": Fields(required: ["weight", "bias"], optional: [], sameShape: []),
        "Linear": Fields(required: ["weight"], optional: [], sameShape: []),
        "Scale": Fields(required: ["scale"], optional: [], sameShape: []),
        "Threshold": Fields(required: ["threshold"], optional: [], sameShape: []),
        "Conv1d": Fields(required: ["weight", "stride", "padding", "dilation", "groups", "bias"], optional: ["input_shape"],
                         sameShape: []),
        "Conv2d": Fields(required: ["weight", "stride", "padding", "dilation", "groups", "bias"], optional: ["input_shape"],
                         sameShape: []),
        "SumPool2d": Fields(required: ["kernel_size", "stride", "padding"], optional: [], sameShape: []),
        "AvgPool2d": Fields(required: ["kernel_size", "stride", "padding"], optional: [], sameShape: []),
        "Delay": Fields(required: ["delay"], optional: [], sameShape: []),
        "Flatten": Fields(required: ["start_dim", "end_dim"], optional: ["input_type"], sameShape: []),
        "I": Fields(required: ["r"], optional: [], sameShape: ["r"]),
        "IF": Fields(required: ["r", "v_threshold"], optional: ["v_reset"], sameShape: ["r", "v_threshold", "v_reset"]),
        "LI": Fields(required: ["tau", "r", "v_leak"], optional: [], sameShape: ["tau", "r", "v_leak"]),
        "LIF": Fields(required: ["tau", "r", "v_leak", "v_threshold"], optional: ["v_reset"],
                      sameShape: ["tau", "r", "v_leak", "v_threshold", "v_reset"]),
        "CubaLI": Fields(required: ["tau_mem", "tau_syn", "r", "v_leak", "w_in"], optional: [],
                         sameShape: ["tau_mem", "tau_syn", "r", "v_leak", "w_in"]),
        "CubaLIF": Fields(required: ["tau_mem", "tau_syn", "r", "v_leak", "v_threshold", "w_in"], optional: ["v_reset"],
                          sameShape: ["tau_mem", "tau_syn", "r", "v_leak", "v_threshold", "v_reset", "w_in"]),
    ]

    /// Fields stored as strings rather than numbers (Conv padding may be `"same"` or `"valid"`; Flatten's
    /// input_type may be absent or a group).
    static let mayBeString: Set<String> = ["padding"]

    /// Checks `node` named `name` (a path such as `layer0` or `sub.lif`): a known primitive must carry its
    /// required fields with numeric values without NaN and neuron parameters of one shape. Unknown types pass (NIR tools
    /// may add types; a consumer reports those it cannot map).
    /// - Throws: `SpikeKitError.malformedFile` naming the node, its type and the field.
    public static func validate(_ node: NIRNode, name: String, path: String) throws {
        guard case .primitive(let type, let fields) = node.content, let schema = primitives[type] else { return }
        func bad(_ m: String) -> SpikeKitError { .malformedFile(path: path, message: "NIR node '\(name)' (\(type)): \(m)") }
        for field in schema.required where fields[field] == nil { throw bad("field '\(field)' is missing") }
        for field in schema.required + schema.optional {
            guard let v = fields[field] else { continue }
            switch v {
            case .array(let a):
                // Infinite values are meaningful (an infinite time constant does not decay); NaN is not.
                guard !a.values.contains(where: \.isNaN) else { throw bad("field '\(field)' holds NaN") }
                if a.elementType == .int64, !a.values.allSatisfy({ Int64(exactly: $0) != nil }) {
                    throw bad("field '\(field)' holds int64 values that are not integers")
                }
            case .string where mayBeString.contains(field): break
            default: throw bad("field '\(field)' is a \(v.kindName), expected a numeric array")
            }
        }
        var shape: [Int]? = nil
        for field in schema.sameShape {
            guard case .array(let a)? = fields[field] else { continue }
            if let s = shape, s != a.shape {
                throw bad("field '\(field)' has shape \(a.shape), the other neuron parameters \(s)")
            }
            shape = a.shape
        }
    }
}
