import Arena

// PyTorch's index_select, index_add, index_fill and index_copy: a list of positions along one
// dimension, each naming a whole slice there. The derivatives of selecting by positions (and of
// writing at them) are the other three, so the four share one geometry: the tensor read as
// `outer × size × inner` around `dim`, a 0-d tensor as one slice of one element.
//
// The positions are in range (`0..<shape[dim]`): each op checks them first, with its own message
// (index_select's depends on the kernel PyTorch happens to take). Out of range traps here too,
// with a plain one, rather than reading outside the storage.

extension DenseTensor {
    /// `outer × size × inner` around `dim` (a 0-d tensor is 1 × 1 × 1).
    @usableFromInline
    func slabs(around dim: Int) -> (outer: Int, size: Int, inner: Int) {
        guard rank > 0 else { return (1, 1, 1) }
        var (outer, inner) = (1, 1)   // products of the sizes before and after `dim`, no arrays
        for k in 0..<dim { outer &*= shape[k] }
        for k in (dim + 1)..<rank { inner &*= shape[k] }
        return (outer, shape[dim], inner)
    }

    @usableFromInline
    func checkPositions(_ positions: [Int], size: Int, dim: Int) {
        for p in positions {
            trapUnless(p >= 0 && p < size, "index \(p) is out of bounds for dimension \(dim) with size \(size)")
        }
    }

    /// The slices at `positions` along `dim`, in that order, repeats included (PyTorch's
    /// `index_select`): a new row-major tensor of `positions.count` slices along `dim`.
    ///
    /// ```swift
    /// let x = try DenseTensor<Float>(scalars: [1, 2, 3, 4, 5, 6], shape: [3, 2])
    /// x.indexSelected(dim: 0, positions: [2, 0, 2]).scalars   // [5, 6, 1, 2, 5, 6]
    /// ```
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Int)
    public func indexSelected(dim: Int, positions: [Int]) -> DenseTensor {
        let (outer, size, inner) = slabs(around: dim)
        checkPositions(positions, size: size, dim: dim)
        var outShape = shape
        if rank > 0 { outShape[dim] = positions.count }
        let out = DenseTensor(uninitializedShape: outShape)
        guard out.count > 0 else { return out }
        let source = contiguous()
        source.withElements { s in out.withMutableElements { o in
            var k = 0
            for i in 0..<outer {
                for p in positions {
                    let from = (i * size + p) * inner
                    (o.baseAddress! + k).initialize(from: s.baseAddress! + from, count: inner)
                    k += inner
                }
            }
        } }
        return out
    }

    /// A row-major copy with the slices at `positions` along `dim` set to `value` (PyTorch's
    /// `index_fill`).
    public func indexFilled(dim: Int, positions: [Int], value: Scalar) -> DenseTensor {
        let (outer, size, inner) = slabs(around: dim)
        checkPositions(positions, size: size, dim: dim)
        let out = copied()
        out.withMutableElements { o in
            for i in 0..<outer {
                for p in positions {
                    let to = (i * size + p) * inner
                    for j in 0..<inner { o[to + j] = value }
                }
            }
        }
        return out
    }

    /// A row-major copy with slice `positions[k]` along `dim` replaced by slice `k` of `source`
    /// (PyTorch's `index_copy`; for a repeated position the last write wins). `source` has this
    /// shape except for `positions.count` slices along `dim`.
    public func indexCopied(dim: Int, positions: [Int], source: DenseTensor) -> DenseTensor {
        combiningSlices(dim: dim, positions: positions, source: source, op: "index_copy_") { $0 = $1 }
    }

    /// A row-major copy with `combine(&element, sourceElement)` over slice `positions[k]` along
    /// `dim` and slice `k` of `source`, for each `k` in order.
    @inlinable
    func combiningSlices(
        dim: Int, positions: [Int], source: DenseTensor, op: String, _ combine: (inout Scalar, Scalar) -> Void
    ) -> DenseTensor {
        let (outer, size, inner) = slabs(around: dim)
        checkPositions(positions, size: size, dim: dim)
        trapUnless(source.count == outer * positions.count * inner,
                   "\(op)(): source of shape \(source.shape) for \(positions.count) slices of \(shape) along dimension \(dim)")
        let out = copied()
        let values = source.contiguous()
        values.withElements { s in out.withMutableElements { o in
            var k = 0
            for i in 0..<outer {
                for p in positions {
                    let to = (i * size + p) * inner
                    for j in 0..<inner { combine(&o[to + j], s[k + j]) }
                    k += inner
                }
            }
        } }
        return out
    }
}

extension DenseTensor where Scalar: TensorScalar {
    /// A row-major copy with slice `k` of `source` added to slice `positions[k]` along `dim`
    /// (PyTorch's `index_add`): a repeated position receives every slice sent to it, which is
    /// why this, not ``indexCopied(dim:positions:source:)``, is the derivative of selecting.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func indexAdded(dim: Int, positions: [Int], source: DenseTensor) -> DenseTensor {
        combiningSlices(dim: dim, positions: positions, source: source, op: "index_add_") { $0 += $1 }
    }
}

extension DenseTensor where Scalar: TensorScalar {
    /// Zeros of `tableShape` (`[rows, width]`) with row `k` of this tensor, read as
    /// `positions.count` rows of `width` (any shape of that many elements: an embedding's output
    /// gradient `indices.shape + [width]`), added to row `positions[k]` (repeats add up, in
    /// order), except where `positions[k] == skipping`: `zeros.indexAdded(dim: 0, …)` without the
    /// copy of the zeros it adds into, the one buffer written being the result (an embedding's
    /// weight gradient, a 50257-row table's 25 MB), whose shape is `tableShape` itself.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func rowsScattered(into tableShape: [Int], positions: [Int], skipping: Int = -1) -> DenseTensor {
        trapUnless(tableShape.count == 2 && count == positions.count * tableShape[1],
                   "rowsScattered: \(positions.count) positions for rows of \(tableShape) from a tensor of shape \(shape)")
        let (rows, width) = (tableShape[0], tableShape[1])
        checkPositions(positions, size: rows, dim: 0)
        let out = DenseTensor(shape: tableShape, repeating: 0)
        guard width > 0 else { return out }
        let source = contiguous()
        let s = UnsafePointer(source.start), o = out.start
        for (k, p) in positions.enumerated() where p != skipping {
            let from = s + k &* width, to = o + p &* width
            for j in 0..<width { to[j] += from[j] }
        }
        withExtendedLifetime(source) {}
        return out
    }
}

extension DenseTensor where Scalar == Bool {
    /// The row-major positions of the `true` elements, in order (PyTorch's `nonzero()` of a mask,
    /// flattened): what a mask stands for when it indexes or selects.
    public func truePositions() -> [Int] {
        contiguous().withElements { m in m.indices.filter { m[$0] } }
    }
}
