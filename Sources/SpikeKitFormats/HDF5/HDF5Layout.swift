/// Where a dataset's raw data lives (data layout message 0x0008, versions 3 and 4 for contiguous and compact,
/// version 3 for chunked).
enum HDF5Storage: Sendable {
    /// One block in the file; `address == nil` means never written (read as zeros).
    case contiguous(address: UInt64?, size: Int, field: Int)
    /// The data inside the layout message itself.
    case compact(offset: Int, size: Int)
    /// Chunks indexed by a version 1 B-tree (type 1); `chunk` holds the chunk dimensions (without the element size).
    case chunked(btree: UInt64?, chunk: [Int], elementSize: Int, field: Int)
}

/// One filter of a filter pipeline message (0x000B).
struct HDF5Filter: Sendable {
    static let deflate = 1, shuffle = 2, fletcher32 = 3

    let id: Int
    let optional: Bool
    let clientData: [UInt32]
}

extension HDF5Reader {
    func storage(_ message: HDF5Message) throws -> HDF5Storage {
        var c = cursor(at: message.offset, end: message.offset + message.size, what: "data layout message")
        let version = Int(try c.u8())
        guard version == 3 || version == 4 else {
            throw source.error(.unsupported, at: message.offset, expected: "data layout version 3 or 4", found: "version \(version)")
        }
        let layoutClass = try c.u8()
        switch layoutClass {
        case 0:
            let size = try c.u16()
            try c.need(size)
            return .compact(offset: c.pos, size: size)
        case 1:
            let field = c.pos
            let address = try c.address()
            let size = try c.length("contiguous data size")
            return .contiguous(address: address, size: size, field: field)
        case 2:
            guard version == 3 else {
                throw source.error(.unsupported, at: message.offset, expected: "a chunked layout indexed by a version 1 B-tree (layout v3)",
                                   found: "layout version 4 chunk indexes (written by libver=\"latest\")")
            }
            let dimensionality = Int(try c.u8())
            guard (2...33).contains(dimensionality) else {
                throw source.error(.malformed, at: c.pos - 1, expected: "a chunk dimensionality of 2 to 33", found: "\(dimensionality)")
            }
            let field = c.pos
            let btree = try c.address()
            var dims: [Int] = []
            for _ in 0 ..< dimensionality {
                let at = c.pos
                let d = try c.u32()
                guard d > 0 else { throw source.error(.malformed, at: at, expected: "a chunk dimension of at least 1", found: "0") }
                dims.append(d)
            }
            return .chunked(btree: btree, chunk: Array(dims.dropLast()), elementSize: dims.last!, field: field)
        default:
            throw source.error(.unsupported, at: message.offset + 1, expected: "layout class 0, 1 or 2", found: "class \(layoutClass)")
        }
    }

    func filters(_ message: HDF5Message) throws -> [HDF5Filter] {
        var c = cursor(at: message.offset, end: message.offset + message.size, what: "filter pipeline message")
        let version = Int(try c.u8())
        guard version == 1 || version == 2 else {
            throw source.error(.unsupported, at: message.offset, expected: "filter pipeline version 1 or 2", found: "version \(version)")
        }
        let count = Int(try c.u8())
        guard count <= 32 else {
            throw source.error(.malformed, at: message.offset + 1, expected: "at most 32 filters", found: "\(count)")
        }
        if version == 1 { try c.skip(6) }
        var filters: [HDF5Filter] = []
        for _ in 0 ..< count {
            let id = try c.u16()
            let nameLength = version == 1 || id >= 256 ? try c.u16() : 0
            let flags = try c.u16()
            let values = try c.u16()
            if version == 1 {
                try c.skip((nameLength + 7) / 8 * 8)
            } else {
                try c.skip(nameLength)
            }
            var data: [UInt32] = []
            for _ in 0 ..< values { data.append(UInt32(try c.u32())) }
            if version == 1, values % 2 == 1 { try c.skip(4) }
            filters.append(HDF5Filter(id: id, optional: flags & 1 != 0, clientData: data))
        }
        return filters
    }
}
