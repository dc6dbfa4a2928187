import Arena

// Reshape, transpose, unsqueeze, expand: views of their input's storage (no copy). Their
// derivatives undo the layout change, as views of the gradient where they can.

// MARK: - reshape

enum Reshape: OpDefinition {
    static let name = "ViewBackward0"
    static let isView = true
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func backward<S>(_ c: consuming BackwardContext<S>) -> InputGrads<S> { (c.grad.reshaped(c.shape0), nil) }
}

extension Tensor {
    /// The same elements under `shape`, with at most one `-1` inferred (ViewBackward0).
    /// Shares storage with `self` where the layout allows (a copy of a transposed matrix, say, can't). Traps with PyTorch's message if the sizes don't match.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func reshaped(_ shape: [Int]) -> Tensor {
        let resolved: [Int]
        do { resolved = try Shape.inferReshape(shape, count: count) } catch { trap(error.description) }
        return Tensor.record(data.reshaped(resolved), .reshape, self, nil, Saved(shapes: (self.shape, nil))).view(of: self)
    }
}

// MARK: - transpose

enum T: OpDefinition {
    static let name = "TBackward0"
    static let isView = true
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func backward<S>(_ c: consuming BackwardContext<S>) -> InputGrads<S> {
        (c.grad.rank < 2 ? c.grad : c.grad.transposed(0, 1), nil)   // t() of a 0-d or 1-d tensor is itself
    }
}

enum Transpose: OpDefinition {
    static let name = "TransposeBackward0"
    static let isView = true
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func backward<S>(_ c: consuming BackwardContext<S>) -> InputGrads<S> { (c.grad.transposed(c.dim, c.dim2), nil) }
}

extension Tensor {
    /// The matrix transpose of a tensor of rank ≤ 2 (TBackward0), PyTorch's `t()`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func transposed() -> Tensor {
        trapUnless(rank <= 2, "t() expects a tensor with <= 2 dimensions, but self is \(rank)D")
        return Tensor.record(withData { $0.transposed(0, Swift.min(1, rank - 1)) }, .t, self).view(of: self)
    }
    /// `self` with dimensions `d0` and `d1` swapped (TransposeBackward0), a view.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func transposed(_ d0: Int, _ d1: Int) -> Tensor {
        Tensor.record(withData { $0.transposed(d0, d1) }, .transpose, self, nil, Saved(dim: d0, dim2: d1)).view(of: self)
    }
}

// MARK: - unsqueeze

enum Unsqueeze: OpDefinition {
    static let name = "UnsqueezeBackward0"
    static let isView = true
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func backward<S>(_ c: consuming BackwardContext<S>) -> InputGrads<S> { (c.grad.reshaped(c.shape0), nil) }
}

extension Tensor {
    /// `self` with a dimension of size 1 inserted at `dim` (UnsqueezeBackward0); shares storage.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func unsqueezed(dim: Int) -> Tensor {
        let axis = Shape.normalize(dim: dim, rank: rank + 1)
        return Tensor.record(withData { $0.unsqueezed(dim: axis) }, .unsqueeze, self, nil, Saved(shapes: (shape, nil))).view(of: self)
    }
}

// MARK: - expand

enum Expand: OpDefinition {
    static let name = "ExpandBackward0"
    static let isView = true
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func backward<S>(_ c: consuming BackwardContext<S>) -> InputGrads<S> { (c.grad.sum(toShape: c.shape0), nil) }
}

extension Tensor {
    /// `self` broadcast to `shape` (ExpandBackward0); `-1` keeps a dimension's size.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func expanded(to shape: [Int]) -> Tensor {
        var target = shape
        let lead = shape.count - rank
        for i in 0..<shape.count where shape[i] == -1 && i >= lead { target[i] = self.shape[i - lead] }
        return Tensor.record(data.expanded(to: target), .expand, self, nil, Saved(shapes: (self.shape, nil))).view(of: self)
    }
}

extension Tensor {
    /// Marks this result of a view op on `input` as a view of `input`'s base (`viewBase`), and
    /// that base as having a view with history when both have one (Note [In-place on views]).
    /// Only a base with history is written to: it belongs to this thread, whereas a leaf may be
    /// read by several threads at once.
    @inline(__always)
    func view(of input: Tensor) -> Tensor {
        let base = input.viewBase ?? input
        viewBase = base
        if history != nil && base.history != nil { base.hasTrackedViews = true }
        return self
    }
}
