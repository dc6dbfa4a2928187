import Arena

// The view ops of API.md "Views share storage" beyond reshape/transpose/unsqueeze/expand
// (ShapeOps.swift): permute, squeeze, select, narrow, flatten, and the copies contiguous()/
// cloned() and the copying reshape. A view shares its input's storage and version counter and
// allocates no buffer; its derivative undoes the layout change (permute, squeeze, the reshapes)
// or writes the gradient into zeros of the input's shape (select, narrow), as PyTorch's
// derivatives.yaml does.

// MARK: - permute

enum Permute: OpDefinition {
    static let name = "PermuteBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let isView = true
    /// PyTorch's `permute_backwards`: the gradient permuted by the inverse permutation.
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (c.grad.permuted(inverting: c.indices), nil)
    }
}

extension Tensor where Scalar: TensorScalar {
    /// A view with its dimensions in the order `dims` (PermuteBackward0), PyTorch's `permute`:
    /// dimension `i` of the result is dimension `dims[i]` of `self` (negative dims count from
    /// the end).
    ///
    /// ```swift
    /// let x = Tensor<Float>.zeros([2, 3, 4])
    /// x.permuted([2, 0, 1]).shape     // [4, 2, 3]
    /// x.permuted([2, 0, 1]).strides   // [1, 12, 4]
    /// ```
    ///
    /// Traps with PyTorch's message unless `dims` is a permutation of the dimensions.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func permuted(_ dims: [Int]) -> Tensor {
        let value = withData { $0.permuted(dims) }   // checks `dims`, with PyTorch's messages
        // The node keeps the dimensions normalized: `dims` itself when they are (no new array).
        let normalized = dims.allSatisfy { $0 >= 0 } ? dims : dims.map { Shape.normalize(dim: $0, rank: rank) }
        return Tensor.record(value, Permute.self, self, nil, Saved(indices: normalized)).view(of: self)
    }

    /// The view that undoes `permuted(dims)` (`dims` normalized), recorded as a permute.
    func permuted(inverting dims: [Int]) -> Tensor {
        var inverse = [Int](repeating: 0, count: dims.count)
        for (position, axis) in dims.enumerated() { inverse[axis] = position }
        return permuted(inverse)
    }
}

// MARK: - squeeze

enum Squeeze: OpDefinition {
    static let name = "SqueezeBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let isView = true
    /// PyTorch's `unsqueeze_to`: the removed size-1 dimensions put back.
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.grad.reshaped(c.shape0), nil) }
}

enum SqueezeDim: OpDefinition {
    static let name = "SqueezeBackward1"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let isView = true
    /// PyTorch's `unsqueeze_to(grad, dim, sizes)`: the dimension put back if it was removed.
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.grad.reshaped(c.shape0), nil) }
}

extension Tensor where Scalar: TensorScalar {
    /// A view without the dimensions of size 1 (SqueezeBackward0), PyTorch's `squeeze()`.
    ///
    /// ```swift
    /// Tensor<Float>.zeros([1, 3, 1, 2]).squeezed().shape   // [3, 2]
    /// ```
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func squeezed() -> Tensor {
        Tensor.record(withData { $0.squeezed() }, Squeeze.self, self, keepingShape: shape).view(of: self)
    }

    /// A view without dimension `dim` if its size is 1, else a view of the same shape
    /// (SqueezeBackward1), PyTorch's `squeeze(dim)`. Traps with PyTorch's message when `dim` is
    /// out of range.
    ///
    /// ```swift
    /// Tensor<Float>.zeros([1, 3, 1]).squeezed(dim: -1).shape   // [1, 3]
    /// Tensor<Float>.zeros([1, 3, 1]).squeezed(dim: 1).shape    // [1, 3, 1]
    /// ```
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func squeezed(dim: Int) -> Tensor {
        let axis = Shape.normalize(dim: dim, rank: rank)
        return Tensor.record(withData { $0.squeezed(dims: [axis]) }, SqueezeDim.self, self,
                             keepingShape: shape).view(of: self)
    }
}

