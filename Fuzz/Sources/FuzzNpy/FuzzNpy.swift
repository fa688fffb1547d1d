import Foundation
import SpikeKitFormats
import FuzzSupport

/// libFuzzer entry: decodes the bytes as a `.npy` file and reads its elements as floats.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNpy(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Data(bytes: data, count: size)
    guard let array = try? NpyArray.decode(bytes, path: "fuzz.npy") else { return 0 }
    precondition(array.floats.count == array.count, "element count does not match the shape")
    _ = array.tensor
    return 0
}

/// The entry point SwiftPM's debug link names `main`; see `runFuzzer`.
@_cdecl("FuzzNpy_main")
public func fuzzNpyMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzNpy)
}
