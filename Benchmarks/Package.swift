// swift-tools-version: 6.1
// package-benchmark suites for the root package: time, malloc counts and peak memory.
// A separate package so that the root package does not depend on `benchmark`.
// Run from this folder: `swift package benchmark`; CI: `./check-thresholds.sh`.
import PackageDescription

let package = Package(
    name: "SwiftAutogradBenchmarks",
    dependencies: [
        // The root package without its default `Jemalloc` trait: jemalloc and the benchmark's
        // malloc interposer crash together (check-thresholds.sh refuses a binary that links it).
        .package(name: "SwiftAutograd", path: "..", traits: []),
        // The malloc interposer only: the RuntimeInterposer trait pulls a package that is not
        // available here.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "AutogradBenchmarks",
            dependencies: [
                .product(name: "Autograd", package: "SwiftAutograd"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/AutogradBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
    ]
)
