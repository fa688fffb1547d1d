// swift-tools-version:6.0
import PackageDescription

// The README's library quickstart as a package of its own, depending on SpikeKit by path (CI builds and runs it:
// `swift run -c release --package-path Examples randman-quickstart`).
let package = Package(
    name: "SpikeKitExamples",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "SpikeKit", path: "..")],
    targets: [
        .executableTarget(name: "randman-quickstart", dependencies: [.product(name: "SpikeKit", package: "SpikeKit")],
                          path: "Sources/RandmanQuickstart"),
    ]
)
