import SpikeKitFormats
import FuzzSupport

/// libFuzzer entry: decodes the bytes as a Netpbm image (P1-P6; the first two bytes are forced to a Netpbm magic
/// so that every input reaches the PNM decoder).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNM(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard bytes.count >= 2 else { return 0 }
    bytes[0] = UInt8(ascii: "P")
    bytes[1] = UInt8(ascii: "1") + bytes[1] % 6
    guard let image = try? GrayImage.decode(bytes, path: "fuzz.pgm") else { return 0 }
    _ = image.blackFraction
    return 0
}

/// The entry point SwiftPM's debug link names `main`; see `runFuzzer`.
@_cdecl("FuzzPNM_main")
public func fuzzPNMMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzPNM)
}
