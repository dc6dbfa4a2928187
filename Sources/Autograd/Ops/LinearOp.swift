import Arena

// The affine map of a linear layer, `x · Wᵀ + b`, as one node: one GEMM forward (the bias is
// written first and GEMM adds onto it), and two GEMMs plus a column sum backward.

enum LinearOp: OpDefinition {
    /// PyTorch's `F.linear` on a 2-D input with a bias records `addmm`.
    static let name = "AddmmBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        // Inputs: 0 = x [N, in], 1 = weight [out, in]; the bias's gradient goes through `bias`.
        (c.first { c.grad.matmul(c.saved1, transposeA: false, transposeB: false) },                  // ∂/∂x = G · W
         c.second { c.grad.matmul(c.saved0, transposeA: true, transposeB: false) })  // ∂/∂W = Gᵀ · x
    }
}

enum LinearBias: OpDefinition {
    static let name = "AddmmBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        // Inputs: 0 = the matmul part (the LinearOp node), 1 = bias [out]: ∂/∂b = Σ rows of G.
        (c.grad, c.second { c.grad.sum(dim: 0, keepDim: false) })
    }
}

/// `x · Wᵀ + b` (PyTorch's `F.linear`): `x` is `[N, in]`, `weight` `[out, in]`, `bias` `[out]`.
///
/// Recorded as PyTorch records it for a 2-D input, AddmmBackward0.
@_specialize(exported: true, where Scalar == Float)
@_specialize(exported: true, where Scalar == Double)
public func linear<Scalar: TensorScalar>(_ x: Tensor<Scalar>, weight: Tensor<Scalar>, bias: Tensor<Scalar>?) -> Tensor<Scalar> {
    trapUnless(x.rank == 2 && weight.rank == 2, "linear expects a 2-D input and weight, got \(x.shape) and \(weight.shape)")
    trapUnless(x.shape[1] == weight.shape[1],
               "mat1 and mat2 shapes cannot be multiplied (\(x.shape[0])x\(x.shape[1]) and \(weight.shape[1])x\(weight.shape[0]))")
    if let bias {
        trapUnless(bias.shape == [weight.shape[0]], "linear: bias of shape \(bias.shape) for \(weight.shape[0]) outputs")
    }
    let value = Tensor.withData(x, weight) { $0.linear(weight: $1, bias: bias?.data) }
    guard let bias, bias.requiresGrad else {
        return Tensor.record(value, LinearOp.self, product: x, weight)
    }
    // Two nodes when the bias needs a gradient: the product, then the bias on top. The value is
    // computed once; the inner node's output is never materialized separately.
    let product = Tensor.record(value, LinearOp.self, product: x, weight)
    return Tensor.record(value, LinearBias.self, product, bias)
}
