import Autograd

/// PyTorch's autograd tutorial as one step: `x + 2`, `y * y * 3`, `mean`, backward, grad reset.
enum Seed: Workload {
    static let name = "seed"
    static let summary = "tutorial step: ones(2,2) → +2 → y*y*3 → mean → backward, grad zeroed"

    static func cases(_ settings: BenchSettings) -> [BenchCase] {
        [BenchCase(workload: name, name: "step", size: 4, ops: 4) {
            let x = Tensor<Float>.ones([2, 2], requiresGrad: true)
            return {
                let y = x + 2
                let out = (y * y * 3).mean()
                try out.backward()
                x.zeroGrad()
            }
        }]
    }
}
