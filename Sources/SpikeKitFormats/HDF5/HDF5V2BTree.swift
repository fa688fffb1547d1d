/// Version 2 B-trees ("BTHD", "BTIN", "BTLF"): only record enumeration, which is what listing a dense group needs.
extension HDF5Reader {
    /// Every record of the v2 B-tree at `address`, in key order, as raw bytes of the header's record size.
    func v2BTreeRecords(at address: UInt64?, from field: Int?) throws -> [[UInt8]] {
        let start = try absolute(address, what: "a version 2 B-tree header", from: field)
        try source.expectSignature("BTHD", at: start)
        var c = cursor(at: start + 4, what: "v2 B-tree header")
        let version = try c.u8()
        guard version == 0 else {
            throw source.error(.unsupported, at: start + 4, expected: "v2 B-tree version 0", found: "version \(version)")
        }
        _ = try c.u8()  // type
        let nodeSize = try c.u32()
        let recordSize = try c.u16()
        let depth = try c.u16()
        try c.skip(2)  // split and merge percentages
        let rootField = c.pos
        let root = try c.address()
        let rootRecords = try c.u16()
        _ = try c.uint(lengthSize)  // total records
        try verifyChecksum(from: start, to: c.pos)
        guard recordSize > 0, nodeSize > 10 + recordSize, depth <= 16 else {
            throw source.error(.malformed, at: start, expected: "a plausible v2 B-tree", found: "node size \(nodeSize), record size \(recordSize), depth \(depth)")
        }
        // Field widths of the child pointers: the number of records of a child (sized for a node's maximum) and,
        // above depth 1, the total records below it (sized for the cumulative maximum).
        func encodedSize(_ v: Int) -> Int { HDF5FractalHeap.log2(max(1, v)) / 8 + 1 }
        let leafMax = (nodeSize - 10) / recordSize
        let recordCountSize = encodedSize(leafMax)
        var cumulative = [leafMax]
        var cumulativeSize = [0]
        if depth > 0 {
            for d in 1 ... depth {
                let pointer = offsetSize + recordCountSize + (d > 1 ? cumulativeSize[d - 1] : 0)
                let maxRecords = max(1, (nodeSize - 10 - pointer) / (recordSize + pointer))
                let (a, o1) = (maxRecords + 1).multipliedReportingOverflow(by: cumulative[d - 1])
                let (total, o2) = a.addingReportingOverflow(maxRecords)
                cumulative.append(o1 || o2 ? Int.max / 2 : total)
                cumulativeSize.append(encodedSize(cumulative[d]))
            }
        }
        var records: [[UInt8]] = []
        var visited = Set<Int>()
        func visit(_ node: UInt64?, _ field: Int, records count: Int, depth d: Int) throws {
            let at = try absolute(node, what: "a v2 B-tree node", from: field)
            guard visited.insert(at).inserted else {
                throw source.error(.malformed, at: at, expected: "a B-tree without cycles", found: "node \(at) visited twice")
            }
            try source.expectSignature(d == 0 ? "BTLF" : "BTIN", at: at)
            var n = cursor(at: at + 6, end: at + nodeSize, what: "v2 B-tree node")
            guard count * recordSize <= n.remaining else {
                throw source.error(.malformed, at: at, expected: "at most \(n.remaining / recordSize) records in a node", found: "\(count)")
            }
            var own: [[UInt8]] = []
            for _ in 0 ..< count { own.append(try n.bytes(recordSize)) }
            if d == 0 {
                records += own
                return
            }
            for k in 0 ... count {
                let childField = n.pos
                let child = try n.address()
                let childCount = Int(try n.uint(recordCountSize))
                if d > 1 { try n.skip(cumulativeSize[d - 1]) }
                try visit(child, childField, records: childCount, depth: d - 1)
                if k < count { records.append(own[k]) }
            }
        }
        if root != nil, rootRecords > 0 {
            try visit(root, rootField, records: rootRecords, depth: depth)
        }
        return records
    }
}
