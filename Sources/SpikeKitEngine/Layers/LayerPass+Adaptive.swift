import SpikeKitFormats
import SpikeKitKernels

/// The constants of the general spiking loop, for an `alif` layer or a layer with a learned threshold: the
/// threshold θ_k of every neuron in internal order (owned by the simulator: the network's θ, or the learned
/// `layer<i>.threshold` expanded to the neurons) and, for `alif`, ρ_a = e^{-Δt/τ_a} and the strength β.
struct AdaptiveNeurons: @unchecked Sendable {
    let thresholds: UnsafePointer<Float>
    /// ρ_a (0 without adaptation).
    let rho: Float
    /// β (0 without adaptation).
    let beta: Float
    /// Whether the layer has the adaptation variable a (an `alif` layer).
    let adapts: Bool
}

/// The general spiking loops (decided once per layer: the LIF loops of `LayerPass` stay as they are). With the
/// per-neuron decays λ_m,k, λ_s,k of `decays`, thresholds θ_k and, for `alif`, a[0] = 0, for n = 0..T-1:
/// ```
/// ϑ[n]   = θ + β a[n]
/// S[n]   = spike(U[n] - ϑ[n])
/// I[n+1] = λ_s I[n] + W·S_in[n] + V·S[n] + b
/// next-step: U[n+1] = (λ_m U[n] + (1-λ_m) I[n]) (1 - S[n])
/// same-step: U[n+1] = λ_m U[n] (1 - S[n]) + (1-λ_m) I[n]
/// subtract:  U[n+1] = λ_m U[n] + (1-λ_m) I[n] - ϑ[n] S[n]
/// a[n+1] = ρ_a a[n] + S[n]
/// ```
/// The step order is the LIF update's: the spike of step n is decided on U[n] and a[n], then U, I and a advance
/// together from the values of step n.
///
/// BPTT, with x[n] = U[n] - ϑ[n], SD the surrogate derivative and g_X = dL/dX:
/// ```
/// g_S[n] = (external) + Vᵀ g_I[n+1] + g_a[n+1] (- r[n] g_U[n+1] with bpReset; r = ϑ[n] for subtract)
/// g_x[n] = g_S[n] SD(x[n])
/// g_a[n] = ρ_a g_a[n+1] - β g_x[n] (- β S[n] g_U[n+1] for subtract)
/// g_θ   += -g_x[n] (- S[n] g_U[n+1] for subtract)
/// ```
/// and g_U[n], g_I[n] and the decay gradients as in the LIF loops (`backstepNeuronDecays`).
extension LayerPass {
    func forwardAdaptive(_ L: LayerScratch, drive sharedDrive: UnsafePointer<Float>?, steps T: Int, training: Bool,
                         adaptive p: AdaptiveNeurons, noise: (Int) -> UnsafePointer<Float>) {
        let driveBase = sharedDrive ?? UnsafePointer(L.drive)
        let spike = architecture.spike!
        let stochastic = spike.escape.isStochastic
        let dv = decays!, cmv = dv + n, lsv = dv + 2 * n
        let th = p.thresholds, beta = p.beta, rho = p.rho, adapts = p.adapts, a = L.adapt
        L.u.update(repeating: 0, count: n)
        L.i.update(repeating: 0, count: n)
        if adapts { a.update(repeating: 0, count: n) }
        var count: Int32 = 0
        L.start[0] = 0
        for t in 0 ..< T {
            let s = L.spikes + t * n
            let drive = driveBase + t * n
            if adapts {
                for k in 0 ..< n { L.x[k] = L.u[k] - (th[k] + beta * a[k]) }
            } else {
                for k in 0 ..< n { L.x[k] = L.u[k] - th[k] }
            }
            let xi = stochastic ? noise(t) : UnsafePointer(L.xi)
            let fused = training && SpikeKernels.decideMatchedSigmoid(spike.escape, spike.resolvedSurrogate, x: L.x, xi: xi,
                                                                       spikes: s, surrogate: L.sd + t * n, count: n)
            if !fused { SpikeKernels.decide(spike.escape, x: L.x, xi: xi, into: s, count: n) }
            if training {
                if !fused { SpikeKernels.surrogate(spike.resolvedSurrogate, x: L.x, s: s, into: L.sd + t * n, count: n) }
                if bpReset {
                    // r[n] = -∂U[n+1]/∂S[n].
                    let r = L.resetTerm + t * n
                    if subtract {
                        if adapts {
                            for k in 0 ..< n { r[k] = th[k] + beta * a[k] }
                        } else {
                            for k in 0 ..< n { r[k] = th[k] }
                        }
                    } else if nextStep {
                        for k in 0 ..< n { r[k] = dv[k] * L.u[k] + cmv[k] * L.i[k] }
                    } else {
                        for k in 0 ..< n { r[k] = dv[k] * L.u[k] }
                    }
                }
                if recordsState {
                    (L.uTrace + t * n).update(from: L.u, count: n)
                    (L.iTrace + t * n).update(from: L.i, count: n)
                }
            }
            if subtract {
                if adapts {
                    for k in 0 ..< n {
                        let reset: Float = s[k] != 0 ? th[k] + beta * a[k] : 0
                        L.u[k] = dv[k] * L.u[k] + cmv[k] * L.i[k] - reset
                        L.i[k] = lsv[k] * L.i[k] + drive[k]
                    }
                } else {
                    for k in 0 ..< n {
                        let reset: Float = s[k] != 0 ? th[k] : 0
                        L.u[k] = dv[k] * L.u[k] + cmv[k] * L.i[k] - reset
                        L.i[k] = lsv[k] * L.i[k] + drive[k]
                    }
                }
            } else {
                // The next-step and same-step resets do not involve the threshold.
                stepNeuronDecays(L, spikes: s, drive: drive, decays: dv)
            }
            if adapts {
                for k in 0 ..< n { a[k] = rho * a[k] + (s[k] != 0 ? 1 : 0) }
            }
            let first = count
            count = SpikeLists.append(spikes: s, count: n, into: L.index, at: count)
            L.start[t + 1] = count
            if let rec = recurrent, count > first {
                rec.accumulate(active: L.index + Int(first), count: Int(count - first), into: L.i)
            }
        }
    }

