/// Undoes a chunk's filter pipeline: deflate (zlib, via `Inflate`), shuffle and Fletcher-32. The filters are
/// applied in reverse order of the pipeline; a filter whose bit is set in the chunk's mask was skipped on write.
extension HDF5Reader {
    func unfilter(_ chunk: [UInt8], filters: [HDF5Filter], mask: UInt32, expectedSize: Int, at offset: Int) throws -> [UInt8] {
        var data = chunk
        let checksummed = filters.contains { $0.id == HDF5Filter.fletcher32 }
        for (index, filter) in filters.enumerated().reversed() {
            if index < 32, mask & (1 << UInt32(index)) != 0 { continue }
            switch filter.id {
            case HDF5Filter.deflate:
                do {
                    data = try Inflate.zlib(data, expectedSize: checksummed ? nil : expectedSize)
                } catch {
                    throw source.error(.malformed, at: offset, expected: "a deflate-compressed chunk", found: "\(error)")
                }
            case HDF5Filter.shuffle:
                let size = Int(filter.clientData.first ?? 1)
                if size > 1 { data = Self.unshuffle(data, elementSize: size) }
            case HDF5Filter.fletcher32:
                guard data.count >= 4 else {
                    throw source.error(.malformed, at: offset, expected: "a Fletcher-32 checksum at the end of the chunk", found: "\(data.count) bytes")
                }
                data.removeLast(4)
            default:
                if filter.optional { continue }
                throw source.error(.unsupported, at: offset, expected: "filters deflate (1), shuffle (2) or fletcher32 (3)",
                                   found: "filter id \(filter.id)")
            }
        }
        return data
    }

    /// Reverses the shuffle filter: byte j of element i was stored at position j * count + i.
    static func unshuffle(_ data: [UInt8], elementSize: Int) -> [UInt8] {
        let count = data.count / elementSize
        guard count > 1 else { return data }
        var out = data  // a tail shorter than one element is left as is
        data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for j in 0 ..< elementSize {
                    let plane = j * count
                    for i in 0 ..< count { dst[i * elementSize + j] = src[plane + i] }
                }
            }
        }
        return out
    }
}

/// Whole-file gzip (the `.h5.gz` distribution form).
extension HDF5File {
    /// Whether `bytes` start with the gzip magic number 1f 8b.
    static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    static func gunzip(_ bytes: [UInt8], name: String) throws -> [UInt8] {
        do {
            return try Inflate.gzip(bytes)
        } catch {
            throw HDF5Error(.malformed, file: name, offset: nil, expected: "a valid gzip stream", found: "\(error)")
        }
    }
}
