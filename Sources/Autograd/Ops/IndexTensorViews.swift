import Arena

// MARK: - Views and joins of Int and Bool tensors, never recorded
//
// Index and mask tensors are reshaped, unsqueezed and joined as often as the values they index
// (`logits.gather(dim: 1, index: labels.unsqueezed(dim: 1))`). These are the floating types'
// views and joins with the same checks and layouts (TensorCore's, and the shared checks in
// ShapeOps/ViewOps/Joining), without a graph: an `Int` or `Bool` tensor never requires grad.
// Views share storage and version with their base, as the floating ones do. Their subscripts
// and gathering ops are in IndexTensorSubscripts.swift.

extension Tensor where Scalar: TensorIndexElement {
    /// The same elements under `shape` (at most one `-1`): a view where the layout allows one,
    /// else a copy, as PyTorch's `reshape`.
    public func reshaped(_ shape: [Int]) -> Tensor { derived(data.reshaped(inferredShape(shape))) }

    /// Dimensions `startDim...endDim` merged into one (PyTorch's `flatten`).
    public func flattened(startDim: Int = 0, endDim: Int = -1) -> Tensor {
        guard let shape = flattenedShape(startDim: startDim, endDim: endDim) else { return self }
        return derived(data.reshaped(shape))
    }

    /// A view with a dimension of size 1 inserted at `dim` (PyTorch's `unsqueeze`).
    public func unsqueezed(dim: Int) -> Tensor {
        derived(data.unsqueezed(dim: Shape.normalize(dim: dim, rank: rank + 1)))
    }

    /// A view without the dimensions of size 1 (PyTorch's `squeeze()`).
    public func squeezed() -> Tensor { derived(data.squeezed()) }

    /// A view without dimension `dim` if its size is 1 (PyTorch's `squeeze(dim)`).
    public func squeezed(dim: Int) -> Tensor { derived(data.squeezed(dims: [Shape.normalize(dim: dim, rank: rank)])) }

    /// A view broadcast to `shape` (`-1` keeps a size; PyTorch's `expand`).
    public func expanded(to shape: [Int]) -> Tensor { derived(data.expanded(to: expandTarget(shape))) }

    /// The matrix transpose of a tensor of rank ≤ 2, a view (PyTorch's `t()`).
    public func transposed() -> Tensor {
        trapUnless(rank <= 2, "t() expects a tensor with <= 2 dimensions, but self is \(rank)D")
        return derived(data.transposed(0, Swift.min(1, rank - 1)))
    }

    /// A view with dimensions `d0` and `d1` swapped (PyTorch's `transpose`).
    public func transposed(_ d0: Int, _ d1: Int) -> Tensor { derived(data.transposed(d0, d1)) }

    /// A view with its dimensions in the order `dims` (PyTorch's `permute`).
    public func permuted(_ dims: [Int]) -> Tensor { derived(data.permuted(dims)) }

    /// The view at `index` along `dim`, which goes (PyTorch's `select`).
    public func select(dim: Int, index: Int) -> Tensor {
        let (axis, i) = data.selectPosition(dim: dim, index: index)
        return derived(data.selected(axis: axis, index: i))
    }

    /// The view of `length` elements from `start` along `dim` (PyTorch's `narrow`).
    public func narrow(dim: Int, start: Int, length: Int) -> Tensor {
        let (axis, begin) = narrowPosition(dim: dim, start: start, length: length)
        return derived(data.narrowed(dim: axis, start: begin, length: length))
    }

    /// This tensor itself when contiguous, else a row-major copy (PyTorch's `contiguous()`).
    public func contiguous() -> Tensor { isContiguous ? self : Tensor(data: data.contiguous()) }

    /// `tensors` joined along `dim` (PyTorch's `torch.cat`).
    public static func cat(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
        Tensor(data: concatenation(tensors, dim: dim).value)
    }

    /// `tensors`, all of one shape, stacked along a new dimension `dim` (PyTorch's `torch.stack`).
    public static func stack(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
        Tensor(data: stacking(tensors, dim: dim).value)
    }

    /// A copy with storage of its own, laid out as PyTorch's `clone()` lays it out.
    public func cloned() -> Tensor { Tensor(data: data.clonedPreservingStrides()) }

    /// Views of consecutive pieces of `size` elements along `dim`, the last one shorter when
    /// `size` does not divide it (PyTorch's `split(int)`).
    public func split(size: Int, dim: Int = 0) -> [Tensor] {
        let (sizes, axis) = splitSizes(size: size, dim: dim)
        return data.pieces(sizes, dim: axis).map(derived)
    }

    /// Views of consecutive pieces of the given sizes along `dim`, which must add up to the
    /// dimension's size (PyTorch's `split(list)`).
    public func split(sizes: [Int], dim: Int = 0) -> [Tensor] {
        data.pieces(sizes, dim: splitAxis(sizes: sizes, dim: dim)).map(derived)
    }

    /// `chunks` views of ⌈size / chunks⌉ elements along `dim`, so possibly fewer than `chunks`
    /// (PyTorch's `chunk`).
    public func chunked(_ chunks: Int, dim: Int = 0) -> [Tensor] {
        let (size, axis) = chunkSize(chunks, dim: dim)
        return split(size: size, dim: axis)
    }

    /// The views at each index along `dim`, which they drop (PyTorch's `unbind`).
    public func unbind(dim: Int = 0) -> [Tensor] { data.unbound(dim: unbindAxis(dim: dim)).map(derived) }

    /// `value` wrapped, marked a view of this tensor's base when it shares the storage.
    func derived(_ value: DenseTensor<Scalar>) -> Tensor {
        let result = Tensor(data: value)
        if value.storage === storedData.storage { result.viewBase = viewBase ?? self }
        return result
    }
}
