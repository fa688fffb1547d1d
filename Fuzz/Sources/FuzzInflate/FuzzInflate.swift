import SpikeKitFormats
import FuzzSupport

/// libFuzzer entry: the first byte chooses the container (0 raw deflate, 1 raw with an expected size from the
/// next two bytes, 2 zlib, 3 gzip), the rest is the stream. Gzip members start with their magic, so most corpus
/// files are gzip; each is also tried as zlib and raw deflate.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInflate(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let mode = bytes.first else { return 0 }
    let stream = Array(bytes.dropFirst())
    switch mode % 4 {
    case 0: _ = try? Inflate.raw(stream)
    case 1:
        guard stream.count >= 2 else { return 0 }
        let expected = Int(stream[0]) | Int(stream[1]) << 8
        _ = try? Inflate.raw(Array(stream.dropFirst(2)), expectedSize: expected)
    case 2: _ = try? Inflate.zlib(stream)
    default: _ = try? Inflate.gzip(stream)
    }
    return 0
}

/// The entry point SwiftPM's debug link names `main`; see `runFuzzer`.
@_cdecl("FuzzInflate_main")
public func fuzzInflateMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzInflate)
}
