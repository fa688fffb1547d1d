import SpikeKitFormats
import SpikeKitEngine
import FuzzSupport

/// libFuzzer entry: parses the bytes as an HDF5 file (plain or gzip), walks the groups from the root (depth at
/// most 8, 256 members each, 256 objects in all), reads every dataset with each typed reader, then reads the file
/// as an SHD data set and summarises it as `spikekit data info` does (the SHD layer runs in the -Ounchecked engine
/// in a release build). Errors are the expected outcome; a trap, a sanitizer report, a hang or running out of
/// memory is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHDF5(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let file = try? HDF5File(bytes: bytes, name: "fuzz.h5") else { return 0 }
    var budget = 256
    walk(file, path: "/", depth: 0, budget: &budget)
    if let shd = try? SHDDataset(file: file) {
        let s = shd.summary(options: SHDRasterOptions(duration: 0.7, channels: 700))
        precondition(s.spikesInWindow + s.nonFiniteTimes + s.negativeTimes + s.timesAfterWindow + s.unitsOutOfRange == s.spikes,
                     "summary counts do not add up")
    }
    return 0
}

/// Visits the objects below `path`, at most `budget` of them in all: links may form cycles (a group that holds
/// itself), which a depth limit alone would turn into 256^8 visits.
func walk(_ file: HDF5File, path: String, depth: Int, budget: inout Int) {
    guard budget > 0 else { return }
    budget -= 1
    guard depth < 8, let members = try? file.groupMembers(at: path) else {
        read(file, path: path)
        return
    }
    for name in members.prefix(256) {
        walk(file, path: path == "/" ? "/" + name : path + "/" + name, depth: depth + 1, budget: &budget)
    }
}

func read(_ file: HDF5File, path: String) {
    guard let d = try? file.dataset(at: path) else { return }
    _ = d.shape
    _ = try? d.readIntegers()
    _ = try? d.readFloats()
    _ = try? d.readStrings()
    _ = try? d.readVLenFloats()
    _ = try? d.readVLenIntegers()
}

/// The entry point SwiftPM's debug link names `main`; see `runFuzzer`.
@_cdecl("FuzzHDF5_main")
public func fuzzHDF5Main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzHDF5)
}