// MARK: - reshape that aliases, reshape that copies

enum ReshapeAlias: OpDefinition {
    static let name = "ReshapeAliasBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let isView = true
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.grad.reshaped(c.shape0), nil) }
}

enum UnsafeView: OpDefinition {
    static let name = "UnsafeViewBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    // A view of a fresh copy, which nothing else reads: PyTorch's `_unsafe_view` is no view.
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.grad.reshaped(c.shape0), nil) }
}

extension Tensor {
    /// The shape `shape` (with at most one `-1`) gives for this tensor's elements, trapping with
    /// PyTorch's messages (`infer_size`).
    func inferredShape(_ shape: [Int]) -> [Int] {
        var inferred: Int?
        var known = 1
        for (i, size) in shape.enumerated() {
            if size == -1 {
                trapUnless(inferred == nil, "only one dimension can be inferred")
                inferred = i
            } else if size >= 0 {
                known &*= size
            } else {
                trap("invalid shape dimension \(size) at index \(i) of shape \(shape)")
            }
        }
        let count = self.count
        guard let inferred else {
            trapUnless(count == known, "shape '\(shape)' is invalid for input of size \(count)")
            return shape
        }
        trapUnless(count == known || known > 0 && count % known == 0,
            "shape '\(shape)' is invalid for input of size \(count)")
        trapUnless(known != 0,
            "cannot reshape tensor of 0 elements into shape \(shape) because the unspecified dimension size -1 can be any value and is ambiguous")
        var out = shape
        out[inferred] = count / known
        return out
    }

    /// `data` read under `shape` with PyTorch's view strides (`computeStride`), or `nil` where
    /// the layout allows no view.
    func viewData(as shape: [Int]) -> DenseTensor<Scalar>? {
        data.stridedView(as: shape)
    }

    /// The shape `flattened(startDim:endDim:)` gives, checked as PyTorch's `flatten` checks it;
    /// `nil` when flattening one dimension, which returns the tensor itself.
    func flattenedShape(startDim: Int, endDim: Int) -> [Int]? {
        let start = Shape.normalize(dim: startDim, rank: rank), end = Shape.normalize(dim: endDim, rank: rank)
        trapUnless(start <= end, "flatten() has invalid args: start_dim cannot come after end_dim")
        if rank == 0 { return [1] }
        if start == end { return nil }
        let merged = shape[start...end].reduce(1, *)
        return Array(shape[..<start]) + [merged] + Array(shape[(end + 1)...])
    }

    /// `narrow`'s dimension and first index, checked with PyTorch's messages (a negative `start`
    /// counts from the end).
    func narrowPosition(dim: Int, start: Int, length: Int) -> (axis: Int, begin: Int) {
        trapUnless(rank > 0, "narrow() cannot be applied to a 0-dim tensor.")
        trapUnless(length >= 0, "narrow(): length must be non-negative.")
        let axis = Shape.normalize(dim: dim, rank: rank)
        let size = shape[axis]
        trapUnless(start >= -size && start <= size,
            "start out of range (expected to be in range of [\(-size), \(size)], but got \(start))")
        let begin = start < 0 ? start + size : start
        trapUnless(begin <= size - length,
            "start (\(begin)) + length (\(length)) exceeds dimension size (\(size)).")
        return (axis, begin)
    }

    /// Whether this tensor is a view of another's storage made by a view op (PyTorch's
    /// `_is_view()`): a result of ``transposed()``, ``permuted(_:)``, ``expanded(to:)``,
    /// ``unsqueezed(dim:)``, ``squeezed()``, ``select(dim:index:)``, ``narrow(dim:start:length:)``,
    /// or of a ``reshaped(_:)`` or ``flattened(startDim:endDim:)`` that could be a view.
    /// ``detached()``, ``cloned()`` and a ``contiguous()`` copy are not views.
    public var isView: Bool { viewBase != nil }
}

