/// Typed reads of a dataset's values.
extension HDF5Dataset {
    /// The values of an integer dataset (any width, signedness and byte order), widened to `Int64`.
    /// - Throws: `HDF5Error` (`.typeMismatch` for non-integer data or a uint64 value above `Int64.max`).
    public func readIntegers() throws -> [Int64] {
        guard case .fixedPoint(let size, let signed, let bigEndian) = datatype else { throw mismatch("integers") }
        let raw = try rawData()
        return try raw.withUnsafeBytes { try decodeIntegers($0, offset: 0, count: count, size: size, signed: signed, bigEndian: bigEndian) }
    }

    /// The values of a floating-point dataset (float16, float32 or float64; integers are converted too) as `Double`.
    /// - Throws: `HDF5Error` (`.typeMismatch` for non-numeric data).
    public func readFloats() throws -> [Double] {
        switch datatype {
        case .floatingPoint(let size, let bigEndian):
            let raw = try rawData()
            return raw.withUnsafeBytes { Self.decodeFloats($0, offset: 0, count: count, size: size, bigEndian: bigEndian, as: Double.self) }
        case .fixedPoint:
            return try readIntegers().map { Double($0) }
        default:
            throw mismatch("floats")
        }
    }

    /// The strings of a fixed-length or variable-length string dataset, with the padding removed. Bytes that are
    /// not valid UTF-8 are replaced by U+FFFD.
    /// - Throws: `HDF5Error` (`.typeMismatch` for non-string data).
    public func readStrings() throws -> [String] {
        switch datatype {
        case .fixedString(let size, let padding, _):
            let raw = try rawData()
            return (0 ..< count).map { i in Self.unpad(raw[(i * size) ..< ((i + 1) * size)], padding) }
        case .variableString(let padding, _):
            return try readVariableLength(baseSize: 1) { file, offset, n in
                Self.unpad(UnsafeRawBufferPointer(rebasing: file[offset ..< offset + n]), padding)
            }
        default:
            throw mismatch("strings")
        }
    }

    /// The sequences of a variable-length dataset of floats (float16 and float32 exactly, float64 rounded), one
    /// array per element.
    /// - Throws: `HDF5Error` (`.typeMismatch` unless the datatype is a vlen sequence of floats).
    public func readVLenFloats() throws -> [[Float]] {
        guard case .variableSequence(.floatingPoint(let size, let bigEndian)) = datatype else { throw mismatch("vlen floats") }
        return try readVariableLength(baseSize: size) { file, offset, n in
            Self.decodeFloats(file, offset: offset, count: n, size: size, bigEndian: bigEndian, as: Float.self)
        }
    }

    /// The sequences of a variable-length dataset of integers, widened to `Int64`, one array per element.
    /// - Throws: `HDF5Error` (`.typeMismatch` unless the datatype is a vlen sequence of integers).
    public func readVLenIntegers() throws -> [[Int64]] {
        guard case .variableSequence(.fixedPoint(let size, let signed, let bigEndian)) = datatype else {
            throw mismatch("vlen integers")
        }
        return try readVariableLength(baseSize: size) { file, offset, n in
            try decodeIntegers(file, offset: offset, count: n, size: size, signed: signed, bigEndian: bigEndian)
        }
    }

    /// Like `readVLenIntegers()`, but stores each value as `UInt16` (spike unit ids), which needs a quarter of the
    /// memory; a value outside 0...65535 throws.
    package func readVLenUInt16() throws -> [[UInt16]] {
        guard case .variableSequence(.fixedPoint(let size, let signed, let bigEndian)) = datatype else {
            throw mismatch("vlen integers")
        }
        if size == 2, !signed, !bigEndian {
            return try readVariableLength(baseSize: 2) { file, offset, n in
                [UInt16](unsafeUninitializedCapacity: n) { buffer, initialized in
                    let base = Self.checkedBase(file, offset: offset, count: n, size: 2)
                    for k in 0 ..< n { buffer[k] = UInt16(littleEndian: (base + 2 * k).loadUnaligned(as: UInt16.self)) }
                    initialized = n
                }
            }
        }
        return try readVariableLength(baseSize: size) { file, offset, n in
            try decodeIntegers(file, offset: offset, count: n, size: size, signed: signed, bigEndian: bigEndian).map { v in
                guard let u = UInt16(exactly: v) else {
                    throw reader.source.error(.typeMismatch, at: offset, expected: "values in 0...65535", found: "\(v)")
                }
                return u
            }
        }
    }

    // MARK: - Decoding

    private func mismatch(_ wanted: String) -> HDF5Error {
        reader.source.error(.typeMismatch, at: headerAddress, expected: "a dataset of \(wanted) at \(path)", found: datatype.name)
    }

    /// Resolves each variable-length element (count u32, collection address, object index u32) to its heap object
    /// and hands the object's bytes to `decode`. An element with count 0 gives `decode(file, 0, 0)`.
    func readVariableLength<T>(baseSize: Int, _ decode: (UnsafeRawBufferPointer, Int, Int) throws -> T) throws -> [T] {
        let raw = try rawData()
        let src = reader.source
        let o = reader.offsetSize
        let elementSize = reader.vlenElementSize
        var heap = HDF5GlobalHeap(reader: reader)
        var out: [T] = []
        out.reserveCapacity(count)
        try src.bytes.withUnsafeBytes { file in
            for i in 0 ..< count {
                let e = i * elementSize
                let n = Int(try rawUInt(raw, e, 4))
                if n == 0 {
                    out.append(try decode(file, 0, 0))
                    continue
                }
                let address = try rawUInt(raw, e + 4, o)
                let index = Int(try rawUInt(raw, e + 4 + o, 4))
                let undefined: UInt64 = o == 8 ? .max : (1 << UInt64(o * 8)) - 1
                let object = try heap.object(collection: address == undefined ? nil : address, index: index, from: headerAddress)
                let (needed, overflow) = n.multipliedReportingOverflow(by: baseSize)
                guard !overflow, needed <= object.size else {
                    throw src.error(.malformed, at: object.offset, expected: "a heap object of \(n) x \(baseSize) bytes for element \(i) of \(path)",
                                    found: "\(object.size) bytes")
                }
                out.append(try decode(file, object.offset, n))
            }
        }
        return out
    }

