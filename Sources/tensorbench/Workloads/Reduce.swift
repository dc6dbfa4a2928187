import Autograd

/// `x.sum()` and `x.mean()` of a 1-d tensor. `fwd`: x doesn't require grad (reads 4 B/element).
/// `fwd+bwd`: x requires grad, backward, grad reset (also writes x's grad: 8 B/element).
enum Reduce: Workload {
    static let name = "reduce"
    static let summary = "sum and mean, fwd and fwd+bwd, 1e3 … 1.6e7 elements"

    static func cases(_ settings: BenchSettings) -> [BenchCase] {
        streamSizes.flatMap { n -> [BenchCase] in
            [("sum", { (x: Tensor<Float>) in x.sum() }), ("mean", { (x: Tensor<Float>) in x.mean() })]
                .flatMap { label, f -> [BenchCase] in
                    [
                        BenchCase(workload: name, name: "\(label) fwd", size: n, bytes: 4 * Double(n)) {
                            let x = patternTensor([n], modulus: 17, offset: 0.5)
                            return { blackHole(f(x)) }
                        },
                        BenchCase(workload: name, name: "\(label) fwd+bwd", size: n, bytes: 8 * Double(n)) {
                            let x = patternTensor([n], modulus: 17, offset: 0.5, requiresGrad: true)
                            return {
                                try f(x).backward()
                                x.zeroGrad()
                            }
                        },
                    ]
                }
        }
    }
}
