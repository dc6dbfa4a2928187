import Autograd

/// The cost of one tracked view op (perf/bench_torch.py `view-chain`): 25 × (narrow dim 1 from 1,
/// transpose 1 and 2, select dim 0 index 0, unsqueeze 0) on a leaf of [1, s, s], s = 32 and 256.
/// Cases as overhead's: `fwd` (recorded, graph dropped), `fwd+bwd` (backward(g), grad reset),
/// `no-grad`; ops = 100.
enum ViewChain: Workload {
    static let name = "view-chain"
    static let summary = "chain of 100 tracked view ops (narrow, transpose, select, unsqueeze): time per op"
    static let chainLength = 100

    static func chain(_ x: Tensor<Float>) -> Tensor<Float> {
        var y = x
        for _ in 0..<chainLength / 4 {
            y = y.narrow(dim: 1, start: 1, length: y.shape[1] - 1)
            y = y.transposed(1, 2)
            y = y.select(dim: 0, index: 0)
            y = y.unsqueezed(dim: 0)
        }
        return y
    }

    static func cases(_ settings: BenchSettings) -> [BenchCase] {
        [32, 256].flatMap { s -> [BenchCase] in
            let leaf = { patternTensor([1, s, s], modulus: 17, offset: 0.5, requiresGrad: true) }
            return [
                BenchCase(workload: name, name: "fwd", size: s * s, ops: chainLength) {
                    let x = leaf()
                    return { blackHole(chain(x)) }
                },
                BenchCase(workload: name, name: "fwd+bwd", size: s * s, ops: chainLength) {
                    let x = leaf()
                    let g = Tensor<Float>.ones(withNoGrad { chain(x) }.shape)
                    return {
                        try chain(x).backward(gradient: g)
                        x.zeroGrad()
                    }
                },
                BenchCase(workload: name, name: "no-grad", size: s * s, ops: chainLength) {
                    let x = leaf()
                    return { withNoGrad { blackHole(chain(x)) } }
                },
            ]
        }
    }
}
