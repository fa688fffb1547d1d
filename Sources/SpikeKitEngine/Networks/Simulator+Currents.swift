import SpikeKitFormats
import SpikeKitKernels

/// Real-valued input: a batch of float currents instead of spike trains.
///
/// A current x[n] ∈ ℝ^{units} enters the first layer's synaptic input through its feed-forward weights exactly as
/// input spikes do (one step of delay, SPEC section 2):
///
///     I[n+1] = λ_s I[n] + W x[n] + V S[n] + b
///
/// (V S[n] for a recurrent layer, b with a bias; the rest of the network is unchanged). Backward, the weight
/// gradient is the same outer product as for spikes with x in place of S_in: dL/dW = Σ_n dL/dI[n+1] ⊗ x[n]
/// (n < T - 1; x[T-1] reaches no output). The path is chosen per run: the spike path's event-driven loops are
/// untouched, and for a dense first layer the drives of every sample and step are one matrix product
/// `[B·T, units] × [units, N]` and the weight gradient another, `[units, B·T] × [B·T, N]`, split over threads by
/// rows (bit-identical for any thread count).
extension Simulator {
    /// Simulates a batch of real-valued inputs.
    /// - Parameters:
    ///   - currents: `[B, T, *input shape]` (canonical order), finite.
    ///   - everything else: as `run(inputs:...)`.
    /// - Throws: `SpikeKitError.shapeMismatch` for a wrong shape, `.nonFiniteValues` for NaN or infinite currents,
    ///   and the errors of `run(inputs:...)`.
    public func run(currents: Tensor, loss: LossFunction? = nil, targets: Targets? = nil,
                    noise: NoiseSource = .philox(seed: 0, iteration: 0), dropout: DropoutSource = .off, gradients: Bool = false,
                    record: Bool = false, recordSurrogates: Bool = false, recordOutput: Bool = false) throws -> SimulationResult {
        let shape = architecture.input
        guard currents.shape.count == 2 + shape.dimensions.count, Array(currents.shape.dropFirst(2)) == shape.dimensions,
              currents.shape[0] > 0, currents.shape[1] > 0 else {
            throw SpikeKitError.shapeMismatch("currents have shape \(currents.shape), expected [batch, steps] + \(shape.dimensions)")
        }
        guard currents.isFinite else { throw SpikeKitError.nonFiniteValues("the input currents hold NaN or infinite values") }
        guard architecture.layers[0].feedForwardDelay == 1 else {
            throw SpikeKitError.invalidConfiguration("layer 0: a feed-forward delay above 1 step is not supported with real-valued input currents")
        }
        let B = currents.shape[0], T = currents.shape[1], units = shape.count
        let empty = try SpikeTrains(steps: T, units: units, events: [])
        let inputs = [SpikeTrains](repeating: empty, count: B)
        if shape.positions == 1 {
            return try currents.scalars.withUnsafeBufferPointer {
                try runBatch(inputs: inputs, loss: loss, targets: targets, noise: noise, dropout: dropout, gradients: gradients,
                             record: record, recordSurrogates: recordSurrogates, recordOutput: recordOutput,
                             currents: $0.baseAddress!)
            }
        }
        // Internal order j·C + c.
        var reordered = [Float](repeating: 0, count: currents.count)
        for r in 0 ..< B * T {
            for q in 0 ..< units { reordered[r * units + q] = currents.scalars[r * units + shape.canonicalIndex(internal: q)] }
        }
        return try reordered.withUnsafeBufferPointer {
            try runBatch(inputs: inputs, loss: loss, targets: targets, noise: noise, dropout: dropout, gradients: gradients,
                         record: record, recordSurrogates: recordSurrogates, recordOutput: recordOutput, currents: $0.baseAddress!)
        }
    }

    /// The first layer's drive `D[b·T + n] = W x_b[n] + b` for every sample and step (`[B·T][N]`, caller frees).
    func currentDrive(_ x: UnsafePointer<Float>, batch B: Int, steps T: Int) -> UnsafeMutablePointer<Float> {
        let n = architecture.layers[0].shape.count, rows = B * T
        let d = UnsafeMutablePointer<Float>.allocate(capacity: rows * n)
        let kernel = feedForward[0].kernel, bias = biasBuffers[0].map { UnsafeSendable($0) }
        let out = UnsafeSendable(d), input = UnsafeSendable(UnsafeMutablePointer(mutating: x))
        let blocks = (rows + 7) / 8, workers = min(threads, blocks)
        Parallel.forEachWorker(workers) { w in
            let part = Parallel.range(w, of: workers, count: blocks)
            let r = part.lowerBound * 8 ..< min(rows, part.upperBound * 8)
            for k in r {
                let row = out.pointer + k * n
                if let bias { row.update(from: bias.pointer, count: n) } else { row.update(repeating: 0, count: n) }
            }
            kernel.accumulateCurrents(rows: r, currents: input.pointer, into: out.pointer)
        }
        return d
    }

    /// Adds dL/dW = Σ_b Σ_n factors_b[n] ⊗ x_b[n] (packed layout) to `gW`.
    func accumulateCurrentGradient(_ x: UnsafePointer<Float>, factors: UnsafePointer<Float>, batch B: Int, steps T: Int,
                                   into gW: UnsafeMutablePointer<Float>) {
        let kernel = feedForward[0].kernel, rows = B * T, units = architecture.input.count
        guard kernel.conv == nil else {
            kernel.accumulateCurrentGradient(rows: 0 ..< rows, currents: x, deltas: factors, into: gW)
            return
        }
        let xT = UnsafeMutablePointer<Float>.allocate(capacity: rows * units)
        defer { xT.deallocate() }
        PackedConnection.transpose(x, rows: rows, columns: units, into: xT)
        let g = UnsafeSendable(gW), a = UnsafeSendable(xT), f = UnsafeSendable(UnsafeMutablePointer(mutating: factors))
        let blocks = (units + 7) / 8, workers = min(threads, blocks)
        Parallel.forEachWorker(workers) { w in
            let part = Parallel.range(w, of: workers, count: blocks)
            let q = part.lowerBound * 8 ..< min(units, part.upperBound * 8)
            kernel.accumulateCurrentGradientDense(inputs: q, transposedCurrents: a.pointer, rows: rows, deltas: f.pointer, into: g.pointer)
        }
    }
}
