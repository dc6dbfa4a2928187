import Autograd

/// Issue 17's two rows, on mlp-small's model (64-128-10 ReLU MLP, batch 64, the plain-tensor
/// parameters of ``MLPStep``):
///
/// - `hvp`: the Hessian-vector product of the cross-entropy loss with respect to the six
///   parameters, by double backward (`grad(createGraph: true)`, then `grad` of the gradient
///   along `v`), v = pattern(modulus 13, offset -0.5) in each parameter's shape.
/// - `gradient-penalty`: a WGAN-GP critic step: score = mean of the MLP's outputs at a batch
///   x that requires grad, the gradient of Σ outputs with respect to x recorded, penalty
///   10 · mean((‖∇x‖₂ − 1)²) per row, one backward through score + penalty, an SGD update.
///
/// perf/bench_torch.py's `higher_order` is the same on PyTorch.
enum HigherOrder: Workload {
    static let name = "higher-order"
    static let summary = "mlp-small's Hessian-vector product (double backward) and a WGAN-GP gradient-penalty step"

    static func cases(_ settings: BenchSettings) -> [BenchCase] {
        let widths = [64, 128, 10], batch = 64
        func parameters() -> [(Tensor<Float>, Tensor<Float>)] {
            var rng = RandomGenerator(seed: 0)
            return zip(widths, widths.dropFirst()).map {
                let layer = Linear<Float>(inFeatures: $0, outFeatures: $1, using: &rng)
                return (layer.weight, layer.bias!)
            }
        }
        func forward(_ x: Tensor<Float>, _ params: [(Tensor<Float>, Tensor<Float>)]) -> Tensor<Float> {
            var h = x
            for (i, (w, b)) in params.enumerated() {
                if i > 0 { h = h.relu() }
                h = h.matmul(w.transposed()) + b
            }
            return h
        }
        return [
            BenchCase(workload: name, name: "hvp", size: batch) {
                let x = patternTensor([batch, widths[0]], modulus: 17, offset: -0.5)
                let labels = (0..<batch).map { $0 % 10 }
                let params = parameters().flatMap { [$0.0, $0.1] }
                let v = params.map { patternTensor($0.shape, modulus: 13, offset: -0.5) }
                let pairs = stride(from: 0, to: params.count, by: 2).map { (params[$0], params[$0 + 1]) }
                return {
                    let loss = crossEntropy(logits: forward(x, pairs), targets: labels)
                    let g = try grad(outputs: [loss], inputs: params, createGraph: true)
                    _ = try grad(outputs: g.map { $0! }, inputs: params, gradOutputs: v)
                }
            },
            BenchCase(workload: name, name: "gradient-penalty", size: batch) {
                let x = patternTensor([batch, widths[0]], modulus: 17, offset: -0.5, requiresGrad: true)
                let pairs = parameters()
                let all = pairs.flatMap { [$0.0, $0.1] }
                return {
                    let out = forward(x, pairs)
                    let gx = try grad(outputs: [out.sum()], inputs: [x], createGraph: true)[0]!
                    let penalty = ((gx * gx).sum(dim: 1).sqrt() - 1).pow(2).mean() * 10
                    try (out.mean() + penalty).backward()
                    withNoGrad {
                        for p in all {
                            p -= p.grad! * MLPStep.learningRate
                            p.zeroGrad()
                        }
                    }
                    x.zeroGrad()
                }
            },
        ]
    }
}
