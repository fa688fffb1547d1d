/// Fractal heaps ("FRHP"), where dense groups keep their link messages. Only what reading links needs is
/// implemented: managed objects in direct blocks ("FHDB") reached from a direct or indirect ("FHIB") root, without
/// I/O filters. Huge and tiny objects are reported as unsupported.
struct HDF5FractalHeap {
    let reader: HDF5Reader
    let address: Int
    let heapIDLength: Int
    let tableWidth: Int
    let startingBlockSize: Int
    let maxDirectBlockSize: Int
    let rootBlock: UInt64?
    let rootRows: Int
    let checksummedDirectBlocks: Bool
    /// Sizes of the offset and length fields of a managed object's heap ID, and of block offsets.
    let offsetBytes: Int
    let lengthBytes: Int

    init(reader: HDF5Reader, at address: UInt64?, from field: Int?) throws {
        self.reader = reader
        let src = reader.source
        let start = try reader.absolute(address, what: "a fractal heap", from: field)
        self.address = start
        try src.expectSignature("FRHP", at: start)
        var c = reader.cursor(at: start + 4, what: "fractal heap header")
        let version = try c.u8()
        guard version == 0 else {
            throw src.error(.unsupported, at: start + 4, expected: "fractal heap version 0", found: "version \(version)")
        }
        heapIDLength = try c.u16()
        let filterLength = try c.u16()
        let flags = try c.u8()
        let maxManagedSize = try c.u32()
        try c.skip(reader.lengthSize + reader.offsetSize)  // next huge ID, huge-object B-tree
        try c.skip(reader.lengthSize + reader.offsetSize)  // free space, free-space manager
        try c.skip(8 * reader.lengthSize)                   // managed/allocated/iterator/counts/huge/tiny sizes
        tableWidth = try c.u16()
        startingBlockSize = try c.length("fractal heap starting block size")
        maxDirectBlockSize = try c.length("fractal heap maximum direct block size")
        let maxHeapBits = try c.u16()
        try c.skip(2)  // starting rows in the root indirect block
        rootBlock = try c.address()
        rootRows = try c.u16()
        guard filterLength == 0 else {
            throw src.error(.unsupported, at: start, expected: "a fractal heap without I/O filters", found: "filters (\(filterLength) bytes)")
        }
        checksummedDirectBlocks = flags & 0x02 != 0
        func isPowerOfTwo(_ v: Int) -> Bool { v > 0 && v & (v - 1) == 0 }
        guard (1...65536).contains(tableWidth), isPowerOfTwo(startingBlockSize), isPowerOfTwo(maxDirectBlockSize),
              startingBlockSize <= maxDirectBlockSize, (1...64).contains(maxHeapBits), rootRows <= 64 else {
            throw src.error(.malformed, at: start, expected: "a plausible fractal heap doubling table",
                            found: "width \(tableWidth), blocks \(startingBlockSize)...\(maxDirectBlockSize), \(maxHeapBits) bits, \(rootRows) rows")
        }
        offsetBytes = (maxHeapBits + 7) / 8
        let directOffsetBytes = (Self.log2(maxDirectBlockSize) + 7) / 8
        lengthBytes = min(directOffsetBytes, Self.log2(max(1, maxManagedSize)) / 8 + 1)
    }

    static func log2(_ v: Int) -> Int { v <= 1 ? 0 : Int.bitWidth - 1 - v.leadingZeroBitCount }

    /// The size of the blocks in row `row` of the doubling table.
    func rowBlockSize(_ row: Int) -> Int {
        row == 0 ? startingBlockSize : startingBlockSize << min(row - 1, 40)
    }

    /// The number of rows whose blocks are direct.
    var maxDirectRows: Int { Self.log2(maxDirectBlockSize) - Self.log2(startingBlockSize) + 2 }

    /// The bytes of the managed object a heap ID names: absolute offset and length.
    func object(id: [UInt8], at field: Int) throws -> (offset: Int, length: Int) {
        let src = reader.source
        guard id.count >= 1 + offsetBytes + lengthBytes else {
            throw src.error(.malformed, at: field, expected: "a heap ID of \(1 + offsetBytes + lengthBytes) bytes", found: "\(id.count) bytes")
        }
        let type = (id[0] >> 4) & 3
        guard id[0] >> 6 == 0, type == 0 else {
            throw src.error(.unsupported, at: field, expected: "a managed fractal heap object", found: "heap ID type \(type)")
        }
        var offset = 0, length = 0
        for k in 0 ..< offsetBytes { offset |= Int(id[1 + k]) << (8 * k) }
        for k in 0 ..< lengthBytes { length |= Int(id[1 + offsetBytes + k]) << (8 * k) }
        var depth = 0
        var block = rootBlock
        var rows = rootRows
        var relative = offset
        var blockField = address
        var directSize = startingBlockSize
        // Descend through indirect blocks to the direct block that holds the offset.
        while true {
            depth += 1
            guard depth <= 16 else {
                throw src.error(.malformed, at: field, expected: "indirect blocks at most 16 deep", found: "deeper")
            }
            let start = try reader.absolute(block, what: "a fractal heap block", from: blockField)
            if rows == 0 {  // a direct block of the starting size (root) or the size its parent gave
                try src.expectSignature("FHDB", at: start)
                let size = directSize
                guard relative >= 0, length >= 0, relative <= size - length else {
                    throw src.error(.malformed, at: field, expected: "an object inside its \(size)-byte direct block",
                                    found: "offset \(relative), length \(length)")
                }
                try src.check(start + relative, length, "fractal heap object")
                return (start + relative, length)
            }
            try src.expectSignature("FHIB", at: start)
            var c = reader.cursor(at: start + 5 + reader.offsetSize + offsetBytes, what: "fractal heap indirect block")
            var position = 0
            var next: (UInt64?, Int, Int, Int)? = nil  // child address, rows, relative offset, field
            rowLoop: for row in 0 ..< rows {
                let size = rowBlockSize(row)
                for _ in 0 ..< tableWidth {
                    let entryField = c.pos
                    let child = try c.address()
                    if relative < position + size {
                        let childRows = row < maxDirectRows ? 0 : Self.log2(size) - Self.log2(startingBlockSize * tableWidth) + 1
                        next = (child, childRows, relative - position, entryField)
                        if row < maxDirectRows { directSize = size }
                        break rowLoop
                    }
                    position += size
                }
            }
            guard let (child, childRows, childRelative, childField) = next else {
                throw src.error(.malformed, at: field, expected: "a heap offset inside the heap", found: "offset \(offset)")
            }
            block = child
            rows = childRows
            relative = childRelative
            blockField = childField
        }
    }
}
