import SpikeKitFormats
import SpikeKitKernels
/// The spikes of one sample: for each step n, the (canonical) indices of the units that spiked, as a compressed
/// list (`offsets[n] ..< offsets[n+1]` into `indices`). The natural form for binary, sparse activity.
public struct SpikeTrains: Equatable, Sendable {
    public let steps: Int
    public let units: Int
    public private(set) var offsets: [Int32]
    public private(set) var indices: [Int32]

    /// Spikes from a dense raster `[steps][units]` of 0/1 values.
    /// - Throws: `SpikeKitError.nonFiniteValues` for NaN or infinite entries, `.invalidConfiguration` for values
    ///   other than 0 and 1.
    public init(raster: ArraySlice<Float>, steps: Int, units: Int) throws {
        guard raster.count == steps * units else {
            throw SpikeKitError.shapeMismatch("a raster of \(raster.count) values is not \(steps) steps × \(units) units")
        }
        self.steps = steps
        self.units = units
        offsets = [0]
        offsets.reserveCapacity(steps + 1)
        indices = []
        var k = raster.startIndex
        for _ in 0 ..< steps {
            for i in 0 ..< units {
                let v = raster[k]
                k += 1
                if v == 0 { continue }
                guard v.isFinite else { throw SpikeKitError.nonFiniteValues("input spikes hold \(v)") }
                guard v == 1 else { throw SpikeKitError.invalidConfiguration("input spikes must be 0 or 1, found \(v)") }
                indices.append(Int32(i))
            }
            offsets.append(Int32(indices.count))
        }
    }

    /// Spikes from a list of (step, unit) events; events outside the range are rejected.
    public init(steps: Int, units: Int, events: [(step: Int, unit: Int)]) throws {
        self.steps = steps
        self.units = units
        var perStep = [[Int32]](repeating: [], count: steps)
        for e in events {
            guard (0 ..< steps).contains(e.step), (0 ..< units).contains(e.unit) else {
                throw SpikeKitError.invalidConfiguration("spike at step \(e.step), unit \(e.unit) is outside \(steps) × \(units)")
            }
            perStep[e.step].append(Int32(e.unit))
        }
        offsets = [0]
        indices = []
        for var s in perStep {
            s.sort()
            var last: Int32 = -1
            for u in s where u != last {
                indices.append(u)
                last = u
            }
            offsets.append(Int32(indices.count))
        }
    }

    /// The number of spikes.
    public var count: Int { indices.count }

    /// The dense raster `[steps][units]`.
    public var raster: [Float] {
        var r = [Float](repeating: 0, count: steps * units)
        for n in 0 ..< steps {
            for k in Int(offsets[n]) ..< Int(offsets[n + 1]) { r[n * units + Int(indices[k])] = 1 }
        }
        return r
    }
}
