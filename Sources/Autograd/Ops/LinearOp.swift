import Arena

// The affine map of a linear layer, `x · Wᵀ + b`, as one node: one GEMM forward (the bias is
// written first and GEMM adds onto it), and two GEMMs plus a column sum backward. Inputs of
// another rank than 2 are viewed as a matrix of their rows, as PyTorch's `linear` does.

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

/// `x · Wᵀ` for a 2-D input without a bias: PyTorch records `mm` there.
enum LinearMm: OpDefinition {
    static let name = "MmBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { LinearOp.backward(c) }
}

/// `x · Wᵀ + b` (PyTorch's `F.linear`): `x` is `[..., in]` (any number of leading dimensions,
/// or none), `weight` `[out, in]`, `bias` `[out]`; the result is `[..., out]`.
///
/// One GEMM over all leading positions at once. Recorded as PyTorch 2.11 records it: a 2-D
/// input gives AddmmBackward0 (MmBackward0 without a bias); another rank with a bias is viewed
/// as `[N, in]`, multiplied and viewed back (ViewBackward0, no copy) when the input is
/// contiguous, else multiplied by ``Tensor/matmul(_:)`` and the bias added (AddBackward0);
/// without a bias it is `x.matmul(weight.transposed())` (UnsafeViewBackward0, or
/// SqueezeBackward4 for a 1-D input).
///
/// ```swift
/// let y = linear(x, weight: w, bias: b)   // x: [8, 64, 128], w: [384, 128] → y: [8, 64, 384]
/// ```
@_specialize(exported: true, where Scalar == Float)
@_specialize(exported: true, where Scalar == Double)
public func linear<Scalar: TensorScalar>(_ x: Tensor<Scalar>, weight: Tensor<Scalar>, bias: Tensor<Scalar>?) -> Tensor<Scalar> {
    trapUnless(x.rank >= 1 && weight.rank >= 1,
               "both arguments to linear need to be at least 1D, but they are \(x.rank)D and \(weight.rank)D")
    trapUnless(weight.rank == 2, "linear expects a 2-D weight, got \(weight.shape)")
    let (inFeatures, outFeatures) = (weight.shape[1], weight.shape[0])
    let columns = x.shape[x.rank - 1]
    trapUnless(columns == inFeatures,
               "mat1 and mat2 shapes cannot be multiplied (\(columns == 0 ? 0 : x.count / columns)x\(columns) and \(inFeatures)x\(outFeatures))")
    if let bias {
        trapUnless(bias.shape == [outFeatures], "linear: bias of shape \(bias.shape) for \(outFeatures) outputs")
    }
    if x.rank == 2 { return linear2D(x, weight: weight, bias: bias) }
    guard let bias else { return x.matmul(weight.transposed()) }
    guard x.isContiguous else { return x.matmul(weight.transposed()) + bias }
    let rows = x.shape.dropLast().reduce(1, *)
    return linear2D(x.reshaped([rows, inFeatures]), weight: weight, bias: bias).reshaped(x.shape.dropLast() + [outFeatures])
}

/// ``linear(_:weight:bias:)`` of a checked 2-D input: one node (two when the bias needs a gradient).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func linear2D<Scalar: TensorScalar>(_ x: Tensor<Scalar>, weight: Tensor<Scalar>, bias: Tensor<Scalar>?) -> Tensor<Scalar> {
    let value = Tensor.withData(x, weight) { $0.linear(weight: $1, bias: bias?.data) }
    guard let bias else { return Tensor.record(value, LinearMm.self, product: x, weight) }
    guard bias.requiresGrad else { return Tensor.record(value, LinearOp.self, product: x, weight) }
    // Two nodes when the bias needs a gradient: the product, then the bias on top. The value is
    // computed once; the inner node's output is never materialized, not even as a `Tensor`.
    return Tensor.recordProduct(value, LinearOp.self, x, weight,
                                filling: { node, segment in Tensor.keepFactors(x, weight, in: &node, segment: segment) },
                                thenBias: LinearBias.self, bias, filling: { _, _ in })
}
