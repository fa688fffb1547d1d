import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitEngine
@testable import spikekit
import SpikeKit

/// `SHDDataset.parts(fractions:shuffleSeed:)` and `spikekit data split`: stork's `split_dataset` rounding, order and
/// refusals.
@Suite struct SHDDatasetPartsTests: CommandRunning {
    /// n samples, sample i with i + 1 spikes on unit i % 7 and label i % 3, speaker i % 2.
    static func dataset(_ n: Int) throws -> SHDDataset {
        try SHDDataset(times: (0 ..< n).map { i in (0 ... i).map { Float($0) * 0.001 } },
                       units: (0 ..< n).map { i in [UInt16](repeating: UInt16(i % 7), count: i + 1) },
                       labels: (0 ..< n).map { $0 % 3 }, speakers: (0 ..< n).map { $0 % 2 }, classNames: ["a", "b", "c"])
    }

    @Test func storkRoundingInFileOrder() throws {
        let p = try SHDDataset.partIndices(count: 10000, fractions: [0.8, 0.1, 0.1])
        #expect(p.map(\.count) == [8000, 1000, 1000])
        #expect(p[0] == Array(0 ..< 8000) && p[1] == Array(8000 ..< 9000) && p[2] == Array(9000 ..< 10000))
        // Normalised like stork: 8 : 1 : 1 is the same split.
        #expect(try SHDDataset.partIndices(count: 10000, fractions: [8, 1, 1]) == p)
        // floor per part: 7 samples in halves give 3 + 3, one left over.
        #expect(try SHDDataset.partIndices(count: 7, fractions: [0.5, 0.5]) == [[0, 1, 2], [3, 4, 5]])
    }

    @Test func shuffledPartsAreADisjointSeededSelection() throws {
        let a = try SHDDataset.partIndices(count: 50, fractions: [0.6, 0.4], shuffleSeed: 3)
        #expect(a == (try SHDDataset.partIndices(count: 50, fractions: [0.6, 0.4], shuffleSeed: 3)))
        #expect(a != (try SHDDataset.partIndices(count: 50, fractions: [0.6, 0.4], shuffleSeed: 4)))
        #expect(a.map(\.count) == [30, 20])
        #expect(Set(a[0] + a[1]) == Set(0 ..< 50))
        #expect(a[0] != Array(0 ..< 30))
    }

    @Test func subsetsKeepEverySampleField() throws {
        let d = try Self.dataset(10)
        let parts = try d.parts(fractions: [0.7, 0.3])
        #expect(parts[1].labels == [7 % 3, 8 % 3, 9 % 3])
        #expect(parts[1].speakers == [1, 0, 1])
        #expect(parts[1].times == [d.times[7], d.times[8], d.times[9]])
        #expect(parts[1].units == [d.units[7], d.units[8], d.units[9]])
        #expect(parts[1].classNames == d.classNames)
    }

    @Test(arguments: [[], [0.5, 0], [1, -1], [Double.nan]])
    func refusesBadFractions(_ f: [Double]) throws {
        #expect(throws: SpikeKitError.self) { try SHDDataset.partIndices(count: 10, fractions: f) }
    }

    @Test func commandWritesEachPart() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spikekit-split-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try Self.dataset(20)
        let all = dir + "/all.h5"
        try SHDFile.write(d, to: all)
        let (message, status) = run(["data", "split", all, "--fractions", "0.8,0.1,0.1",
                                     "--output", dir + "/a.h5", "--output", dir + "/b.h5", "--output", dir + "/c.h5"])
        #expect(status == 0, "\(message)")
        let back = try ["a", "b", "c"].map { try SHDDataset(path: dir + "/\($0).h5") }
        #expect(back.map(\.count) == [16, 2, 2])
        #expect(back[2].labels == [18 % 3, 19 % 3])
        // The layout stores times as float16.
        #expect(back[2].times == [d.times[18], d.times[19]].map { $0.map { Float(Float16($0)) } })

        expectOneLineFailure(["data", "split", all, "--fractions", "0.8,0.2", "--output", dir + "/x.h5"],
                             mentioning: ["2 values", "1 --output"], sourceLocation: #_sourceLocation)
        expectOneLineFailure(["data", "split", all, "--fractions", "0.8,abc", "--output", dir + "/x.h5", "--output", dir + "/y.h5"],
                             mentioning: ["--fractions", "0.8,abc"], sourceLocation: #_sourceLocation)
        expectOneLineFailure(["data", "split", all, "--fractions", "1", "--output", all],
                             mentioning: ["input file"], sourceLocation: #_sourceLocation)
        expectOneLineFailure(["data", "split", dir + "/missing.h5", "--fractions", "1", "--output", dir + "/x.h5"],
                             mentioning: ["missing.h5"], sourceLocation: #_sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: dir + "/x.h5"))
    }
}
