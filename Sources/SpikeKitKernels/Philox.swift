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
        var a = Philox.words(first: first, c1, c2, c3), b = Philox.words(first: first &+ 16, c1, c2, c3)
        var k0 = key.0, k1 = key.1
        for _ in 0 ..< 10 {
            let kk0 = SIMD16<UInt32>(repeating: k0), kk1 = SIMD16<UInt32>(repeating: k1)
            Philox.wideRound(&a, kk0, kk1)
            Philox.wideRound(&b, kk0, kk1)
            k0 = k0 &+ 0x9E37_79B9
            k1 = k1 &+ 0xBB67_AE85
        }
        return (a, b)
        #endif
    }

    /// Sixteen blocks' state as four lane vectors.
    public typealias Words = (SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>)

    /// The counters of blocks `first ..< first + 16` (first word) with the other three words `c1`, `c2`, `c3`.
    @inlinable @inline(__always)
    package static func words(first: UInt32, _ c1: UInt32, _ c2: UInt32, _ c3: UInt32) -> Words {
        let lanes = SIMD16<UInt32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        return (SIMD16(repeating: first) &+ lanes, SIMD16(repeating: c1), SIMD16(repeating: c2), SIMD16(repeating: c3))
    }

    /// One Philox round of sixteen blocks (AVX-512 builds, `blocks32` and `blocks64`). The high halves of the 32 × 32
    /// → 64-bit products of the even and the odd lanes come from one `vpmuludq` each on the 64-bit view, recombined
    /// with a shift and a mask; the low halves are the 32-bit wrapping products, one `vpmulld`.
    @inlinable @inline(__always)
    package static func wideRound(_ x: inout Words, _ kk0: SIMD16<UInt32>, _ kk1: SIMD16<UInt32>) {
        @inline(__always)
        func high(_ v: SIMD16<UInt32>, _ m: UInt64) -> SIMD16<UInt32> {
            let w = unsafeBitCast(v, to: SIMD8<UInt64>.self), mm = SIMD8<UInt64>(repeating: m)
            let even = (w & 0xFFFF_FFFF) &* mm, odd = (w &>> 32) &* mm
            return unsafeBitCast((even &>> 32) | (odd & 0xFFFF_FFFF_0000_0000), to: SIMD16<UInt32>.self)
        }
        let h0 = high(x.0, 0xD251_1F53), h2 = high(x.2, 0xCD9E_8D57)
        let l0 = x.0 &* SIMD16(repeating: 0xD251_1F53), l2 = x.2 &* SIMD16(repeating: 0xCD9E_8D57)
        x = (h2 ^ x.1 ^ kk0, l2, h0 ^ x.3 ^ kk1, l0)
    }

    #if SPIKEKIT_WIDE_REGISTERS
    /// Sixty-four consecutive blocks as four independent sets of sixteen: `blocks32(first)` and `blocks32(first + 32)`
    /// with all four chains interleaved (AVX-512 builds: sixteen state registers of 32). The same blocks.
    @inlinable
    public func blocks64(first: UInt32, _ c1: UInt32, _ c2: UInt32, _ c3: UInt32) -> (Words, Words, Words, Words) {
        var a = Philox.words(first: first, c1, c2, c3), b = Philox.words(first: first &+ 16, c1, c2, c3)
        var c = Philox.words(first: first &+ 32, c1, c2, c3), d = Philox.words(first: first &+ 48, c1, c2, c3)
        var k0 = key.0, k1 = key.1
        for _ in 0 ..< 10 {
            let kk0 = SIMD16<UInt32>(repeating: k0), kk1 = SIMD16<UInt32>(repeating: k1)
            Philox.wideRound(&a, kk0, kk1)
            Philox.wideRound(&b, kk0, kk1)
            Philox.wideRound(&c, kk0, kk1)
            Philox.wideRound(&d, kk0, kk1)
            k0 = k0 &+ 0x9E37_79B9
            k1 = k1 &+ 0xBB67_AE85
        }
        return (a, b, c, d)
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
            (raw + 4 * i).storeBytes(of: Philox.chunks(r.0, r.1), as: Chunks.self)
            (raw + 4 * (i + 128)).storeBytes(of: Philox.chunks(r.2, r.3), as: Chunks.self)
            i += 256
            blockIndex &+= 64
        }
        #endif
        while i < n {
            let (x, y) = blocks32(first: blockIndex, c, b, hi)
            let v = Philox.chunks(x, y)
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

    /// 128 uniforms, eight vectors.
    public typealias Chunks = (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>,
                               SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>)

    /// The 128 uniforms of two sets of sixteen blocks, in chunk order: lanes 0-7 of the four words (blocks 0-7),
    /// then lanes 8-15 (blocks 8-15), for each set.
    @inlinable @inline(__always)
    package static func chunks(_ x: Words, _ y: Words) -> Chunks {
        (chunkPair(x.0, x.1), chunkPair(x.2, x.3), chunkPair(x.0, x.1, high: true), chunkPair(x.2, x.3, high: true),
         chunkPair(y.0, y.1), chunkPair(y.2, y.3), chunkPair(y.0, y.1, high: true), chunkPair(y.2, y.3, high: true))
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
