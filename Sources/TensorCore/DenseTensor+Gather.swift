import Arena

// PyTorch's gather and scatter_add: an index tensor of the input's rank, each element naming a
// position along `dim` for the element at its own coordinates elsewhere. The caller checks the
// shapes (with its op's messages); the positions are checked here, as PyTorch's kernel checks
// them, with its message.

extension DenseTensor {
    /// Calls `body(k, at)` for each element of `index` (row-major, `k` its position there), with
    /// `at(strides)` the offset of its coordinates under `strides`, its coordinate along `dim`
    /// replaced by its value (checked against `size`). Shapes `[]` count as `[1]`, as PyTorch's
    /// `ensure_nonempty_dim` makes them.
    @usableFromInline
    static func forEachIndexed(
        _ index: DenseTensor<Int>, dim: Int, size: Int, _ body: (Int, (_ strides: [Int], _ replacing: Bool) -> Int) -> Void
    ) {
        let shape = index.shape.isEmpty ? [1] : index.shape
        var coordinates = [Int](repeating: 0, count: shape.count)
        index.contiguous().withElements { values in
            for k in 0..<values.count {
                let v = values[k]
                trapUnless(v >= 0 && v < size, "index \(v) is out of bounds for dimension \(dim) with size \(size)")
                body(k) { strides, replacing in
                    var offset = 0
                    for d in coordinates.indices { offset += (replacing && d == dim ? v : coordinates[d]) * strides[d] }
                    return offset
                }
                // The next coordinates, row-major.
                var d = shape.count - 1
                while d >= 0 {
                    coordinates[d] += 1
                    if coordinates[d] < shape[d] { break }
                    coordinates[d] = 0
                    d -= 1
                }
            }
        }
    }

    /// Row-major strides of this shape, `[1]` for a 0-d tensor (see ``forEachIndexed``).
    @usableFromInline
    var nonemptyStrides: [Int] { rank == 0 ? [1] : Shape.strides(shape) }

    /// `out[c] = self[c with c[dim] = index[c]]` for every coordinate `c` of `index` (PyTorch's
    /// `gather`): a row-major tensor of the index's shape.
    ///
    /// ```swift
    /// let x = try DenseTensor<Float>(scalars: [1, 2, 3, 4], shape: [2, 2])
    /// let i = try DenseTensor<Int>(scalars: [1, 1, 0, 1], shape: [2, 2])
    /// x.gathered(dim: 1, index: i).scalars   // [2, 2, 3, 4]
    /// ```
    public func gathered(dim: Int, index: DenseTensor<Int>) -> DenseTensor {
        let out = DenseTensor(uninitializedShape: index.shape)
        guard out.count > 0 else { return out }
        let source = contiguous(), strides = nonemptyStrides
        source.withElements { s in out.withMutableElements { o in
            Self.forEachIndexed(index, dim: dim, size: rank == 0 ? 1 : shape[dim]) { k, at in
                (o.baseAddress! + k).initialize(to: s[at(strides, true)])
            }
        } }
        return out
    }
}

extension DenseTensor {
    /// A row-major copy with `source[c]` combined by `add` into the element at `c with c[dim] =
    /// index[c]` for every coordinate `c` of `index` (PyTorch's out-of-place `scatter_add`);
    /// `source` is at least as large as the index in every dimension, and only the elements the
    /// index covers are read. `add` is the element type's sum (a `Bool`'s is `||`, as PyTorch's).
    func scatterCombined(dim: Int, index: DenseTensor<Int>, source: DenseTensor, _ add: (inout Scalar, Scalar) -> Void) -> DenseTensor {
        let out = copied()
        guard index.count > 0 else { return out }
        let values = source.contiguous()
        let strides = nonemptyStrides, sourceStrides = values.nonemptyStrides
        values.withElements { s in out.withMutableElements { o in
            Self.forEachIndexed(index, dim: dim, size: rank == 0 ? 1 : shape[dim]) { _, at in
                add(&o[at(strides, true)], s[at(sourceStrides, false)])
            }
        } }
        return out
    }
}

extension DenseTensor where Scalar: TensorScalar {
    /// A row-major copy with `source[c]` added at `c with c[dim] = index[c]` for every coordinate
    /// `c` of `index` (PyTorch's out-of-place `scatter_add`); `source` is at least as large as
    /// the index in every dimension, and only the elements the index covers are read.
    public func scatterAdded(dim: Int, index: DenseTensor<Int>, source: DenseTensor) -> DenseTensor {
        scatterCombined(dim: dim, index: index, source: source) { $0 += $1 }
    }
}

extension DenseTensor where Scalar == Int {
    /// ``scatterAdded(dim:index:source:)`` of `Int`s, wrapping on overflow as int64 does in PyTorch.
    public func scatterAdded(dim: Int, index: DenseTensor<Int>, source: DenseTensor) -> DenseTensor {
        scatterCombined(dim: dim, index: index, source: source) { $0 = $0 &+ $1 }
    }
}

extension DenseTensor where Scalar == Bool {
    /// ``scatterAdded(dim:index:source:)`` of `Bool`s: PyTorch adds bools as `or`.
    public func scatterAdded(dim: Int, index: DenseTensor<Int>, source: DenseTensor) -> DenseTensor {
        scatterCombined(dim: dim, index: index, source: source) { $0 = $0 || $1 }
    }
}
