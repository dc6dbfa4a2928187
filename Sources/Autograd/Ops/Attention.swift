import Arena
import TensorCore

// Scaled dot-product attention (PyTorch's `F.scaled_dot_product_attention`, no dropout, default
// scale 1/√E), recorded as PyTorch 2.11 records it on the CPU:
//
// - four-dimensional query, key and value with the same batch and head sizes, `E == Ev`, no
//   empty sequence and unit-stride rows: PyTorch's fused CPU kernel, one node
//   (ScaledDotProductFlashAttentionForCpuBackward0). Ours is TensorCore's fused kernel (Note
//   [Fused attention]); the node keeps query, key, value and the probabilities P;
// - anything else (3-D or 5-D inputs, broadcast batch dimensions, `Ev ≠ E`, an empty sequence):
//   PyTorch's math path, composed of the recorded ops it uses, `q·√s` and `kᵀ·√s` multiplied
//   (UnsafeViewBackward0 for batched operands), a mask added as 0/−inf (AddBackward0), the safe
//   softmax (SafeSoftmaxBackward0) and the product with `v`.
//
// The fused node's recorded derivative (for `createGraph`) rebuilds P from query and key as the
// math path's ops, then writes the backward formulas with recorded products, so that it can be
// differentiated again:
//
//     dV = Pᵀ·dO    dP = dO·Vᵀ    dS = P ∘ (dP − rowsum(P ∘ dP))    dQ = s·dS·K    dK = s·dSᵀ·Q

/// PyTorch's `_safe_softmax` along the last dimension: a softmax, but zeros for a row of −inf
/// only. Its derivative is the softmax's, which is zero on such a row.
enum SafeSoftmax: OpDefinition {
    static let name = "SafeSoftmaxBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let savesOutput = true
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { SoftmaxOp.backward(c) }
}

enum ScaledDotProductAttention: WideOpDefinition {
    static let name = "ScaledDotProductFlashAttentionForCpuBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(wide c: WideBackwardContext<V>) -> [V?] {
        guard let grad = c.grads[0] else { return c.needs.map { _ in nil } }
        // Inputs 0, 1, 2 = query, key, value; saved: query, key, then value and P right after.
        let (value, probabilities) = c.segment.with { ($0.saved[Int(c.node.saved.1) + 1], $0.saved[Int(c.node.saved.1) + 2]) }
        if let dense = c as? WideBackwardContext<DenseTensor<V.Scalar>> {
            let g = (grad as! DenseTensor<V.Scalar>).scaledDotProductAttentionGradients(
                query: dense.savedInput(0), key: dense.savedInput(1), value: value, probabilities: probabilities,
                scale: V.Scalar(c.node.scalar), causal: c.node.keepDim,
                needs: (c.needs[0], c.needs[1], c.needs[2]))
            var list = c.gradientList(count: 3)
            list.append(g.query.map { $0 as! V })
            list.append(g.key.map { $0 as! V })
            list.append(g.value.map { $0 as! V })
            return list
        }
        let recorded = c as! WideBackwardContext<Tensor<V.Scalar>>
        let pointer = c.segment.with { $0.nodes[Int(c.base)] }
        let q = recorded.savedInput(0), k = recorded.savedInput(1)
        let v = Tensor.rebuiltInput(Segment<V.Scalar>.input(2, of: pointer), of: c.segment.object, value: value)
        let mask = c.node.indices >= 0 ? decodedMask(c.indices) : nil
        let p = attentionProbabilities(q, k, mask: mask, isCausal: c.node.keepDim, scale: c.node.scalar)
        let dO = grad as! Tensor<V.Scalar>, scale = V.Scalar(c.node.scalar)
        let dS: Tensor<V.Scalar>? = c.needs[0] || c.needs[1] ? {
            let dP = dO.matmul(v.transposed(-2, -1))
            return p * (dP - (p * dP).sum(dim: -1, keepDim: true))
        }() : nil
        return [c.needs[0] ? dS!.matmul(k) * scale : nil,
                c.needs[1] ? dS!.transposed(-2, -1).matmul(q) * scale : nil,
                c.needs[2] ? p.transposed(-2, -1).matmul(dO) : nil].map { $0.map { $0 as! V } }
    }
}

/// A mask as the node's index list keeps it: its rank, its shape, then one 0 or 1 per element.
private func encodedMask(_ mask: Tensor<Bool>) -> [Int] {
    [mask.rank] + mask.shape + mask.data.contiguous().scalars.map { $0 ? 1 : 0 }
}

private func decodedMask(_ code: [Int]) -> Tensor<Bool> {
    let rank = code[0], shape = Array(code[1...rank])
    return Tensor<Bool>(data: try! DenseTensor(scalars: code[(rank + 1)...].map { $0 != 0 }, shape: shape))
}

/// The 0/−inf mask PyTorch's math path adds to the scores: `mask`'s shape (`true` = 0), or the
/// lower triangle of `[L, S]` for a causal one. `nil` when neither is given.
private func additiveMask<Scalar: TensorScalar>(_ mask: Tensor<Bool>?, isCausal: Bool, L: Int, S: Int) -> Tensor<Scalar>? {
    if let mask {
        return Tensor(data: DenseTensor<Scalar>(shape: mask.shape, repeating: -.infinity).maskFilled(mask.data, with: 0).0)
    }
    guard isCausal else { return nil }
    let out = DenseTensor<Scalar>(shape: [L, S], repeating: 0)
    out.withMutableElements { x in
        for i in 0..<L where i + 1 < S { for j in (i + 1)..<S { x[i * S + j] = -.infinity } }
    }
    return Tensor(data: out)
}

