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

    /// The training, validation and test sets for `configuration`'s seed and fractions.
    func load(_ c: ClassificationExperiment.Configuration) throws -> (ClassificationData, ClassificationData, ClassificationData) {
        switch self {
        case .shd(let trainPath, let testPath, let raster, let maxSamples):
            let test = try testPath.map { try ClassificationData(shd: Self.load($0), options: raster, limit: maxSamples) }
            guard !trainPath.isEmpty else {
                guard let test else { throw CommandError("no SHD files") }
                let empty = test.subset([])
                return (empty, empty, test)
            }
            let all = try ClassificationData(shd: Self.load(trainPath), options: raster, limit: maxSamples)
            let (t, v) = try SHDDataset.validationSplit(count: all.count, seed: c.seed, fraction: c.validationFraction)
            return (all.subset(t), all.subset(v), test ?? all.subset([]))
        case .file(let path, let raster, let maxSamples):
            let all = try ClassificationData(shd: Self.load(path), options: raster, limit: maxSamples)
            return try all.split(seed: c.seed, validationFraction: c.validationFraction, testFraction: c.testFraction)
        case .randman(let r):
            let all = try ClassificationData(randman: Randman.generate(r))
            return try all.split(seed: c.seed, validationFraction: c.validationFraction, testFraction: c.testFraction)
        }
    }

    /// Raster options for a file of unknown extent: `channels` = largest unit + 1 and `duration` = the steps of Δt that
    /// cover the latest spike, unless given.
    static func rasterOptions(for path: String, dt: Double, duration: Double?, channels: Int?) throws -> SHDRasterOptions {
        if let duration, let channels { return SHDRasterOptions(dt: dt, duration: duration, channels: channels) }
        let d = try load(path)
        let maxUnit = d.units.lazy.compactMap { $0.max() }.max().map(Int.init) ?? 0
        let maxTime = d.times.lazy.compactMap { $0.filter(\.isFinite).max() }.max().map(Double.init) ?? dt
        let steps = max(1, Int((maxTime / dt).rounded(.down)) + 1)
        return SHDRasterOptions(dt: dt, duration: duration ?? Double(steps) * dt, channels: channels ?? maxUnit + 1)
    }
}
