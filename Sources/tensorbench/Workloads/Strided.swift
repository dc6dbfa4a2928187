import Autograd

/// `x + y` and `x * y` where x and y are 1000×1000 views of two leaves a and b (perf/bench_torch.py
/// `strided`): `contig` (x = a, y = b), `both-t` (x = aᵀ, y = bᵀ), `one-t` (x = aᵀ, y = b), `narrow`
/// (a, b are [1000, 1024]; x = a.narrow(1, 0, 1000)), `step2` (a, b are [1000, 2000];
/// x = a[.all, .stride(0..<2000, by: 2)], PyTorch's `a[:, ::2]`). The views are taken inside the
/// timed call. `fwd`: a, b don't require grad. `fwd+bwd`: they do; backward(g), g = ones, grads reset.
enum Strided: Workload {
    static let name = "strided"
    static let summary = "x+y and x*y on 1000×1000 transposed and narrowed views, fwd and fwd+bwd"
    static let side = 1000

    static var layouts: [(name: String, shape: [Int], x: (Tensor<Float>) -> Tensor<Float>, y: (Tensor<Float>) -> Tensor<Float>)] { [
        ("contig", [side, side], { $0 }, { $0 }),
        ("both-t", [side, side], { $0.transposed() }, { $0.transposed() }),
        ("one-t", [side, side], { $0.transposed() }, { $0 }),
        ("narrow", [side, 1024], { $0.narrow(dim: 1, start: 0, length: side) }, { $0.narrow(dim: 1, start: 0, length: side) }),
        ("step2", [side, 2 * side], { $0[.all, .stride(0..<2 * side, by: 2)] }, { $0[.all, .stride(0..<2 * side, by: 2)] }),
    ] }

    static func cases(_ settings: BenchSettings) -> [BenchCase] {
        let n = side * side, e = Double(n)
        var out: [BenchCase] = []
        for (label, f, backwardBytes) in [("x+y", { (x: Tensor<Float>, y: Tensor<Float>) in x + y }, 24.0),
                                          ("x*y", { (x: Tensor<Float>, y: Tensor<Float>) in x * y }, 32.0)] {
            for layout in layouts {
                out.append(BenchCase(workload: name, name: "\(label) \(layout.name) fwd", size: n, bytes: 12 * e) {
                    let a = patternTensor(layout.shape, modulus: 17, offset: 0.5)
                    let b = patternTensor(layout.shape, modulus: 13, offset: 0.5)
                    return { blackHole(f(layout.x(a), layout.y(b))) }
                })
                out.append(BenchCase(workload: name, name: "\(label) \(layout.name) fwd+bwd", size: n, bytes: backwardBytes * e) {
                    let a = patternTensor(layout.shape, modulus: 17, offset: 0.5, requiresGrad: true)
                    let b = patternTensor(layout.shape, modulus: 13, offset: 0.5, requiresGrad: true)
                    let g = Tensor<Float>.ones([side, side])
                    return {
                        try f(layout.x(a), layout.y(b)).backward(gradient: g)
                        a.zeroGrad()
                        b.zeroGrad()
                    }
                })
            }
        }
        return out
    }
}
