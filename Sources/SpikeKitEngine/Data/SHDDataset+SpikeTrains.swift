import SpikeKitFormats
import SpikeKitKernels

extension SHDDataset {
    /// Spike trains in the SHD layout: a spike of step n at time `(n + 0.5) Δt` (the centre of its step, so that
    /// binning at Δt gives back step n), its unit as the unit index.
    /// - Throws: `SpikeKitError.shapeMismatch` when the counts of samples and labels differ, `.invalidConfiguration`
    ///   when a unit does not fit the format's uint16 or `dt` is not positive.
    public init(spikeTrains: [SpikeTrains], labels: [Int], dt: Double, classNames: [String]) throws {
        guard dt.isFinite, dt > 0 else { throw SpikeKitError.invalidConfiguration("dt must be positive, got \(dt)") }
        guard spikeTrains.count == labels.count else {
            throw SpikeKitError.shapeMismatch("\(spikeTrains.count) spike trains but \(labels.count) labels")
        }
        if let wide = spikeTrains.first(where: { $0.units > Int(UInt16.max) + 1 }) {
            throw SpikeKitError.invalidConfiguration("\(wide.units) units do not fit the SHD layout's uint16 unit indices")
        }
        var times: [[Float]] = [], units: [[UInt16]] = []
        times.reserveCapacity(spikeTrains.count)
        units.reserveCapacity(spikeTrains.count)
        for s in spikeTrains {
            var t: [Float] = [], u: [UInt16] = []
            t.reserveCapacity(s.count)
            u.reserveCapacity(s.count)
            for n in 0 ..< s.steps {
                for k in Int(s.offsets[n]) ..< Int(s.offsets[n + 1]) {
                    t.append(Float((Double(n) + 0.5) * dt))
                    u.append(UInt16(s.indices[k]))
                }
            }
            times.append(t)
            units.append(u)
        }
        try self.init(times: times, units: units, labels: labels, classNames: classNames)
    }
}
