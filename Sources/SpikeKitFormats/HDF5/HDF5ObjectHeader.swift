/// One header message: its type, flags and where its data lies in the file.
struct HDF5Message: Sendable {
    /// Message types this reader interprets.
    static let dataspace = 0x0001, linkInfo = 0x0002, datatype = 0x0003, fillValueOld = 0x0004, fillValue = 0x0005,
        link = 0x0006, layout = 0x0008, groupInfo = 0x000A, filterPipeline = 0x000B, continuation = 0x0010,
        symbolTable = 0x0011

    let type: Int
    let flags: UInt8
    /// Absolute offset of the message data.
    let offset: Int
    let size: Int

    /// Whether the message is stored in the shared-message heap or another object (flags bit 1).
    var isShared: Bool { flags & 0x02 != 0 }
}

/// An object header (version 1, or version 2 "OHDR"), flattened over its continuation blocks.
struct HDF5ObjectHeader: Sendable {
    let address: Int
    let messages: [HDF5Message]

    func first(_ type: Int) -> HDF5Message? { messages.first { $0.type == type } }
    func all(_ type: Int) -> [HDF5Message] { messages.filter { $0.type == type } }
}

extension HDF5Reader {
    /// Limits that keep hostile files from making the reader loop for long.
    static let maxHeaderBlocks = 4096

    /// Parses the object header at a base-relative address, following continuation blocks (each at most once).
    func objectHeader(at address: UInt64?, from field: Int?) throws -> HDF5ObjectHeader {
        let start = try absolute(address, what: "an object header", from: field)
        if source.hasSignature("OHDR", at: start) { return try objectHeaderV2(start) }
        return try objectHeaderV1(start)
    }

    private func objectHeaderV1(_ start: Int) throws -> HDF5ObjectHeader {
        var c = cursor(at: start, what: "object header")
        let version = Int(try c.u8())
        guard version == 1 else {
            throw source.error(.malformed, at: start, expected: "object header version 1 or the signature \"OHDR\"",
                               found: "version byte \(version)")
        }
        try c.skip(1)
        let count = try c.u16()
        try c.skip(4)  // reference count
        let size = try c.u32()
        var queue = [(start + 16, size)]
        var visited: Set<Int> = [start + 16]
        var messages: [HDF5Message] = []
        var blocks = 0
        while !queue.isEmpty, messages.count < count {
            let (blockStart, blockSize) = queue.removeFirst()
            blocks += 1
            guard blocks <= Self.maxHeaderBlocks else {
                throw source.error(.malformed, at: blockStart, expected: "at most \(Self.maxHeaderBlocks) header blocks", found: "more")
            }
            try source.check(blockStart, blockSize, "object header block")
            var m = cursor(at: blockStart, end: blockStart + blockSize, what: "object header block")
            while m.remaining >= 8, messages.count < count {
                let type = try m.u16(), msgSize = try m.u16()
                let flags = try m.u8()
                try m.skip(3)
                try m.need(msgSize)
                let message = HDF5Message(type: type, flags: flags, offset: m.pos, size: msgSize)
                messages.append(message)
                if type == HDF5Message.continuation {
                    let (next, length) = try continuation(message)
                    if visited.insert(next).inserted { queue.append((next, length)) }
                }
                try m.skip(msgSize)
            }
        }
        return HDF5ObjectHeader(address: start, messages: messages)
    }

    private func objectHeaderV2(_ start: Int) throws -> HDF5ObjectHeader {
        var c = cursor(at: start + 4, what: "object header")
        let version = Int(try c.u8())
        guard version == 2 else {
            throw source.error(.unsupported, at: start + 4, expected: "OHDR version 2", found: "version \(version)")
        }
        let flags = try c.u8()
        if flags & 0x20 != 0 { try c.skip(16) }
        if flags & 0x10 != 0 { try c.skip(4) }
        let chunkSize = Int(clamping: try c.uint(1 << Int(flags & 3)))
        let dataStart = c.pos
        try source.check(dataStart, chunkSize, "object header chunk")
        try verifyChecksum(from: start, to: dataStart + chunkSize)
        var queue = [(dataStart, chunkSize)]
        var visited: Set<Int> = [start]
        var messages: [HDF5Message] = []
        let headerBytes = flags & 0x04 != 0 ? 6 : 4
        var blocks = 0
        while !queue.isEmpty {
            let (blockStart, blockSize) = queue.removeFirst()
            blocks += 1
            guard blocks <= Self.maxHeaderBlocks else {
                throw source.error(.malformed, at: blockStart, expected: "at most \(Self.maxHeaderBlocks) header blocks", found: "more")
            }
            var m = cursor(at: blockStart, end: blockStart + blockSize, what: "object header chunk")
            while m.remaining >= headerBytes {  // a shorter tail is a gap
                let type = Int(try m.u8())
                let msgSize = try m.u16()
                let msgFlags = try m.u8()
                if headerBytes == 6 { try m.skip(2) }
                try m.need(msgSize)
                let message = HDF5Message(type: type, flags: msgFlags, offset: m.pos, size: msgSize)
                messages.append(message)
                if type == HDF5Message.continuation {
                    let (next, length) = try continuation(message)
                    if visited.insert(next).inserted {
                        try source.expectSignature("OCHK", at: next)
                        guard length >= 8 else {
                            throw source.error(.malformed, at: message.offset, expected: "a continuation block of at least 8 bytes",
                                               found: "\(length) bytes")
                        }
                        try verifyChecksum(from: next, to: next + length - 4)
                        queue.append((next + 4, length - 8))
                    }
                }
                try m.skip(msgSize)
            }
        }
        return HDF5ObjectHeader(address: start, messages: messages)
    }

    /// The block a continuation message points at: absolute offset and length, checked against the file.
    private func continuation(_ message: HDF5Message) throws -> (Int, Int) {
        var c = cursor(at: message.offset, end: message.offset + message.size, what: "continuation message")
        let address = try c.address()
        let length = try c.length("continuation length")
        let start = try absolute(address, what: "an object header continuation block", from: message.offset)
        try source.check(start, length, "object header continuation block")
        return (start, length)
    }

    /// Checks the lookup3 checksum stored right after `[from, to)`.
    func verifyChecksum(from: Int, to: Int) throws {
        try source.check(from, to - from + 4, "checksummed metadata")
        let stored = UInt32(try source.uint(to, size: 4))
        let computed = HDF5Checksum.lookup3(source.bytes[from ..< to])
        guard stored == computed else {
            throw source.error(.malformed, at: to, expected: "metadata checksum \(computed)", found: "\(stored)")
        }
    }
}
