// Sums, means and maxima. Derivatives spread the output's gradient back over the reduced
// elements: evenly for sums and means, to the chosen element(s) for max.

extension DenseTensor where Scalar: TensorScalar {
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
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.grad.broadcasted(to: c.shape0), nil) }
}

enum SumDim: OpDefinition {
    static let name = "SumBackward1"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (c.grad.unreduced(dim: c.dim, keepDim: c.keepDim, to: c.shape0), nil)
    }
}

extension Tensor where Scalar: TensorScalar {
    /// The sum of all elements, a 0-d tensor (SumBackward0).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func sum() -> Tensor {
        Tensor.record(withData { $0.sum() }, Sum.self, self, keepingShape: shape)
    }
    /// The sum along `dim`; negative dims count from the end (SumBackward1).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func sum(dim: Int, keepDim: Bool = false) -> Tensor {
        Tensor.record(withData { $0.sum(dim: dim, keepDim: keepDim) }, SumDim.self, self, nil,
                      Saved(shapes: (shape, nil), dim: dim, keepDim: keepDim))
    }
}

// MARK: - mean

enum Mean: OpDefinition {
    static let name = "MeanBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        // The output is 0-d, so its gradient is one value (`spread`: in the dense sweep one fill
        // of g / n, not a division then an expand).
        (c.grad.spread(to: c.shape0, dividedBy: V.Scalar(Shape.count(c.shape0))), nil)
    }
}

enum MeanDim: OpDefinition {
    static let name = "MeanBackward1"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        let size = c.shape0.isEmpty ? 1 : c.shape0[Shape.normalize(dim: c.dim, rank: c.shape0.count)]
        return (c.grad.binary(.div, scalar: V.Scalar(size)).unreduced(dim: c.dim, keepDim: c.keepDim, to: c.shape0), nil)
    }
}

extension Tensor where Scalar: TensorScalar {
    /// The mean of all elements, a 0-d tensor (MeanBackward0).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func mean() -> Tensor {
        Tensor.record(withData { $0.mean() }, Mean.self, self, keepingShape: shape)
    }
    /// The mean along `dim`; negative dims count from the end (MeanBackward1).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func mean(dim: Int, keepDim: Bool = false) -> Tensor {
        Tensor.record(withData { $0.mean(dim: dim, keepDim: keepDim) }, MeanDim.self, self, nil,
                      Saved(shapes: (shape, nil), dim: dim, keepDim: keepDim))
    }
}

// MARK: - max

enum MaxAll: OpDefinition {
    static let name = "MaxBackward1"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (c.saved0.maxBackward(grad: c.grad, maximum: c.scalar), nil)
    }
}

enum MaxDim: OpDefinition {
    static let name = "MaxBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        let g = c.grad.withReducedDim(c.dim, keepDim: c.keepDim, inputRank: c.shape0.count)
        return (g.scatter(indices: c.indices, dim: c.dim, into: c.shape0), nil)
    }
}

extension Tensor where Scalar: TensorScalar {
    /// The largest element, a 0-d tensor (MaxBackward1).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func max() -> Tensor {
        let m = withData { $0.max() }
        return Tensor.record(m, MaxAll.self, self, nil, Saved(tensors: (data, nil), scalar: Double(m.scalar!)))
    }
    /// The largest elements along `dim` (the values; MaxBackward0).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func max(dim: Int, keepDim: Bool = false) -> Tensor {
        let (values, indices) = withData { $0.max(dim: dim, keepDim: keepDim) }
        return Tensor.record(values, MaxDim.self, self, nil,
                             Saved(shapes: (shape, nil), indices: indices, dim: dim, keepDim: keepDim))
    }
}

extension Tensor where Scalar: TensorScalar {
    /// `maxBackward` recorded: PyTorch's `evenly_distribute_backward`, `mask · (grad / Σ mask)`.
    func maxBackward(grad: Tensor, maximum: Scalar) -> Tensor {
        let mask = Tensor(maximum.isNaN ? self .!= self : self .== maximum)
        return mask * (grad / mask.sum())
    }

    /// `scatter(indices:dim:into:)` recorded: a `scatterAdd` into zeros.
    func scatter(indices: [Int], dim: Int, into inputShape: [Int]) -> Tensor {
        guard !inputShape.isEmpty else { return reshaped([]) }
        return Tensor.zeros(shaped: inputShape).scatterAdded(dim: dim, index: try! DenseTensor(scalars: indices, shape: shape), source: self)
    }
}
