// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "SwiftAutograd",
    products: [
        .library(name: "Autograd", targets: ["Autograd"]),
        .library(name: "TensorCore", targets: ["TensorCore"]),
        .library(name: "Arena", targets: ["Arena"]),
        .executable(name: "tensorbench", targets: ["tensorbench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
    ],
    targets: [
        // MARK: - Public API
        .target(name: "Arena"),
        .target(
            name: "TensorCore",
            dependencies: ["Arena", "COpenBLAS", "CTensorCoreShims", .product(name: "RealModule", package: "swift-numerics")]),
        .target(name: "Autograd", dependencies: ["TensorCore", "Arena"]),

        // MARK: - Implementation details
        .target(name: "CTensorCoreShims"),
        .systemLibrary(name: "COpenBLAS", providers: [.apt(["libopenblas-dev"])]),

        // MARK: - Tools
        .executableTarget(
            name: "tensorbench",
            dependencies: ["Autograd", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // MARK: - Unit test bundles
        .target(name: "_TestSupport", dependencies: ["Autograd"], path: "Tests/_TestSupport"),
        .testTarget(name: "ArenaTests", dependencies: ["Arena"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "_TestSupport"]),
        .testTarget(name: "AutogradTests", dependencies: ["Autograd", "_TestSupport"]),
    ]
)
