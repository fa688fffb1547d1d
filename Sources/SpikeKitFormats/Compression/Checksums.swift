/// CRC-32 as used by gzip, PNG and zip (IEEE 802.3 polynomial, reflected, 0xEDB88320; initial value and final
/// XOR 0xFFFFFFFF). Table-driven, one byte per step.
///
/// `checksum(_:initial:)` can be chained: the CRC of `a + b` is `checksum(b, initial: checksum(a))`.
public enum CRC32 {
    /// The 256-entry table of the reflected polynomial.
    static let table: [UInt32] = (0 ..< 256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0 ..< 8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// The CRC-32 of `bytes`, continuing from the CRC `initial` of the bytes before them (0 for none).
    /// The check value of the ASCII string "123456789" is 0xCBF43926.
    public static func checksum(_ bytes: some Sequence<UInt8>, initial: UInt32 = 0) -> UInt32 {
        let done: UInt32? = bytes.withContiguousStorageIfAvailable { update(initial, $0) }
        if let done { return done }
        return Array(bytes).withUnsafeBufferPointer { update(initial, $0) }
    }

    /// The CRC-32 of a contiguous buffer, continuing from `initial`.
    public static func checksum(_ bytes: UnsafeBufferPointer<UInt8>, initial: UInt32 = 0) -> UInt32 {
        update(initial, bytes)
    }

    private static func update(_ initial: UInt32, _ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        table.withUnsafeBufferPointer { t in
            var c = ~initial
            for b in bytes { c = t[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
            return ~c
        }
    }
}

/// Adler-32 (RFC 1950), the checksum of zlib streams: two sums modulo 65521, `b << 16 | a`, starting at a = 1.
///
/// `checksum(_:initial:)` can be chained like `CRC32.checksum`; the checksum of no bytes is 1.
public enum Adler32 {
    private static let modulus: UInt32 = 65521
    /// The largest number of bytes that can be summed before the 32-bit sums must be reduced.
    private static let nmax = 5552

    /// The Adler-32 of `bytes`, continuing from the checksum `initial` of the bytes before them (1 for none).
    public static func checksum(_ bytes: some Sequence<UInt8>, initial: UInt32 = 1) -> UInt32 {
        let done: UInt32? = bytes.withContiguousStorageIfAvailable { checksum($0, initial: initial) }
        if let done { return done }
        return Array(bytes).withUnsafeBufferPointer { checksum($0, initial: initial) }
    }

    /// The Adler-32 of a contiguous buffer, continuing from `initial`.
    public static func checksum(_ bytes: UnsafeBufferPointer<UInt8>, initial: UInt32 = 1) -> UInt32 {
        var a = initial & 0xFFFF, b = initial >> 16
        var i = 0
        let n = bytes.count
        while i < n {
            let end = min(n, i + nmax)
            while i < end {
                a &+= UInt32(bytes[i])
                b &+= a
                i += 1
            }
            a %= modulus
            b %= modulus
        }
        return b << 16 | a
    }
}
