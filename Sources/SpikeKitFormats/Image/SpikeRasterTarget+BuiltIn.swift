extension SpikeRasterTarget {
    /// SpikeKit's default target, drawn by code so that no image file is needed: a domed rotunda in the manner of
    /// the Radcliffe Camera (`GrayImage.builtInPicture`), scaled to `steps` × `neurons` and Floyd–Steinberg
    /// dithered. At the default 200 neurons × 189 steps about a quarter of the cells are spikes. Deterministic:
    /// the same size always gives the same raster.
    /// - Throws: `SpikeKitError.invalidConfiguration` when a dimension is not positive or the size exceeds 2^28.
    public static func builtIn(neurons: Int = 200, steps: Int = 189) throws -> SpikeRasterTarget {
        let picture = try GrayImage.builtInPicture(width: steps, height: neurons)
        return try SpikeRasterTarget(image: picture.dithered(), neurons: neurons, steps: steps)
    }
}

extension GrayImage {
    /// A grayscale drawing of a domed rotunda on a lawn under a pale sky (in the manner of the Radcliffe Camera):
    /// a rusticated base with arched openings, a drum of paired columns with dark windows, a cornice and
    /// balustrade, a ribbed dome lit from the left and a lantern with a finial, with trees at both sides. It is
    /// drawn in coordinates relative to the picture size, so any size shows the same scene, and each pixel is the
    /// mean of 4 × 4 samples (anti-aliased).
    /// - Throws: `SpikeKitError.invalidConfiguration` when a dimension is not positive or the size exceeds 2^28.
    public static func builtInPicture(width: Int, height: Int) throws -> GrayImage {
        guard width > 0, height > 0, width <= maxPixelCount / height else {
            throw SpikeKitError.invalidConfiguration("cannot draw a \(width) × \(height) picture")
        }
        let samples = 4
        var pixels = [Float](repeating: 0, count: width * height)
        for y in 0 ..< height {
            for x in 0 ..< width {
                var sum: Float = 0
                for sy in 0 ..< samples {
                    for sx in 0 ..< samples {
                        let u = (Double(x) + (Double(sx) + 0.5) / Double(samples)) / Double(width)
                        let v = (Double(y) + (Double(sy) + 0.5) / Double(samples)) / Double(height)
                        sum += Float(rotunda(u, v))
                    }
                }
                pixels[y * width + x] = sum / Float(samples * samples)
            }
        }
        return GrayImage(unchecked: width, height, pixels)
    }

