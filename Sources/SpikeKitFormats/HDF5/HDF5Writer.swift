/// A minimal HDF5 writer for the layout the SHD files use, in the form h5py writes by default: superblock
/// version 0, version 1 object headers, symbol-table groups (v1 B-tree, local heap, "SNOD"), contiguous datasets,
/// and variable-length payloads in global heap collections. Offsets and lengths are 8 bytes.
///
/// The writer builds the whole file in memory; `HDF5Writer.serialize(_:)` returns its bytes.
package enum HDF5Writer {
    /// The payload of a dataset to write.
    package enum Payload {
        /// `count` fixed-size elements, row-major, already encoded in the file's byte order.
        case fixed(count: Int, bytes: [UInt8])
        /// One heap object per element: (number of base elements, encoded bytes).
        case variable([(count: Int, bytes: [UInt8])])
    }

    /// A dataset: one-dimensional unless `shape` is given (`[]` is a scalar; the element count must be the
    /// product of `shape`).
    package struct Dataset {
        package let datatype: HDF5Datatype
        package let payload: Payload
        package let shape: [Int]?

        package init(datatype: HDF5Datatype, payload: Payload, shape: [Int]? = nil) {
            self.datatype = datatype
            self.payload = payload
            self.shape = shape
        }

        var count: Int {
            switch payload {
            case .fixed(let n, _): return n
            case .variable(let v): return v.count
            }
        }
    }

    /// A node of the tree to write.
    package indirect enum Node {
        /// A group and its members by name.
        case group([String: Node])
        /// A dataset.
        case dataset(Dataset)
    }

    package static let offsetSize = 8, lengthSize = 8
    package static let groupLeafK = 4, groupInternalK = 16
    package static let undefined = [UInt8](repeating: 0xFF, count: 8)
    /// HDF5 reads at least this many bytes of a global heap collection, so none may be smaller.
    package static let minimumCollectionSize = 4096

    /// The bytes of a file whose root group holds `root`'s members.
    package static func serialize(_ root: [String: Node]) throws -> [UInt8] {
        var w = Buffer()
        w.append([UInt8](repeating: 0, count: 96))  // superblock, filled in last
        let entry = try writeGroup(root, into: &w)
        var sb: [UInt8] = HDF5Superblock.signature
        sb += [0, 0, 0, 0, 0, UInt8(offsetSize), UInt8(lengthSize), 0]
        sb += le(groupLeafK, 2) + le(groupInternalK, 2) + le(0, 4)
        sb += le(0, 8) + undefined + le(w.count, 8) + undefined  // base, free space, EOF, driver info
        sb += symbolTableEntry(nameOffset: 0, entry)
        w.patch(0, sb)
        return w.bytes
    }

    /// An object header address, plus the B-tree and heap for groups (cached in symbol table entries).
    package struct Written { let header: Int; let group: (btree: Int, heap: Int)? }

    // MARK: - Groups

    private static func writeGroup(_ members: [String: Node], into w: inout Buffer) throws -> Written {
        let names = members.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let perNode = 2 * groupLeafK
        let nodeCount = max(1, (names.count + perNode - 1) / perNode)
        guard nodeCount <= 2 * groupInternalK else {
            throw HDF5Error(.unsupported, file: "<writer>", offset: nil, expected: "at most \(2 * groupInternalK * perNode) members in a group",
                            found: "\(names.count)")
        }
        // Local heap data: "" at 0, then each name NUL-terminated and padded to 8, then one free block.
        var heapData = [UInt8](repeating: 0, count: 8)
        var nameOffsets: [String: Int] = [:]
        for name in names {
            nameOffsets[name] = heapData.count
            heapData += Array(name.utf8) + [0]
            heapData += [UInt8](repeating: 0, count: (8 - heapData.count % 8) % 8)
        }
        let freeBlock = heapData.count
        heapData += le(1, 8) + le(16, 8)  // next free block: none (1); size 16

        let header = w.align()
        w.append(objectHeader([(0x0011, 0, [UInt8](repeating: 0, count: 16))]))
        let btree = w.align()
        w.append([UInt8](repeating: 0, count: 24 + (2 * groupInternalK + 1) * lengthSize + 2 * groupInternalK * offsetSize))
        let heap = w.align()
        w.append(Array("HEAP".utf8) + [0, 0, 0, 0] + le(heapData.count, 8) + le(freeBlock, 8) + le(heap + 32, 8))
        w.append(heapData)
        let snodSize = 8 + perNode * 40
        var snods: [Int] = []
        for _ in 0 ..< nodeCount {
            snods.append(w.align())
            w.append([UInt8](repeating: 0, count: snodSize))
        }
        // Members, then the entries that point at them.
        var btreeNode = Array("TREE".utf8) + [0, 0] + le(nodeCount, 2) + undefined + undefined + le(0, 8)
        for (n, snod) in snods.enumerated() {
            let slice = Array(names[min(names.count, n * perNode) ..< min(names.count, (n + 1) * perNode)])
            var node = Array("SNOD".utf8) + [1, 0] + le(slice.count, 2)
            for name in slice {
                let written: Written
                switch members[name]! {
                case .group(let children): written = try writeGroup(children, into: &w)
                case .dataset(let d): written = try writeDataset(d, into: &w)
                }
                node += symbolTableEntry(nameOffset: nameOffsets[name]!, written)
            }
            w.patch(snod, node)
            btreeNode += le(snod, 8) + le(slice.last.map { nameOffsets[$0]! } ?? 0, 8)
        }
        w.patch(btree, btreeNode)
        w.patch(header + 24, le(btree, 8) + le(heap, 8))
        return Written(header: header, group: (btree, heap))
    }

    private static func symbolTableEntry(nameOffset: Int, _ object: Written) -> [UInt8] {
        var e = le(nameOffset, 8) + le(object.header, 8)
        if let g = object.group {
            e += le(1, 4) + le(0, 4) + le(g.btree, 8) + le(g.heap, 8)
        } else {
            e += [UInt8](repeating: 0, count: 24)
        }
        return e
    }

    // MARK: - Datasets

    private static func writeDataset(_ d: Dataset, into w: inout Buffer) throws -> Written {
        var raw: [UInt8]
        switch d.payload {
        case .fixed(let n, let bytes):
            guard bytes.count == n * d.datatype.size else {
                throw HDF5Error(.malformed, file: "<writer>", offset: nil, expected: "\(n) x \(d.datatype.size) bytes", found: "\(bytes.count)")
            }
            raw = bytes
        case .variable(let objects):
            raw = try writeGlobalHeap(objects, into: &w)
        }
        var dataAddress: [UInt8] = undefined
        if !raw.isEmpty {
            dataAddress = le(w.align(), 8)
            w.append(raw)
        }
        let space = try dataspace(d)
        let fill: [UInt8] = [2, 2, 0, 1, 0, 0, 0, 0]
        let layout = [3, 1] + dataAddress + le(raw.count, 8)
        let header = w.align()
        w.append(objectHeader([(0x0001, 0, space), (0x0003, 1, encode(d.datatype)), (0x0005, 1, fill), (0x0008, 0, layout)]))
        return Written(header: header, group: nil)
    }

    /// The version 1 dataspace message of `d`: rank 0 for a scalar, otherwise the dimensions, each also its
    /// maximum.
    private static func dataspace(_ d: Dataset) throws -> [UInt8] {
        let dims = d.shape ?? [d.count]
        guard dims.count <= 32, dims.allSatisfy({ $0 >= 0 }), dims.reduce(1, *) == d.count else {
            throw HDF5Error(.malformed, file: "<writer>", offset: nil, expected: "a shape of \(d.count) elements",
                            found: "\(dims)")
        }
        if dims.isEmpty { return [1, 0, 0, 0, 0, 0, 0, 0] }
        return [1, UInt8(dims.count), 1, 0, 0, 0, 0, 0] + dims.flatMap { le($0, 8) } + dims.flatMap { le($0, 8) }
    }

    /// Writes the objects into as few collections as fit (at most 65535 objects and about 1 MiB each) and returns
    /// the raw data: one (count u32, collection address, index u32) element per object.
    private static func writeGlobalHeap(_ objects: [(count: Int, bytes: [UInt8])], into w: inout Buffer) throws -> [UInt8] {
        var raw: [UInt8] = []
        raw.reserveCapacity(objects.count * 16)
        var i = 0
        while i < objects.count {
            // Gather one collection's objects.
            var used = 16, j = i
            while j < objects.count, j - i < 65535 {
                if objects[j].count == 0 { j += 1; continue }
                let size = 16 + (objects[j].bytes.count + 7) / 8 * 8
                if used > 16, used + size > 1 << 20 { break }
                used += size
                j += 1
            }
            var total = max(minimumCollectionSize, used)
            if total - used == 8 { total += 8 }
            let start = w.align()
            var collection = Array("GCOL".utf8) + [1, 0, 0, 0] + le(total, 8)
            var index = 0
            for k in i ..< j {
                let object = objects[k]
                guard object.count > 0 else {
                    raw += [UInt8](repeating: 0, count: 16)
                    continue
                }
                index += 1
                collection += le(index, 2) + le(0, 2) + le(0, 4) + le(object.bytes.count, 8) + object.bytes
                collection += [UInt8](repeating: 0, count: (8 - object.bytes.count % 8) % 8)
                raw += le(object.count, 4) + le(start, 8) + le(index, 4)
            }
            if total > used { collection += le(0, 2) + le(0, 2) + le(0, 4) + le(total - used, 8) }
            collection += [UInt8](repeating: 0, count: total - collection.count)
            w.append(collection)
            i = j
        }
        return raw
    }

    // MARK: - Encoding

    /// A version 1 object header holding `messages` (type, flags, data); data is padded to 8 bytes.
    private static func objectHeader(_ messages: [(Int, UInt8, [UInt8])]) -> [UInt8] {
        var body: [UInt8] = []
        for (type, flags, data) in messages {
            let padded = (data.count + 7) / 8 * 8
            body += le(type, 2) + le(padded, 2) + [flags, 0, 0, 0] + data + [UInt8](repeating: 0, count: padded - data.count)
        }
        return [1, 0] + le(messages.count, 2) + le(1, 4) + le(body.count, 4) + [0, 0, 0, 0] + body
    }

    /// The datatype message encoding of `type` (the inverse of `HDF5Reader.datatype`).
    package static func encode(_ type: HDF5Datatype) -> [UInt8] {
        switch type {
        case .fixedPoint(let size, let signed, let be):
            return [0x10, (be ? 1 : 0) | (signed ? 8 : 0), 0, 0] + le(size, 4) + le(0, 2) + le(size * 8, 2)
        case .floatingPoint(let size, let be):
            let (e, m, bias) = size == 2 ? (5, 10, 15) : size == 4 ? (8, 23, 127) : (11, 52, 1023)
            return [0x11, 0x20 | (be ? 1 : 0), UInt8(size * 8 - 1), 0] + le(size, 4) + le(0, 2) + le(size * 8, 2)
                + [UInt8(m), UInt8(e), 0, UInt8(m)] + le(bias, 4)
        case .fixedString(let size, let padding, let charset):
            return [0x13, UInt8(padding.rawValue | charset.rawValue << 4), 0, 0] + le(size, 4)
        case .variableString(let padding, let charset):
            return [0x19, UInt8(1 | padding.rawValue << 4), UInt8(charset.rawValue), 0] + le(16, 4)
                + encode(.fixedPoint(size: 1, signed: false, bigEndian: false))
        case .variableSequence(let base):
            return [0x19, 0, 0, 0] + le(16, 4) + encode(base)
        case .other(let cls, let size):
            return [UInt8(0x10 | cls), 0, 0, 0] + le(size, 4)
        }
    }

    /// `value` as `size` little-endian bytes.
    package static func le(_ value: Int, _ size: Int) -> [UInt8] {
        (0 ..< size).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: Int64(value)) >> UInt64(8 * $0)) }
    }

    /// A growing output buffer.
    package struct Buffer {
        var bytes: [UInt8] = []
        var count: Int { bytes.count }

        mutating func append(_ b: [UInt8]) { bytes += b }

        /// Pads to a multiple of 8 and returns the new end.
        mutating func align() -> Int {
            bytes += [UInt8](repeating: 0, count: (8 - bytes.count % 8) % 8)
            return bytes.count
        }

        mutating func patch(_ at: Int, _ b: [UInt8]) {
            bytes.replaceSubrange(at ..< at + b.count, with: b)
        }
    }
}
