import Arena

// Matrix products. The derivatives are products too, run through the same BLAS calls with
// transpose flags: no transposed copy is ever made.

// MARK: - matrix · matrix

enum Mm: OpDefinition {
    static let name = "MmBackward0"
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func backward<S>(_ c: consuming BackwardContext<S>) -> InputGrads<S> {
        (c.first { c.grad.matmul(c.saved1, transposeB: true) },   // ∂/∂A = G · Bᵀ
         c.second { c.saved0.matmul(c.grad, transposeA: true) })  // ∂/∂B = Aᵀ · G
    }
}

/// `A · Sᵀ` where `Sᵀ` is a `t()` not made yet (Note [Lazy transpose]): the node is PyTorch's
/// MmBackward0 with the transpose as its second input, and saves `S` itself. Its derivative for
/// `S` is `Gᵀ · A`, which the sweep hands past the transpose's node straight to `S` (unless that
/// node's output retains its gradient); otherwise `Aᵀ · G` goes to the transpose as usual.
enum MmTransposedRight: OpDefinition {
    static let name = "MmBackward0"
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func backward<S>(_ c: consuming BackwardContext<S>) -> InputGrads<S> {
        // Past the transpose, A · Sᵀ is a linear layer's x · Wᵀ, and so is its derivative.
        if c.passesTranspose { return LinearOp.backward(consume c) }
        return (c.first { c.grad.matmul(c.saved1) },                   // ∂/∂A = G · S
                c.second { c.saved0.matmul(c.grad, transposeA: true) })  // ∂/∂Sᵀ = Aᵀ · G
    }
}

// MARK: - matrix · vector

enum Mv: OpDefinition {
    static let name = "MvBackward0"
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func backward<S>(_ c: consuming BackwardContext<S>) -> InputGrads<S> {
        (c.first { c.grad.outer(c.saved1) },                    // ∂/∂A = g ⊗ v
         c.second { c.saved0.matvec(c.grad, transpose: true) })  // ∂/∂v = Aᵀ · g
    }
}

extension Tensor {
    /// The matrix product: 2-D × 2-D (MmBackward0) or 2-D × 1-D (MvBackward0).
    ///
    /// Traps with PyTorch's message when the inner sizes differ, e.g.
    /// `mat1 and mat2 shapes cannot be multiplied (2x3 and 4x2)`.
    ///
    /// ```swift
    /// let logits = x.matmul(w) + b      // [batch, in] · [in, out]
    /// ```
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func matmul(_ other: Tensor) -> Tensor {
        trapUnless(rank == 2 && (other.rank == 2 || other.rank == 1),
                   "matmul supports 2-D × 2-D and 2-D × 1-D, got \(rank)-D × \(other.rank)-D")
        if other.rank == 1 {
            return Tensor.record(Tensor.withData(self, other) { $0.matvec($1) }, .mv, self, other, .forProduct(self, other))
        }
        if other.pendingTranspose && other !== self {
            let source = other.storedData
            return Tensor.record(withData { $0.matmul(source, transposeB: true) }, .mmTransposedRight, self, other,
                                 Saved(tensors: (data, requiresGrad ? source : nil)))
        }
        return Tensor.record(Tensor.withData(self, other) { $0.matmul($1) }, .mm, self, other, .forProduct(self, other))
    }
}