    /// Brightness of the scene at (u, v), both in 0...1 from the top-left corner.
    static func rotunda(_ u: Double, _ v: Double) -> Double {
        let dx = u - 0.5, ax = abs(dx)
        // Lantern: finial, cap, windowed body.
        if ax < 0.006 && v > 0.015 && v < 0.05 { return 0.1 }
        if v >= 0.05 && v < 0.07 && ax < 0.035 - (0.07 - v) * 1.2 { return 0.25 }
        if v >= 0.07 && v < 0.125 && ax < 0.04 {
            let window = ax > 0.008 && ax < 0.026 && v > 0.08 && v < 0.115
            return window ? 0.1 : 0.7
        }
        // Ribbed dome, lit from the left.
        let domeBase = 0.30, domeHalfWidth = 0.25, domeHeight = 0.18
        let r = (dx / domeHalfWidth) * (dx / domeHalfWidth) + ((v - domeBase) / domeHeight) * ((v - domeBase) / domeHeight)
        if v <= domeBase && v >= 0.12 && r <= 1 {
            let s = dx / domeHalfWidth  // -1 (left) ... 1 (right)
            var shade = 0.66 - 0.36 * s - 0.15 * r
            let angle = asinLike(s / max(0.2, (1 - ((v - domeBase) / domeHeight) * ((v - domeBase) / domeHeight)).squareRoot()))
            if abs((angle * 8).truncatingRemainder(dividingBy: 1) - 0.5) > 0.42 { shade -= 0.3 }  // ribs
            return min(max(shade, 0.05), 0.95)
        }
        // Attic drum under the dome, with small windows.
        if v > domeBase && v < 0.36 && ax < 0.27 {
            let window = v > 0.315 && v < 0.345 && abs((dx / 0.06).rounded() * 0.06 - dx) < 0.012
            return window ? 0.15 : 0.72 - 0.25 * (dx / 0.27)
        }
        // Balustrade and cornice.
        if v >= 0.36 && v < 0.39 && ax < 0.36 {
            return abs((dx / 0.02).rounded() * 0.02 - dx) < 0.004 || v > 0.38 ? 0.5 : 0.88
        }
        if v >= 0.39 && v < 0.425 && ax < 0.37 { return 0.2 }
        // Drum with paired columns and tall windows.
        if v >= 0.425 && v < 0.72 && ax < 0.34 {
            let bay = 0.085
            let phase = ((dx + bay / 2) / bay - ((dx + bay / 2) / bay).rounded(.down))  // 0...1 within a bay
            let shade = -0.22 * (dx / 0.34)
            if phase < 0.12 || (phase > 0.2 && phase < 0.32) { return 0.93 + shade * 0.5 }  // column pair
            if phase > 0.45 && phase < 0.85 && v > 0.47 && v < 0.66 {
                return v < 0.49 ? 0.45 : 0.08  // window with a lintel
            }
            return 0.74 + shade
        }
        // Rusticated base with arches.
        if v >= 0.72 && v < 0.89 && ax < 0.41 {
            let bay = 0.1
            let phase = ((dx + bay / 2) / bay - ((dx + bay / 2) / bay).rounded(.down))
            let cx = (phase - 0.5) * bay
            let archTop = 0.775
            let inArch = abs(cx) < 0.025 && (v > archTop || (cx * cx / (0.025 * 0.025) + (v - archTop) * (v - archTop) / (0.02 * 0.02)) < 1)
            if inArch && v < 0.87 { return 0.05 }
            let joint = (v * 120).truncatingRemainder(dividingBy: 1) < 0.12
            return (joint ? 0.5 : 0.68) - 0.2 * (dx / 0.41)
        }
        // Steps, lawn, trees and sky.
        if v >= 0.89 && v < 0.91 && ax < 0.44 { return 0.75 }
        if v >= 0.9 { return 0.6 + 0.1 * sin01(u * 40) }
        let tree = treeDensity(u, v)
        if tree > 0 { return 0.3 + 0.15 * tree }
        return 1 - 0.06 * v
    }

    /// A smooth stand-in for arcsin(x)/π + 1/2 on -1...1 (monotone, 0...1), enough to space the dome's ribs.
    static func asinLike(_ x: Double) -> Double {
        let c = min(max(x, -1), 1)
        return 0.5 + c * (0.5 - 0.1 * (1 - c * c))
    }

    /// A periodic bump in 0...1 (1 - |triangle wave|), used for the texture of the lawn.
    static func sin01(_ t: Double) -> Double {
        let f = t - t.rounded(.down)
        return 1 - abs(2 * f - 1)
    }

    /// Rounded tree crowns at both edges of the picture: >0 inside a crown (its relative depth), 0 outside.
    static func treeDensity(_ u: Double, _ v: Double) -> Double {
        let crowns: [(Double, Double, Double)] = [(0.02, 0.62, 0.1), (0.09, 0.72, 0.09), (0.97, 0.64, 0.1),
                                                  (0.9, 0.74, 0.08), (0.05, 0.82, 0.09), (0.95, 0.83, 0.09)]
        var best = 0.0
        for (cu, cv, radius) in crowns {
            let d = ((u - cu) * (u - cu) + (v - cv) * (v - cv) * 0.8).squareRoot()
            if d < radius { best = max(best, 1 - d / radius) }
        }
        if (u < 0.09 || u > 0.91) && v > 0.8 && v < 0.9 && abs((u * 50).truncatingRemainder(dividingBy: 1) - 0.5) < 0.15 {
            best = max(best, 0.2)
        }
        return best
    }
}
