// swift-tools-version:6.1
import PackageDescription
import Foundation

// The module cut (see Sources/SpikeKit/SpikeKit.swift and docs/Architecture.md):
//   SpikeKitFormats   file formats, Tensor, errors       checks on (untrusted input)
//   SpikeKitKernels   time-loop primitives               -Ounchecked
//   SpikeKitEngine    neurons, layers, networks, training, data, statistics
//                     -Ounchecked: its time loops (LayerPass, RunContext) are 8-10 % slower with checks on SHD;
//                     every description is validated (checked arithmetic, explicit guards) before a run
//   SpikeKitTheory    Perceptron theory and estimators
//   SpikeKitExperiments  the paper's experiments
//   SpikeKitVerification reference cases
//   SpikeKit          umbrella: `import SpikeKit` brings all of them
//   spikekit          the command-line tool
//   CMPI, SpikeKitMPI the MPI backend (data-parallel training, sweeps), compiled only with the package trait MPI:
//                     `swift build -c release --traits MPI` (needs Open MPI or MPICH; see docs/MPI.md). Without the
//                     trait their sources are empty and nothing needs a system package.
//
// Numeric modules build optimised even in debug (so `swift test` runs at release speed) and for the CPU that
// compiles them (SIMD width and FMA decide kernel speed; see docs/Performance.md).
//
// The target CPU is `native` unless SPIKEKIT_TARGET_CPU names another (an LLVM CPU name such as `znver3`,
// `haswell`, `znver4`, `skylake-avx512`), e.g. to build and inspect the AVX-512 code path on an AVX2 machine.
// When the target has AVX-512 (32 vector registers), the kernels are compiled with SPIKEKIT_WIDE_REGISTERS and
// use register tiles that need them; otherwise tiles that fit AVX2's 16 (docs/Performance.md).
let targetCPU = Context.environment["SPIKEKIT_TARGET_CPU"] ?? "native"
let targetHasAVX512: Bool = {
    if targetCPU != "native" {
        let avx512 = ["avx512", "skylake-avx512", "cascadelake", "cooperlake", "cannonlake", "icelake", "tigerlake",
                      "rocketlake", "sapphirerapids", "graniterapids", "emeraldrapids", "znver4", "znver5", "x86-64-v4"]
        return avx512.contains { targetCPU.hasPrefix($0) }
    }
    #if os(Linux)
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return false }
    return info.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").contains("avx512f") ?? false
    #else
    return false
    #endif
}()
let vectorDefines: [SwiftSetting] = targetHasAVX512 ? [.define("SPIKEKIT_WIDE_REGISTERS", .when(configuration: .release))] : []
let kernelFlags: [SwiftSetting] = [
    .unsafeFlags(["-O"], .when(configuration: .debug)),
    .unsafeFlags(["-Ounchecked", "-target-cpu", targetCPU], .when(configuration: .release)),
] + vectorDefines
let numericFlags: [SwiftSetting] = [
    .unsafeFlags(["-O"], .when(configuration: .debug)),
    .unsafeFlags(["-target-cpu", targetCPU], .when(configuration: .release)),
]
let numerics: Target.Dependency = .product(name: "RealModule", package: "swift-numerics")

let package = Package(
    name: "SpikeKit",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "SpikeKit", targets: ["SpikeKit"]),
        .library(name: "SpikeKitFormats", targets: ["SpikeKitFormats"]),
        .library(name: "SpikeKitEngine", targets: ["SpikeKitEngine"]),
        .executable(name: "spikekit", targets: ["spikekit"]),
    ],
    traits: [
        .trait(name: "MPI", description: "Data-parallel training and sweeps on MPI (needs libopenmpi-dev or MPICH)."),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.2.0"),
    ],
    targets: [
        .target(name: "SpikeKitFormats", dependencies: [numerics], swiftSettings: numericFlags),
        .target(name: "SpikeKitKernels", dependencies: ["SpikeKitFormats", numerics], swiftSettings: kernelFlags),
        .target(name: "SpikeKitEngine", dependencies: ["SpikeKitFormats", "SpikeKitKernels", numerics,
                                                       .product(name: "Atomics", package: "swift-atomics")],
                swiftSettings: kernelFlags),
        .target(name: "SpikeKitTheory", dependencies: ["SpikeKitEngine", numerics], swiftSettings: numericFlags),
        .target(name: "SpikeKitExperiments", dependencies: ["SpikeKitEngine", numerics], swiftSettings: numericFlags),
        .target(name: "SpikeKitVerification", dependencies: ["SpikeKitEngine", "SpikeKitTheory", numerics],
                swiftSettings: numericFlags),
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"]), .brew(["open-mpi"])]),
        .target(name: "SpikeKitMPI", dependencies: [
            "SpikeKitEngine", "SpikeKitFormats", .target(name: "CMPI", condition: .when(traits: ["MPI"])),
        ]),
        .target(name: "SpikeKit", dependencies: [
            "SpikeKitFormats", "SpikeKitKernels", "SpikeKitEngine", "SpikeKitTheory", "SpikeKitExperiments",
            "SpikeKitVerification",
        ]),
        .executableTarget(
            name: "spikekit",
            dependencies: ["SpikeKit", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .target(name: "SpikeKitMPI", condition: .when(traits: ["MPI"]))]
        ),
        .testTarget(
            name: "SpikeKitTests",
            dependencies: ["SpikeKit", "spikekit"],
            exclude: ["Fixtures"],
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
    ]
)
