import Autograd

/// `a.matmul(b)` of two square n×n tensors that don't require grad: 2n³ FLOP.
enum MatMul: Workload {
    static let name = "matmul"
    static let summary = "square matmul, n = 64 … 1024: GFLOP/s"
    static let sizes = [64, 128, 256, 512, 1024]

    static func cases(_ settings: BenchSettings) -> [BenchCase] {
        sizes.map { n in
            BenchCase(workload: name, name: "fwd", size: n, bytes: 12 * Double(n * n), flops: 2 * Double(n * n * n)) {
                let a = patternTensor([n, n], modulus: 17, offset: -0.5)
                let b = patternTensor([n, n], modulus: 13, offset: -0.5)
                return { blackHole(a.matmul(b)) }
            }
        }
    }
}
