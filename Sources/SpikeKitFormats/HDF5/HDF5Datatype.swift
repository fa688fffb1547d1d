/// An HDF5 element type (datatype message 0x0003), reduced to what a reader of numeric and string data needs.
public indirect enum HDF5Datatype: Equatable, Sendable {
    /// String padding of fixed-length and variable-length strings.
    public enum StringPadding: Int, Sendable {
        /// Terminated by a NUL byte (the rest is undefined).
        case nullTerminated = 0
        /// Padded with NUL bytes.
        case nullPadded = 1
        /// Padded with spaces (Fortran style).
        case spacePadded = 2
    }

    /// Character set of a string type.
    public enum Charset: Int, Sendable {
        /// US-ASCII.
        case ascii = 0
        /// UTF-8.
        case utf8 = 1
    }

    /// A two's complement or unsigned integer of `size` bytes (1, 2, 4 or 8).
    case fixedPoint(size: Int, signed: Bool, bigEndian: Bool)
    /// An IEEE 754 binary float of `size` bytes (2 = half, 4 = single, 8 = double).
    case floatingPoint(size: Int, bigEndian: Bool)
    /// A fixed-length string of `size` bytes.
    case fixedString(size: Int, padding: StringPadding, charset: Charset)
    /// A variable-length string; elements refer to the global heap.
    case variableString(padding: StringPadding, charset: Charset)
    /// A variable-length sequence of `base` elements; elements refer to the global heap.
    case variableSequence(base: HDF5Datatype)
    /// Any other class (compound, enum, reference, ...), kept so its size is known; not readable by this reader.
    case other(typeClass: Int, size: Int)

    /// The size in bytes of one element as stored in the dataset's raw data; -1 for variable-length types, whose
    /// stored size (a heap reference) depends on the file.
    public var size: Int {
        switch self {
        case .fixedPoint(let s, _, _), .floatingPoint(let s, _), .fixedString(let s, _, _), .other(_, let s): return s
        case .variableString, .variableSequence: return -1  // depends on the file's offset size (16 when it is 8)
        }
    }

    /// A short human-readable name, e.g. `uint16`, `float16`, `vlen<float16>`, `string[6]`.
    public var name: String {
        switch self {
        case .fixedPoint(let s, let signed, let be): return (signed ? "int" : "uint") + "\(s * 8)" + (be ? "be" : "")
        case .floatingPoint(let s, let be): return "float\(s * 8)" + (be ? "be" : "")
        case .fixedString(let s, _, _): return "string[\(s)]"
        case .variableString: return "vlen string"
        case .variableSequence(let base): return "vlen<\(base.name)>"
        case .other(let cls, let s): return "class \(cls) (\(s) bytes)"
        }
    }
}

extension HDF5Reader {
    /// The size of one variable-length element in raw data: count u32, collection address, object index u32.
    var vlenElementSize: Int { 4 + offsetSize + 4 }

    /// The stored size of one element of `type` in this file.
    func storedSize(_ type: HDF5Datatype) -> Int {
        switch type {
        case .variableString, .variableSequence: return vlenElementSize
        default: return type.size
        }
    }

    func datatype(_ message: HDF5Message) throws -> HDF5Datatype {
        if message.isShared {
            throw source.error(.unsupported, at: message.offset, expected: "a datatype stored in the header",
                               found: "a shared (committed) datatype")
        }
        var c = cursor(at: message.offset, end: message.offset + message.size, what: "datatype message")
        return try datatype(&c, depth: 0)
    }

    private func datatype(_ c: inout HDF5Cursor, depth: Int) throws -> HDF5Datatype {
        let start = c.pos
        guard depth < 8 else {
            throw source.error(.malformed, at: start, expected: "datatypes nested at most 8 deep", found: "deeper nesting")
        }
        let classAndVersion = try c.u8()
        let b0 = try c.u8(), b1 = try c.u8()
        _ = try c.u8()
        let size = try c.u32()
        let typeClass = Int(classAndVersion & 0x0F)
        switch typeClass {
        case 0:  // fixed-point
            let offset = try c.u16(), precision = try c.u16()
            guard [1, 2, 4, 8].contains(size), offset == 0, precision == size * 8 else {
                throw source.error(.unsupported, at: start, expected: "an integer of 1, 2, 4 or 8 full bytes",
                                   found: "size \(size), bit offset \(offset), precision \(precision)")
            }
            return .fixedPoint(size: size, signed: b0 & 0x08 != 0, bigEndian: b0 & 0x01 != 0)
        case 1:  // floating point
            let offset = try c.u16(), precision = try c.u16()
            let expLoc = Int(try c.u8()), expSize = Int(try c.u8())
            let mantLoc = Int(try c.u8()), mantSize = Int(try c.u8())
            let bias = try c.u32()
            let signLoc = Int(b1)
            let ieee: [Int: (Int, Int, Int)] = [2: (5, 10, 15), 4: (8, 23, 127), 8: (11, 52, 1023)]
            guard let (e, m, expectedBias) = ieee[size], b0 & 0x40 == 0, offset == 0, precision == size * 8,
                  expSize == e, mantSize == m, mantLoc == 0, expLoc == m, signLoc == size * 8 - 1, bias == expectedBias,
                  (b0 >> 4) & 3 == 2 else {
                throw source.error(.unsupported, at: start, expected: "an IEEE 754 binary16/32/64 float",
                                   found: "size \(size), exponent \(expLoc)/\(expSize), mantissa \(mantLoc)/\(mantSize), bias \(bias)")
            }
            return .floatingPoint(size: size, bigEndian: b0 & 0x01 != 0)
        case 3:  // string
            guard size > 0 else {
                throw source.error(.malformed, at: start, expected: "a string size of at least 1", found: "0")
            }
            return .fixedString(size: size, padding: HDF5Datatype.StringPadding(rawValue: Int(b0 & 0x0F)) ?? .nullPadded,
                                charset: HDF5Datatype.Charset(rawValue: Int(b0 >> 4)) ?? .ascii)
        case 9:  // variable length
            let base = try datatype(&c, depth: depth + 1)
            if b0 & 0x0F == 1 {
                return .variableString(padding: HDF5Datatype.StringPadding(rawValue: Int(b0 >> 4)) ?? .nullTerminated,
                                       charset: HDF5Datatype.Charset(rawValue: Int(b1 & 0x0F)) ?? .ascii)
            }
            return .variableSequence(base: base)
        default:
            return .other(typeClass: typeClass, size: size)
        }
    }
}
