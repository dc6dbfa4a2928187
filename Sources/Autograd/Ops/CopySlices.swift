import Arena
import TensorCore

// The nodes of an in-place op through a view (Note [In-place on views]): the base becomes
// CopySlices of its old value and the op's result, the view AsStridedBackward0 of the new base.
// Both keep the view's geometry relative to the base: `shape0` the view's shape, `shape1` its
// strides, `dim` its offset past the base's first element, `indices` the base's shape.

enum CopySlices: OpDefinition {
    static let name = "CopySlices"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    /// Inputs: the base's old value (its gradient outside the view's region) and the op's
    /// result (the gradient inside it). A view whose elements share positions (`fill`/`zero`
    /// through an expanded view) can't take the result's gradient: PyTorch raises here, at
    /// backward, with the internal-overlap message, and so does this.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func backward<S>(_ c: consuming BackwardContext<S>) -> InputGrads<S> {
        let (shape, strides) = (c.shape0, c.shape1)
        for d in shape.indices where strides[d] == 0 && shape[d] > 1 { trap(DenseTensor<S>.internalOverlapMessage) }
        let grad = c.grad.contiguous()
        return (c.first {
                    let outside = grad.copied()
                    outside.asStrided(c.shape0, strides: c.shape1, offset: c.dim).fill(0)
                    return outside
                },
                c.second { grad.asStrided(c.shape0, strides: c.shape1, offset: c.dim) })
    }
}

enum AsStrided: OpDefinition {
    static let name = "AsStridedBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let isView = true
    /// The base's gradient: the view's in its region, zero elsewhere. A view whose elements share
    /// positions (an expanded one, stride 0) adds the gradients of the elements at one position,
    /// as PyTorch's `as_strided_backward` does: summed over those dimensions first, then placed.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func backward<S>(_ c: consuming BackwardContext<S>) -> InputGrads<S> {
        let out = DenseTensor<S>(shape: c.indices, repeating: 0)
        var (grad, shape) = (c.grad, c.shape0)
        let strides = c.shape1
        for d in shape.indices where strides[d] == 0 && shape[d] > 1 {
            grad = grad.sum(dim: d, keepDim: true)
            shape[d] = 1
        }
        out.asStrided(shape, strides: strides, offset: c.dim).assign(grad)
        return (out, nil)
    }
}
