import SpikeKitFormats
import SpikeKitKernels
/// The online SuperSpike rule of the paper's spike-train-matching code (SPEC section 5; the eligibility-trace form
/// of the paper's Eq. 15), for a network input → hidden (LIF) → output (LIF) with dense connections and no
/// recurrence. Computed forward in time, with no backward pass:
///
/// ```
/// PSP of input j:          I_j[n+1] = λ_s I_j[n] + S_j[n],   P_j[n+1] = λ_m P_j[n] + (1-λ_m) I_j[n]
/// hidden eligibility:      e_kj = ε ∗ (SD(U_k - θ) · P_j)   (the same two-stage filter, forward in time)
/// output error:            δ_i[n] = (target_i[n] - S_i[n]) / Δu_o        (no surrogate at the output)
/// hidden feedback:         f_k[n] = Σ_i δ_i[n] W_ik
/// updates per trial:       ΔW_kj = Σ_n f_k[n] e_kj[n],     ΔW_ik = Σ_n δ_i[n] P^h_k[n]
/// ```
/// `P^h` is the PSP of the hidden spikes. The update is averaged over trials and added to the weights with
/// learning rates η_hidden and η_output: W += η ΔW (a descent direction, since δ = target - S).
public struct OnlineSuperSpike: Sendable {
    /// Δu_o, the output's escape-noise scale (0.013 in the paper's code).
    public var outputScale: Double
    public var hiddenLearningRate: Double
    public var outputLearningRate: Double

    public init(outputScale: Double = 0.013, hiddenLearningRate: Double = 1e-5, outputLearningRate: Double = 1e-5) {
        self.outputScale = outputScale
        self.hiddenLearningRate = hiddenLearningRate
        self.outputLearningRate = outputLearningRate
    }

    /// Checks that `architecture` is input → LIF → LIF (dense, no recurrence) and the parameters are usable.
    public func validate(for architecture: NetworkArchitecture) throws {
        let l = architecture.layers
        guard l.count == 2, l.allSatisfy({ $0.kind == .lif && $0.recurrent == nil }) else {
            throw SpikeKitError.invalidConfiguration("the online SuperSpike rule needs input → lif → lif without recurrence")
        }
        guard !l.contains(where: \.learnsThreshold) else {
            throw SpikeKitError.invalidConfiguration("the online SuperSpike rule needs the network's threshold (no learn_threshold)")
        }
        guard !l.contains(where: \.hasNeuronTimeConstants) else {
            throw SpikeKitError.invalidConfiguration("the online SuperSpike rule needs scalar time constants (no tau_mem_init, tau_syn_init or learned τ)")
        }
        guard !l.contains(where: \.hasDelay) else {
            throw SpikeKitError.invalidConfiguration("the online SuperSpike rule needs the default one-step delays (no delay > 1)")
        }
        guard outputScale.isFinite, outputScale > 0 else {
            throw SpikeKitError.invalidConfiguration("the output scale Δu_o must be positive, got \(outputScale)")
        }
        guard hiddenLearningRate.isFinite, hiddenLearningRate >= 0, outputLearningRate.isFinite, outputLearningRate >= 0 else {
            throw SpikeKitError.invalidConfiguration("learning rates must be non-negative")
        }
    }

