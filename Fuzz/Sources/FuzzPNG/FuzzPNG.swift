import SpikeKitFormats
import FuzzSupport

/// libFuzzer entry: decodes the bytes as an image (the corpus holds PNG files, so the PNG decoder is what runs)
/// and, for a decoded image, turns it into a spike-raster target as `spikekit match --target` does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNG(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let image = try? GrayImage.decode(bytes, path: "fuzz.png") else { return 0 }
    _ = image.blackFraction
    return 0
}

/// The entry point SwiftPM's debug link names `main`; see `runFuzzer`.
@_cdecl("FuzzPNG_main")
public func fuzzPNGMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzPNG)
}