extension Tensor where Scalar: TensorScalar {
    /// `reshaped`'s three outcomes, as PyTorch's `reshape` (`shape` already inferred): a view of
    /// a contiguous tensor (ViewBackward0); a view of a strided one whose strides allow it
    /// (ReshapeAliasBackward0); else a contiguous copy (CloneBackward0) read under the new shape
    /// (UnsafeViewBackward0), which is no view.
    func reshapedResolved(_ shape: [Int]) -> Tensor {
        let saved = { Saved<Scalar>(shapes: (self.shape, nil)) }
        if isContiguous {
            return Tensor.record(viewData(as: shape)!, Reshape.self, self, nil, saved()).view(of: self)
        }
        if let alias = viewData(as: shape) {
            return Tensor.record(alias, ReshapeAlias.self, self, nil, saved()).view(of: self)
        }
        let copy = Tensor.record(data.contiguous(), Clone.self, self)
        return Tensor.record(copy.viewData(as: shape)!, UnsafeView.self, copy, nil, saved())
    }

    /// The elements of dimensions `startDim...endDim` in one dimension (PyTorch's `flatten`):
    /// a ``reshaped(_:)`` (ViewBackward0 where a view is possible, else a copy,
    /// UnsafeViewBackward0). As in PyTorch, a 0-d tensor becomes `[1]`, and flattening one
    /// dimension (`startDim == endDim`) returns this tensor itself.
    ///
    /// ```swift
    /// let x = Tensor<Float>.zeros([2, 3, 4])
    /// x.flattened().shape                          // [24]
    /// x.flattened(startDim: 1).shape               // [2, 12]
    /// x.flattened(startDim: 0, endDim: 1).shape    // [6, 4]
    /// ```
    ///
    /// Traps with PyTorch's message when a dim is out of range or `startDim` comes after `endDim`.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func flattened(startDim: Int = 0, endDim: Int = -1) -> Tensor {
        guard let shape = flattenedShape(startDim: startDim, endDim: endDim) else { return self }
        return reshapedResolved(shape)
    }
}

// MARK: - select

enum Select: OpDefinition {
    static let name = "SelectBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let isView = true
    /// PyTorch's `select_backward`: zeros of the input's shape with the gradient at the index.
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (c.first { c.grad.placedSelection(in: c.shape0, dim: c.dim, index: c.dim2) }, nil)
    }
}

extension Tensor where Scalar: TensorScalar {
    /// The view at `index` along `dim`, which goes (SelectBackward0), PyTorch's `select`:
    /// `x.select(dim: 0, index: i)` is `x[i]`. Negative `dim` and `index` count from the end.
    ///
    /// ```swift
    /// let x = try Tensor<Float>([[1, 2, 3], [4, 5, 6]])
    /// x.select(dim: 0, index: 1).scalars    // [4, 5, 6]
    /// x.select(dim: 1, index: -1).scalars   // [3, 6]
    /// ```
    ///
    /// Traps with PyTorch's message on a 0-d tensor, a `dim` out of range or an `index` out of
    /// range.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func select(dim: Int, index: Int) -> Tensor {
        let (axis, i) = data.selectPosition(dim: dim, index: index)
        return Tensor.record(withData { $0.selected(axis: axis, index: i) }, Select.self, self,
                             keepingShape: shape, dim: axis, dim2: i).view(of: self)
    }
}

// MARK: - narrow

enum Slice: OpDefinition {
    static let name = "SliceBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let isView = true
    /// PyTorch's `slice_backward`: zeros of the input's shape with the gradient in the slice,
    /// every `step`-th element from `start` (`dim2`). `narrow` saves no step (0: every element);
    /// a stepped slice (`x[.stride(a..<b, by: s)]`, Subscripts.swift) saves it as the node's
    /// `scalar`.
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (c.first { c.grad.placedSlice(in: c.shape0, dim: c.dim, start: c.dim2, step: Swift.max(1, Int(c.node.scalar))) }, nil)
    }
}

