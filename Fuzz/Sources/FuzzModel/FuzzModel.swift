import Foundation
import SpikeKitEngine
import FuzzSupport

/// libFuzzer entry: decodes the bytes as a model description (JSON, the schema of the verification cases and of
/// checkpoints) and resolves it into a validated architecture, whose sizes must then be consistent.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModel(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Data(bytes: data, count: size)
    guard let description = try? JSONDecoder().decode(NetworkDescription.self, from: bytes),
          let architecture = try? NetworkArchitecture(description) else { return 0 }
    for layer in architecture.layers {
        precondition(layer.shape.count > 0 && layer.feedForward.fanIn > 0, "validated layer with an empty shape")
        _ = layer.feedForward.weightShape
        _ = layer.recurrent?.weightShape
    }
    return 0
}

/// The entry point SwiftPM's debug link names `main`; see `runFuzzer`.
@_cdecl("FuzzModel_main")
public func fuzzModelMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzModel)
}
