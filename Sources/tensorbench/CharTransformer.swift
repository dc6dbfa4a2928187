import Autograd

/// `tensorbench train --model transformer`'s language model, nanoGPT's layout with pre-norm
/// blocks: token and position embeddings, blocks of causal self-attention and a GELU MLP, a
/// final layer norm and a linear head over the vocabulary. perf/train_transformer_torch.py is
/// the same model in PyTorch; ``namedParameters`` are its `state_dict` keys, so checkpoints
/// load either way.
final class CharTransformer {
    let context: Int
    let tok: Embedding<Float>
    let pos: Embedding<Float>
    let blocks: [TransformerBlock]
    let ln: LayerNorm<Float>
    let head: Linear<Float>

    /// PyTorch's initialization of each layer, from this thread's default generator.
    init(vocabulary: Int, width: Int = 64, heads: Int = 4, layers: Int = 2, context: Int = 32) {
        self.context = context
        tok = Embedding(numEmbeddings: vocabulary, embeddingDim: width)
        pos = Embedding(numEmbeddings: context, embeddingDim: width)
        blocks = (0..<layers).map { _ in TransformerBlock(width: width, heads: heads) }
        ln = LayerNorm(normalizedShape: [width])
        head = Linear(inFeatures: width, outFeatures: vocabulary)
    }

    var namedParameters: [(String, Tensor<Float>)] {
        tok.namedParameters.map { ("tok.\($0.0)", $0.1) } + pos.namedParameters.map { ("pos.\($0.0)", $0.1) }
            + blocks.enumerated().flatMap { i, block in block.namedParameters.map { ("blocks.\(i).\($0.0)", $0.1) } }
            + ln.namedParameters(prefix: "ln") + head.namedParameters(prefix: "head")
    }

    var parameters: [Tensor<Float>] { namedParameters.map { $0.1 } }

    /// Logits `[batch, time, vocabulary]` for token indices `[batch, time]`, `time ≤ context`.
    func callAsFunction(_ indices: Tensor<Int>) -> Tensor<Float> {
        let time = indices.shape[1]
        var x = tok(indices) + pos(try! Tensor<Int>(Array(0..<time), shape: [time]))
        for block in blocks { x = block(x) }
        return head(ln(x))
    }
}

/// `x + attn(ln1(x))`, then `x + out(gelu(fc(ln2(x))))`.
final class TransformerBlock {
    let ln1: LayerNorm<Float>
    let attn: CausalSelfAttention
    let ln2: LayerNorm<Float>
    let fc: Linear<Float>
    let out: Linear<Float>

    init(width: Int, heads: Int) {
        ln1 = LayerNorm(normalizedShape: [width])
        attn = CausalSelfAttention(width: width, heads: heads)
        ln2 = LayerNorm(normalizedShape: [width])
        fc = Linear(inFeatures: width, outFeatures: 4 * width)
        out = Linear(inFeatures: 4 * width, outFeatures: width)
    }

    var namedParameters: [(String, Tensor<Float>)] {
        ln1.namedParameters(prefix: "ln1") + attn.namedParameters.map { ("attn.\($0.0)", $0.1) }
            + ln2.namedParameters(prefix: "ln2") + fc.namedParameters(prefix: "fc") + out.namedParameters(prefix: "out")
    }

    func callAsFunction(_ input: Tensor<Float>) -> Tensor<Float> {
        let x = input + attn(ln1(input))
        return x + out(fc(ln2(x)).gelu())
    }
}

/// Queries, keys and values from one linear layer, split into heads, causal scaled dot-product
/// attention, heads joined again and projected.
final class CausalSelfAttention {
    let heads: Int
    let qkv: Linear<Float>
    let proj: Linear<Float>

    init(width: Int, heads: Int) {
        self.heads = heads
        qkv = Linear(inFeatures: width, outFeatures: 3 * width)
        proj = Linear(inFeatures: width, outFeatures: width)
    }

    var namedParameters: [(String, Tensor<Float>)] {
        qkv.namedParameters(prefix: "qkv") + proj.namedParameters(prefix: "proj")
    }

    func callAsFunction(_ x: Tensor<Float>) -> Tensor<Float> {
        let (batch, time, width) = (x.shape[0], x.shape[1], x.shape[2])
        let qkv = qkv(x).split(size: width, dim: 2).map {
            $0.reshaped([batch, time, heads, width / heads]).transposed(1, 2)
        }
        let y = scaledDotProductAttention(query: qkv[0], key: qkv[1], value: qkv[2], mask: nil, isCausal: true)
        return proj(y.transposed(1, 2).contiguous().reshaped([batch, time, width]))
    }
}