extension Tensor where Scalar: TensorScalar {
    /// The view of `length` elements from `start` along `dim` (SliceBackward0), PyTorch's
    /// `narrow`: `x.narrow(dim: 0, start: 1, length: 2)` is `x[1..<3]`. A negative `start`
    /// counts from the end.
    ///
    /// ```swift
    /// let x = try Tensor<Float>([[1, 2, 3, 4], [5, 6, 7, 8]])
    /// x.narrow(dim: 1, start: 1, length: 2).scalars   // [2, 3, 6, 7]
    /// x.narrow(dim: 1, start: 1, length: 2).strides   // [4, 1]: a view of x's storage
    /// ```
    ///
    /// Traps with PyTorch's message on a 0-d tensor, a negative `length`, a `dim` or `start` out
    /// of range, or a range that runs past the end.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func narrow(dim: Int, start: Int, length: Int) -> Tensor {
        let (axis, begin) = narrowPosition(dim: dim, start: start, length: length)
        return Tensor.record(withData { $0.narrowed(dim: axis, start: begin, length: length) }, Slice.self, self,
                             keepingShape: shape, dim: axis, dim2: begin).view(of: self)
    }
}

// MARK: - contiguous, cloned

enum Clone: OpDefinition {
    static let name = "CloneBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.grad, nil) }
}

extension Tensor where Scalar: TensorScalar {
    /// This tensor itself when ``isContiguous``, else a row-major copy (CloneBackward0),
    /// PyTorch's `contiguous()`. The copy has storage of its own and is no view.
    ///
    /// ```swift
    /// let x = Tensor<Float>.zeros([2, 3])
    /// x.contiguous() === x                              // true
    /// x.transposed().contiguous().strides               // [2, 1]
    /// ```
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func contiguous() -> Tensor {
        if isContiguous { return self }
        return Tensor.record(withData { $0.contiguous() }, Clone.self, self)
    }

    /// A copy with storage of its own (CloneBackward0), PyTorch's `clone()`. It keeps this
    /// tensor's strides where the elements are non-overlapping and dense (a transposed or
    /// permuted tensor's copy is laid out the same way, so it is not contiguous either), and is
    /// row-major otherwise (a narrowed or expanded tensor's copy), as PyTorch's default
    /// `memory_format=torch.preserve_format`.
    ///
    /// ```swift
    /// let x = Tensor<Float>.zeros([2, 3])
    /// x.transposed().cloned().strides   // [1, 3]
    /// ```
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func cloned() -> Tensor {
        Tensor.record(withData { $0.clonedPreservingStrides() }, Clone.self, self)
    }
}


// MARK: - the derivatives' operations, in both interpretations

extension DenseTensor where Scalar: TensorScalar {
    func placedSelection(in shape: [Int], dim: Int, index: Int) -> DenseTensor {
        DenseTensor.zeros(shape, placing: self, at: { $0.selected(dim: dim, index: index) })
    }

    func placedSlice(in shape: [Int], dim: Int, start: Int, step: Int) -> DenseTensor {
        let count = self.shape[dim]
        let span = count == 0 ? 0 : (count - 1) * step + 1
        return DenseTensor.zeros(shape, placing: self, at: { $0.narrowed(dim: dim, start: start, length: span, step: step) })
    }
}

extension Tensor where Scalar: TensorScalar {
    func selected(dim: Int, index: Int) -> Tensor { select(dim: dim, index: index) }

    func narrowed(dim: Int, start: Int, length: Int, step: Int) -> Tensor {
        step == 1 ? narrow(dim: dim, start: start, length: length)
            : sliced(dim: dim, start: start, count: length == 0 ? 0 : (length - 1) / step + 1, step: step)
    }

    func placedSelection(in shape: [Int], dim: Int, index: Int) -> Tensor {
        unsqueezed(dim: dim).placedSlice(in: shape, dim: dim, start: index, step: 1)
    }

    /// An `indexAdded` into zeros, at the positions `start + k·step` along `dim`.
    func placedSlice(in shape: [Int], dim: Int, start: Int, step: Int) -> Tensor {
        Tensor.zeros(shaped: shape).indexAdded(dim: dim, positions: (0..<self.shape[dim]).map { start + $0 * step }, source: self)
    }
}