/// `safeSoftmax(q·√s · (kᵀ·√s) + mask)`: PyTorch's math path up to the probabilities, as
/// recorded ops.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
private func attentionProbabilities<Scalar: TensorScalar>(
    _ q: Tensor<Scalar>, _ k: Tensor<Scalar>, mask: Tensor<Bool>?, isCausal: Bool, scale: Double
) -> Tensor<Scalar> {
    let root = Scalar(scale.squareRoot())
    var scores = (q * root).matmul(k.transposed(-2, -1) * root)
    if let add: Tensor<Scalar> = additiveMask(mask, isCausal: isCausal, L: q.shape[q.rank - 2], S: k.shape[k.rank - 2]) {
        scores = scores + add
    }
    return scores.safeSoftmax()
}

extension Tensor where Scalar: TensorScalar {
    /// Softmax along the last dimension that gives zeros, not NaN, for a row of −inf only
    /// (SafeSoftmaxBackward0, PyTorch's `_safe_softmax`): what attention needs for a query that
    /// may attend nowhere.
    func safeSoftmax() -> Tensor {
        let y = withData { $0.safeSoftmaxLastDimension() }
        return Tensor.record(y, SafeSoftmax.self, self, nil, Saved(tensors: (y, nil), dim: -1))
    }
}

/// Attention, PyTorch's `torch.nn.functional.scaled_dot_product_attention` without dropout:
/// `softmax(Q·Kᵀ / √E + mask) · V` over the last two dimensions, the leading ones broadcast.
///
/// `query` is `[..., L, E]`, `key` `[..., S, E]`, `value` `[..., S, Ev]`; the result is
/// `[..., L, Ev]`. `mask` (broadcastable to `[..., L, S]`) says where each query *may* attend
/// (`true`), as PyTorch's boolean `attn_mask`; `isCausal` lets query `i` see keys `0...i` (the
/// top-left aligned lower triangle, also when `L ≠ S`). A query that may attend nowhere gets a
/// row of zeros and zero gradients, as PyTorch 2.11 gives on the CPU.
///
/// Four-dimensional inputs of one batch and head count with `E == Ev` (the shape of multi-head
/// attention, `[batch, heads, L, E]`) run one fused kernel and record one node,
/// ScaledDotProductFlashAttentionForCpuBackward0, as in PyTorch; other shapes record PyTorch's
/// math path (the output's grad_fn UnsafeViewBackward0 for batched inputs). Both differentiate
/// twice.
///
/// ```swift
/// let q = Tensor<Float>.randn([8, 4, 64, 32], requiresGrad: true)   // batch, heads, L, E
/// let y = scaledDotProductAttention(query: q, key: q, value: q, isCausal: true)
/// y.gradFn?.name   // "ScaledDotProductFlashAttentionForCpuBackward0"
/// ```
///
/// Traps with PyTorch's messages for inputs under two dimensions, sizes that don't fit, and
/// both a mask and `isCausal` (which PyTorch's math path refuses).
@_specialize(exported: true, where Scalar == Float)
@_specialize(exported: true, where Scalar == Double)
public func scaledDotProductAttention<Scalar: TensorScalar>(
    query: Tensor<Scalar>, key: Tensor<Scalar>, value: Tensor<Scalar>, mask: Tensor<Bool>? = nil, isCausal: Bool = false
) -> Tensor<Scalar> {
    trapUnless(query.rank >= 2 && key.rank >= 2 && value.rank >= 2,
               "Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: \(query.rank) key.dim: \(key.rank) and value.dim: \(value.rank) instead.")
    trapUnless(mask == nil || !isCausal, "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    let r = query.rank
    let (L, E) = (query.shape[r - 2], query.shape[r - 1])
    let S = key.shape[key.rank - 2]
    let scale = 1 / Double(E).squareRoot()
    if let mask {
        trapUnless(mask.rank >= 2, "Dimension out of range (expected to be in range of [-\(max(mask.rank, 1)), \(max(mask.rank, 1) - 1)], but got -2)")
    }
    let fused = r == 4 && key.rank == 4 && value.rank == 4
        && query.shape[..<2] == key.shape[..<2] && key.shape[..<2] == value.shape[..<2]
        && key.shape[3] == E && value.shape[3] == E && value.shape[2] == S && L > 0 && S > 0
        && unitLastStride(query) && unitLastStride(key) && unitLastStride(value)
    guard fused else {
        let p = attentionProbabilities(query, key, mask: mask, isCausal: isCausal, scale: scale)
        return p.matmul(value)
    }
    if let mask {
        let scoresShape = Array(query.shape[..<2]) + [L, S]
        let broadcast = Shape.broadcast(scoresShape, mask.shape)
        trapUnless(broadcast == scoresShape,
                   "output with shape \(scoresShape) doesn't match the broadcast shape \(broadcast)")
    }
    let (output, probabilities) = DenseTensor<Scalar>.scaledDotProductAttention(
        query: query.data, key: key.data, value: value.data, mask: mask?.data, causal: isCausal, scale: Scalar(scale))
    return Tensor.recordWide(
        output, ScaledDotProductAttention.self, inputs: query, key, value,
        Saved(tensors: (query.data, key.data), indices: mask.map(encodedMask), scalar: scale, keepDim: isCausal),
        extraSaved: (value.data, probabilities))
}

/// Whether `t`'s last dimension is unit-stride (PyTorch's fused kernel requires it).
private func unitLastStride<Scalar: TensorScalar>(_ t: Tensor<Scalar>) -> Bool {
    t.shape[t.rank - 1] <= 1 || t.data.dimensionStride(t.rank - 1) == 1
}
