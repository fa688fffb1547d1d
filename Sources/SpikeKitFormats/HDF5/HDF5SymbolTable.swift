/// Old-style groups (h5py's default): a version 1 B-tree of type 0 whose leaves are symbol table nodes ("SNOD"),
/// with the member names in a local heap ("HEAP").
extension HDF5Reader {
    /// The data segment of a local heap: absolute start and size.
    func localHeap(at address: UInt64?, from field: Int?) throws -> (start: Int, size: Int) {
        let start = try absolute(address, what: "a local heap", from: field)
        try source.expectSignature("HEAP", at: start)
        var c = cursor(at: start + 4, what: "local heap")
        let version = try c.u8()
        guard version == 0 else {
            throw source.error(.unsupported, at: start + 4, expected: "local heap version 0", found: "version \(version)")
        }
        try c.skip(3)
        let size = try c.length("local heap data size")
        _ = try c.uint(lengthSize)  // free list head
        let dataAt = c.pos
        let data = try absolute(try c.address(), what: "a local heap data segment", from: dataAt)
        try source.check(data, size, "local heap data segment")
        return (data, size)
    }

    /// The NUL-terminated name at `offset` inside a local heap data segment.
    func heapName(_ heap: (start: Int, size: Int), offset: UInt64, from field: Int) throws -> String {
        guard offset < UInt64(heap.size) else {
            throw source.error(.malformed, at: field, expected: "a name offset below the heap size \(heap.size)", found: "\(offset)")
        }
        let start = heap.start + Int(offset), end = heap.start + heap.size
        var i = start
        while i < end, source.bytes[i] != 0 { i += 1 }
        guard i < end else {
            throw source.error(.malformed, at: start, expected: "a NUL-terminated name in the local heap", found: "no terminator")
        }
        return String(decoding: source.bytes[start ..< i], as: UTF8.self)
    }

    /// The members of a symbol-table group: (name, object header address) in the B-tree's order.
    func symbolTableMembers(_ message: HDF5Message) throws -> [(String, UInt64)] {
        var c = cursor(at: message.offset, end: message.offset + message.size, what: "symbol table message")
        let treeField = c.pos
        let tree = try c.address()
        let heapField = c.pos
        let heap = try localHeap(at: try c.address(), from: heapField)
        var members: [(String, UInt64)] = []
        var visited = Set<Int>()
        try walkGroupTree(at: tree, from: treeField, depth: 0, visited: &visited) { snod in
            try source.expectSignature("SNOD", at: snod)
            var s = cursor(at: snod + 4, what: "symbol table node")
            let version = try s.u8()
            guard version == 1 else {
                throw source.error(.unsupported, at: snod + 4, expected: "symbol table node version 1", found: "version \(version)")
            }
            try s.skip(1)
            let count = try s.u16()
            let entrySize = 2 * offsetSize + 24
            try source.check(s.pos, count * entrySize, "\(count) symbol table entries")
            for _ in 0 ..< count {
                let nameField = s.pos
                let nameOffset = try s.uint(offsetSize)
                let header = try s.address()
                let cacheType = try s.u32()
                try s.skip(20)
                if cacheType == 2 { continue }  // a soft link: not followed
                guard let header else {
                    throw source.error(.malformed, at: nameField + offsetSize, expected: "an object header address", found: "the undefined address")
                }
                members.append((try heapName(heap, offset: nameOffset, from: nameField), header))
            }
        }
        return members
    }

    /// Visits the leaves of a group B-tree (type 0), detecting cycles and limiting the depth.
    private func walkGroupTree(at address: UInt64?, from field: Int?, depth: Int, visited: inout Set<Int>,
                               leaf: (Int) throws -> Void) throws {
        var (c, level, entries) = try openV1BTreeNode(at: address, from: field, type: 0, kind: "group", depth: depth,
                                                      visited: &visited)
        try source.check(c.pos, entries * (lengthSize + offsetSize) + lengthSize, "\(entries) B-tree entries")
        for _ in 0 ..< entries {
            try c.skip(lengthSize)  // key
            let childField = c.pos
            let child = try c.address()
            if level == 0 {
                try leaf(try absolute(child, what: "a symbol table node", from: childField))
            } else {
                try walkGroupTree(at: child, from: childField, depth: depth + 1, visited: &visited, leaf: leaf)
            }
        }
    }
}
