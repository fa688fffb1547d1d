import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine

/// A connection of a `StochasticLIFNetwork` written out synapse by synapse in canonical order, with tied weights:
/// output unit `o` receives `Σ_{k ∈ synapses(o)} w[parameter_k] · a[source_k]`.
///
/// A dense connection `(out, in)` has one synapse per weight (`parameter = o·in + j`). A conv1d connection
/// (PyTorch `conv1d`, zero padding, SPEC section 2) ties every position of an output channel to the same kernel:
/// `out[o, j] = Σ_c Σ_k W[o, c, k] · a[c, j·s + k - p]`, canonical indices `o·P' + j` and `c·P + (j·s + k - p)`,
/// parameter `o·(C·K) + c·K + k`. Padding positions have no synapse.
struct LIFConnectionMap: Sendable, Equatable {
    let inputs: Int
    let outputs: Int
    let parameterCount: Int
    /// Synapses of output `o`: `start[o] ..< start[o + 1]`.
    let start: [Int]
    let source: [Int]
    let parameter: [Int]
    /// Every synapse that parameter `k` sits on: `(output, source)`.
    let uses: [[(output: Int, source: Int)]]

    static func == (a: LIFConnectionMap, b: LIFConnectionMap) -> Bool {
        a.inputs == b.inputs && a.outputs == b.outputs && a.start == b.start && a.source == b.source
            && a.parameter == b.parameter
    }

    init(_ geometry: ConnectionGeometry) {
        var start = [0], source: [Int] = [], parameter: [Int] = []
        switch geometry {
        case .dense(let input, let n):
            let m = input.count
            for o in 0..<n {
                for j in 0..<m {
                    source.append(j)
                    parameter.append(o * m + j)
                }
                start.append(source.count)
            }
            inputs = m
            outputs = n
            parameterCount = n * m
        case .conv(let input, let cOut, let k, let s, let p):
            let positionsOut = geometry.output.positions
            let cIn = input.channels, positionsIn = input.positions
            for o in 0..<cOut {
                for j in 0..<positionsOut {
                    for c in 0..<cIn {
                        for kk in 0..<k {
                            let pos = j * s + kk - p
                            guard pos >= 0, pos < positionsIn else { continue }
                            source.append(c * positionsIn + pos)
                            parameter.append(o * cIn * k + c * k + kk)
                        }
                    }
                    start.append(source.count)
                }
            }
            inputs = input.count
            outputs = cOut * positionsOut
            parameterCount = cOut * cIn * k
        }
        var uses = [[(output: Int, source: Int)]](repeating: [], count: parameterCount)
        for o in 0..<outputs {
            for q in start[o]..<start[o + 1] { uses[parameter[q]].append((o, source[q])) }
        }
        self.start = start
        self.source = source
        self.parameter = parameter
        self.uses = uses
    }

    /// `out[o] += Σ w[offset + parameter] · a[source]` for the activity `a[aOffset ..< aOffset + inputs]`.
    @inline(__always)
    func accumulate(_ w: [Double], offset: Int, activity a: [Double], at aOffset: Int, into out: inout [Double], at oOffset: Int) {
        for o in 0..<outputs {
            var acc = 0.0
            for q in start[o]..<start[o + 1] {
                let v = a[aOffset + source[q]]
                if v != 0 { acc += w[offset + parameter[q]] * v }
            }
            out[oOffset + o] += acc
        }
    }
}
