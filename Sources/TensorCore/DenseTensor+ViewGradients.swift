import Arena

/// What the view ops of the autograd layer need besides the views themselves: a copy that keeps
/// its source's layout (PyTorch's `clone()`), and the derivative of a view that picks part of
/// its input (`select`, `narrow`).
extension DenseTensor {
    /// A copy with its own storage, laid out as PyTorch's `clone()` lays it out
    /// (`memory_format=torch.preserve_format`): with `self`'s strides where `self` is
    /// non-overlapping and dense (a contiguous, transposed or permuted tensor, or one with no
    /// elements), so `x.t().clone()` is not contiguous either; otherwise dense, with the
    /// dimensions in the order of `self`'s strides (``denseStrides(preservingOrderOf:)``), so a
    /// narrowed row-major tensor's copy is row-major and a narrowed transpose's is a transpose.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func clonedPreservingStrides() -> DenseTensor {
        if count == 0 {
            return DenseTensor(storage: TensorStorage(uninitializedCount: 0), shape: shape, strides: strides, offset: 0)
        }
        if isNonOverlappingAndDense {
            // The elements fill `count` positions from `start` (no stride is negative): copy the
            // span as it lies and keep the strides over it.
            let out = TensorStorage<Scalar>(uninitializedCount: count)
            Self.copy(out.base, from: start, count: count)
            return DenseTensor(storage: out, shape: shape, strides: strides, offset: 0)
        }
        let dense = Self.denseStrides(preservingOrderOf: shape, strides)
        if Shape.isContiguous(shape: shape, strides: dense) {
            // Row-major in memory: a row-major copy (new storage: `self` is not contiguous),
            // keeping PyTorch's strides for the size-1 dimensions.
            return DenseTensor(storage: contiguous().storage, shape: shape, strides: dense, offset: 0)
        }
        let out = DenseTensor(storage: TensorStorage(uninitializedCount: count), shape: shape, strides: dense, offset: 0)
        out.assign(self)
        return out
    }

    /// Dense strides for `shape` that order the dimensions as `strides` does (PyTorch's
    /// `infer_dense_strides`, the sort TensorIterator uses): dimensions by increasing stride,
    /// the smaller size first where strides tie, and a dimension of stride 0 kept where a
    /// row-major layout has it.
    public static func denseStrides(preservingOrderOf shape: [Int], _ strides: [Int]) -> [Int] {
        let rank = shape.count
        if rank == 0 { return [] }
        if rank == 1 { return [1] }
        // 1 if dimension a should come after b (further from the fastest), -1 before, 0 unsure.
        func order(_ a: Int, _ b: Int) -> Int {
            let (sa, sb) = (strides[a], strides[b])
            if sa == 0 || sb == 0 { return 0 }
            if sa != sb { return sa < sb ? -1 : 1 }
            return shape[a] > shape[b] ? 1 : 0
        }
        var perm = Array((0..<rank).reversed())   // fastest first
        for i in 1..<rank {   // a stable insertion sort
            var moving = i
            for previous in stride(from: i - 1, through: 0, by: -1) {
                let comparison = order(perm[previous], perm[moving])
                if comparison > 0 {
                    perm.swapAt(previous, moving)
                    moving = previous
                } else if comparison < 0 {
                    break
                }
            }
        }
        var out = [Int](repeating: 0, count: rank)
        var running = 1
        for axis in perm {
            out[axis] = running
            if shape[axis] > 1 { running &*= shape[axis] }
        }
        return out
    }
}

extension DenseTensor where Scalar: TensorScalar {
    /// A tensor of `shape`, zero except in the part `region` picks out of it (a view such as
    /// ``selected(dim:index:)`` or ``narrowed(dim:start:length:step:)``), which holds `values`
    /// (of that view's shape): the derivative of a view that reads part of its input (PyTorch's
    /// `select_backward`, `slice_backward`).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func zeros(_ shape: [Int], placing values: DenseTensor, at region: (DenseTensor) -> DenseTensor) -> DenseTensor {
        let out = DenseTensor(uninitializedShape: shape)
        let part = region(out)
        assert(part.storage === out.storage && part.shape == values.shape,
               "region must be a view of its argument with the values' shape")
        if part.rowsAscend {
            part.assign(values, zeroingBefore: true)
        } else {
            initialize(out.start, repeating: 0, count: out.count)
            part.assign(values)
        }
        return out
    }

    /// Whether this view's rows (runs along its last dimension, in row-major order) lie one after
    /// another in its storage, each past the end of the one before: strides that are positive and
    /// fall from each dimension to the next, each past the span of the dimensions after it (a
    /// view that slices or selects a row-major tensor).
    @inlinable
    var rowsAscend: Bool {
        var span = 1   // positions one index of the current dimension must step over
        for axis in stride(from: rank - 1, through: 0, by: -1) where shape[axis] > 1 {
            let s = dimensionStride(axis)   // not `strides[axis]`: the property makes an array
            if s < span { return false }
            span = s &* (shape[axis] &- 1) &+ span
        }
        return true
    }
}
