import Foundation
import SpikeKit

/// Loads the target of spike-train matching: a picture (PNG, PGM, PPM) whose rows are neurons and columns time
/// steps, a .npy array `[neurons, steps]` of 0/1, or the built-in picture.
enum MatchTargets {
    /// - Parameters:
    ///   - path: the file, or nil for the built-in picture.
    ///   - neurons, steps: the requested size; nil keeps the size of a 1-bit picture or .npy array, and is 200 × 189
    ///     for other pictures and the built-in one.
    static func load(path: String?, neurons: Int?, steps: Int?, dither: Bool) throws -> SpikeRasterTarget {
        guard let path else {
            return try SpikeRasterTarget.builtIn(neurons: neurons ?? 200, steps: steps ?? 189)
        }
        if path.lowercased().hasSuffix(".npy") {
            let a = try NpyArray.read(path: path)
            guard a.shape.count == 2, a.shape[0] > 0, a.shape[1] > 0 else {
                throw SpikeKitError.malformedFile(path: path, message: "a target array must be 2-D [neurons, steps], got shape \(a.shape)")
            }
            let n = a.shape[0], t = a.shape[1]
            if let neurons, neurons != n { throw SpikeKitError.malformedFile(path: path, message: "has \(n) neurons, the network asks for \(neurons)") }
            if let steps, steps != t { throw SpikeKitError.malformedFile(path: path, message: "has \(t) steps, the run asks for \(steps)") }
            let f = a.floats
            guard f.allSatisfy({ $0 == 0 || $0 == 1 }) else {
                throw SpikeKitError.malformedFile(path: path, message: "a target array must hold only 0 and 1")
            }
            var s = [Float](repeating: 0, count: n * t)
            for i in 0 ..< n { for k in 0 ..< t { s[k * n + i] = f[i * t + k] } }
            return try SpikeRasterTarget(neurons: n, steps: t, spikes: s)
        }
        let image = try GrayImage.load(path: path)
        if image.isBinary, neurons == nil, steps == nil {
            return try SpikeRasterTarget(image: image, neurons: image.height, steps: image.width, dither: dither)
        }
        return try SpikeRasterTarget(image: image, neurons: neurons ?? 200, steps: steps ?? 189, dither: dither)
    }
}
