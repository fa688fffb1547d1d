/// New-style groups (h5py `libver="latest"`): Link Info (0x0002) plus Link messages (0x0006) in the header.
/// Dense storage (fractal heap + version 2 B-tree, used above 8 links by default) is not implemented and is
/// reported as unsupported.
extension HDF5Reader {
    /// The hard links of a compact-storage group: (name, object header address), in header order.
    func linkMembers(_ header: HDF5ObjectHeader) throws -> [(String, UInt64)] {
        if let info = header.first(HDF5Message.linkInfo) {
            var c = cursor(at: info.offset, end: info.offset + info.size, what: "link info message")
            try c.skip(1)
            let flags = try c.u8()
            if flags & 1 != 0 { try c.skip(8) }
            let heapField = c.pos
            if try c.address() != nil {
                throw source.error(.unsupported, at: heapField, expected: "compact link storage (links in the object header)",
                                   found: "dense link storage (fractal heap), which this reader does not implement")
            }
        }
        var members: [(String, UInt64)] = []
        for message in header.all(HDF5Message.link) {
            var c = cursor(at: message.offset, end: message.offset + message.size, what: "link message")
            let version = try c.u8()
            guard version == 1 else {
                throw source.error(.unsupported, at: message.offset, expected: "link message version 1", found: "version \(version)")
            }
            let flags = try c.u8()
            let linkType = flags & 0x08 != 0 ? try c.u8() : 0
            if flags & 0x04 != 0 { try c.skip(8) }
            if flags & 0x10 != 0 { try c.skip(1) }
            let nameLength = Int(clamping: try c.uint(1 << Int(flags & 3)))
            let name = String(decoding: try c.bytes(nameLength), as: UTF8.self)
            guard linkType == 0 else { continue }  // soft and external links are not followed
            let addressField = c.pos
            guard let address = try c.address() else {
                throw source.error(.malformed, at: addressField, expected: "a hard link address", found: "the undefined address")
            }
            members.append((name, address))
        }
        return members
    }
}
