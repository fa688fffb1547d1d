import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine
extension ClassificationExperiment {
    /// Trial-to-trial variability of the trained network (Fig. 7C, E).
    public struct FanoMeasurement: Sendable {
        /// Fano factor of every spiking layer: spike counts in sliding windows of `fanoWindow` steps, variance over
        /// trials / mean, averaged over the non-silent (window, neuron) bins (`SpikeStatistics.fanoFactor`).
        public var fano: [Double?]
        /// The most active neuron of the last spiking layer (canonical index) and its raster over trials,
        /// `[steps][trials]` (Fig. 7E).
        public var neuron: Int
        public var neuronTrials: [Float]
        public var trials: Int
    }

    /// Repeats test sample `fanoSample` over `fanoTrials` trials (chunks of at most 50 trials, chunk k with Philox
    /// iteration `fanoIteration + k`, so every trial draws its own noise) and measures the Fano factors.
    public func fano(_ parameters: NetworkParameters, simulator: Simulator) throws -> FanoMeasurement {
        let c = configuration
        let source = test.count > 0 ? test : validation
        guard source.count > 0 else { throw SpikeKitError.invalidConfiguration("no test sample for the Fano factor") }
        let sample = source.samples[min(c.fanoSample, source.count - 1)]
        let R = c.fanoTrials, T = sample.steps
        let spiking = simulator.architecture.layers.filter(\.isSpiking)
        var trials: [[[Float]]] = spiking.map { _ in [] }
        try simulator.load(parameters)
        var chunk = 0
        for start in stride(from: 0, to: R, by: 50) {
            let n = min(50, R - start)
            let r = try simulator.run(inputs: Array(repeating: sample, count: n),
                                      noise: .philox(seed: c.seed, iteration: Self.fanoIteration &+ UInt32(chunk)), record: true)
            for (l, s) in r.spikes!.enumerated() {
                let size = T * spiking[l].shape.count
                for b in 0 ..< n { trials[l].append(Array(s.scalars[b * size ..< (b + 1) * size])) }
            }
            chunk += 1
        }
        let fano = spiking.enumerated().map { l, layer in
            SpikeStatistics.fanoFactor(trials: trials[l], steps: T, neurons: layer.shape.count, window: c.fanoWindow)
        }
        let last = spiking.count - 1, N = spiking[last].shape.count
        var counts = [Int](repeating: 0, count: N)
        for trial in trials[last] { for t in 0 ..< T { for i in 0 ..< N where trial[t * N + i] != 0 { counts[i] += 1 } } }
        let neuron = counts.indices.max { counts[$0] < counts[$1] } ?? 0
        var raster = [Float](repeating: 0, count: T * R)
        for (r, trial) in trials[last].enumerated() { for t in 0 ..< T { raster[t * R + r] = trial[t * N + neuron] } }
        return FanoMeasurement(fano: fano, neuron: neuron, neuronTrials: raster, trials: R)
    }

    /// One sample's activity for pictures (Fig. 7A): the input raster `[steps][units]`, every spiking layer's
    /// raster `[steps][neurons]` (canonical order) and the readout membrane `[steps][classes]`, one noise draw
    /// (Philox iteration `evaluationIteration`).
    public struct Recording: Sendable {
        public var label: Int
        public var steps: Int
        public var input: [Float]
        public var layers: [(neurons: Int, spikes: [Float])]
        public var readout: [Float]
    }

    /// Records test samples `indices` (clamped to the test set).
    public func record(_ parameters: NetworkParameters, samples indices: [Int], simulator: Simulator) throws -> [Recording] {
        let source = test.count > 0 ? test : validation
        guard source.count > 0 else { return [] }
        let idx = indices.map { min(max($0, 0), source.count - 1) }
        try simulator.load(parameters)
        let r = try simulator.run(inputs: idx.map { source.samples[$0] },
                                  noise: .philox(seed: configuration.seed, iteration: Self.evaluationIteration), record: true)
        let T = source.steps, C = classes
        let spiking = simulator.architecture.layers.filter(\.isSpiking)
        return idx.enumerated().map { b, i in
            Recording(label: source.labels[i], steps: T, input: source.samples[i].raster,
                      layers: spiking.enumerated().map { l, layer in
                          let size = T * layer.shape.count
                          return (layer.shape.count, Array(r.spikes![l].scalars[b * size ..< (b + 1) * size]))
                      },
                      readout: Array(r.output!.scalars[b * T * C ..< (b + 1) * T * C]))
        }
    }
}
