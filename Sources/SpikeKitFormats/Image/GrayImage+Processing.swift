extension GrayImage {
    /// The image scaled to `width` × `height` by area averaging: each output pixel is the mean of the source area
    /// it covers, source pixels that straddle its edge counted by the fraction that lies inside. Shrinking
    /// therefore averages (no aliasing), and enlarging repeats pixels, blending only where an output pixel
    /// straddles two source pixels. The two axes are scaled one after the other.
    /// - Throws: `SpikeKitError.invalidConfiguration` when a dimension is not positive or the size exceeds
    ///   2^28 pixels.
    public func resized(width newWidth: Int, height newHeight: Int) throws -> GrayImage {
        guard newWidth > 0, newHeight > 0, newWidth <= GrayImage.maxPixelCount / newHeight else {
            throw SpikeKitError.invalidConfiguration("cannot resize an image to \(newWidth) × \(newHeight)")
        }
        if newWidth == width && newHeight == height { return self }
        let columns = GrayImage.areaWeights(from: width, to: newWidth)
        let rows = GrayImage.areaWeights(from: height, to: newHeight)
        var horizontal = [Float](repeating: 0, count: newWidth * height)
        for y in 0 ..< height {
            for (j, weights) in columns.enumerated() {
                var sum: Float = 0
                for (k, w) in weights { sum += w * pixels[y * width + k] }
                horizontal[y * newWidth + j] = sum
            }
        }
        var out = [Float](repeating: 0, count: newWidth * newHeight)
        for (i, weights) in rows.enumerated() {
            for (k, w) in weights {
                for x in 0 ..< newWidth { out[i * newWidth + x] += w * horizontal[k * newWidth + x] }
            }
        }
        return GrayImage(unchecked: newWidth, newHeight, out.map { min(max($0, 0), 1) })
    }

    /// For each of `m` output cells along an axis of `n` source cells: the source cells it overlaps and the
    /// fraction of the output cell each covers (the fractions sum to 1).
    static func areaWeights(from n: Int, to m: Int) -> [[(Int, Float)]] {
        let scale = Double(n) / Double(m)
        return (0 ..< m).map { j in
            let lo = Double(j) * scale, hi = Double(j + 1) * scale
            var weights: [(Int, Float)] = []
            var k = Int(lo)
            while k < n && Double(k) < hi {
                let overlap = min(hi, Double(k + 1)) - max(lo, Double(k))
                if overlap > 1e-12 { weights.append((k, Float(overlap / scale))) }
                k += 1
            }
            return weights
        }
    }

    /// The image reduced to black and white (0 and 1) by Floyd–Steinberg error diffusion: pixels are visited row
    /// by row, left to right; each becomes 0 when its value (plus the error diffused into it) is below 0.5 and 1
    /// otherwise, and the rounding error is passed on with weights 7/16 (right), 3/16 (below left), 5/16 (below)
    /// and 1/16 (below right). The local mean brightness is preserved, so the fraction of black pixels follows
    /// the image's darkness. Deterministic.
    public func dithered() -> GrayImage {
        var v = pixels
        for y in 0 ..< height {
            for x in 0 ..< width {
                let i = y * width + x
                let old = v[i]
                let new: Float = old < 0.5 ? 0 : 1
                v[i] = new
                let e = old - new
                if x + 1 < width { v[i + 1] += e * 7 / 16 }
                if y + 1 < height {
                    if x > 0 { v[i + width - 1] += e * 3 / 16 }
                    v[i + width] += e * 5 / 16
                    if x + 1 < width { v[i + width + 1] += e * 1 / 16 }
                }
            }
        }
        return GrayImage(unchecked: width, height, v)
    }

    /// The image reduced to black and white without diffusion: 0 where a pixel is below `threshold`, else 1.
    public func thresholded(at threshold: Float = 0.5) -> GrayImage {
        GrayImage(unchecked: width, height, pixels.map { $0 < threshold ? 0 : 1 })
    }
}
