import Foundation
import SpikeKitEngine
import FuzzSupport

/// libFuzzer entry: parses the bytes as a checkpoint (safetensors with SpikeKit's metadata: model, optimizer,
/// seed, epoch) and restores its optimizer, as `--resume` and `spikekit evaluate` do.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckpoint(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Data(bytes: data, count: size)
    guard let checkpoint = try? Checkpoint.decode(bytes, path: "fuzz.safetensors") else { return 0 }
    _ = try? checkpoint.restoredOptimizer()
    return 0
}

/// The entry point SwiftPM's debug link names `main`; see `runFuzzer`.
@_cdecl("FuzzCheckpoint_main")
public func fuzzCheckpointMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzCheckpoint)
}
