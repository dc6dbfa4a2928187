/// A 64-128-10 ReLU MLP, cross-entropy, SGD, batch 64: time per training step (≈ 2.6 MFLOP).
enum MLPSmall: Workload {
    static let name = "mlp-small"
    static let summary = "64-128-10 ReLU MLP, cross-entropy, SGD, batch 64: time per step"

    static func cases(_ settings: BenchSettings) -> [BenchCase] {
        MLPStep.cases(workload: name, widths: [64, 128, 10], batch: 64)
    }
}
