// swift-tools-version:6.0
import PackageDescription

// The engine is numeric code: build it optimised even in debug (so `swift test` runs at release speed) and for
// the CPU that compiles it (SIMD width and FMA decide kernel speed; see docs/Performance.md).
let engineFlags: [SwiftSetting] = [
    .unsafeFlags(["-O"], .when(configuration: .debug)),
    .unsafeFlags(["-Ounchecked", "-target-cpu", "native"], .when(configuration: .release)),
]

let package = Package(
    name: "SpikeKit",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "SpikeKit", targets: ["SpikeKit"]),
        .executable(name: "spikekit", targets: ["spikekit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
    ],
    targets: [
        .target(
            name: "SpikeKit",
            dependencies: [.product(name: "RealModule", package: "swift-numerics")],
            swiftSettings: engineFlags
        ),
        .executableTarget(
            name: "spikekit",
            dependencies: ["SpikeKit", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(
            name: "SpikeKitTests",
            dependencies: ["SpikeKit"],
            exclude: ["Fixtures"],
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
    ]
)