    /// The weight updates ΔW (canonical layout, already averaged over trials, not yet scaled by the learning rates)
    /// for a batch of trials simulated with `recordSurrogates: true` and `record: true`.
    /// - Parameters:
    ///   - inputs: the input spikes of each trial.
    ///   - result: the simulation (spikes and surrogates of both layers).
    ///   - targets: the target raster `[T][N_out]` of each trial.
    public func updates(architecture: NetworkArchitecture, parameters: NetworkParameters, inputs: [SpikeTrains],
                        result: SimulationResult, targets: [[Float]], threads: Int = Parallel.defaultThreadCount) throws -> NetworkParameters {
        try validate(for: architecture)
        guard let spikes = result.spikes, let surrogates = result.surrogates, spikes.count == 2, surrogates.count == 2 else {
            throw SpikeKitError.invalidConfiguration("the online rule needs a simulation recorded with spikes and surrogates")
        }
        let B = inputs.count, T = inputs[0].steps
        let nIn = architecture.input.count, nH = architecture.layers[0].shape.count, nO = architecture.layers[1].shape.count
        guard targets.count == B, targets.allSatisfy({ $0.count == T * nO }) else {
            throw SpikeKitError.shapeMismatch("targets must be \(B) rasters of \(T) × \(nO)")
        }
        let d = architecture.layers[0].decay(dt: architecture.dt)
        let lm = Float(d.mem), ls = Float(d.syn), cm = 1 - lm
        let d1 = architecture.layers[1].decay(dt: architecture.dt)
        let lm1 = Float(d1.mem), ls1 = Float(d1.syn), cm1 = 1 - lm1
        let invDu = Float(1 / outputScale)
        let wOut = parameters.feedForward[1].scalars  // (nO, nH)
        let hidSpikes = spikes[0].scalars, outSpikes = spikes[1].scalars, hidSD = surrogates[0].scalars
        // Per-trial updates, summed in trial order afterwards (deterministic for any thread count).
        let perTrial = UnsafeMutablePointer<Float>.allocate(capacity: B * (nH * nIn + nO * nH))
        perTrial.initialize(repeating: 0, count: B * (nH * nIn + nO * nH))
        defer { perTrial.deallocate() }
        let box = UnsafeSendable(perTrial)
        let workers = min(max(1, threads), B)
        Parallel.forEachWorker(workers) { w in
            // Scratch per worker.
            let iIn = UnsafeMutablePointer<Float>.allocate(capacity: nIn), pIn = UnsafeMutablePointer<Float>.allocate(capacity: nIn)
            let iH = UnsafeMutablePointer<Float>.allocate(capacity: nH), pH = UnsafeMutablePointer<Float>.allocate(capacity: nH)
            let eI = UnsafeMutablePointer<Float>.allocate(capacity: nH * nIn), eP = UnsafeMutablePointer<Float>.allocate(capacity: nH * nIn)
            let delta = UnsafeMutablePointer<Float>.allocate(capacity: nO), feedback = UnsafeMutablePointer<Float>.allocate(capacity: nH)
            defer {
                iIn.deallocate(); pIn.deallocate(); iH.deallocate(); pH.deallocate()
                eI.deallocate(); eP.deallocate(); delta.deallocate(); feedback.deallocate()
            }
            var b = w
            while b < B {
                let dHid = box.pointer + b * (nH * nIn + nO * nH)
                let dOut = dHid + nH * nIn
                iIn.initialize(repeating: 0, count: nIn); pIn.initialize(repeating: 0, count: nIn)
                iH.initialize(repeating: 0, count: nH); pH.initialize(repeating: 0, count: nH)
                eI.initialize(repeating: 0, count: nH * nIn); eP.initialize(repeating: 0, count: nH * nIn)
                let x = inputs[b]
                let target = targets[b]
                for t in 0 ..< T {
                    // Output error and hidden feedback at step t.
                    var anyError = false
                    for i in 0 ..< nO {
                        let e = (target[t * nO + i] - outSpikes[(b * T + t) * nO + i]) * invDu
                        delta[i] = e
                        if e != 0 { anyError = true }
                    }
                    if anyError {
                        feedback.initialize(repeating: 0, count: nH)
                        wOut.withUnsafeBufferPointer { wp in
                            for i in 0 ..< nO where delta[i] != 0 {
                                VectorKernels.axpy(delta[i], wp.baseAddress! + i * nH, into: feedback, count: nH)
                            }
                        }
                        // ΔW_out += δ ⊗ P^h ; ΔW_hid += f_k · e_kj
                        for i in 0 ..< nO where delta[i] != 0 {
                            VectorKernels.axpy(delta[i], pH, into: dOut + i * nH, count: nH)
                        }
                        for k in 0 ..< nH where feedback[k] != 0 {
                            VectorKernels.axpy(feedback[k], eP + k * nIn, into: dHid + k * nIn, count: nIn)
                        }
                    }
                    // Advance the eligibility traces: e ← filter(SD_k[t] · P_j[t]).
                    for k in 0 ..< nH {
                        let sd = hidSD[(b * T + t) * nH + k]
                        let rowI = eI + k * nIn, rowP = eP + k * nIn
                        for j in 0 ..< nIn {
                            let i0 = rowI[j]
                            rowP[j] = lm1 * rowP[j] + cm1 * i0
                            rowI[j] = ls1 * i0 + sd * pIn[j]
                        }
                    }
                    // Advance the PSPs with the spikes of step t.
                    for j in 0 ..< nIn {
                        let i0 = iIn[j]
                        pIn[j] = lm * pIn[j] + cm * i0
                        iIn[j] = ls * i0
                    }
                    for k in Int(x.offsets[t]) ..< Int(x.offsets[t + 1]) { iIn[Int(x.indices[k])] += 1 }
                    for k in 0 ..< nH {
                        let i0 = iH[k]
                        pH[k] = lm1 * pH[k] + cm1 * i0
                        iH[k] = ls1 * i0 + hidSpikes[(b * T + t) * nH + k]
                    }
                }
                b += workers
            }
        }
        var hid = [Float](repeating: 0, count: nH * nIn), out = [Float](repeating: 0, count: nO * nH)
        let scale = 1 / Float(B)
        for b in 0 ..< B {
            let base = perTrial + b * (nH * nIn + nO * nH)
            for k in 0 ..< nH * nIn { hid[k] += base[k] * scale }
            for k in 0 ..< nO * nH { out[k] += base[nH * nIn + k] * scale }
        }
        return NetworkParameters(feedForward: [try Tensor(shape: [nH, nIn], scalars: hid), try Tensor(shape: [nO, nH], scalars: out)],
                                 recurrent: [nil, nil])
    }

    /// Applies averaged updates: W += η ΔW per layer.
    public func apply(_ updates: NetworkParameters, to parameters: inout NetworkParameters) {
        let rates = [Float(hiddenLearningRate), Float(outputLearningRate)]
        for l in 0 ..< 2 {
            for k in 0 ..< parameters.feedForward[l].count {
                parameters.feedForward[l].scalars[k] += rates[l] * updates.feedForward[l].scalars[k]
            }
        }
    }
}
