import Foundation
import Testing
@testable import SpikeKitFormats
@testable import SpikeKitKernels
@testable import SpikeKitEngine
@testable import SpikeKitTheory
@testable import SpikeKitExperiments
@testable import SpikeKitVerification
import SpikeKit

/// Damaged files must be reported, never trapped on: truncations on a coarse grid and seeded random byte flips.
/// Each read either succeeds or throws a descriptive error. (A trap, an endless loop or a runaway allocation would
/// crash or stall the test process.)
@Suite struct HDF5RobustnessTests {
    /// Opens the bytes and reads everything an SHD loader reads; returns the error description, or nil on success.
    static func readAll(_ bytes: [UInt8], name: String) -> String? {
        do {
            let file = try HDF5File(bytes: bytes, name: name)
            _ = try? file.groupMembers(at: "/")
            _ = try? file.groupMembers(at: "/extra/meta_info")
            _ = try? file.dataset(at: "/spikes/times").readVLenFloats()
            _ = try? file.dataset(at: "/extra/keys").readStrings()
            _ = try? file.dataset(at: "/labels").readFloats()
            _ = try SHDDataset(file: file).summary()
            return nil
        } catch let e as HDF5Error {
            return e.description
        } catch let e as SpikeKitError {
            return e.description
        } catch {
            return "unexpected error type \(type(of: error)): \(error)"
        }
    }

    static func check(_ message: String?, _ name: String) {
        guard let message else { return }
        #expect(message.hasPrefix(name + ":"), "\(message)")
        #expect(!message.contains("unexpected error type"), "\(message)")
    }

    @Test(arguments: ["default.h5", "latest.h5", "chunked.h5", "filters.h5"])
    func truncations(_ fixture: String) throws {
        let bytes = try HDF5Fixtures.bytes(HDF5Fixtures.path(fixture))
        var failures = 0
        for length in stride(from: 0, to: bytes.count, by: 37) {
            let message = Self.readAll(Array(bytes[..<length]), name: "cut.h5")
            Self.check(message, "cut.h5")
            if message != nil { failures += 1 }
        }
        #expect(failures > 0)
    }

    @Test(arguments: ["default.h5", "latest.h5", "chunked.h5", "filters.h5", "vlen-strings.h5"])
    func randomByteFlips(_ fixture: String) throws {
        let bytes = try HDF5Fixtures.bytes(HDF5Fixtures.path(fixture))
        var rng = PhiloxGenerator(seed: 2024, stream: UInt64(fixture.utf8.count))
        for _ in 0 ..< 300 {
            var damaged = bytes
            let flips = 1 + Int(rng.next() % 4)
            for _ in 0 ..< flips {
                let at = Int(rng.next() % UInt64(bytes.count))
                damaged[at] ^= UInt8(truncatingIfNeeded: 1 + rng.next() % 255)
            }
            Self.check(Self.readAll(damaged, name: "flip.h5"), "flip.h5")
        }
    }

    /// Flips aimed at the metadata (the first 4 KiB, where headers, B-trees and heaps live) hit structure fields
    /// far more often than uniform flips over the payload.
    @Test func metadataFlips() throws {
        let bytes = try HDF5Fixtures.bytes(HDF5Fixtures.path("default.h5"))
        var rng = PhiloxGenerator(seed: 99)
        for _ in 0 ..< 400 {
            var damaged = bytes
            let at = Int(rng.next() % 4096)
            damaged[at] = UInt8(truncatingIfNeeded: rng.next())
            if rng.next() % 2 == 0 { damaged[Int(rng.next() % 4096)] = 0xFF }
            Self.check(Self.readAll(damaged, name: "meta.h5"), "meta.h5")
        }
    }

    /// Dense groups (fractal heap + v2 B-tree) and user blocks under truncation and flips.
    @Test(arguments: ["latest-extras.h5", "userblock.h5"])
    func denseGroupsAndUserBlocks(_ fixture: String) throws {
        let bytes = try HDF5Fixtures.bytes(HDF5Fixtures.path(fixture))
        func read(_ b: [UInt8]) -> String? {
            do {
                let f = try HDF5File(bytes: b, name: "d.h5")
                for g in ["/", "/a", "/dense", "/dense_big"] where f.contains(g) { _ = try? f.groupMembers(at: g) }
                _ = try f.groupMembers(at: "/dense_big")
                _ = try f.dataset(at: "/a/b").readIntegers()
                return nil
            } catch let e as HDF5Error {
                return e.description
            } catch {
                return "unexpected error type \(type(of: error)): \(error)"
            }
        }
        for length in stride(from: 0, to: bytes.count, by: 37) { Self.check(read(Array(bytes[..<length])), "d.h5") }
        var rng = PhiloxGenerator(seed: 31)
        for _ in 0 ..< 300 {
            var damaged = bytes
            for _ in 0 ... rng.next() % 3 { damaged[Int(rng.next() % UInt64(bytes.count))] ^= UInt8(1 << (rng.next() % 8)) }
            Self.check(read(damaged), "d.h5")
        }
    }

    @Test func damagedGzip() throws {
        let bytes = try HDF5Fixtures.bytes(HDF5Fixtures.path("default.h5.gz"))
        for length in stride(from: 0, to: bytes.count, by: 997) {
            Self.check(Self.readAll(Array(bytes[..<length]), name: "cut.h5.gz"), "cut.h5.gz")
        }
        var rng = PhiloxGenerator(seed: 5)
        for _ in 0 ..< 50 {
            var damaged = bytes
            damaged[2 + Int(rng.next() % UInt64(bytes.count - 2))] ^= 0x10
            Self.check(Self.readAll(damaged, name: "flip.h5.gz"), "flip.h5.gz")
        }
    }
}
