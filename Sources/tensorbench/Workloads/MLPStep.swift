import Autograd

/// One SGD training step of a ReLU MLP with cross-entropy on a fixed batch, the way a user
/// writes it (`nn`: Sequential, Linear, ReLU, SGD) and with plain tensor ops (`plain`: matmul,
/// `+ bias`, relu, crossEntropy, `p -= p.grad * lr` under no-grad). Shared by mlp-small and
/// mlp-large.
///
/// Data: x[i, j] from ``pattern(_:modulus:offset:)`` (modulus 17, offset -0.5), label i % 10.
/// Weights: PyTorch's default Linear init from a seeded generator. lr is 1e-4 so that the
/// tens of thousands of timed steps on one batch stay far from convergence (a converged model
/// would drift into denormal gradients and change the timing).
enum MLPStep {
    static let learningRate: Float = 1e-4

    /// FLOP of one step: forward, weight gradients, and input gradients of every layer but the first.
    static func flops(widths: [Int], batch: Int) -> Double {
        let layers = zip(widths, widths.dropFirst()).map { Double($0 * $1) }
        let all = layers.reduce(0, +)
        return 2 * Double(batch) * (2 * all + layers.dropFirst().reduce(0, +))
    }

    static func cases(workload: String, widths: [Int], batch: Int) -> [BenchCase] {
        let flops = flops(widths: widths, batch: batch)
        func data() -> (Tensor<Float>, [Int]) {
            (patternTensor([batch, widths[0]], modulus: 17, offset: -0.5), (0..<batch).map { $0 % 10 })
        }
        func layers() -> [Linear<Float>] {
            var rng = RandomGenerator(seed: 0)
            return zip(widths, widths.dropFirst()).map { Linear(inFeatures: $0, outFeatures: $1, using: &rng) }
        }
        return [
            BenchCase(workload: workload, name: "nn", size: batch, flops: flops, ops: nil) {
                let (x, labels) = data()
                var modules: [any Module<Float>] = []
                for (i, layer) in layers().enumerated() {
                    if i > 0 { modules.append(ReLU<Float>()) }
                    modules.append(layer)
                }
                let model = Sequential<Float>(modules)
                let optimizer = SGD(model.parameters, lr: learningRate)
                return {
                    optimizer.zeroGrad()
                    let loss = crossEntropy(logits: model(x), targets: labels)
                    try loss.backward()
                    optimizer.step()
                }
            },
            BenchCase(workload: workload, name: "plain", size: batch, flops: flops) {
                let (x, labels) = data()
                let params = layers().map { ($0.weight, $0.bias!) }
                let all = params.flatMap { [$0.0, $0.1] }
                return {
                    var h = x
                    for (i, (w, b)) in params.enumerated() {
                        if i > 0 { h = h.relu() }
                        h = h.matmul(w.transposed()) + b
                    }
                    try crossEntropy(logits: h, targets: labels).backward()
                    withNoGrad {
                        for p in all {
                            p -= p.grad! * learningRate
                            p.zeroGrad()
                        }
                    }
                }
            },
        ]
    }
}
