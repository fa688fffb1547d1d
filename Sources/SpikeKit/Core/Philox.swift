import RealModule

/// Philox4x32-10 (Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2, 3"): a counter-based generator.
///
/// A draw is a pure function of a 64-bit key (the seed) and a 128-bit counter, so any element of a random stream
/// can be computed independently, in any order, on any thread: the same seed gives the same draws whatever the
/// thread count. SpikeKit addresses its draws by (purpose, iteration, sample, step, unit) through the counter.
public struct Philox: Sendable, Equatable {
    public let key: (UInt32, UInt32)

    public static func == (a: Philox, b: Philox) -> Bool { a.key == b.key }

    /// A generator keyed by `seed`.
    public init(seed: UInt64) {
        key = (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32))
    }

    /// The four 32-bit outputs for a counter.
    @inlinable
    public func block(_ c0: UInt32, _ c1: UInt32, _ c2: UInt32, _ c3: UInt32) -> SIMD4<UInt32> {
        var x0 = c0, x1 = c1, x2 = c2, x3 = c3
        var k0 = key.0, k1 = key.1
        for _ in 0 ..< 10 {
            let p0 = UInt64(0xD251_1F53) &* UInt64(x0)
            let p1 = UInt64(0xCD9E_8D57) &* UInt64(x2)
            let y0 = UInt32(truncatingIfNeeded: p1 >> 32) ^ x1 ^ k0
            let y1 = UInt32(truncatingIfNeeded: p1)
            let y2 = UInt32(truncatingIfNeeded: p0 >> 32) ^ x3 ^ k1
            let y3 = UInt32(truncatingIfNeeded: p0)
            x0 = y0; x1 = y1; x2 = y2; x3 = y3
            k0 = k0 &+ 0x9E37_79B9
            k1 = k1 &+ 0xBB67_AE85
        }
        return SIMD4(x0, x1, x2, x3)
    }

    /// A uniform Float in [0, 1) from 32 random bits (the top 24 bits, so every value is exact).
    @inlinable
    public static func unitFloat(_ bits: UInt32) -> Float {
        Float(bits >> 8) * (1.0 / 16_777_216.0)
    }

    /// A uniform Double in [0, 1) from 64 random bits (the top 53 bits).
    @inlinable
    public static func unitDouble(_ hi: UInt32, _ lo: UInt32) -> Double {
        Double((UInt64(hi) << 32 | UInt64(lo)) >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Eight consecutive blocks at once (counters `first ..< first + 8` in the first word), as four lane vectors.
    /// Eight 64-bit products fill one 512-bit register, which the compiler maps to native vector multiplies.
    @inlinable
    public func blocks8(first: UInt32, _ c1: UInt32, _ c2: UInt32, _ c3: UInt32)
        -> (SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>) {
        var x0 = SIMD8<UInt32>(repeating: first) &+ SIMD8<UInt32>(0, 1, 2, 3, 4, 5, 6, 7)
        var x1 = SIMD8<UInt32>(repeating: c1), x2 = SIMD8<UInt32>(repeating: c2), x3 = SIMD8<UInt32>(repeating: c3)
        var k0 = key.0, k1 = key.1
        let m0 = SIMD8<UInt64>(repeating: 0xD251_1F53), m1 = SIMD8<UInt64>(repeating: 0xCD9E_8D57)
        for _ in 0 ..< 10 {
            var w0 = SIMD8<UInt64>(), w2 = SIMD8<UInt64>()
            for l in 0 ..< 8 {
                w0[l] = UInt64(x0[l])
                w2[l] = UInt64(x2[l])
            }
            let p0 = w0 &* m0, p1 = w2 &* m1
            var h0 = SIMD8<UInt32>(), l0 = SIMD8<UInt32>(), h1 = SIMD8<UInt32>(), l1 = SIMD8<UInt32>()
            for l in 0 ..< 8 {
                h0[l] = UInt32(truncatingIfNeeded: p0[l] >> 32)
                l0[l] = UInt32(truncatingIfNeeded: p0[l])
                h1[l] = UInt32(truncatingIfNeeded: p1[l] >> 32)
                l1[l] = UInt32(truncatingIfNeeded: p1[l])
            }
            let y0 = h1 ^ x1 ^ SIMD8(repeating: k0)
            let y2 = h0 ^ x3 ^ SIMD8(repeating: k1)
            x0 = y0; x1 = l1; x2 = y2; x3 = l0
            k0 = k0 &+ 0x9E37_79B9
            k1 = k1 &+ 0xBB67_AE85
        }
        return (x0, x1, x2, x3)
    }

    /// Fills `buffer` with uniform floats in [0, 1) for the stream addressed by (`stream`, `a`, `b`, `c`). Values
    /// come in chunks of 32 from eight consecutive blocks: element `i` is output lane `(i % 32) / 8` of the block
    /// with counter `(8 · (i / 32) + i % 8, c, b, a ^ stream << 24)`. Element i therefore does not depend on the
    /// buffer's length, and each chunk is four contiguous vector stores.
    @inlinable
    public func fillUniform(_ buffer: UnsafeMutableBufferPointer<Float>, stream: UInt32, a: UInt32, b: UInt32, c: UInt32) {
        let n = buffer.count
        guard n > 0, let base = buffer.baseAddress else { return }
        let hi = a ^ (stream << 24)
        var i = 0
        var blockIndex: UInt32 = 0
        let scale = SIMD8<Float>(repeating: 1.0 / 16_777_216.0)
        let raw = UnsafeMutableRawPointer(base)
        while i < n {
            let (r0, r1, r2, r3) = blocks8(first: blockIndex, c, b, hi)
            let f0 = SIMD8<Float>(r0 &>> 8) * scale, f1 = SIMD8<Float>(r1 &>> 8) * scale
            let f2 = SIMD8<Float>(r2 &>> 8) * scale, f3 = SIMD8<Float>(r3 &>> 8) * scale
            if i + 32 <= n {
                raw.storeBytes(of: f0, toByteOffset: 4 * i, as: SIMD8<Float>.self)
                raw.storeBytes(of: f1, toByteOffset: 4 * (i + 8), as: SIMD8<Float>.self)
                raw.storeBytes(of: f2, toByteOffset: 4 * (i + 16), as: SIMD8<Float>.self)
                raw.storeBytes(of: f3, toByteOffset: 4 * (i + 24), as: SIMD8<Float>.self)
            } else {
                for k in 0 ..< n - i {
                    let v: SIMD8<Float> = k < 8 ? f0 : k < 16 ? f1 : k < 24 ? f2 : f3
                    buffer[i + k] = v[k % 8]
                }
            }
            i += 32
            blockIndex &+= 8
        }
    }
}

/// A sequential random number generator on top of Philox, for code that draws numbers one after another
/// (initialization, data generation, shuffling). Conforms to `RandomNumberGenerator`, so it works with the
/// standard library's `Int.random(in:using:)` and `shuffle(using:)`.
public struct PhiloxGenerator: RandomNumberGenerator, Sendable {
    private let philox: Philox
    private var counter: UInt64 = 0
    private let stream: UInt64
    private var buffered: SIMD4<UInt32> = .zero
    private var available = 0

    /// A generator for `seed` and an independent `stream` (different streams never share counters).
    public init(seed: UInt64, stream: UInt64 = 0) {
        philox = Philox(seed: seed)
        self.stream = stream
    }

    public mutating func next() -> UInt64 {
        let hi = UInt64(next32())
        return hi << 32 | UInt64(next32())
    }

    /// The next 32 random bits.
    public mutating func next32() -> UInt32 {
        if available == 0 {
            buffered = philox.block(UInt32(truncatingIfNeeded: counter), UInt32(truncatingIfNeeded: counter >> 32),
                                    UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32) | 0x8000_0000)
            counter &+= 1
            available = 4
        }
        available -= 1
        return buffered[3 - available]
    }

    /// A uniform Double in [0, 1).
    public mutating func uniform() -> Double {
        Philox.unitDouble(next32(), next32())
    }

    /// A standard normal draw (Box-Muller).
    public mutating func normal() -> Double {
        var u1 = uniform()
        while u1 <= 0 { u1 = uniform() }
        let u2 = uniform()
        return (-2 * Double.log(u1)).squareRoot() * Double.cos(2 * Double.pi * u2)
    }
}
