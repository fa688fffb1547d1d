import Foundation
import SpikeKitFormats
import FuzzSupport

/// libFuzzer entry: decodes the bytes as a safetensors file; every tensor's element count must match its shape.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Data(bytes: data, count: size)
    guard let file = try? Safetensors.decode(bytes, path: "fuzz.safetensors") else { return 0 }
    for (_, t) in file.tensors {
        precondition(t.scalars.count == t.shape.reduce(1, *), "tensor scalars do not match the shape")
    }
    return 0
}

/// The entry point SwiftPM's debug link names `main`; see `runFuzzer`.
@_cdecl("FuzzSafetensors_main")
public func fuzzSafetensorsMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzSafetensors)
}
