// Sums, means and maxima. Derivatives spread the output's gradient back over the reduced
// elements: evenly for sums and means, to the chosen element(s) for max.

extension DenseTensor where Scalar: TensorScalar {
    /// The gradient of a reduction along `dim` brought back to `inputShape`: re-insert the
    /// reduced dim if it was dropped, then broadcast.
    func unreduced(dim: Int, keepDim: Bool, to inputShape: [Int]) -> DenseTensor {
        withReducedDim(dim, keepDim: keepDim, inputRank: inputShape.count).broadcasted(to: inputShape)
    }

    /// `self` (a reduction's output or its gradient) with the reduced dim back as size 1 when
    /// `keepDim` dropped it; a view, no copy.
    func withReducedDim(_ dim: Int, keepDim: Bool, inputRank: Int) -> DenseTensor {
        guard !keepDim && inputRank > 0 else { return self }
        var shape = self.shape
        shape.insert(1, at: Shape.normalize(dim: dim, rank: inputRank))
        return reshaped(shape)
    }
}

// MARK: - sum

enum Sum: OpDefinition {
    static let name = "SumBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func backward<S>(_ c: consuming BackwardContext<S>) -> InputGrads<S> { (c.grad.broadcasted(to: c.shape0), nil) }
}

enum SumDim: OpDefinition {
    static let name = "SumBackward1"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func backward<S>(_ c: consuming BackwardContext<S>) -> InputGrads<S> {
        (c.grad.unreduced(dim: c.dim, keepDim: c.keepDim, to: c.shape0), nil)
    }
}

extension Tensor where Scalar: TensorScalar {
    /// The sum of all elements, a 0-d tensor (SumBackward0).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func sum() -> Tensor {
        Tensor.record(withData { $0.sum() }, Sum.self, self, nil, Saved(shapes: (shape, nil)))
    }
    /// The sum along `dim`; negative dims count from the end (SumBackward1).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func sum(dim: Int, keepDim: Bool = false) -> Tensor {
        Tensor.record(withData { $0.sum(dim: dim, keepDim: keepDim) }, SumDim.self, self, nil,
                      Saved(shapes: (shape, nil), dim: dim, keepDim: keepDim))
    }
}

// MARK: - mean

enum Mean: OpDefinition {
    static let name = "MeanBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func backward<S>(_ c: consuming BackwardContext<S>) -> InputGrads<S> {
        // The output is 0-d, so its gradient is one value: a fill of g / n, not a division then
        // an expand (two buffers).
        (DenseTensor(shape: c.shape0, repeating: c.grad.scalar! / S(Shape.count(c.shape0))), nil)
    }
}

enum MeanDim: OpDefinition {
    static let name = "MeanBackward1"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func backward<S>(_ c: consuming BackwardContext<S>) -> InputGrads<S> {
        let size = c.shape0.isEmpty ? 1 : c.shape0[Shape.normalize(dim: c.dim, rank: c.shape0.count)]
        return (c.grad.binary(.div, scalar: S(size)).unreduced(dim: c.dim, keepDim: c.keepDim, to: c.shape0), nil)
    }
}

extension Tensor where Scalar: TensorScalar {
    /// The mean of all elements, a 0-d tensor (MeanBackward0).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func mean() -> Tensor {
        Tensor.record(withData { $0.mean() }, Mean.self, self, nil, Saved(shapes: (shape, nil)))
    }
    /// The mean along `dim`; negative dims count from the end (MeanBackward1).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func mean(dim: Int, keepDim: Bool = false) -> Tensor {
        Tensor.record(withData { $0.mean(dim: dim, keepDim: keepDim) }, MeanDim.self, self, nil,
                      Saved(shapes: (shape, nil), dim: dim, keepDim: keepDim))
    }
}

// MARK: - max

enum MaxAll: OpDefinition {
    static let name = "MaxBackward1"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func backward<S>(_ c: consuming BackwardContext<S>) -> InputGrads<S> {
        // Ties share the gradient evenly, as PyTorch's evenly_distribute_backward.
        (c.saved0.maxBackward(grad: c.grad.scalar!, maximum: c.scalar), nil)
    }
}

enum MaxDim: OpDefinition {
    static let name = "MaxBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func backward<S>(_ c: consuming BackwardContext<S>) -> InputGrads<S> {
        let g = c.grad.withReducedDim(c.dim, keepDim: c.keepDim, inputRank: c.shape0.count)
        return (g.scatter(indices: c.indices, dim: c.dim, into: c.shape0), nil)
    }
}

extension Tensor where Scalar: TensorScalar {
    /// The largest element, a 0-d tensor (MaxBackward1).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func max() -> Tensor {
        let m = withData { $0.max() }
        return Tensor.record(m, MaxAll.self, self, nil, Saved(tensors: (data, nil), scalar: Double(m.scalar!)))
    }
    /// The largest elements along `dim` (the values; MaxBackward0).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func max(dim: Int, keepDim: Bool = false) -> Tensor {
        let (values, indices) = withData { $0.max(dim: dim, keepDim: keepDim) }
        return Tensor.record(values, MaxDim.self, self, nil,
                             Saved(shapes: (shape, nil), indices: indices, dim: dim, keepDim: keepDim))
    }
}
