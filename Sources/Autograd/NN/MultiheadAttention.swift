import Arena
import TensorCore

/// Multi-head attention (PyTorch's `nn.MultiheadAttention(embed_dim, num_heads, dropout=0.0,
/// bias=True, batch_first=...)`): the query, key and value projected by one packed weight,
/// split into heads, attended by ``scaledDotProductAttention(query:key:value:mask:isCausal:)``
/// and projected back.
///
/// The parameters are PyTorch's, with its names and initialization: `in_proj_weight`
/// `[3E, E]` (xavier-uniform), `in_proj_bias` `[3E]` (zeros), `out_proj.weight` `[E, E]`
/// (a ``Linear``'s, kaiming-uniform) and `out_proj.bias` (zeros), so a checkpoint loads in
/// either library. Not supported: dropout, `add_bias_kv`, `add_zero_attn`, `kdim`/`vdim` other
/// than `E`, and unbatched (2-D) inputs.
///
/// The masks mean what PyTorch's mean here: `true` is a position that may *not* be attended
/// (the opposite of `scaledDotProductAttention`'s `mask`). `isCausal` is, as in PyTorch, a hint
/// that `attnMask` is the causal mask: without weights or a padding mask the causal kernel runs
/// and the mask's values are not read.
///
/// ```swift
/// let attention = MultiheadAttention<Float>(embedDim: 128, numHeads: 4, batchFirst: true)
/// let (y, weights) = attention(x, x, x)     // x: [8, 64, 128] → y: [8, 64, 128], weights [8, 64, 64]
/// let z = attention(x)                      // self-attention without weights, as a Module
/// ```
public final class MultiheadAttention<Scalar: TensorScalar>: Module {
    /// `E`, the width of the inputs and the output.
    public let embedDim: Int
    /// The number of heads, each of width `E / numHeads`.
    public let numHeads: Int
    /// Whether inputs and output are `[batch, sequence, E]` (else `[sequence, batch, E]`).
    public let batchFirst: Bool
    /// The packed query, key and value projections, `[3E, E]`.
    public let inProjWeight: Tensor<Scalar>
    /// Their biases, `[3E]`, or `nil` for a layer made with `bias: false`.
    public let inProjBias: Tensor<Scalar>?
    /// The output projection (PyTorch's `out_proj`).
    public let outProj: Linear<Scalar>
    /// No effect without dropout; kept for ``Module``.
    public var isTraining = true

    /// A layer with PyTorch's initialization from this thread's default generator.
    public convenience init(embedDim: Int, numHeads: Int, bias: Bool = true, batchFirst: Bool = false) {
        var generator = ThreadContext.current.generator
        self.init(embedDim: embedDim, numHeads: numHeads, bias: bias, batchFirst: batchFirst, using: &generator)
        ThreadContext.current.generator = generator
    }

    /// A layer with PyTorch's initialization from `generator`: the output projection as a
    /// ``Linear`` (drawn first, as in PyTorch), then `in_proj_weight` uniform in `±√(6 / 4E)`;
    /// both biases zero.
    public init(embedDim: Int, numHeads: Int, bias: Bool = true, batchFirst: Bool = false,
                using generator: inout RandomGenerator) {
        trapUnless(numHeads > 0 && embedDim % numHeads == 0, "embed_dim must be divisible by num_heads")
        self.embedDim = embedDim
        self.numHeads = numHeads
        self.batchFirst = batchFirst
        let drawn = Linear<Scalar>(inFeatures: embedDim, outFeatures: embedDim, bias: bias, using: &generator)
        outProj = Linear(weight: drawn.weight, bias: bias ? Tensor.zeros([embedDim]) : nil)
        let bound = Scalar((6 / Double(4 * embedDim)).squareRoot())
        inProjWeight = Tensor(data: .rand([3 * embedDim, embedDim], low: -bound, high: bound, using: &generator),
                              requiresGrad: true)
        inProjBias = bias ? Tensor.zeros([3 * embedDim], requiresGrad: true) : nil
    }

    /// A layer with the given parameters (`inProjWeight` `[3E, E]`, `inProjBias` `[3E]`,
    /// `outProjWeight` `[E, E]`, `outProjBias` `[E]`), which train.
    public init(inProjWeight: Tensor<Scalar>, inProjBias: Tensor<Scalar>?, outProjWeight: Tensor<Scalar>, outProjBias: Tensor<Scalar>?,
                numHeads: Int, batchFirst: Bool = false) {
        let embedDim = inProjWeight.shape.count == 2 ? inProjWeight.shape[1] : 0
        trapUnless(inProjWeight.shape == [3 * embedDim, embedDim] && outProjWeight.shape == [embedDim, embedDim],
                   "MultiheadAttention: in_proj_weight \(inProjWeight.shape) and out_proj.weight \(outProjWeight.shape) for E = \(embedDim)")
        trapUnless(numHeads > 0 && embedDim % numHeads == 0, "embed_dim must be divisible by num_heads")
        self.embedDim = embedDim
        self.numHeads = numHeads
        self.batchFirst = batchFirst
        self.inProjWeight = inProjWeight
        self.inProjBias = inProjBias
        inProjWeight.requiresGrad = true
        inProjBias?.requiresGrad = true
        outProj = Linear(weight: outProjWeight, bias: outProjBias)
    }

