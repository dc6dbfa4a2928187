import Autograd

/// The pointwise and normalizing ops of a small transformer at its sizes (batch 8, sequence 64,
/// width 128, 4 heads, MLP hidden 512), each forward and backward as one step:
/// `op(x).backward(gradient: g)` with a fixed upstream gradient `g`, then the leaves' `grad`
/// reset. Inputs from ``pattern(_:modulus:offset:)`` (modulus 17, offset −0.5, scaled where
/// the op wants a spread), `g` = pattern(modulus 13, offset −0.5).
///
/// - `layernorm`: `layerNorm(x, [128], weight, bias)`, x `[8, 64, 128]`, all three need grads.
/// - `softmax`: attention scores `[8, 4, 64, 64]`, along the last dim.
/// - `gelu`, `gelu-tanh`: the MLP's hidden activations `[8, 64, 512]`, exact (erf) and tanh.
/// - `embedding-65`, `embedding-50257`: indices `[8, 64]` (`(31 i + 7) mod vocab`) into a
///   `[vocab, 128]` table: a character-level vocabulary (tiny Shakespeare's 65) and GPT-2's.
/// - `cross-entropy`: mean cross-entropy of `[512, 65]` logits (the char model's head), targets
///   `(7 i + 3) mod 65`; `backward()` from the 0-d loss.
///
/// Its twin is `transformer-ops` in perf/bench_torch.py. The size column is the elements of
/// the op's float input.
enum TransformerOps: Workload {
    static let name = "transformer-ops"
    static let summary = "layerNorm, softmax, gelu, embedding, cross-entropy fwd+bwd at batch 8, seq 64, width 128, 4 heads"

    static let (batch, sequence, width, heads, hidden, vocab) = (8, 64, 128, 4, 512, 65)

    static func cases(_ settings: BenchSettings) -> [BenchCase] {
        let tokens = batch * sequence
        return [
            BenchCase(workload: name, name: "layernorm", size: tokens * width) {
                let x = patternTensor([batch, sequence, width], modulus: 17, offset: -0.5, requiresGrad: true)
                let w = patternTensor([width], modulus: 7, offset: 0.5, requiresGrad: true)
                let b = patternTensor([width], modulus: 5, offset: -0.2, requiresGrad: true)
                let g = patternTensor([batch, sequence, width], modulus: 13, offset: -0.5)
                return {
                    try layerNorm(x, normalizedShape: [width], weight: w, bias: b).backward(gradient: g)
                    x.zeroGrad()
                    w.zeroGrad()
                    b.zeroGrad()
                }
            },
            BenchCase(workload: name, name: "softmax", size: batch * heads * sequence * sequence) {
                let shape = [batch, heads, sequence, sequence]
                let x = patternTensor(shape, modulus: 17, offset: -0.5, requiresGrad: true)
                let g = patternTensor(shape, modulus: 13, offset: -0.5)
                return {
                    try x.softmax(dim: -1).backward(gradient: g)
                    x.zeroGrad()
                }
            },
            gelu("gelu", approximate: false),
            gelu("gelu-tanh", approximate: true),
            embeddingCase(vocab: vocab),
            embeddingCase(vocab: 50257),
            BenchCase(workload: name, name: "cross-entropy", size: tokens * vocab) {
                let x = patternTensor([tokens, vocab], modulus: 17, offset: -0.5, requiresGrad: true)
                let targets = try Tensor<Int>((0..<tokens).map { ($0 * 7 + 3) % vocab }, shape: [tokens])
                return {
                    try crossEntropy(logits: x, targets: targets).backward()
                    x.zeroGrad()
                }
            },
        ]
    }

    static func gelu(_ label: String, approximate: Bool) -> BenchCase {
        let shape = [batch, sequence, hidden]
        return BenchCase(workload: name, name: label, size: shape.reduce(1, *)) {
            // pattern × 6: inputs across [-3, 3], where erf and tanh are not yet flat.
            let x = try Tensor((patternTensor(shape, modulus: 17, offset: -0.5) * 6).scalars, shape: shape, requiresGrad: true)
            let g = patternTensor(shape, modulus: 13, offset: -0.5)
            return {
                try x.gelu(approximate: approximate).backward(gradient: g)
                x.zeroGrad()
            }
        }
    }

    static func embeddingCase(vocab: Int) -> BenchCase {
        BenchCase(workload: name, name: "embedding-\(vocab)", size: vocab * width) {
            let w = patternTensor([vocab, width], modulus: 17, offset: -0.5, requiresGrad: true)
            let indices = try Tensor<Int>((0..<(batch * sequence)).map { ($0 * 31 + 7) % vocab }, shape: [batch, sequence])
            let g = patternTensor([batch, sequence, width], modulus: 13, offset: -0.5)
            return {
                try embedding(indices, weight: w).backward(gradient: g)
                w.zeroGrad()
            }
        }
    }
}
