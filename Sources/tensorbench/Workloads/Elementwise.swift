import Autograd

/// `a + b` and `a * b + a` on two 1-d tensors. `fwd`: inputs that don't require grad.
/// `fwd+bwd`: inputs that require grad, `backward(gradient: g)` with a fixed `g`, grads reset.
/// Bytes: fwd reads a, b and writes the result (12 B/element); fwd+bwd adds reading g (and a,
/// b for `a*b+a`) and writing both grads (24 and 32 B/element).
enum Elementwise: Workload {
    static let name = "elementwise"
    static let summary = "a+b and a*b+a, fwd and fwd+bwd, 1e3 … 1.6e7 elements"

    static func cases(_ settings: BenchSettings) -> [BenchCase] {
        streamSizes.flatMap { n -> [BenchCase] in
            let e = Double(n)
            return [
                binary("a+b", n, bytes: 12 * e, backwardBytes: 24 * e) { a, b in a + b },
                binary("a*b+a", n, bytes: 12 * e, backwardBytes: 32 * e) { a, b in a * b + a },
            ].flatMap { $0 }
        }
    }

    static func binary(_ label: String, _ n: Int, bytes: Double, backwardBytes: Double,
                       _ f: @escaping (Tensor<Float>, Tensor<Float>) -> Tensor<Float>) -> [BenchCase] {
        [
            BenchCase(workload: name, name: "\(label) fwd", size: n, bytes: bytes) {
                let a = patternTensor([n], modulus: 17, offset: 0.5)
                let b = patternTensor([n], modulus: 13, offset: 0.5)
                return { blackHole(f(a, b)) }
            },
            BenchCase(workload: name, name: "\(label) fwd+bwd", size: n, bytes: backwardBytes) {
                let a = patternTensor([n], modulus: 17, offset: 0.5, requiresGrad: true)
                let b = patternTensor([n], modulus: 13, offset: 0.5, requiresGrad: true)
                let g = Tensor<Float>.ones([n])
                return {
                    try f(a, b).backward(gradient: g)
                    a.zeroGrad()
                    b.zeroGrad()
                }
            },
        ]
    }
}
