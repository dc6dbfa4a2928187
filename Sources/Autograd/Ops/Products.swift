import Arena

// The products beyond 2-D × 2-D and 2-D × 1-D (MatMul.swift): `dot`, `bmm`, and `matmul` in
// every case of `torch.matmul`, reduced as PyTorch 2.11's eager `matmul` reduces them (ATen's
// `_matmul_impl`): so each case records the nodes PyTorch records, and its gradients flow
// through the same views, expands and copies.

// MARK: - dot

enum Dot: OpDefinition {
    static let name = "DotBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (c.first { c.saved1.binary(.mul, c.grad) },    // ∂/∂a = b · g (g is 0-d)
         c.second { c.saved0.binary(.mul, c.grad) })   // ∂/∂b = a · g
    }
}

// MARK: - bmm

enum Bmm: OpDefinition {
    static let name = "BmmBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (c.first { c.grad.batchedProduct(c.saved1, transposeA: false, transposeB: true) },   // ∂/∂A[i] = G[i] · B[i]ᵀ
         c.second { c.saved0.batchedProduct(c.grad, transposeA: true, transposeB: false) })  // ∂/∂B[i] = A[i]ᵀ · G[i]
    }
}

// MARK: - squeeze_ (the 1-D × 2-D case's)

/// PyTorch's in-place `squeeze_(0)` of the product `x.unsqueeze(0).mm(w)`, which is what the
/// 1-D × 2-D case of `matmul` records. Not a view: it changes the product's own shape.
enum SqueezeInPlace: OpDefinition {
    static let name = "SqueezeBackward4"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.grad.reshaped(c.shape0), nil) }
}

extension GradientValue {
    /// `op(self[i]) · op(other[i])` for each batch `i`: a BLAS call per batch on `DenseTensor`,
    /// the recorded `bmm` of the (transposed) operands on `Tensor`.
    @_specialize(where Self == DenseTensor<Float>)
    @_specialize(where Self == DenseTensor<Double>)
    func batchedProduct(_ other: Self, transposeA: Bool, transposeB: Bool) -> Self {
        if let a = self as? DenseTensor<Scalar>, let b = other as? DenseTensor<Scalar> {
            return a.bmm(b, transposeA: transposeA, transposeB: transposeB) as! Self
        }
        let a = self as! Tensor<Scalar>, b = other as! Tensor<Scalar>
        return (transposeA ? a.transposed(1, 2) : a).bmm(transposeB ? b.transposed(1, 2) : b) as! Self
    }
}

extension Tensor where Scalar: TensorScalar {
    /// The inner product of two 1-D tensors of one length, a 0-d tensor (DotBackward0),
    /// PyTorch's `torch.dot`.
    ///
    /// Traps with PyTorch's message when the lengths differ.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func dot(_ other: Tensor) -> Tensor {
        Tensor.record(Tensor.withData(self, other) { $0.dot($1) }, Dot.self, product: self, other)
    }

    /// The matrix products of two batches of matrices, `[b, n, m]` · `[b, m, p]` → `[b, n, p]`
    /// (BmmBackward0), PyTorch's `torch.bmm`. No broadcasting (``matmul(_:)`` broadcasts).
    ///
    /// ```swift
    /// let y = a.bmm(b)     // [4, 2, 3] · [4, 3, 5] → [4, 2, 5]
    /// ```
    ///
    /// Traps with PyTorch's message for an operand that is not 3-D or sizes that differ, e.g.
    /// `Expected size for first two dimensions of batch2 tensor to be: [4, 3] but got: [4, 2].`
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func bmm(_ other: Tensor) -> Tensor {
        Tensor.record(Tensor.withData(self, other) { $0.bmm($1) }, Bmm.self, product: self, other)
    }

    /// The matrix product of PyTorch's `torch.matmul`, in each of its cases, recording what
    /// PyTorch 2.11 records:
    ///
    /// - 1-D · 1-D: the inner product, 0-d (DotBackward0);
    /// - 2-D · 1-D: matrix · vector (MvBackward0); 2-D · 2-D: matrix · matrix (MmBackward0);
    /// - 1-D · 2-D: the vector as a row, the product squeezed back (SqueezeBackward4);
    /// - more dimensions on one side and at most 2 on the other: the batch folded into the
    ///   matrix's rows, one `mm`/`mv` (UnsafeViewBackward0; a 2-D or 1-D left operand with a
    ///   batched right one is computed transposed and copied back, CloneBackward0), as PyTorch
    ///   folds when the smaller operand requires grad or the larger one is laid out for it;
    /// - otherwise the batch dimensions broadcast (NumPy's rules), expanded and flattened into
    ///   one `bmm` (UnsafeViewBackward0). A 1-D operand counts as a row (left) or a column
    ///   (right) whose dimension is dropped from the result.
    ///
    /// A transposed operand (`w.transposed()`) is a view that BLAS reads with a transpose flag.
    ///
    /// ```swift
    /// let logits = x.matmul(w) + b      // [batch, in] · [in, out]
    /// let scores = q.matmul(k.transposed(-2, -1))   // [b, h, n, d] · [b, h, d, n]
    /// ```
    ///
    /// Traps with PyTorch's message for a 0-d operand or sizes that don't fit, e.g.
    /// `mat1 and mat2 shapes cannot be multiplied (2x3 and 4x2)`.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func matmul(_ other: Tensor) -> Tensor { product(other) }

    /// ``matmul(_:)``, which calls itself for the cases PyTorch reduces to others. (A recursive
    /// call inside the function with the exported specializations left their symbols out of a
    /// release build.)
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func product(_ other: Tensor) -> Tensor {
        let (d1, d2) = (rank, other.rank)
        if d1 == 2 && d2 <= 2 && d2 > 0 { return matrixProduct(other) }
        trapUnless(d1 > 0 && d2 > 0, "both arguments to matmul need to be at least 1D, but they are \(d1)D and \(d2)D")
        if d1 == 1 && d2 == 1 { return dot(other) }
        if d1 == 1 && d2 == 2 {
            let product = unsqueezed(dim: 0).matrixProduct(other)
            return Tensor.record(product.data.squeezed(dims: [0]), SqueezeInPlace.self, product, keepingShape: product.shape)
        }
        if Tensor.shouldFold(self, other) { return foldedProduct(other) }
        return broadcastProduct(other)
    }
}

