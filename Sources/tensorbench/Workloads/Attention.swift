import Autograd

/// Attention at transformer sizes (batch 8, sequence 64, width 128, 4 heads), forward and
/// backward: `sdpa`, one causal ``scaledDotProductAttention(query:key:value:mask:isCausal:)`` of
/// query, key and value `[8, 4, 64, 32]` that all need gradients (summed); `mha`, a batch-first
/// ``MultiheadAttention`` (E = 128, 4 heads) of `x` `[8, 64, 128]` (which needs a gradient) as
/// causal self-attention without weights (the causal mask given as `attnMask` with the
/// `isCausal` hint, as PyTorch wants it), summed. Inputs from ``pattern(_:modulus:offset:)``,
/// the layer's parameters from its seeded initialization. Its twin is `attention` in
/// perf/bench_torch.py.
enum Attention: Workload {
    static let name = "attention"
    static let summary = "causal attention forward+backward, batch 8, seq 64, 4 heads: sdpa [8,4,64,32], MultiheadAttention E=128 batch_first"

    static func cases(_ settings: BenchSettings) -> [BenchCase] {
        let (batch, heads, length, width) = (8, 4, 64, 128)
        let headWidth = width / heads
        // Six products of L·S·D per head: Q·Kᵀ and P·V forward, dV, dP, dQ, dK backward.
        let sdpaFlops = 12 * Double(batch * heads * length * length * headWidth)
        return [
            BenchCase(workload: name, name: "sdpa", size: length, flops: sdpaFlops) {
                let shape = [batch, heads, length, headWidth]
                let q = patternTensor(shape, modulus: 17, offset: -0.5, requiresGrad: true)
                let k = patternTensor(shape, modulus: 13, offset: -0.5, requiresGrad: true)
                let v = patternTensor(shape, modulus: 11, offset: -0.5, requiresGrad: true)
                return {
                    for t in [q, k, v] { t.zeroGrad() }
                    try scaledDotProductAttention(query: q, key: k, value: v, isCausal: true).sum().backward()
                }
            },
            BenchCase(workload: name, name: "mha", size: length) {
                var rng = RandomGenerator(seed: 0)
                let layer = MultiheadAttention<Float>(embedDim: width, numHeads: heads, batchFirst: true, using: &rng)
                let x = patternTensor([batch, length, width], modulus: 17, offset: -0.5, requiresGrad: true)
                let mask = try! Tensor<Bool>((0..<(length * length)).map { $0 % length > $0 / length }, shape: [length, length])
                return {
                    layer.zeroGrad()
                    x.zeroGrad()
                    try layer(x, x, x, needWeights: false, attnMask: mask, isCausal: true).0.sum().backward()
                }
            },
        ]
    }
}
