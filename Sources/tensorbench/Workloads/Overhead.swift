import Autograd

/// The cost of one tracked op: a chain of 100 elementwise ops with a scalar (alternately
/// `* 0.999` and `+ 0.001`), then `sum()`, on 1 and on 64 elements.
/// Cases: `fwd` (recorded, graph dropped), `fwd+bwd` (and backward, grad reset), `no-grad`.
enum Overhead: Workload {
    static let name = "overhead"
    static let summary = "chain of 100 tracked scalar ops + sum on 1 and 64 elements: time per op"
    static let chainLength = 100

    static func chain(_ x: Tensor<Float>) -> Tensor<Float> {
        var y = x
        for _ in 0..<chainLength / 2 {
            y = y * 0.999
            y = y + 0.001
        }
        return y.sum()
    }

    static func cases(_ settings: BenchSettings) -> [BenchCase] {
        [1, 64].flatMap { n -> [BenchCase] in
            let ops = chainLength + 1
            return [
                BenchCase(workload: name, name: "fwd", size: n, ops: ops) {
                    let x = Tensor<Float>.ones([n], requiresGrad: true)
                    return { blackHole(chain(x)) }
                },
                BenchCase(workload: name, name: "fwd+bwd", size: n, ops: ops) {
                    let x = Tensor<Float>.ones([n], requiresGrad: true)
                    return {
                        try chain(x).backward()
                        x.zeroGrad()
                    }
                },
                BenchCase(workload: name, name: "no-grad", size: n, ops: ops) {
                    let x = Tensor<Float>.ones([n], requiresGrad: true)
                    return { withNoGrad { blackHole(chain(x)) } }
                },
            ]
        }
    }
}
