/// A 784-512-512-10 ReLU MLP, cross-entropy, SGD, batch 256: time per training step (≈ 0.82 GFLOP).
enum MLPLarge: Workload {
    static let name = "mlp-large"
    static let summary = "784-512-512-10 ReLU MLP, cross-entropy, SGD, batch 256: time per step"

    static func cases(_ settings: BenchSettings) -> [BenchCase] {
        MLPStep.cases(workload: name, widths: [784, 512, 512, 10], batch: 256)
    }
}
