/// Bob Jenkins' lookup3 `hashlittle` with initial value 0: the checksum HDF5 stores after version 2+ metadata
/// (superblock v2/v3, "OHDR"/"OCHK" object header chunks).
enum HDF5Checksum {
    static func lookup3<C: Collection>(_ data: C) -> UInt32 where C.Element == UInt8, C.Index == Int {
        var a: UInt32 = 0xDEAD_BEEF &+ UInt32(truncatingIfNeeded: data.count)
        var b = a, c = a
        @inline(__always) func rot(_ x: UInt32, _ k: UInt32) -> UInt32 { (x << k) | (x >> (32 - k)) }
        var i = data.startIndex
        var length = data.count
        @inline(__always) func word(_ at: Int, _ n: Int) -> UInt32 {
            var v: UInt32 = 0
            for k in 0 ..< n { v |= UInt32(data[at + k]) << UInt32(8 * k) }
            return v
        }
        while length > 12 {
            a &+= word(i, 4); b &+= word(i + 4, 4); c &+= word(i + 8, 4)
            a &-= c; a ^= rot(c, 4); c &+= b
            b &-= a; b ^= rot(a, 6); a &+= c
            c &-= b; c ^= rot(b, 8); b &+= a
            a &-= c; a ^= rot(c, 16); c &+= b
            b &-= a; b ^= rot(a, 19); a &+= c
            c &-= b; c ^= rot(b, 4); b &+= a
            length -= 12
            i += 12
        }
        if length == 0 { return c }
        // The last 1...12 bytes, zero-padded.
        a &+= word(i, min(length, 4))
        if length > 4 { b &+= word(i + 4, min(length - 4, 4)) }
        if length > 8 { c &+= word(i + 8, length - 8) }
        c ^= b; c &-= rot(b, 14)
        a ^= c; a &-= rot(c, 11)
        b ^= a; b &-= rot(a, 25)
        c ^= b; c &-= rot(b, 16)
        a ^= c; a &-= rot(c, 4)
        b ^= a; b &-= rot(a, 14)
        c ^= b; c &-= rot(b, 24)
        return c
    }
}
