import Autograd

/// `Tensor.cat` of 8 tensors of [1000, 1000] (perf/bench_torch.py `cat`), x_k = pattern(1e6, 17,
/// 0.5 + k): along dim 0 and dim 1. `fwd`: inputs that don't require grad; `fwd+bwd`: they do,
/// backward(g) with g = ones(output shape), grads reset.
enum Cat: Workload {
    static let name = "cat"
    static let summary = "cat of 8 tensors of 1000×1000 along dim 0 and 1, fwd and fwd+bwd"
    static let (inputs, side) = (8, 1000)

    static func cases(_ settings: BenchSettings) -> [BenchCase] {
        let n = side * side, k = Double(inputs) * Double(n)
        func tensors(_ grad: Bool) -> [Tensor<Float>] {
            (0..<inputs).map { patternTensor([side, side], modulus: 17, offset: 0.5 + Float($0), requiresGrad: grad) }
        }
        return [0, 1].flatMap { dim -> [BenchCase] in
            [
                BenchCase(workload: name, name: "dim\(dim) fwd", size: n, bytes: 8 * k) {
                    let xs = tensors(false)
                    return { blackHole(Tensor.cat(xs, dim: dim)) }
                },
                BenchCase(workload: name, name: "dim\(dim) fwd+bwd", size: n, bytes: 16 * k) {
                    let xs = tensors(true)
                    let g = Tensor<Float>.ones(dim == 0 ? [inputs * side, side] : [side, inputs * side])
                    return {
                        try Tensor.cat(xs, dim: dim).backward(gradient: g)
                        for x in xs { x.zeroGrad() }
                    }
                },
            ]
        }
    }
}
