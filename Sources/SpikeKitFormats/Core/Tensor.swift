/// A contiguous, row-major (C order) Float32 array with a shape. The value type that crosses SpikeKit's public API:
/// weights, gradients, spike rasters and membrane traces.
public struct Tensor: Equatable, Sendable {
    /// The extent of each axis, outermost first.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `count == shape.reduce(1, *)`.
    public var scalars: [Float]

    /// A tensor of zeros.
    public init(zeros shape: [Int]) {
        self.shape = shape
        self.scalars = [Float](repeating: 0, count: shape.reduce(1, *))
    }

    /// A tensor from its elements.
    /// - Throws: `SpikeKitError.shapeMismatch` when the element count does not match the shape.
    public init(shape: [Int], scalars: [Float]) throws {
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == scalars.count else {
            throw SpikeKitError.shapeMismatch("\(scalars.count) elements cannot have shape \(shape)")
        }
        self.shape = shape
        self.scalars = scalars
    }

    /// The number of elements.
    public var count: Int { scalars.count }

    /// The same elements viewed with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        try Tensor(shape: newShape, scalars: scalars)
    }

    /// Whether every element is finite (no NaN, no infinity).
    public var isFinite: Bool { scalars.withUnsafeBufferPointer(FiniteCheck.allFinite) }
}
