/// New-style groups (h5py `libver="latest"`): Link Info (0x0002) plus Link messages (0x0006) in the header
/// (compact storage), or link messages in a fractal heap indexed by a version 2 B-tree (dense storage, used above
/// 8 links by default).
extension HDF5Reader {
    /// The hard links of a new-style group: (name, object header address); dense links in name-hash order, then
    /// compact links in header order.
    func linkMembers(_ header: HDF5ObjectHeader) throws -> [(String, UInt64)] {
        var members: [(String, UInt64)] = []
        if let info = header.first(HDF5Message.linkInfo) {
            var c = cursor(at: info.offset, end: info.offset + info.size, what: "link info message")
            try c.skip(1)
            let flags = try c.u8()
            if flags & 1 != 0 { try c.skip(8) }
            let heapField = c.pos
            let heapAddress = try c.address()
            let treeField = c.pos
            let tree = try c.address()
            if heapAddress != nil {
                // Dense storage: the name index (v2 B-tree type 5) holds (hash u32, heap ID) records.
                let heap = try HDF5FractalHeap(reader: self, at: heapAddress, from: heapField)
                for record in try v2BTreeRecords(at: tree, from: treeField) {
                    guard record.count >= 4 + heap.heapIDLength else {
                        throw source.error(.malformed, at: treeField, expected: "link name records of \(4 + heap.heapIDLength) bytes",
                                           found: "\(record.count) bytes")
                    }
                    let object = try heap.object(id: Array(record[4 ..< 4 + heap.heapIDLength]), at: treeField)
                    if let link = try link(at: object.offset, size: object.length) { members.append(link) }
                }
            }
        }
        for message in header.all(HDF5Message.link) {
            if let link = try link(at: message.offset, size: message.size) { members.append(link) }
        }
        return members
    }

    /// A link message: (name, object header address) for a hard link, `nil` for soft and external links.
    private func link(at offset: Int, size: Int) throws -> (String, UInt64)? {
        var c = cursor(at: offset, end: offset + size, what: "link message")
        let version = try c.u8()
        guard version == 1 else {
            throw source.error(.unsupported, at: offset, expected: "link message version 1", found: "version \(version)")
        }
        let flags = try c.u8()
        let linkType = flags & 0x08 != 0 ? try c.u8() : 0
        if flags & 0x04 != 0 { try c.skip(8) }
        if flags & 0x10 != 0 { try c.skip(1) }
        let nameLength = Int(clamping: try c.uint(1 << Int(flags & 3)))
        let name = String(decoding: try c.bytes(nameLength), as: UTF8.self)
        guard linkType == 0 else { return nil }  // soft and external links are not followed
        let addressField = c.pos
        guard let address = try c.address() else {
            throw source.error(.malformed, at: addressField, expected: "a hard link address", found: "the undefined address")
        }
        return (name, address)
    }
}
