import SpikeKitFormats
/// The shape of a layer's activity: `channels × positions` (a dense layer of N units is N channels at one
/// position).
///
/// Canonical (PyTorch) order, used in files and in weight layouts, is channel-major: `c·P + j`. Inside the
/// kernels activity is position-major, `j·C + c`, so that all channels at one position are contiguous and a conv
/// synapse updates them with one vector operation. The two orders coincide for dense layers.
public struct ActivityShape: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var channels: Int
    public var positions: Int

    public init(channels: Int, positions: Int) {
        self.channels = channels
        self.positions = positions
    }

    /// A dense shape of `units` neurons.
    public init(units: Int) { self.init(channels: units, positions: 1) }

    /// The number of neurons.
    public var count: Int { channels * positions }

    /// The canonical (channel-major) index of the neuron at internal (position-major) index `q`.
    @inlinable
    public func canonicalIndex(internal q: Int) -> Int {
        (q % channels) * positions + q / channels
    }

    /// The internal (position-major) index of the neuron at canonical index `k`.
    @inlinable
    public func internalIndex(canonical k: Int) -> Int {
        (k % positions) * channels + k / positions
    }

    /// The shape as written in descriptions: `[units]` for one position, else `[channels, positions]`.
    public var dimensions: [Int] { positions == 1 ? [channels] : [channels, positions] }

    public var description: String { positions == 1 ? "[\(channels)]" : "[\(channels), \(positions)]" }
}
