import CFuzzDriver

/// The signature of `LLVMFuzzerTestOneInput`.
public typealias FuzzTarget = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

/// Runs libFuzzer's driver on `target` with the command line.
///
/// SwiftPM links a debug executable with `main` defined as `<Target>_main` (so that tests can link the module), which
/// hides libFuzzer's own `main`; each harness therefore defines `<Target>_main` and calls this, which hands the
/// command line to `LLVMFuzzerRunDriver` of the fuzzer runtime that `-sanitize=fuzzer` links.
public func runFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ target: FuzzTarget) -> CInt {
    var c = argc
    var v = argv
    return LLVMFuzzerRunDriver(&c, &v, target)
}