    private func rawUInt(_ raw: [UInt8], _ at: Int, _ size: Int) throws -> UInt64 {
        guard at >= 0, at + size <= raw.count else {
            throw reader.source.error(.truncated, at: headerAddress, expected: "\(size) bytes of raw data", found: "the end of the data")
        }
        var v: UInt64 = 0
        for k in stride(from: size - 1, through: 0, by: -1) { v = v << 8 | UInt64(raw[at + k]) }
        return v
    }

    func decodeIntegers(_ p: UnsafeRawBufferPointer, offset: Int, count: Int, size: Int, signed: Bool, bigEndian: Bool) throws -> [Int64] {
        var out = [Int64](repeating: 0, count: count)
        switch (size, signed) {
        case (1, false): for i in 0 ..< count { out[i] = Int64(p[offset + i]) }
        case (1, true): for i in 0 ..< count { out[i] = Int64(Int8(bitPattern: p[offset + i])) }
        case (2, _):
            for i in 0 ..< count {
                let v = p.loadUnaligned(fromByteOffset: offset + 2 * i, as: UInt16.self)
                let u = bigEndian ? UInt16(bigEndian: v) : UInt16(littleEndian: v)
                out[i] = signed ? Int64(Int16(bitPattern: u)) : Int64(u)
            }
        case (4, _):
            for i in 0 ..< count {
                let v = p.loadUnaligned(fromByteOffset: offset + 4 * i, as: UInt32.self)
                let u = bigEndian ? UInt32(bigEndian: v) : UInt32(littleEndian: v)
                out[i] = signed ? Int64(Int32(bitPattern: u)) : Int64(u)
            }
        case (8, _):
            for i in 0 ..< count {
                let v = p.loadUnaligned(fromByteOffset: offset + 8 * i, as: UInt64.self)
                let u = bigEndian ? UInt64(bigEndian: v) : UInt64(littleEndian: v)
                guard signed || u <= UInt64(Int64.max) else {
                    throw reader.source.error(.typeMismatch, at: offset + 8 * i, expected: "a uint64 value up to Int64.max", found: "\(u)")
                }
                out[i] = Int64(bitPattern: u)
            }
        default:
            throw reader.source.error(.unsupported, at: headerAddress, expected: "integers of 1, 2, 4 or 8 bytes", found: "\(size) bytes")
        }
        return out
    }

    /// The address of `count` values of `size` bytes at `offset` in `p`, after one check that they lie inside it
    /// (callers have checked the range against the file already; this keeps the per-value loads of the hot loops
    /// free of bounds checks without trusting them).
    static func checkedBase(_ p: UnsafeRawBufferPointer, offset: Int, count: Int, size: Int) -> UnsafeRawPointer {
        let (bytes, o1) = count.multipliedReportingOverflow(by: size)
        let (end, o2) = offset.addingReportingOverflow(bytes)
        precondition(count == 0 || (!o1 && !o2 && offset >= 0 && end <= p.count && p.baseAddress != nil),
                     "HDF5 values out of the file's bounds")
        return UnsafeRawPointer(p.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!) + (count == 0 ? 0 : offset)
    }

    static func decodeFloats<T: BinaryFloatingPoint>(_ p: UnsafeRawBufferPointer, offset: Int, count: Int, size: Int,
                                                     bigEndian: Bool, as: T.Type) -> [T] {
        [T](unsafeUninitializedCapacity: count) { out, initialized in
            let base = checkedBase(p, offset: offset, count: count, size: size == 2 || size == 4 ? size : 8)
            switch size {
            case 2:
                for i in 0 ..< count {
                    let v = (base + 2 * i).loadUnaligned(as: UInt16.self)
                    out[i] = T(Float(Float16(bitPattern: bigEndian ? UInt16(bigEndian: v) : UInt16(littleEndian: v))))
                }
            case 4:
                for i in 0 ..< count {
                    let v = (base + 4 * i).loadUnaligned(as: UInt32.self)
                    out[i] = T(Float(bitPattern: bigEndian ? UInt32(bigEndian: v) : UInt32(littleEndian: v)))
                }
            default:
                for i in 0 ..< count {
                    let v = (base + 8 * i).loadUnaligned(as: UInt64.self)
                    out[i] = T(Double(bitPattern: bigEndian ? UInt64(bigEndian: v) : UInt64(littleEndian: v)))
                }
            }
            initialized = count
        }
    }

    static func unpad<C: Collection>(_ bytes: C, _ padding: HDF5Datatype.StringPadding) -> String where C.Element == UInt8 {
        var b = Array(bytes)
        switch padding {
        case .nullTerminated:
            if let nul = b.firstIndex(of: 0) { b.removeSubrange(nul...) }
        case .nullPadded:
            if let nul = b.firstIndex(of: 0) { b.removeSubrange(nul...) }
        case .spacePadded:
            while b.last == 0x20 || b.last == 0 { b.removeLast() }
        }
        return String(decoding: b, as: UTF8.self)
    }
}
