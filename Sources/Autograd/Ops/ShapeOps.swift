import Arena

// Reshape, transpose, unsqueeze, expand: views of their input's storage (no copy). Their
// derivatives undo the layout change, as views of the gradient where they can.

// MARK: - reshape

enum Reshape: OpDefinition {
    static let name = "ViewBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let isView = true
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.grad.reshaped(c.shape0), nil) }
}

extension Tensor where Scalar: TensorScalar {
    /// The same elements under `shape`, with at most one `-1` inferred, PyTorch's `reshape`:
    ///
    /// - of a contiguous tensor, a view (ViewBackward0);
    /// - of a strided tensor whose strides allow reading it under `shape` (splitting or merging
    ///   only dimensions that lie contiguously in memory), a view too (ReshapeAliasBackward0);
    /// - otherwise a row-major copy (CloneBackward0) read under `shape` (UnsafeViewBackward0),
    ///   which is no view: `x.transposed().reshaped([-1])` copies.
    ///
    /// ```swift
    /// let x = Tensor<Float>.zeros([2, 3], requiresGrad: true)
    /// x.reshaped([3, 2]).gradFn?.name                  // "ViewBackward0"
    /// x.transposed().reshaped([3, 2]).gradFn?.name     // "ReshapeAliasBackward0"
    /// x.transposed().reshaped([6]).gradFn?.name        // "UnsafeViewBackward0"
    /// ```
    ///
    /// The strides of a view are PyTorch's (`computeStride`). Traps with PyTorch's message when
    /// the sizes don't match the element count, or with more than one `-1`.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func reshaped(_ shape: [Int]) -> Tensor {
        reshapedResolved(inferredShape(shape))
    }
}

// MARK: - transpose

enum T: OpDefinition {
    static let name = "TBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let isView = true
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (c.grad.rank < 2 ? c.grad : c.grad.transposed(0, 1), nil)   // t() of a 0-d or 1-d tensor is itself
    }
}

enum Transpose: OpDefinition {
    static let name = "TransposeBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let isView = true
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.grad.transposed(c.dim, c.dim2), nil) }
}

extension Tensor where Scalar: TensorScalar {
    /// The matrix transpose of a tensor of rank ≤ 2 (TBackward0), PyTorch's `t()`.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func transposed() -> Tensor {
        trapUnless(rank <= 2, "t() expects a tensor with <= 2 dimensions, but self is \(rank)D")
        return Tensor.record(withData { $0.transposed(0, Swift.min(1, rank - 1)) }, T.self, self).view(of: self)
    }
    /// `self` with dimensions `d0` and `d1` swapped (TransposeBackward0), a view.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func transposed(_ d0: Int, _ d1: Int) -> Tensor {
        Tensor.record(withData { $0.transposed(d0, d1) }, Transpose.self, self, dim: d0, dim2: d1).view(of: self)
    }
}

// MARK: - unsqueeze

enum Unsqueeze: OpDefinition {
    static let name = "UnsqueezeBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let isView = true
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.grad.reshaped(c.shape0), nil) }
}

extension Tensor where Scalar: TensorScalar {
    /// `self` with a dimension of size 1 inserted at `dim` (UnsqueezeBackward0); shares storage.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func unsqueezed(dim: Int) -> Tensor {
        let axis = Shape.normalize(dim: dim, rank: rank + 1)
        return Tensor.record(withData { $0.unsqueezed(dim: axis) }, Unsqueeze.self, self, keepingShape: shape).view(of: self)
    }
}

// MARK: - expand

enum Expand: OpDefinition {
    static let name = "ExpandBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let isView = true
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.grad.sum(toShape: c.shape0), nil) }
}

extension Tensor where Scalar: TensorScalar {
    /// A view of `self` broadcast to `shape` (ExpandBackward0), PyTorch's `expand`: dimensions
    /// of size 1 grow to any size and new ones may lead, both with stride 0 (no copy: every
    /// element of such a dimension is the same storage position); `-1` keeps a dimension's size.
    ///
    /// ```swift
    /// let x = Tensor<Float>.zeros([3, 1])
    /// x.expanded(to: [2, 3, 4]).strides   // [0, 1, 0]
    /// x.expanded(to: [-1, 4]).shape       // [3, 4]
    /// ```
    ///
    /// Traps with PyTorch's message when `shape` has fewer dimensions than `self`, a size other
    /// than 1 would change, or a new leading dimension is `-1`. Writing in place through the
    /// result traps too, where two elements share a position.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func expanded(to shape: [Int]) -> Tensor {
        Tensor.record(data.expanded(to: expandTarget(shape)), Expand.self, self, keepingShape: self.shape).view(of: self)
    }
}

/// The checks of the view ops, shared by every element type (``Tensor`` of `Int` and `Bool` has
/// the views too, unrecorded: IndexTensorViews.swift).
extension Tensor {
    /// `shape` with its `-1`s resolved, checked as PyTorch's `expand` checks it (from the last
    /// dimension to the first, naming the sizes as given).
    func expandTarget(_ shape: [Int]) -> [Int] {
        trapUnless(shape.count >= rank,
            "expand(torch.\(Scalar.scalarTypeName)Tensor{\(self.shape)}, size=\(shape)): the number of sizes provided (\(shape.count)) must be greater or equal to the number of dimensions in the tensor (\(rank))")
        if rank == 0 {   // PyTorch takes the sizes as they are
            trapUnless(!shape.contains { $0 < 0 }, "numel: integer multiplication overflow")
            return shape
        }
        var target = shape
        let lead = shape.count - rank
        // `Swift.`: a tensor can be an index, so `TensorIndex.stride(_:by:)` is in scope here.
        for i in Swift.stride(from: shape.count - 1, through: 0, by: -1) {
            let size = i >= lead ? self.shape[i - lead] : 1
            if shape[i] == -1 {
                trapUnless(i >= lead, "The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension \(i)")
                target[i] = size
            } else if shape[i] != size {
                trapUnless(size == 1,
                    "The expanded size of the tensor (\(shape[i])) must match the existing size (\(size)) at non-singleton dimension \(i).  Target sizes: \(shape).  Tensor sizes: \(self.shape)")
            }
        }
        // PyTorch makes the geometry and then fails to count its elements.
        trapUnless(!target.contains { $0 < 0 }, "numel: integer multiplication overflow")
        return target
    }
}

extension Tensor where Scalar: TensorScalar {
    /// Marks this result of a view op on `input` as a view of `input`'s base (`viewBase`), and
    /// that base as having a view with history when both have one (Note [In-place on views]).
    /// Only a base with history is written to: it belongs to this thread, whereas a leaf may be
    /// read by several threads at once.
    @inline(__always)
    func view(of input: Tensor) -> Tensor {
        let base = input.viewBase ?? input
        viewBase = base
        if input.isMultiOutputView { isMultiOutputView = true }
        if history != nil { viewVersion = storedData.storage.version }
        return self
    }
}