    func backwardAdaptive(_ L: LayerScratch, steps T: Int, inputIndex: UnsafePointer<Int32>, inputStart: UnsafePointer<Int32>,
                          gradFF: UnsafeMutablePointer<Float>?, gradRec: UnsafeMutablePointer<Float>?,
                          gradBias: UnsafeMutablePointer<Float>?, gradDecay: DecayGradients,
                          gradThreshold: UnsafeMutablePointer<Float>?, adaptive p: AdaptiveNeurons,
                          inputGrad: UnsafeMutablePointer<Float>?) {
        let dv = decays!
        let beta = p.beta, rho = p.rho, adapts = p.adapts, ga = L.gAdapt
        // gu, gi, ga: dL/dU[t+1], dL/dI[t+1], dL/da[t+1]; zero beyond the last step.
        L.gu.update(repeating: 0, count: n)
        L.gi.update(repeating: 0, count: n)
        if adapts { ga.update(repeating: 0, count: n) }
        for t in stride(from: T - 1, through: 0, by: -1) {
            let s = L.spikes + t * n
            let sd = L.sd + t * n
            let gs = L.gs
            gs.update(from: L.drive + t * n, count: n)
            if t < T - 1 {
                if let rec = recurrent {
                    rec.backpropagate(delta: L.gi, into: gs)
                    let a = Int(L.start[t])
                    rec.accumulateGradient(active: L.index + a, count: Int(L.start[t + 1]) - a, delta: L.gi, into: gradRec!)
                }
                if let gradFF {
                    let a = Int(inputStart[t])
                    feedForward.accumulateGradient(active: inputIndex + a, count: Int(inputStart[t + 1]) - a, delta: L.gi, into: gradFF)
                }
                if let gradBias { VectorKernels.add(L.gi, into: gradBias, count: n) }
                if bpReset {
                    let r = L.resetTerm + t * n
                    for k in 0 ..< n { gs[k] -= L.gu[k] * r[k] }
                }
                // a[t+1] = ρ_a a[t] + S[t].
                if adapts { VectorKernels.add(ga, into: gs, count: n) }
            }
            if inputGrad != nil || gradFF == nil { (L.drive + t * n).update(from: L.gi, count: n) }
            // -dL/dϑ[t] = g_x[t] (+ S[t] g_U[t+1] for subtract): the threshold's and the adaptation's share.
            if let gth = gradThreshold {
                if subtract {
                    for k in 0 ..< n { gth[k] -= gs[k] * sd[k] + (s[k] != 0 ? L.gu[k] : 0) }
                } else {
                    for k in 0 ..< n { gth[k] -= gs[k] * sd[k] }
                }
            }
            if adapts {
                if subtract {
                    for k in 0 ..< n { ga[k] = rho * ga[k] - beta * (gs[k] * sd[k] + (s[k] != 0 ? L.gu[k] : 0)) }
                } else {
                    for k in 0 ..< n { ga[k] = rho * ga[k] - beta * (gs[k] * sd[k]) }
                }
            }
            backstepNeuronDecays(L, step: t, spikes: s, surrogate: sd, decays: dv, gradDecay: gradDecay)
        }
        if let g = inputGrad { feedForward.backpropagateSequence(deltas: L.drive, steps: T, into: g) }
    }
}
