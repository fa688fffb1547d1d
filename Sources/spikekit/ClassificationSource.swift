import Foundation
import SpikeKit

/// Where a classification run's data come from, saved in its checkpoints (`classification.source`) so that
/// `spikekit evaluate` can rebuild exactly the same sets.
enum ClassificationSource: Codable, Equatable {
    /// The SHD files `shd_train.h5[.gz]` and `shd_test.h5[.gz]`: validation is a seeded split of the training file.
    case shd(train: String, test: String?, raster: SHDRasterOptions, maxSamples: Int?)
    /// One SHD-layout file, split into training, validation and test.
    case file(path: String, raster: SHDRasterOptions, maxSamples: Int?)
    /// Generated Randman data, split into training, validation and test.
    case randman(Randman.Configuration)

    /// Finds `shd_train.h5` / `shd_train.h5.gz` (and the test file) in `folder`.
    static func shd(folder: String, raster: SHDRasterOptions = SHDRasterOptions(), maxSamples: Int?, requireTrain: Bool = true) throws -> ClassificationSource {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw CommandError("--data \(folder): no such folder")
        }
        func find(_ stem: String) -> String? {
            for ext in [".h5", ".h5.gz"] {
                let p = (folder as NSString).appendingPathComponent(stem + ext)
                if FileManager.default.fileExists(atPath: p) { return p }
            }
            return nil
        }
        let test = find("shd_test")
        guard let train = find("shd_train") else {
            if !requireTrain, let test { return .shd(train: "", test: test, raster: raster, maxSamples: maxSamples) }
            throw CommandError("\(folder) holds no shd_train.h5 or shd_train.h5.gz")
        }
        return .shd(train: train, test: test, raster: raster, maxSamples: maxSamples)
    }

    /// A name for messages.
    var name: String {
        switch self {
        case .shd(let train, let test, _, _): return "SHD (\(train.isEmpty ? "-" : train), \(test ?? "no test file"))"
        case .file(let path, _, _): return path
        case .randman(let c): return "randman (\(c.classes) classes, \(c.units) units, \(c.steps) steps, \(c.samplesPerClass) per class, seed \(c.seed))"
        }
    }

    /// Loads an SHD-layout file, naming it in errors.
    static func load(_ path: String) throws -> SHDDataset {
        guard FileManager.default.fileExists(atPath: path) else { throw CommandError("\(path): no such file") }
        return try SHDDataset(path: path)
    }

    /// The training, validation and test sets for `configuration`'s seed and fractions. Before a file is binned or
    /// Randman data are generated, the memory of the binned samples is estimated and checked against `memoryLimit`
    /// (bytes).
    func load(_ c: ClassificationExperiment.Configuration, memoryLimit: Double = .infinity)
        throws -> (ClassificationData, ClassificationData, ClassificationData) {
        func bin(_ path: String, _ raster: SHDRasterOptions, _ maxSamples: Int?) throws -> ClassificationData {
            let d = try Self.load(path)
            try raster.validate()
            let n = min(d.count, maxSamples ?? d.count)
            let spikes = d.times.prefix(n).reduce(0.0) { $0 + Double($1.count) }
            try Self.checkDataMemory(samples: n, steps: raster.steps, spikes: spikes, limit: memoryLimit, what: path)
            return try ClassificationData(shd: d, options: raster, limit: maxSamples)
        }
        switch self {
        case .shd(let trainPath, let testPath, let raster, let maxSamples):
            let test = try testPath.map { try bin($0, raster, maxSamples) }
            guard !trainPath.isEmpty else {
                guard let test else { throw CommandError("no SHD files") }
                let empty = test.subset([])
                return (empty, empty, test)
            }
            let all = try bin(trainPath, raster, maxSamples)
            let (t, v) = try SHDDataset.validationSplit(count: all.count, seed: c.seed, fraction: c.validationFraction)
            return (all.subset(t), all.subset(v), test ?? all.subset([]))
        case .file(let path, let raster, let maxSamples):
            let all = try bin(path, raster, maxSamples)
            return try all.split(seed: c.seed, validationFraction: c.validationFraction, testFraction: c.testFraction)
        case .randman(let r):
            let samples = Double(r.classes) * Double(r.samplesPerClass)
            try Self.checkDataMemory(samples: Int(samples), steps: r.steps,
                                     spikes: samples * Double(r.units) * Double(r.spikesPerUnit), limit: memoryLimit,
                                     what: "randman data")
            let all = try ClassificationData(randman: Randman.generate(r))
            return try all.split(seed: c.seed, validationFraction: c.validationFraction, testFraction: c.testFraction)
        }
    }

    /// Throws when binned samples (`steps + 1` step offsets of 4 bytes per sample, 8 bytes per spike) would need
    /// more than `limit` bytes.
    static func checkDataMemory(samples: Int, steps: Int, spikes: Double, limit: Double, what: String) throws {
        let bytes = Double(samples) * (Double(steps) + 1) * 4 + spikes * 8
        guard bytes <= limit else {
            throw CommandError("\(what): \(samples) samples of \(steps) steps would need about \(RunEstimate.size(bytes)) of "
                + "memory, more than the limit of \(RunEstimate.size(limit)); use fewer steps or samples or raise --max-memory-gb")
        }
    }

    /// The most time steps a raster may have (as `SHDRasterOptions.validate` allows).
    static let maxSteps = 1e7

    /// Raster options for a file of unknown extent: `channels` = largest unit + 1 and `duration` = the steps of Δt that
    /// cover the latest spike, unless given.
    static func rasterOptions(for path: String, dt: Double, duration: Double?, channels: Int?) throws -> SHDRasterOptions {
        if let duration, let channels { return SHDRasterOptions(dt: dt, duration: duration, channels: channels) }
        let d = try load(path)
        let maxUnit = d.units.lazy.compactMap { $0.max() }.max().map(Int.init) ?? 0
        let maxTime = d.times.lazy.compactMap { $0.filter(\.isFinite).max() }.max().map(Double.init) ?? dt
        // The quotient is checked before it becomes an Int: a spike at 1e29 s or --dt 1e-300 would not fit one.
        let quotient = (maxTime / dt).rounded(.down)
        guard duration != nil || quotient < maxSteps else {
            throw CommandError("\(path): its latest spike at " + String(format: "%g s is %g steps of --dt %g s, more than %g", maxTime,
                                                                         quotient, dt, maxSteps)
                + "; give --duration (the window to keep) or a larger --dt")
        }
        if let duration { return SHDRasterOptions(dt: dt, duration: duration, channels: channels ?? maxUnit + 1) }
        let steps = max(1, Int(max(0, quotient)) + 1)
        return SHDRasterOptions(dt: dt, duration: Double(steps) * dt, channels: channels ?? maxUnit + 1)
    }
}
