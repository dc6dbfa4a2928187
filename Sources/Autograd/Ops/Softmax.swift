// Softmax and log-softmax along a dimension; both save their output, from which the
// derivative follows without recomputing any exponential.

enum SoftmaxOp: OpDefinition {
    static let name = "SoftmaxBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let savesOutput = true
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        // y ⊙ (g − Σ g ⊙ y), the sum along the softmax dim
        (c.saved0.softmaxBackward(grad: c.grad, dim: c.dim, overwriting: c.ownsGrad), nil)
    }
}

// Softmax's derivative in the two interpretations (Note [Two interpretations of a derivative]):
// one fused pass per row (`DenseTensor.softmaxBackward`), or its recorded composition.
extension Tensor where Scalar: TensorScalar {
    func softmaxBackward(grad: consuming Tensor, dim: Int, overwriting: Bool) -> Tensor {
        let dot = grad.binary(.mul, self).sum(dim: dim, keepDim: true)
        return binary(.mul, grad.binary(.sub, dot))
    }
}

enum LogSoftmaxOp: OpDefinition {
    static let name = "LogSoftmaxBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let savesOutput = true
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        // g − exp(y) ⊙ Σ g, the sum along the dim
        let total = c.grad.sum(dim: c.dim, keepDim: true)
        return (c.grad.binary(.sub, c.saved0.unary(.exp).binary(.mul, total)), nil)
    }
}

extension Tensor where Scalar: TensorScalar {
    /// `exp(x) / Σ exp(x)` along `dim` (SoftmaxBackward0), computed without overflow.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func softmax(dim: Int) -> Tensor {
        let y = withData { $0.softmax(dim: dim) }
        return Tensor.record(y, SoftmaxOp.self, self, nil, Saved(tensors: (y, nil), dim: dim))
    }

    /// `x - log Σ exp(x)` along `dim` (LogSoftmaxBackward0), computed without overflow.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func logSoftmax(dim: Int) -> Tensor {
        let y = withData { $0.logSoftmax(dim: dim) }
        return Tensor.record(y, LogSoftmaxOp.self, self, nil, Saved(tensors: (y, nil), dim: dim))
    }
}
