import Arena

// Matrix products. The derivatives are products too, run through the same BLAS calls with
// transpose flags: no transposed copy is ever made, of an operand or of a gradient.

// MARK: - matrix · matrix

enum Mm: OpDefinition {
    static let name = "MmBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let operandCount = 2
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (c.first { Self.product(c.grad, c.saved1, transposeB: true, like: c.inputLayout0) },   // ∂/∂A = G · Bᵀ
         c.second { Self.product(c.saved0, c.grad, transposeA: true, like: c.inputLayout1) })  // ∂/∂B = Aᵀ · G
    }

    /// `op(a) · op(b)`, laid out like the input it is the gradient of (PyTorch's
    /// `mm_mat1_backward`/`mm_mat2_backward`): for a transposed view (`x.matmul(w.transposed())`)
    /// the product is formed as `(op(b)ᵀ · op(a)ᵀ)ᵀ`, so that the transpose's derivative (a view)
    /// hands its input a row-major gradient, and no transposed copy is made either way.
    /// The operands' layouts, as the node keeps them (in `dim`, which a product has no other use
    /// for): bit 0 for the first, bit 1 for the second, set for column-major.
    @inline(__always)
    static func layoutBits<S: TensorScalar>(_ a: DenseTensor<S>, _ b: DenseTensor<S>) -> Int {
        (a.isContiguous ? 0 : (a.matrixLayout == .columnMajor ? 1 : 0)) | (b.isContiguous ? 0 : (b.matrixLayout == .columnMajor ? 2 : 0))
    }

    static func product<V: GradientValue>(_ a: V, _ b: V, transposeA: Bool = false, transposeB: Bool = false,
                                          like layout: MatrixLayout) -> V {
        guard layout == .columnMajor else { return a.matmul(b, transposeA: transposeA, transposeB: transposeB) }
        return b.matmul(a, transposeA: !transposeB, transposeB: !transposeA).transposed(0, 1)
    }
}

// MARK: - matrix · vector

enum Mv: OpDefinition {
    static let name = "MvBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let operandCount = 2
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (c.first { c.grad.outer(c.saved1) },                    // ∂/∂A = g ⊗ v
         c.second { c.saved0.matvec(c.grad, transpose: true) })  // ∂/∂v = Aᵀ · g
    }
}

extension Tensor where Scalar: TensorScalar {
    /// `self · other` for 2-D × 2-D (MmBackward0) and 2-D × 1-D (MvBackward0), the two products
    /// ``matmul(_:)`` reduces every other case to. A transposed operand (`w.transposed()`) is a
    /// view that BLAS reads with a transpose flag: no copy.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func matrixProduct(_ other: Tensor) -> Tensor {
        if other.rank == 1 {
            return Tensor.record(Tensor.withData(self, other) { $0.matvec($1) }, Mv.self, product: self, other)
        }
        let layout = Mm.layoutBits(data, other.data)
        return Tensor.record(Tensor.withData(self, other) { $0.matmul($1) }, Mm.self, product: self, other) { node in
            node.dim = Int32(layout)
        }
    }
}
