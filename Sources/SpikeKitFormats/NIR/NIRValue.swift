/// A numeric NIR parameter: an array of any rank (rank 0 is a scalar) and the element type it is stored with.
///
/// Values are held as `Double`: float16, float32 and float64 convert exactly, and integers are accepted only when
/// they are exactly representable (|v| <= 2^53), so writing an array back with its element type gives the same bits.
public struct NIRArray: Equatable, Sendable {
    /// The element type in the HDF5 file.
    public enum ElementType: String, Sendable {
        case float32, float64, int64
    }

    public var shape: [Int]
    /// The elements in row-major order; `values.count == shape.reduce(1, *)`.
    public var values: [Double]
    public var elementType: ElementType

    /// An array from its elements.
    /// - Throws: `SpikeKitError.shapeMismatch` when the element count does not match the shape.
    public init(shape: [Int], values: [Double], elementType: ElementType) throws {
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == values.count else {
            throw SpikeKitError.shapeMismatch("\(values.count) elements cannot have shape \(shape)")
        }
        self.shape = shape
        self.values = values
        self.elementType = elementType
    }

    /// A float32 array of a tensor's elements (exact).
    public init(_ tensor: Tensor) {
        shape = tensor.shape
        values = tensor.scalars.map(Double.init)
        elementType = .float32
    }

    /// `count` copies of `value` as float64 (a per-neuron parameter).
    public static func filled(_ value: Double, count: Int) -> NIRArray {
        NIRArray(uncheckedShape: [count], values: [Double](repeating: value, count: count), elementType: .float64)
    }

    /// A float64 or int64 scalar.
    public static func scalar(_ value: Double, _ type: ElementType = .float64) -> NIRArray {
        NIRArray(uncheckedShape: [], values: [value], elementType: type)
    }

    /// A one-dimensional int64 array.
    public static func integers(_ values: [Int]) -> NIRArray {
        NIRArray(uncheckedShape: [values.count], values: values.map(Double.init), elementType: .int64)
    }

    init(uncheckedShape shape: [Int], values: [Double], elementType: ElementType) {
        self.shape = shape
        self.values = values
        self.elementType = elementType
    }

    /// The number of elements.
    public var count: Int { values.count }

    /// The elements as a Float32 tensor of the same shape (rounded to nearest when stored as float64).
    /// - Throws: `SpikeKitError.shapeMismatch` when `values` and `shape` were changed to disagree.
    public func tensor() throws -> Tensor {
        try Tensor(shape: shape, scalars: values.map { Float($0) })
    }
}

/// A value stored in a NIR node: a numeric array, a string, an array of strings (e.g. a graph's edges), a
/// boolean (h5py stores Python booleans as an int8 enum), or, in metadata only, a value of a type SpikeKit does
/// not read (its HDF5 type name is kept so that nothing disappears silently).
public enum NIRValue: Equatable, Sendable {
    case array(NIRArray)
    case string(String)
    case strings(shape: [Int], values: [String])
    case bool(Bool)
    case unsupported(typeName: String)

    /// A short name of the value's kind for error messages.
    public var kindName: String {
        switch self {
        case .array(let a): return "\(a.elementType.rawValue) array of shape \(a.shape)"
        case .string: return "string"
        case .strings(let shape, _): return "string array of shape \(shape)"
        case .bool: return "bool"
        case .unsupported(let name): return "unsupported type \(name)"
        }
    }
}