    /// PyTorch's `state_dict` keys: `in_proj_weight`, `in_proj_bias`, `out_proj.weight`,
    /// `out_proj.bias` (the biases only when the layer has them).
    public var namedParameters: [(String, Tensor<Scalar>)] {
        [("in_proj_weight", inProjWeight)] + (inProjBias.map { [("in_proj_bias", $0)] } ?? [])
            + outProj.namedParameters(prefix: "out_proj")
    }

    /// Self-attention without weights: the output of `self(x, x, x, needWeights: false)`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        callAsFunction(input, input, input, needWeights: false).0
    }

    /// Attention of `query` `[L, N, E]` over `key` and `value` `[S, N, E]` (`[N, L, E]` and
    /// `[N, S, E]` when `batchFirst`): the output, shaped like `query`, and, when `needWeights`,
    /// the attention weights `[N, L, S]` averaged over the heads (`[N, heads, L, S]` unless
    /// `averageAttnWeights`).
    ///
    /// `keyPaddingMask` `[N, S]` and `attnMask` `[L, S]` or `[N · heads, L, S]`: `true` where
    /// attending is not allowed. The output's `grad_fn` is PyTorch's (ViewBackward0, or
    /// TransposeBackward0 when `batchFirst`). Traps with PyTorch's messages for a mask of the
    /// wrong shape and for `isCausal` without `attnMask`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(
        _ query: Tensor<Scalar>, _ key: Tensor<Scalar>, _ value: Tensor<Scalar>, keyPaddingMask: Tensor<Bool>? = nil,
        needWeights: Bool = true, attnMask: Tensor<Bool>? = nil, averageAttnWeights: Bool = true, isCausal: Bool = false
    ) -> (Tensor<Scalar>, Tensor<Scalar>?) {
        let E = embedDim, H = numHeads, D = embedDim / numHeads
        trapUnless(query.rank == 3 && key.rank == 3 && value.rank == 3,
                   "MultiheadAttention: expected 3-D (batched) query, key and value, got \(query.shape), \(key.shape) and \(value.shape)")
        trapUnless(query.shape[2] == E, "was expecting embedding dimension of \(E), but got \(query.shape[2])")
        trapUnless(key.shape == value.shape, "key shape \(key.shape) does not match value shape \(value.shape)")
        let (N, L) = batchFirst ? (query.shape[0], query.shape[1]) : (query.shape[1], query.shape[0])
        let S = batchFirst ? key.shape[1] : key.shape[0]
        trapUnless(!isCausal || attnMask != nil,
                   "Need attn_mask if specifying the is_causal hint. You may use the Transformer module method `generate_square_subsequent_mask` to create this mask.")
        if let attnMask {
            if attnMask.rank == 2 {
                trapUnless(attnMask.shape == [L, S],
                           "The shape of the 2D attn_mask is torch.Size(\(attnMask.shape)), but should be (\(L), \(S)).")
            } else {
                trapUnless(attnMask.rank == 3, "attn_mask's dimension \(attnMask.rank) is not supported")
                trapUnless(attnMask.shape == [N * H, L, S],
                           "The shape of the 3D attn_mask is torch.Size(\(attnMask.shape)), but should be (\(N * H), \(L), \(S)).")
            }
        }
        if let keyPaddingMask {
            trapUnless(keyPaddingMask.shape == [N, S],
                       "expecting key_padding_mask shape of (\(N), \(S)), but got torch.Size(\(keyPaddingMask.shape))")
        }
        // The projections in the input's own layout ([N, L, ·] or [L, N, ·]), one GEMM when the
        // three inputs are one tensor; each head is then a strided view [N, H, L, D].
        let (q, k, v) = projections(query, key, value)
        func heads(_ t: Tensor<Scalar>, _ length: Int) -> Tensor<Scalar> {
            let split = t.reshaped(batchFirst ? [N, length, H, D] : [length, N, H, D])
            return split.permuted(batchFirst ? [0, 2, 1, 3] : [1, 2, 0, 3])
        }
        let (qh, kh, vh) = (heads(q, L), heads(k, S), heads(v, S))
        let attended: Tensor<Scalar>   // [N, H, L, D]
        var weights: Tensor<Scalar>?
        if needWeights {
            // PyTorch's weights path: bmm over [N·H, L, D], the mask added, softmax.
            let scaled = (qh * Scalar((1 / Double(D)).squareRoot())).reshaped([N * H, L, D])
            var scores = scaled.matmul(kh.reshaped([N * H, S, D]).transposed(-2, -1))
            if let additive = additiveMask(attnMask, keyPaddingMask, N: N, H: H, L: L, S: S) { scores = scores + additive }
            let p = scores.softmax(dim: -1)
            attended = p.matmul(vh.reshaped([N * H, S, D])).reshaped([N, H, L, D])
            let perHead = p.reshaped([N, H, L, S])
            weights = averageAttnWeights ? perHead.mean(dim: 1) : perHead
        } else if isCausal && keyPaddingMask == nil {
            attended = scaledDotProductAttention(query: qh, key: kh, value: vh, isCausal: true)
        } else {
            attended = scaledDotProductAttention(query: qh, key: kh, value: vh,
                                                 mask: allowedMask(attnMask, keyPaddingMask, N: N, H: H, L: L, S: S))
        }
        // PyTorch's order: [L, N, H, D] rows through the output projection, viewed [L, N, E],
        // transposed to [N, L, E] when batch-first.
        let rows = attended.permuted([2, 0, 1, 3]).contiguous().reshaped([L * N, E])
        let out = outProj(rows).reshaped([L, N, E])
        return (batchFirst ? out.transposed(0, 1) : out, weights)
    }

    /// The query, key and value projections: `x · W_qᵀ + b_q` …, from one GEMM of the packed
    /// weight when the three inputs are one tensor (self-attention), else one each.
    private func projections(_ query: Tensor<Scalar>, _ key: Tensor<Scalar>, _ value: Tensor<Scalar>)
        -> (Tensor<Scalar>, Tensor<Scalar>, Tensor<Scalar>) {
        let E = embedDim
        if query === key && key === value {
            let packed = linear(query, weight: inProjWeight, bias: inProjBias)
            return (packed.narrow(dim: 2, start: 0, length: E), packed.narrow(dim: 2, start: E, length: E),
                    packed.narrow(dim: 2, start: 2 * E, length: E))
        }
        func part(_ x: Tensor<Scalar>, _ j: Int) -> Tensor<Scalar> {
            linear(x, weight: inProjWeight.narrow(dim: 0, start: j * E, length: E),
                   bias: inProjBias?.narrow(dim: 0, start: j * E, length: E))
        }
        return (part(query, 0), part(key, 1), part(value, 2))
    }

    /// Whether query `i` of batch `n`, head `h` may attend key `j`, `[N, H, L, S]` (or
    /// `[N, 1, 1, S]` / `[1, 1, L, S]` when only one mask constrains it): neither mask forbids it.
    private func allowedMask(_ attnMask: Tensor<Bool>?, _ padding: Tensor<Bool>?, N: Int, H: Int, L: Int, S: Int) -> Tensor<Bool>? {
        guard attnMask != nil || padding != nil else { return nil }
        let a = attnMask?.data.contiguous().scalars, p = padding?.data.contiguous().scalars
        if attnMask == nil {
            return Tensor<Bool>(data: try! DenseTensor(scalars: p!.map { !$0 }, shape: [N, 1, 1, S]))
        }
        let perHead = attnMask!.rank == 3
        if padding == nil {
            return Tensor<Bool>(data: try! DenseTensor(scalars: a!.map { !$0 }, shape: perHead ? [N, H, L, S] : [1, 1, L, S]))
        }
        var out = [Bool](repeating: false, count: N * H * L * S)
        for n in 0..<N { for h in 0..<H { for i in 0..<L { for j in 0..<S {
            let masked = a![((perHead ? n * H + h : 0) * L + i) * S + j] || p![n * S + j]
            out[((n * H + h) * L + i) * S + j] = !masked
        } } } }
        return Tensor<Bool>(data: try! DenseTensor(scalars: out, shape: [N, H, L, S]))
    }

    /// The masks as PyTorch's weights path adds them to the `[N·H, L, S]` scores: −inf where
    /// either forbids, else 0.
    private func additiveMask(_ attnMask: Tensor<Bool>?, _ padding: Tensor<Bool>?, N: Int, H: Int, L: Int, S: Int) -> Tensor<Scalar>? {
        guard let allowed = allowedMask(attnMask, padding, N: N, H: H, L: L, S: S) else { return nil }
        let expanded = allowed.data.expanded(to: [N, H, L, S]).contiguous().reshaped([N * H, L, S])
        return Tensor(data: DenseTensor<Scalar>(shape: [N * H, L, S], repeating: -.infinity).maskFilled(expanded, with: 0).0)
    }
}
