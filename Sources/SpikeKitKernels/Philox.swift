import SpikeKitFormats
import RealModule

/// Philox4x32-10 (Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2, 3"): a counter-based generator.
///
/// A draw is a pure function of a 64-bit key (the seed) and a 128-bit counter, so any element of a random stream
/// can be computed independently, in any order, on any thread: the same seed gives the same draws whatever the
/// thread count. SpikeKit addresses its draws through the counter by (purpose, iteration, sample) and the element
/// step · units + unit.
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

    /// Thirty-two consecutive blocks (counters `first ..< first + 32` in the first word) as two independent sets of
    /// sixteen, each as four lane vectors. The 32 × 32 → 64-bit products of the even and the odd lanes are taken
    /// separately on the 64-bit view of each 512-bit register (one `vpmuludq` each) and their high halves
    /// recombined with a shift and a mask, so no lane is widened or narrowed; the low halves are the 32-bit wrapping
    /// products, one `vpmulld` (the same bits, with fewer vector operations per round than recombining them too).
    /// A round is a chain of dependent multiplies and permutes; interleaving the two sets keeps the vector units
    /// busy while each waits on its own chain.
    ///
    /// That interleaving needs the sixteen words of state (32 vector registers with 256-bit vectors) in registers:
    /// builds for 16-register targets (AVX2) compute the two sets one after the other instead (`blocks16`; each
    /// SIMD16 word is two independent 256-bit chains already), which gives the same blocks without spilling.
    @inlinable
    public func blocks32(first: UInt32, _ c1: UInt32, _ c2: UInt32, _ c3: UInt32)
        -> (a: (SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>),
            b: (SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>)) {
        #if !SPIKEKIT_WIDE_REGISTERS
        return (blocks16(first: first, c1, c2, c3), blocks16(first: first &+ 16, c1, c2, c3))
        #else
        let lanes = SIMD16<UInt32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        var a0 = SIMD16<UInt32>(repeating: first) &+ lanes, b0 = SIMD16<UInt32>(repeating: first &+ 16) &+ lanes
        var a1 = SIMD16<UInt32>(repeating: c1), a2 = SIMD16<UInt32>(repeating: c2), a3 = SIMD16<UInt32>(repeating: c3)
        var b1 = a1, b2 = a2, b3 = a3
        var k0 = key.0, k1 = key.1
        let low = SIMD8<UInt64>(repeating: 0xFFFF_FFFF), high = SIMD8<UInt64>(repeating: 0xFFFF_FFFF_0000_0000)
        let m0 = SIMD8<UInt64>(repeating: 0xD251_1F53), m1 = SIMD8<UInt64>(repeating: 0xCD9E_8D57)
        let n0 = SIMD16<UInt32>(repeating: 0xD251_1F53), n1 = SIMD16<UInt32>(repeating: 0xCD9E_8D57)
        @inline(__always)
        func mulHiLo(_ x: SIMD16<UInt32>, _ m: SIMD8<UInt64>, _ m32: SIMD16<UInt32>) -> (hi: SIMD16<UInt32>, lo: SIMD16<UInt32>) {
            let w = unsafeBitCast(x, to: SIMD8<UInt64>.self)
            let even = (w & low) &* m, odd = (w &>> 32) &* m
            // The low halves are the 32-bit products themselves (one `vpmulld`, the same bits as recombining them).
            let hi = (even &>> 32) | (odd & high)
            let lo = x &* m32
            return (unsafeBitCast(hi, to: SIMD16<UInt32>.self), lo)
        }
        for _ in 0 ..< 10 {
            let pa0 = mulHiLo(a0, m0, n0), pa1 = mulHiLo(a2, m1, n1)
            let pb0 = mulHiLo(b0, m0, n0), pb1 = mulHiLo(b2, m1, n1)
            let kk0 = SIMD16<UInt32>(repeating: k0), kk1 = SIMD16<UInt32>(repeating: k1)
            a0 = pa1.hi ^ a1 ^ kk0
            a2 = pa0.hi ^ a3 ^ kk1
            a1 = pa1.lo
            a3 = pa0.lo
            b0 = pb1.hi ^ b1 ^ kk0
            b2 = pb0.hi ^ b3 ^ kk1
            b1 = pb1.lo
            b3 = pb0.lo
            k0 = k0 &+ 0x9E37_79B9
            k1 = k1 &+ 0xBB67_AE85
        }
        return ((a0, a1, a2, a3), (b0, b1, b2, b3))
        #endif
    }

    #if SPIKEKIT_WIDE_REGISTERS
    /// Sixty-four consecutive blocks as four independent sets of sixteen: `blocks32(first)` and `blocks32(first + 32)`
    /// with all four chains interleaved (AVX-512 builds: sixteen state registers of 32). The same blocks.
    @inlinable
    public func blocks64(first: UInt32, _ c1: UInt32, _ c2: UInt32, _ c3: UInt32)
        -> (SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>,
            SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>) {
        let lanes = SIMD16<UInt32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        var a0 = SIMD16<UInt32>(repeating: first) &+ lanes, b0 = SIMD16<UInt32>(repeating: first &+ 16) &+ lanes
        var e0 = SIMD16<UInt32>(repeating: first &+ 32) &+ lanes, d0 = SIMD16<UInt32>(repeating: first &+ 48) &+ lanes
        var a1 = SIMD16<UInt32>(repeating: c1), a2 = SIMD16<UInt32>(repeating: c2), a3 = SIMD16<UInt32>(repeating: c3)
        var b1 = a1, b2 = a2, b3 = a3, e1 = a1, e2 = a2, e3 = a3, d1 = a1, d2 = a2, d3 = a3
        var k0 = key.0, k1 = key.1
        let high = SIMD8<UInt64>(repeating: 0xFFFF_FFFF_0000_0000), low = SIMD8<UInt64>(repeating: 0xFFFF_FFFF)
        let m0 = SIMD8<UInt64>(repeating: 0xD251_1F53), m1 = SIMD8<UInt64>(repeating: 0xCD9E_8D57)
        let n0 = SIMD16<UInt32>(repeating: 0xD251_1F53), n1 = SIMD16<UInt32>(repeating: 0xCD9E_8D57)
        @inline(__always)
        func mulHi(_ x: SIMD16<UInt32>, _ m: SIMD8<UInt64>) -> SIMD16<UInt32> {
            let w = unsafeBitCast(x, to: SIMD8<UInt64>.self)
            let even = (w & low) &* m, odd = (w &>> 32) &* m
            return unsafeBitCast((even &>> 32) | (odd & high), to: SIMD16<UInt32>.self)
        }
        for _ in 0 ..< 10 {
            let kk0 = SIMD16<UInt32>(repeating: k0), kk1 = SIMD16<UInt32>(repeating: k1)
            let ha0 = mulHi(a0, m0), ha2 = mulHi(a2, m1), hb0 = mulHi(b0, m0), hb2 = mulHi(b2, m1)
            let he0 = mulHi(e0, m0), he2 = mulHi(e2, m1), hd0 = mulHi(d0, m0), hd2 = mulHi(d2, m1)
            let la0 = a0 &* n0, la2 = a2 &* n1, lb0 = b0 &* n0, lb2 = b2 &* n1
            let le0 = e0 &* n0, le2 = e2 &* n1, ld0 = d0 &* n0, ld2 = d2 &* n1
            a0 = ha2 ^ a1 ^ kk0; a2 = ha0 ^ a3 ^ kk1; a1 = la2; a3 = la0
            b0 = hb2 ^ b1 ^ kk0; b2 = hb0 ^ b3 ^ kk1; b1 = lb2; b3 = lb0
            e0 = he2 ^ e1 ^ kk0; e2 = he0 ^ e3 ^ kk1; e1 = le2; e3 = le0
            d0 = hd2 ^ d1 ^ kk0; d2 = hd0 ^ d3 ^ kk1; d1 = ld2; d3 = ld0
            k0 = k0 &+ 0x9E37_79B9
            k1 = k1 &+ 0xBB67_AE85
        }
        return (a0, a1, a2, a3, b0, b1, b2, b3, e0, e1, e2, e3, d0, d1, d2, d3)
    }
    #endif

    /// Sixteen consecutive blocks (counters `first ..< first + 16` in the first word) as four lane vectors: one
    /// set of `blocks32`.
    @inlinable @inline(__always)
    public func blocks16(first: UInt32, _ c1: UInt32, _ c2: UInt32, _ c3: UInt32)
        -> (SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>) {
        let lanes = SIMD16<UInt32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        var a0 = SIMD16<UInt32>(repeating: first) &+ lanes
        var a1 = SIMD16<UInt32>(repeating: c1), a2 = SIMD16<UInt32>(repeating: c2), a3 = SIMD16<UInt32>(repeating: c3)
        var k0 = key.0, k1 = key.1
        let low = SIMD8<UInt64>(repeating: 0xFFFF_FFFF), high = SIMD8<UInt64>(repeating: 0xFFFF_FFFF_0000_0000)
        let m0 = SIMD8<UInt64>(repeating: 0xD251_1F53), m1 = SIMD8<UInt64>(repeating: 0xCD9E_8D57)
        for _ in 0 ..< 10 {
            let w0 = unsafeBitCast(a0, to: SIMD8<UInt64>.self), w2 = unsafeBitCast(a2, to: SIMD8<UInt64>.self)
            let e0 = (w0 & low) &* m0, o0 = (w0 &>> 32) &* m0
            let e2 = (w2 & low) &* m1, o2 = (w2 &>> 32) &* m1
            let kk0 = SIMD16<UInt32>(repeating: k0), kk1 = SIMD16<UInt32>(repeating: k1)
            a0 = unsafeBitCast((e2 &>> 32) | (o2 & high), to: SIMD16<UInt32>.self) ^ a1 ^ kk0
            a1 = unsafeBitCast((e2 & low) | (o2 &<< 32), to: SIMD16<UInt32>.self)
            a2 = unsafeBitCast((e0 &>> 32) | (o0 & high), to: SIMD16<UInt32>.self) ^ a3 ^ kk1
            a3 = unsafeBitCast((e0 & low) | (o0 &<< 32), to: SIMD16<UInt32>.self)
            k0 = k0 &+ 0x9E37_79B9
            k1 = k1 &+ 0xBB67_AE85
        }
        return (a0, a1, a2, a3)
    }

    /// Fills `buffer` with elements `firstElement ..< firstElement + buffer.count` of the stream of uniform floats
    /// in [0, 1) addressed by (`stream`, `a`, `b`, `c`). Values come in chunks of 32 from eight consecutive blocks:
    /// element `i` is output lane `(i % 32) / 8` of the block with counter `(8 · (i / 32) + i % 8, c, b,
    /// a ^ stream << 24)`. Element i therefore depends neither on the buffer's length nor on where a fill starts,
    /// which must be a multiple of 128. Four chunks are computed at once (`blocks32`), each as four contiguous
    /// vector stores.
    @inlinable
    public func fillUniform(_ buffer: UnsafeMutableBufferPointer<Float>, stream: UInt32, a: UInt32, b: UInt32, c: UInt32,
                            firstElement: Int = 0) {
        precondition(firstElement >= 0 && firstElement % 128 == 0, "fills start at a multiple of 128")
        let n = buffer.count
        guard n > 0, let base = buffer.baseAddress else { return }
        let hi = a ^ (stream << 24)
        var i = 0
        var blockIndex = UInt32(truncatingIfNeeded: firstElement / 4)
        let raw = UnsafeMutableRawPointer(base)
        #if SPIKEKIT_WIDE_REGISTERS
        while i + 256 <= n {
            let r = blocks64(first: blockIndex, c, b, hi)
            let v = (Philox.chunkPair(r.0, r.1), Philox.chunkPair(r.2, r.3), Philox.chunkPair(r.0, r.1, high: true),
                     Philox.chunkPair(r.2, r.3, high: true), Philox.chunkPair(r.4, r.5), Philox.chunkPair(r.6, r.7),
                     Philox.chunkPair(r.4, r.5, high: true), Philox.chunkPair(r.6, r.7, high: true))
            let u = (Philox.chunkPair(r.8, r.9), Philox.chunkPair(r.10, r.11), Philox.chunkPair(r.8, r.9, high: true),
                     Philox.chunkPair(r.10, r.11, high: true), Philox.chunkPair(r.12, r.13), Philox.chunkPair(r.14, r.15),
                     Philox.chunkPair(r.12, r.13, high: true), Philox.chunkPair(r.14, r.15, high: true))
            (raw + 4 * i).storeBytes(of: v, as: (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>,
                                                 SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>).self)
            (raw + 4 * (i + 128)).storeBytes(of: u, as: (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>,
                                                         SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>).self)
            i += 256
            blockIndex &+= 64
        }
        #endif
        while i < n {
            let (x, y) = blocks32(first: blockIndex, c, b, hi)
            // Chunk order: lanes 0-7 of the four words (blocks 0-7), then lanes 8-15 (blocks 8-15), for each set.
            let v = (Philox.chunkPair(x.0, x.1), Philox.chunkPair(x.2, x.3), Philox.chunkPair(x.0, x.1, high: true),
                     Philox.chunkPair(x.2, x.3, high: true), Philox.chunkPair(y.0, y.1), Philox.chunkPair(y.2, y.3),
                     Philox.chunkPair(y.0, y.1, high: true), Philox.chunkPair(y.2, y.3, high: true))
            if i + 128 <= n {
                raw.storeBytes(of: v.0, toByteOffset: 4 * i, as: SIMD16<Float>.self)
                raw.storeBytes(of: v.1, toByteOffset: 4 * (i + 16), as: SIMD16<Float>.self)
                raw.storeBytes(of: v.2, toByteOffset: 4 * (i + 32), as: SIMD16<Float>.self)
                raw.storeBytes(of: v.3, toByteOffset: 4 * (i + 48), as: SIMD16<Float>.self)
                raw.storeBytes(of: v.4, toByteOffset: 4 * (i + 64), as: SIMD16<Float>.self)
                raw.storeBytes(of: v.5, toByteOffset: 4 * (i + 80), as: SIMD16<Float>.self)
                raw.storeBytes(of: v.6, toByteOffset: 4 * (i + 96), as: SIMD16<Float>.self)
                raw.storeBytes(of: v.7, toByteOffset: 4 * (i + 112), as: SIMD16<Float>.self)
            } else {
                // The last, partial chunk: whole vectors while they fit, then the lanes of one more.
                withUnsafeBytes(of: v) { chunk in
                    var at = i
                    while at + 16 <= n {
                        raw.storeBytes(of: chunk.load(fromByteOffset: 4 * (at - i), as: SIMD16<Float>.self),
                                       toByteOffset: 4 * at, as: SIMD16<Float>.self)
                        at += 16
                    }
                    while at < n {
                        base[at] = chunk.load(fromByteOffset: 4 * (at - i), as: Float.self)
                        at += 1
                    }
                }
            }
            i += 128
            blockIndex &+= 32
        }
    }

    /// Sixteen uniforms from two words of eight blocks: lanes 0-7 (or 8-15 with `high`) of `p`, then of `q`, as
    /// floats in [0, 1) from their top 24 bits. A 24-bit integer converts to Float exactly, so `Float(bits >> 8)
    /// · 2⁻²⁴` is `unitFloat`'s value.
    @inlinable @inline(__always)
    package static func chunkPair(_ p: SIMD16<UInt32>, _ q: SIMD16<UInt32>, high: Bool = false) -> SIMD16<Float> {
        let bits = high ? SIMD16(lowHalf: p.highHalf, highHalf: q.highHalf) : SIMD16(lowHalf: p.lowHalf, highHalf: q.lowHalf)
        return SIMDMath.float(unsafeBitCast(bits &>> 8, to: SIMD16<Int32>.self)) * SIMD16<Float>(repeating: 1.0 / 16_777_216.0)
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
