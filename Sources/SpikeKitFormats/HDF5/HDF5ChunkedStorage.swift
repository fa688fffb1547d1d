/// Chunked raw data indexed by a version 1 B-tree of type 1: each key holds the chunk's stored size, its filter
/// mask and its element offsets; each level-0 child is the chunk's address.
extension HDF5Reader {
    /// Assembles the chunks of a dataset into one row-major buffer of `totalBytes` bytes. Chunks that were never
    /// written read as zeros.
    func chunkedData(btree: UInt64?, field: Int, chunk: [Int], elementSize: Int, dims: [Int], filters: [HDF5Filter],
                     totalBytes: Int) throws -> [UInt8] {
        let rank = dims.count
        guard chunk.count == rank else {
            throw source.error(.malformed, at: field, expected: "chunk dimensions of rank \(rank)", found: "rank \(chunk.count)")
        }
        var chunkElements = 1
        for d in chunk {
            let (p, o) = chunkElements.multipliedReportingOverflow(by: d)
            guard !o else { throw source.error(.malformed, at: field, expected: "a plausible chunk size", found: "\(chunk)") }
            chunkElements = p
        }
        let (chunkBytes, o) = chunkElements.multipliedReportingOverflow(by: elementSize)
        guard !o, chunkBytes <= allocationLimit else {
            throw source.error(.malformed, at: field, expected: "a chunk of at most \(allocationLimit) bytes", found: "\(chunk) x \(elementSize) bytes")
        }
        var out = [UInt8](repeating: 0, count: totalBytes)
        guard btree != nil, totalBytes > 0 else { return out }
        var visited = Set<Int>()
        var chunksRead = 0
        try walkChunkTree(at: btree, from: field, rank: rank, depth: 0, visited: &visited) { address, addressField, size, mask, offsets in
            chunksRead += 1
            for d in 0 ..< rank where offsets[d] % chunk[d] != 0 || offsets[d] >= dims[d] {
                throw source.error(.malformed, at: addressField, expected: "chunk offsets on the chunk grid inside \(dims)",
                                   found: "\(offsets)")
            }
            let stored = try bytes(at: address, length: size, what: "a data chunk", from: addressField)
            let data = filters.isEmpty ? stored
                : try unfilter(stored, filters: filters, mask: mask, expectedSize: chunkBytes, at: addressField)
            guard data.count >= chunkBytes else {
                throw source.error(.malformed, at: addressField, expected: "a chunk of \(chunkBytes) bytes", found: "\(data.count) bytes")
            }
            Self.copyChunk(data, into: &out, offsets: offsets, chunk: chunk, dims: dims, elementSize: elementSize)
        }
        return out
    }

    /// Copies the part of a chunk that lies inside the dataset into the row-major output.
    static func copyChunk(_ data: [UInt8], into out: inout [UInt8], offsets: [Int], chunk: [Int], dims: [Int], elementSize: Int) {
        let rank = dims.count
        let inner = rank - 1
        let run = min(chunk[inner], dims[inner] - offsets[inner]) * elementSize
        // Iterate over the chunk's rows (all indices but the last), within the dataset's bounds.
        var index = [Int](repeating: 0, count: max(inner, 0))
        data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                while true {
                    var srcRow = 0, dstRow = 0
                    for d in 0 ..< inner {
                        srcRow = srcRow * chunk[d] + index[d]
                        dstRow = dstRow * dims[d] + offsets[d] + index[d]
                    }
                    let s = srcRow * chunk[inner] * elementSize
                    let t = (dstRow * dims[inner] + offsets[inner]) * elementSize
                    for k in 0 ..< run { dst[t + k] = src[s + k] }
                    // Next row index, odometer style.
                    var d = inner - 1
                    while d >= 0 {
                        index[d] += 1
                        if index[d] < chunk[d], offsets[d] + index[d] < dims[d] { break }
                        index[d] = 0
                        d -= 1
                    }
                    if d < 0 { break }
                }
            }
        }
    }

    private func walkChunkTree(at address: UInt64?, from field: Int?, rank: Int, depth: Int, visited: inout Set<Int>,
                               chunk: (UInt64?, Int, Int, UInt32, [Int]) throws -> Void) throws {
        var (c, level, entries) = try openV1BTreeNode(at: address, from: field, type: 1, kind: "chunk", depth: depth,
                                                      visited: &visited)
        let keySize = 8 + 8 * (rank + 1)
        try source.check(c.pos, entries * (keySize + offsetSize) + keySize, "\(entries) chunk B-tree entries")
        for _ in 0 ..< entries {
            let size = try c.u32()
            let mask = UInt32(try c.u32())
            var offsets: [Int] = []
            for _ in 0 ... rank {
                let at = c.pos
                let v = try c.uint(8)
                guard v <= UInt64(Int32.max) * 64 else {
                    throw source.error(.malformed, at: at, expected: "a plausible chunk offset", found: "\(v)")
                }
                offsets.append(Int(v))
            }
            let childField = c.pos
            let child = try c.address()
            if level == 0 {
                try chunk(child, childField, size, mask, Array(offsets.prefix(rank)))
            } else {
                try walkChunkTree(at: child, from: childField, rank: rank, depth: depth + 1, visited: &visited, chunk: chunk)
            }
        }
    }

    /// Reads the header of a version-1 B-tree node ("TREE", node type, level, entry count, sibling addresses) after
    /// checking that the node was not visited before (no cycles) and that the tree is at most 32 levels deep.
    /// Returns a cursor at the node's first key, its level and its number of entries.
    func openV1BTreeNode(at address: UInt64?, from field: Int?, type expected: UInt8, kind: String, depth: Int,
                         visited: inout Set<Int>) throws -> (HDF5Cursor, level: Int, entries: Int) {
        let node = try absolute(address, what: "a \(kind) B-tree node", from: field)
        guard visited.insert(node).inserted else {
            throw source.error(.malformed, at: node, expected: "a B-tree without cycles", found: "node \(node) visited twice")
        }
        guard depth < 32 else {
            throw source.error(.malformed, at: node, expected: "a B-tree at most 32 levels deep", found: "deeper")
        }
        try source.expectSignature("TREE", at: node)
        var c = cursor(at: node + 4, what: "\(kind) B-tree node")
        let type = try c.u8(), level = Int(try c.u8())
        guard type == expected else {
            throw source.error(.malformed, at: node + 4, expected: "a \(kind) B-tree node (type \(expected))", found: "type \(type)")
        }
        let entries = try c.u16()
        try c.skip(2 * offsetSize)  // siblings
        return (c, level, Int(entries))
    }
}
