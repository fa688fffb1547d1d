/// The shape of a dataset (dataspace message 0x0001, versions 1 and 2).
public struct HDF5Dataspace: Equatable, Sendable {
    /// The current dimensions; empty for a scalar.
    public let dimensions: [Int]
    /// The maximum dimensions when stored (`nil` entries are unlimited); `nil` when the file does not record them.
    public let maxDimensions: [Int?]?
    /// Whether this is a null dataspace (no elements at all).
    public let isNull: Bool

    /// The number of elements: the product of the dimensions, 1 for a scalar, 0 for a null dataspace.
    public var elementCount: Int {
        isNull ? 0 : dimensions.reduce(1, *)
    }
}

extension HDF5Reader {
    func dataspace(_ message: HDF5Message) throws -> HDF5Dataspace {
        var c = cursor(at: message.offset, end: message.offset + message.size, what: "dataspace message")
        let version = Int(try c.u8())
        let rank = Int(try c.u8())
        let flags = try c.u8()
        var isNull = false
        switch version {
        case 1: try c.skip(5)
        case 2:
            let type = try c.u8()
            guard type <= 2 else {
                throw source.error(.malformed, at: message.offset + 3, expected: "dataspace type 0, 1 or 2", found: "\(type)")
            }
            isNull = type == 2
        default:
            throw source.error(.unsupported, at: message.offset, expected: "dataspace version 1 or 2", found: "version \(version)")
        }
        guard rank <= 32 else {
            throw source.error(.malformed, at: message.offset + 1, expected: "a rank of at most 32", found: "\(rank)")
        }
        var dims: [Int] = []
        var total = 1
        for _ in 0 ..< rank {
            let at = c.pos
            let d = try c.uint(lengthSize)
            let (product, overflow) = total.multipliedReportingOverflow(by: Int(clamping: d))
            guard d <= UInt64(Int32.max) * 64, !overflow, product <= Int(Int32.max) * 64 else {
                throw source.error(.malformed, at: at, expected: "a plausible dimension size", found: "\(d) (total \(total) x \(d))")
            }
            total = product
            dims.append(Int(d))
        }
        var maxDims: [Int?]? = nil
        if flags & 1 != 0 {
            var m: [Int?] = []
            for _ in 0 ..< rank {
                let v = try c.uint(lengthSize)
                m.append(v == UInt64.max >> UInt64(64 - 8 * lengthSize) ? nil : Int(clamping: v))
            }
            maxDims = m
        }
        return HDF5Dataspace(dimensions: dims, maxDimensions: maxDims, isNull: isNull)
    }
}
