import SpikeKitFormats

/// The products of a connection with real-valued inputs (currents x[r], one row per sample and step, internal
/// input order), used when a network's input is real-valued: the drive `D[r] = W · x[r]` and the weight gradient
/// `gW = Σ_r δ[r] ⊗ x[r]` (packed layout). Dense connections use the blocked `MatrixProduct` (all samples and steps
/// in one matrix-matrix product); conv connections visit every nonzero input value.
extension ConnectionKernel {
    /// The number of outputs (N).
    package var outputCount: Int { conv.map { $0.outChannels * $0.outPositions } ?? width }

    /// `D[r] += W · x[r]` for `r` in `rows`: `x` is `[rows][inputCount]`, `D` is `[rows][outputs]`.
    package func accumulateCurrents(rows: Range<Int>, currents x: UnsafePointer<Float>, into d: UnsafeMutablePointer<Float>) {
        let nOut = outputCount
        if conv == nil {
            // Packed dense weights are [inputs][N]: D = X · W_packed.
            MatrixProduct.multiplyAdd(rows: rows, n: nOut, depth: inputCount, a: x, lda: inputCount, b: weights, ldb: nOut,
                                      c: d, ldc: nOut)
            return
        }
        for r in rows {
            let xr = x + r * inputCount, dr = d + r * nOut
            for q in 0 ..< inputCount {
                let v = xr[q]
                if v == 0 { continue }
                var g = Int(start[q])
                let end = Int(start[q + 1])
                while g < end {
                    VectorKernels.axpy(v, weights + Int(weightOffset[g]), into: dr + Int(target[g]), count: width)
                    g += 1
                }
            }
        }
    }

    /// Dense: `gW[q] += Σ_r xᵀ[q, r] δ[r]` for the packed rows `q` in `inputs`, with `xT` the currents transposed
    /// `[inputCount][rows]` and `δ` `[rows][N]`.
    package func accumulateCurrentGradientDense(inputs: Range<Int>, transposedCurrents xT: UnsafePointer<Float>, rows: Int,
                                                deltas: UnsafePointer<Float>, into gW: UnsafeMutablePointer<Float>) {
        let nOut = outputCount
        MatrixProduct.multiplyAdd(rows: inputs, n: nOut, depth: rows, a: xT, lda: rows, b: deltas, ldb: nOut, c: gW, ldc: nOut)
    }

    /// Conv (and any geometry): `gW += Σ_r δ[r] ⊗ x[r]` over the nonzero inputs, rows in increasing order.
    package func accumulateCurrentGradient(rows: Range<Int>, currents x: UnsafePointer<Float>, deltas: UnsafePointer<Float>,
                                           into gW: UnsafeMutablePointer<Float>) {
        let nOut = outputCount
        for r in rows {
            let xr = x + r * inputCount, dr = deltas + r * nOut
            for q in 0 ..< inputCount {
                let v = xr[q]
                if v == 0 { continue }
                var g = Int(start[q])
                let end = Int(start[q + 1])
                while g < end {
                    VectorKernels.axpy(v, dr + Int(target[g]), into: gW + Int(weightOffset[g]), count: width)
                    g += 1
                }
            }
        }
    }
}
