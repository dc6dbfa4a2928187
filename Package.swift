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
    traits: [
        // jemalloc as the process's allocator, and its statistics (Allocator.allocatedBytes...).
        // On by default; the package-benchmark suites turn it off, because jemalloc and the
        // benchmark's malloc interposer crash together.
        .trait(name: "Jemalloc"),
        .default(enabledTraits: ["Jemalloc"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
    ],
    targets: [
        // MARK: - Public API
        .target(name: "Arena", dependencies: ["CThreadLocal", .target(name: "CJemalloc", condition: .when(traits: ["Jemalloc"]))]),
        .target(
            name: "TensorCore",
            dependencies: ["Arena", "COpenBLAS", "CTensorCoreShims", .product(name: "RealModule", package: "swift-numerics")]),
        .target(name: "Autograd", dependencies: ["TensorCore", "Arena", "CThreadLocal"]),

        // MARK: - Implementation details
        .target(name: "CTensorCoreShims"),
        .target(name: "CThreadLocal"),
        .systemLibrary(name: "CJemalloc", pkgConfig: "jemalloc", providers: [.apt(["libjemalloc-dev"])]),
        .systemLibrary(name: "COpenBLAS", providers: [.apt(["libopenblas-dev"])]),

        // MARK: - Tools
        .executableTarget(
            name: "tensorbench",
            dependencies: ["Autograd", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // MARK: - Fuzzing
        // libFuzzer targets for the entry points that take outside data. A normal build gives a
        // binary that replays corpus files; scripts/ci-fuzz-replay.sh runs it, and its header
        // says how to build the fuzzing binary (-DFUZZING -sanitize=fuzzer,address).
        .executableTarget(name: "InputFuzzer", dependencies: ["Autograd"], path: "Fuzz/InputFuzzer",
                         exclude: ["corpus", "make-seeds.py", "InputFuzzer.dict"]),

        // MARK: - Unit test bundles
        .target(name: "_TestSupport", dependencies: ["Autograd"], path: "Tests/_TestSupport"),
        .testTarget(name: "ArenaTests", dependencies: ["Arena"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "_TestSupport"]),
        .testTarget(name: "AutogradTests", dependencies: ["Autograd", "_TestSupport"]),
        .testTarget(name: "MemoryRegressionTests", dependencies: ["Autograd", "Arena", "_TestSupport"]),
        // The demo models of tensorbench (its internal types, through `@testable import`).
        .testTarget(name: "TensorbenchTests", dependencies: ["tensorbench", "Autograd", "Arena", "_TestSupport"]),
    ]
)
