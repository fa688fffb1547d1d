import Testing
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitExperiments

/// The padded weight copies and the dense drive's vector tails of `PackedConnection` against scalar references.
@Suite struct ConnectionLayoutTests {
    /// `alignedRows` holds `transposed` row by row at a stride that is a multiple of 16 floats, each row on a cache
    /// line, with zero padding, and follows a second weight load; an input count that is a multiple of 16, conv, and a
    /// connection built without `alignedRowCopy` use `transposed` itself.
    @Test func alignedRowsFollowTheWeights() {
        for (inputs, outputs) in [(200, 200), (13, 11), (20, 128), (40, 3)] {
            let c = PackedConnection(geometry: .dense(input: ActivityShape(units: inputs), outputs: outputs), alignedRowCopy: true)
            for round in 0 ..< 2 {
                let w = (0 ..< inputs * outputs).map { Float($0 % 97) * 0.25 - Float(round) * 3 }
                c.load(canonical: w)
                let k = c.kernel
                #expect(k.alignedRowStride == (inputs + 15) / 16 * 16)
                #expect(Int(bitPattern: k.alignedRows) % 64 == 0)
                var wrong = 0, padding = 0
                for o in 0 ..< outputs {
                    for q in 0 ..< inputs where k.alignedRows[o * k.alignedRowStride + q] != w[o * inputs + q] { wrong += 1 }
                    for q in inputs ..< k.alignedRowStride where k.alignedRows[o * k.alignedRowStride + q] != 0 { padding += 1 }
                }
                #expect(wrong == 0, "\(inputs) × \(outputs), load \(round): \(wrong) weights differ")
                #expect(padding == 0, "\(inputs) × \(outputs): \(padding) padding floats are not zero")
            }
        }
        let aligned = PackedConnection(geometry: .dense(input: ActivityShape(units: 32), outputs: 5), alignedRowCopy: true).kernel
        #expect(aligned.alignedRows == aligned.transposed && aligned.alignedRowStride == 32)
        let plain = PackedConnection(geometry: .dense(input: ActivityShape(units: 200), outputs: 5)).kernel
        #expect(plain.alignedRows == plain.transposed && plain.alignedRowStride == 200)
        let conv = PackedConnection(geometry: .conv(input: ActivityShape(channels: 3, positions: 10), outChannels: 4,
                                                    kernel: 3, stride: 1, padding: 1)).kernel
        #expect(conv.alignedRows == conv.transposed)
    }

    /// The dense event-driven drive equals the sum over the active inputs in their order, to the bit, for widths
    /// that end in a 64-wide block, a 16-wide step, the 8-wide step (200 = 3 · 64 + 8) and scalars.
    @Test func denseDriveMatchesTheInputOrderSum() {
        for width in [200, 72, 24, 13, 8, 5, 64] {
            let inputs = 30
            let c = PackedConnection(geometry: .dense(input: ActivityShape(units: inputs), outputs: width))
            let w = (0 ..< inputs * width).map { Float(($0 * 37) % 101) * 0.013 - 0.6 }
            c.load(canonical: w)
            let active: [Int32] = [3, 0, 17, 29, 8, 8, 21]
            let start = (0 ..< width).map { Float($0) * 0.5 - 1 }
            var out = start
            active.withUnsafeBufferPointer { a in
                out.withUnsafeMutableBufferPointer { o in
                    c.kernel.accumulate(active: a.baseAddress!, count: a.count, into: o.baseAddress!)
                }
            }
            var wrong = 0
            for o in 0 ..< width {
                var sum = start[o]
                for q in active { sum += w[o * inputs + Int(q)] }
                if sum != out[o] { wrong += 1 }
            }
            #expect(wrong == 0, "width \(width): \(wrong) outputs differ")
        }
    }

    /// The layers that can take the event-driven input gradient keep the aligned copy: the spike-train-matching
    /// output layer does; the SHD network's conv layers and readout do not.
    @Test func eventEligibleLayersKeepTheCopy() throws {
        let stm = try NetworkArchitecture(PaperNetworks.spikeTrainMatching(stochastic: true))
        #expect(stm.layers.last!.mayTakeEventInputGradient)
        let shd = try NetworkArchitecture(PaperNetworks.shdCSNN(stochastic: false))
        #expect(shd.layers.allSatisfy { !$0.mayTakeEventInputGradient })
    }
}
