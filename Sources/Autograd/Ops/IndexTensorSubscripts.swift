import Arena
import TensorCore

// MARK: - Subscripts and selecting of Int and Bool tensors, never recorded
//
// Labels and masks are sliced, picked and patched as often as the values they index
// (`labels[0..<8]`, `mask[.all, 0] = false`, `Tensor.where(keep, labels, Tensor(-100))`). These
// are the floating types' subscripts and selecting ops, with the same resolution and checks
// (Subscripts.swift, AdvancedIndexing.swift, Gathering.swift, Masking.swift), without a graph:
// the subscripts' views share storage and version with their base, and a setter writes through
// the view into the shared storage.

extension Tensor where Scalar: TensorIndexElement {
    /// The view of this tensor that `indices` pick, PyTorch's `x[...]`, resolved as the floating
    /// types' subscript resolves them (an `Int` selects, a range or `.stride(_:by:)` slices,
    /// `.newAxis` inserts a dimension, `.ellipsis` stands for the rest); a lone `Tensor<Int>` or
    /// `Tensor<Bool>` index copies instead.
    ///
    /// ```swift
    /// let labels = try Tensor<Int>([[3, 0, 7], [1, 1, 2]])
    /// labels[1].scalars               // [1, 1, 2], a view
    /// labels[.all, 0] = Tensor(9)     // labels is [[9, 0, 7], [9, 1, 2]]
    /// labels[labels .> 5] = Tensor(0) // [[0, 0, 0], [0, 1, 2]]
    /// ```
    ///
    /// Setting writes `newValue` (broadcast) in place through that view, bumping the version the
    /// views share. Traps with PyTorch's messages as the floating subscript does (an index out of
    /// range, too many indices, a value that does not broadcast, an expanded target).
    public subscript(_ indices: any TensorIndexExpression...) -> Tensor {
        get {
            let indices = indices.map(\.tensorIndex)
            if let index = AdvancedIndex(indices, shape: shape) { return Tensor(data: data.indexed(index)) }
            return derived(Shape.subscriptSteps(indices, shape: shape, forWriting: false).reduce(data) { $0.applying($1) })
        }
        set { write(.tensor(newValue), at: indices.map(\.tensorIndex)) }
    }

    /// The one element that `indices` pick, or (setting) every element they pick set to
    /// `newValue`; chosen where the context wants a `Scalar` (`let n: Int = labels[0, 1]`), as
    /// the floating types' `Scalar` subscript is.
    @_disfavoredOverload
    public subscript(_ indices: any TensorIndexExpression...) -> Scalar {
        get { element(at: indices.map(\.tensorIndex)) }
        set { write(.scalar(newValue), at: indices.map(\.tensorIndex)) }
    }

    /// The setters: `value` copied into the part `indices` pick (Note [Subscript setters], with
    /// nothing to record), or PyTorch's `index_put_` for a tensor index.
    private func write(_ value: SubscriptValue<Scalar>, at indices: [TensorIndex]) {
        if let index = AdvancedIndex(indices, shape: shape) {
            data.copy(from: valuePut(value, at: index))
            return
        }
        // The slices PyTorch skips when writing make no step: the target is this tensor itself.
        let target = Shape.subscriptSteps(indices, shape: shape, forWriting: true).reduce(data) { $0.applying($1) }
        switch value {
        case .scalar(let s):
            target.copy(from: DenseTensor(s))
        case .tensor(let t):
            let kept = t.rank == 0 || t.shape == target.shape ? t.shape : t.shapeWritten(into: target.shape)
            target.copy(from: t.data.reshaped(kept))
        }
    }

    /// The slices at `index`'s positions along `dim`, in its order, repeats included (PyTorch's
    /// `index_select`); a copy. Checked as the floating types' ``indexSelect(dim:index:)``.
    public func indexSelect(dim: Int, index: Tensor<Int>) -> Tensor {
        let (axis, positions) = indexSelectPositions(dim: dim, index: index)
        return Tensor(data: data.indexSelected(dim: axis, positions: positions))
    }

    /// The elements that `index` picks along `dim` (PyTorch's `gather`), of the index's shape; a
    /// copy. Checked as the floating types' ``gather(dim:index:)``.
    public func gather(dim: Int, index: Tensor<Int>) -> Tensor {
        Tensor(data: data.gathered(dim: gatherAxis(dim: dim, index: index), index: index.data))
    }

    /// This tensor with `value` where `mask` is `true`, both broadcast (PyTorch's `masked_fill`).
    public func maskedFill(_ mask: Tensor<Bool>, with value: Scalar) -> Tensor {
        Tensor(data: data.maskFilled(mask.data, with: value).0)
    }

    /// `a`'s element where `condition` is `true`, `b`'s elsewhere, all three broadcast
    /// (PyTorch's `torch.where`).
    public static func `where`(_ condition: Tensor<Bool>, _ a: Tensor, _ b: Tensor) -> Tensor {
        Tensor(data: DenseTensor.chosen(condition.data, a.data, b.data).0)
    }

    /// `scatterAdd` with the element type's kernel (`+` for `Int`, `||` for `Bool`, as PyTorch adds).
    fileprivate func scatterAdd(
        _ dim: Int, _ index: Tensor<Int>, _ source: Tensor,
        _ kernel: (DenseTensor<Scalar>) -> (Int, DenseTensor<Int>, DenseTensor<Scalar>) -> DenseTensor<Scalar>
    ) -> Tensor {
        Tensor(data: kernel(data)(scatterAddAxis(dim: dim, index: index, source: source), index.data, source.data))
    }
}

extension Tensor where Scalar == Int {
    /// This tensor with `source[c]` added at the position `index[c]` along `dim`, for every
    /// coordinate `c` of `index` (PyTorch's out-of-place `scatter_add`; sums wrap as int64's).
    /// Checked as the floating types' ``scatterAdd(dim:index:source:)``.
    public func scatterAdd(dim: Int, index: Tensor<Int>, source: Tensor) -> Tensor {
        scatterAdd(dim, index, source, DenseTensor<Scalar>.scatterAdded(dim:index:source:))
    }
}

extension Tensor where Scalar == Bool {
    /// This mask with `source[c]` or-ed in at the position `index[c]` along `dim`, for every
    /// coordinate `c` of `index` (PyTorch's out-of-place `scatter_add`, which adds bools as `or`).
    public func scatterAdd(dim: Int, index: Tensor<Int>, source: Tensor) -> Tensor {
        scatterAdd(dim, index, source, DenseTensor<Scalar>.scatterAdded(dim:index:source:))
    }
}
