/// Global heap collections ("GCOL"), where variable-length data (vlen sequences and strings) is stored. A
/// collection is parsed once and its objects remembered as (absolute offset, size) by index.
struct HDF5GlobalHeap {
    let reader: HDF5Reader
    private var collections: [Int: [Int: (offset: Int, size: Int)]] = [:]

    init(reader: HDF5Reader) { self.reader = reader }

    /// The bytes of object `index` in the collection at `address`: absolute offset and size.
    mutating func object(collection address: UInt64?, index: Int, from field: Int) throws -> (offset: Int, size: Int) {
        let start = try reader.absolute(address, what: "a global heap collection", from: field)
        if collections[start] == nil { collections[start] = try parse(start) }
        guard let object = collections[start]?[index] else {
            throw reader.source.error(.malformed, at: field, expected: "an object in the global heap collection at \(start)",
                                      found: "no object with index \(index)")
        }
        return object
    }

    private func parse(_ start: Int) throws -> [Int: (offset: Int, size: Int)] {
        let src = reader.source
        try src.expectSignature("GCOL", at: start)
        var c = reader.cursor(at: start + 4, what: "global heap collection")
        let version = try c.u8()
        guard version == 1 else {
            throw src.error(.unsupported, at: start + 4, expected: "global heap version 1", found: "version \(version)")
        }
        try c.skip(3)
        let size = try c.length("global heap collection size")
        try src.check(start, size, "global heap collection")
        guard size >= 16 else {
            throw src.error(.malformed, at: start + 8, expected: "a collection size of at least 16", found: "\(size)")
        }
        let end = start + size
        var objects: [Int: (offset: Int, size: Int)] = [:]
        var o = reader.cursor(at: start + 16, end: end, what: "global heap collection")
        while o.remaining >= 8 + reader.lengthSize {
            let index = try o.u16()
            try o.skip(6)  // reference count, reserved
            let objectSize = try o.length("global heap object size")
            if index == 0 { break }  // free space: the rest of the collection
            guard objectSize <= o.remaining else {
                throw src.error(.malformed, at: o.pos - reader.lengthSize,
                                expected: "a heap object inside its collection (\(o.remaining) bytes left)", found: "\(objectSize) bytes")
            }
            objects[index] = (o.pos, objectSize)
            try o.skip(min(o.remaining, (objectSize + 7) / 8 * 8))
        }
        return objects
    }
}
