// swift-tools-version:6.0
import PackageDescription

// libFuzzer harnesses, one per reader (see docs/Reliability.md). Build and run them with Fuzz/run.sh, which passes
// `-sanitize=fuzzer,address` to every module (the readers and the engine are compiled with coverage
// instrumentation and AddressSanitizer, in the debug configuration: Swift's overflow and bounds checks are on in
// every module, so a value that would wrap silently in the -Ounchecked engine traps here and is found).
let package = Package(
    name: "SpikeKitFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "SpikeKit", path: "..")],
    targets: [
        .target(name: "CFuzzDriver"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzDriver"]),
        .executableTarget(name: "FuzzHDF5", dependencies: ["FuzzSupport", .product(name: "SpikeKitFormats", package: "SpikeKit"),
                                                         .product(name: "SpikeKitEngine", package: "SpikeKit")]),
        .executableTarget(name: "FuzzInflate", dependencies: ["FuzzSupport", .product(name: "SpikeKitFormats", package: "SpikeKit")]),
        .executableTarget(name: "FuzzPNG", dependencies: ["FuzzSupport", .product(name: "SpikeKitFormats", package: "SpikeKit")]),
        .executableTarget(name: "FuzzPNM", dependencies: ["FuzzSupport", .product(name: "SpikeKitFormats", package: "SpikeKit")]),
        .executableTarget(name: "FuzzNpy", dependencies: ["FuzzSupport", .product(name: "SpikeKitFormats", package: "SpikeKit")]),
        .executableTarget(name: "FuzzSafetensors", dependencies: ["FuzzSupport", .product(name: "SpikeKitFormats", package: "SpikeKit")]),
        .executableTarget(name: "FuzzModel", dependencies: ["FuzzSupport", .product(name: "SpikeKitEngine", package: "SpikeKit")]),
        .executableTarget(name: "FuzzCheckpoint", dependencies: ["FuzzSupport", .product(name: "SpikeKitEngine", package: "SpikeKit")]),
    ]
)