extension Tensor where Scalar: TensorScalar {
    /// PyTorch's `should_fold`: whether the larger operand (3-D or more, the other at most 2-D)
    /// is multiplied as one matrix of its batch's rows. Always when the smaller operand requires
    /// grad (its gradient is then one product, not a batch of them summed); not for a 2-D
    /// left operand that doesn't (the result would need a transposed copy); else when the
    /// batch's rows can be read as one matrix without a copy.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func shouldFold(_ tensor1: Tensor, _ tensor2: Tensor) -> Bool {
        let larger = tensor1.rank >= tensor2.rank
        // The larger operand as the left one (its transpose when it is on the right), read
        // without recording a node: only its layout matters here.
        let t1 = larger ? tensor1.data : tensor2.data.transposed(tensor2.rank - 1, tensor2.rank - 2)
        let smallRank = larger ? tensor2.rank : tensor1.rank
        guard t1.rank >= 3 && smallRank <= 2 else { return false }
        if (larger ? tensor2 : tensor1).requiresGrad { return true }
        if tensor1.rank == 2 { return false }
        if t1.count == 0 { return true }
        let (shape, strides) = (t1.shape, t1.strides)
        for i in 0..<(t1.rank - 2) where strides[i] != strides[i + 1] * shape[i + 1] { return false }
        return true
    }

    /// The folded case of ``matmul(_:)``: the larger operand's batch folded into matrix rows.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func foldedProduct(_ other: Tensor) -> Tensor {
        let transpose = other.rank > rank
        let t1 = transpose ? other.transposed(-1, -2) : self
        let t2 = !transpose ? other : (rank == 2 ? transposed() : self)
        var outputShape = Array(t1.shape.dropLast())
        let rows = outputShape.reduce(1, *)
        if t2.rank == 2 { outputShape.append(t2.shape[1]) }
        let folded = t1.reshaped([rows, t1.shape[t1.rank - 1]])
        let output = folded.matrixProduct(t2).unsafeViewed(outputShape)
        return transpose && t2.rank == 2 ? output.transposed(-1, -2).contiguous() : output
    }

    /// The broadcast case of ``matmul(_:)``: both batches expanded to their broadcast shape and
    /// flattened into one, one `bmm`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func broadcastProduct(_ other: Tensor) -> Tensor {
        let (d1, d2) = (rank, other.rank)
        let n = d1 > 1 ? shape[d1 - 2] : 1, m1 = shape[d1 - 1]
        let m2 = d2 > 1 ? other.shape[d2 - 2] : other.shape[0], p = d2 > 1 ? other.shape[d2 - 1] : 1
        let batch1 = Array(shape.prefix(Swift.max(d1 - 2, 0))), batch2 = Array(other.shape.prefix(Swift.max(d2 - 2, 0)))
        // As PyTorch: a batch of one against a batch of more folds instead, for the gradient.
        if d1 == 3 && d2 == 3 && batch1[0] != batch2[0] {
            if batch1[0] == 1 && requiresGrad { return squeezed(dim: 0).product(other) }
            if batch2[0] == 1 && other.requiresGrad { return product(other.squeezed(dim: 0)) }
        }
        let batch = Shape.broadcast(batch1, batch2)
        let batches = batch.reduce(1, *)
        let left = expanded(to: batch + [n, m1]).reshaped([batches, n, m1])
        var outputShape = batch
        if d1 > 1 { outputShape.append(n) }
        if d2 > 1 { outputShape.append(p) }
        if d2 == 1 {
            let right = other.expanded(to: batch + [m2]).reshaped([batches, m2]).unsqueezed(dim: 2)
            return left.bmm(right).squeezed(dim: -1).unsafeViewed(outputShape)
        }
        let right = other.expanded(to: batch + [m2, p]).reshaped([batches, m2, p])
        return left.bmm(right).unsafeViewed(outputShape)
    }

    /// This contiguous tensor read under `shape` (UnsafeViewBackward0), PyTorch's `_unsafe_view`:
    /// for a product's fresh result, which nothing else reads, so no view.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func unsafeViewed(_ shape: [Int]) -> Tensor {
        guard let value = viewData(as: shape) else { return reshaped(shape) }
        return Tensor.record(value, UnsafeView.self, self, nil, Saved(shapes: (self.shape, nil)))
    }
}
