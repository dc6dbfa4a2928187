import Arena
import TensorCore

// Joining and splitting: nodes with any number of inputs (cat, stack) or outputs (split,
// chunked, unbind). The outputs of a split are views of its input; the derivative of each
// side is the other side.

// MARK: - cat

enum Cat: WideOpDefinition {
    static let name = "CatBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    /// Each input's gradient is its slice of the output's, a view (PyTorch's `cat_tensors_backward`);
    /// slices that leaves would copy one by one are copied together.
    static func backward<V>(wide c: WideBackwardContext<V>) -> [V?] {
        guard let grad = c.grads[0] else { return c.needs.map { _ in nil } }
        return grad.pieces(sizes: c.indices, dim: c.dim, wanted: c.needs, copied: c.intoLeaves)
    }
}

extension GradientValue {
    /// Views of the pieces, `cat`'s derivative in the recorded sweep.
    func pieces(sizes: [Int], dim: Int, wanted: [Bool], copied: Bool) -> [Self?] {
        narrowedPieces(sizes: sizes, dim: dim, wanted: wanted)
    }

    func narrowedPieces(sizes: [Int], dim: Int, wanted: [Bool]) -> [Self?] {
        var start = 0
        return zip(sizes, wanted).map { size, want in
            defer { start += size }
            return want ? narrowed(dim: dim, start: start, length: size, step: 1) : nil
        }
    }
}

extension DenseTensor where Scalar: TensorScalar {
    /// A slice of a row-major gradient along a dimension after the first is strided, and a leaf
    /// copies it into a row-major `grad`. When every input is a leaf, the slices are copied in one
    /// pass over the gradient, front to back (`splitCopies`): slice by slice, each copy read the
    /// gradient in jumps: `cat` of eight 1000×1000 tensors along dim 1, forward and backward, took
    /// 4.4–5.3 ms, 3.0–3.5 ms in one pass (Zen 4, one thread; PyTorch 7 ms).
    func pieces(sizes: [Int], dim: Int, wanted: [Bool], copied: Bool) -> [DenseTensor?] {
        let outer = shape[..<dim].reduce(1, *)
        guard copied && outer > 1 && isContiguous else { return narrowedPieces(sizes: sizes, dim: dim, wanted: wanted) }
        return splitCopies(sizes: sizes, dim: dim, wanted: wanted)
    }
}

extension Tensor where Scalar: TensorScalar {
    /// `tensors` joined along `dim` (CatBackward0), PyTorch's `torch.cat`. Their shapes must be
    /// equal but along `dim`; traps with PyTorch's message otherwise.
    ///
    /// ```swift
    /// let both = Tensor.cat([a, b], dim: 1)    // [2, 3] and [2, 4] → [2, 7]
    /// ```
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func cat(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
        let (value, axis, sizes) = concatenation(tensors, dim: dim)
        return recordWide(value, Cat.self, inputs: tensors, Saved(indices: sizes, dim: axis))
    }
}

extension Tensor {
    /// `tensors` joined along `dim`, checked as PyTorch's `cat` checks them, with the dimension
    /// and each input's size along it (0 for a skipped 1-D empty tensor).
    static func concatenation(_ tensors: [Tensor], dim: Int) -> (value: DenseTensor<Scalar>, axis: Int, sizes: [Int]) {
        trapUnless(!tensors.isEmpty, "torch.cat(): expected a non-empty list of Tensors")
        // PyTorch skips 1-D empty tensors, the legacy way of writing "nothing".
        let first = tensors.first { !($0.rank == 1 && $0.count == 0) } ?? tensors[0]
        for (k, t) in tensors.enumerated() where t.rank == 0 {
            trap("zero-dimensional tensor (at position \(k)) cannot be concatenated")
        }
        let axis = Shape.normalize(dim: dim, rank: first.rank)
        for (k, t) in tensors.enumerated() where !(t.rank == 1 && t.count == 0) {
            trapUnless(t.rank == first.rank, "Tensors must have same number of dimensions: got \(first.rank) and \(t.rank)")
            for d in 0..<first.rank where d != axis && t.shape[d] != first.shape[d] {
                trap("Sizes of tensors must match except in dimension \(axis). Expected size \(first.shape[d]) but got size \(t.shape[d]) for tensor number \(k) in the list.")
            }
        }
        let parts = tensors.filter { !($0.rank == 1 && $0.count == 0) || first.rank == 1 }
        let value = DenseTensor.concatenated(parts.map(\.data), dim: axis)
        return (value, axis, tensors.map { $0.rank == first.rank ? $0.shape[axis] : 0 })
    }

    /// `tensors`, all of one shape, stacked along a new dimension `dim`, checked as PyTorch's
    /// `stack` checks them, with that dimension.
    static func stacking(_ tensors: [Tensor], dim: Int) -> (value: DenseTensor<Scalar>, axis: Int) {
        trapUnless(!tensors.isEmpty, "stack expects a non-empty TensorList")
        let shape = tensors[0].shape
        let axis = Shape.normalize(dim: dim, rank: shape.count + 1)
        for (k, t) in tensors.enumerated() where t.shape != shape {
            trap("stack expects each tensor to be equal size, but got \(shape) at entry 0 and \(t.shape) at entry \(k)")
        }
        return (DenseTensor.concatenated(tensors.map { $0.data.unsqueezed(dim: axis) }, dim: axis), axis)
    }
}

// MARK: - stack

enum Stack: WideOpDefinition {
    static let name = "StackBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    /// Each input's gradient is its index of the output's along `dim`, a view (`unbind`);
    /// copied together for leaves, as `cat`'s slices are.
    static func backward<V>(wide c: WideBackwardContext<V>) -> [V?] {
        guard let grad = c.grads[0] else { return c.needs.map { _ in nil } }
        if c.intoLeaves && c.dim > 0 {
            var inputShape = grad.shape
            inputShape.remove(at: c.dim)
            return grad.pieces(sizes: c.needs.map { _ in 1 }, dim: c.dim, wanted: c.needs, copied: true)
                .map { $0?.reshaped(inputShape) }
        }
        return c.needs.enumerated().map { k, needed in needed ? grad.selected(dim: c.dim, index: k) : nil }
    }
}

extension Tensor where Scalar: TensorScalar {
    /// `tensors`, all of one shape, stacked along a new dimension `dim` (StackBackward0),
    /// PyTorch's `torch.stack`.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func stack(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
        let (value, axis) = stacking(tensors, dim: dim)
        return recordWide(value, Stack.self, inputs: tensors, Saved(dim: axis))
    }
}

// MARK: - split, chunked, unbind

enum Split: WideOpDefinition {
    static let name = "SplitBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let isView = true
    static func backward<V>(wide c: WideBackwardContext<V>) -> [V?] {
        [c.needs[0] ? V.joined(c.grads, sizes: c.indices, dim: c.dim, inputShape: c.shape0) : nil]
    }
}

enum SplitWithSizes: WideOpDefinition {
    static let name = "SplitWithSizesBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let isView = true
    static func backward<V>(wide c: WideBackwardContext<V>) -> [V?] {
        Split.backward(wide: c)
    }
}

enum Unbind: WideOpDefinition {
    static let name = "UnbindBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let isView = true
    static func backward<V>(wide c: WideBackwardContext<V>) -> [V?] {
        [c.needs[0] ? V.stacked(c.grads, dim: c.dim, inputShape: c.shape0) : nil]
    }
}

extension Tensor where Scalar: TensorScalar {
    /// Views of consecutive pieces of `size` elements along `dim` (the last one shorter when
    /// `size` does not divide it; SplitBackward0), PyTorch's `split(int)`.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func split(size: Int, dim: Int = 0) -> [Tensor] {
        let (sizes, axis) = splitSizes(size: size, dim: dim)
        return pieces(sizes, axis: axis, op: Split.self)
    }

    /// Views of consecutive pieces of the given sizes along `dim` (SplitWithSizesBackward0),
    /// PyTorch's `split(list)`; the sizes must add up to the dimension's.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func split(sizes: [Int], dim: Int = 0) -> [Tensor] {
        pieces(sizes, axis: splitAxis(sizes: sizes, dim: dim), op: SplitWithSizes.self)
    }

    /// `chunks` views of (nearly) equal size along `dim`, PyTorch's `chunk`: pieces of
    /// ⌈size / chunks⌉ elements, so possibly fewer than `chunks` (SplitBackward0).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func chunked(_ chunks: Int, dim: Int = 0) -> [Tensor] {
        let (size, axis) = chunkSize(chunks, dim: dim)
        return split(size: size, dim: axis)
    }

    /// The views at each index along `dim`, which they drop (UnbindBackward0), PyTorch's `unbind`.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func unbind(dim: Int = 0) -> [Tensor] {
        let axis = unbindAxis(dim: dim)
        let values = data.unbound(dim: axis)
        return Tensor.recordWide(values, Unbind.self, inputs: [self], Saved(shapes: (shape, nil), dim: axis))
            .map { $0.multiOutputView(of: self) }
    }

    private func pieces<Op: WideOpDefinition>(_ sizes: [Int], axis: Int, op: Op.Type) -> [Tensor] {
        let values = data.pieces(sizes, dim: axis)
        return Tensor.recordWide(values, op, inputs: [self], Saved(shapes: (shape, nil), indices: sizes, dim: axis))
            .map { $0.multiOutputView(of: self) }
    }

    /// This output of a function returning several views, marked a view of `input` whose
    /// recorded in-place ops are refused (``isMultiOutputView``).
    private func multiOutputView(of input: Tensor) -> Tensor {
        isMultiOutputView = true
        return view(of: input)
    }
}

// MARK: - The checks and pieces, shared by every element type

extension Tensor {
    /// The sizes of `split(size:dim:)`'s pieces and the dimension, checked as PyTorch checks them.
    func splitSizes(size: Int, dim: Int) -> (sizes: [Int], axis: Int) {
        trapUnless(rank > 0, "split expects at least a 1-dimensional tensor")
        trapUnless(size >= 0, "split expects split_size be non-negative, but got split_size=\(size)")
        let axis = Shape.normalize(dim: dim, rank: rank)
        let length = shape[axis]
        trapUnless(size > 0 || length == 0,
                   "split_size can only be 0 if dimension size is 0, but got dimension size of \(length)")
        let count = size == 0 ? 1 : Swift.max(1, (length + size - 1) / size)
        return ((0..<count).map { Swift.min(size, length - $0 * size) }, axis)
    }

    /// `split(sizes:dim:)`'s dimension, the sizes checked as PyTorch checks them.
    func splitAxis(sizes: [Int], dim: Int) -> Int {
        trapUnless(rank > 0, "split expects at least a 1-dimensional tensor")
        let axis = Shape.normalize(dim: dim, rank: rank)
        trapUnless(sizes.allSatisfy { $0 >= 0 } && sizes.reduce(0, +) == shape[axis],
            "split_with_sizes expects split_sizes to sum exactly to \(shape[axis]) (input tensor's size at dimension \(dim)), but got split_sizes=\(sizes)")
        return axis
    }

    /// The piece size `chunked(_:dim:)` splits by, ⌈size / chunks⌉, and the dimension.
    func chunkSize(_ chunks: Int, dim: Int) -> (size: Int, axis: Int) {
        trapUnless(rank > 0, "chunk expects at least a 1-dimensional tensor")
        trapUnless(chunks > 0, "chunk expects `chunks` to be greater than 0, got: \(chunks)")
        let axis = Shape.normalize(dim: dim, rank: rank)
        return ((shape[axis] + chunks - 1) / chunks, axis)
    }

    /// `unbind(dim:)`'s dimension, checked.
    func unbindAxis(dim: Int) -> Int {
        trapUnless(rank > 0, "Dimension specified as 0 but tensor has no dimensions")
        return Shape.normalize(dim: dim, rank: rank)
    }
}

extension DenseTensor {
    /// Views of consecutive pieces of `sizes` along `dim`.
    func pieces(_ sizes: [Int], dim: Int) -> [DenseTensor] {
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return narrowed(dim: dim, start: start, length: size)
        }
    }

    /// The views at each index along `dim`.
    func unbound(dim: Int) -> [DenseTensor] { (0..<shape[dim]).map { selected(dim: dim, index: $0) } }
}

// MARK: - the derivatives' operations, in both interpretations

extension DenseTensor where Scalar: TensorScalar {
    // Specialized: a transformer's q/k/v split runs this every step, and the generic zero fill
    // went through a value witness per element (2 % of a training step, perf record).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func joined(_ grads: [DenseTensor?], sizes: [Int], dim: Int, inputShape: [Int]) -> DenseTensor {
        let out = zerosUnlessCovered(grads, inputShape)
        var start = 0
        for (grad, size) in zip(grads, sizes) {
            if let grad, size > 0 { out.narrowed(dim: dim, start: start, length: size).assign(grad) }
            start += size
        }
        return out
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func stacked(_ grads: [DenseTensor?], dim: Int, inputShape: [Int]) -> DenseTensor {
        let out = zerosUnlessCovered(grads, inputShape)
        for (k, grad) in grads.enumerated() {
            if let grad { out.selected(dim: dim, index: k).assign(grad) }
        }
        return out
    }

    /// The joined gradient's storage: left unwritten when every piece has a gradient (the
    /// pieces cover it), zeros otherwise.
    private static func zerosUnlessCovered(_ grads: [DenseTensor?], _ shape: [Int]) -> DenseTensor {
        grads.contains(where: { $0 == nil }) ? DenseTensor(shape: shape, repeating: 0) : DenseTensor(uninitializedShape: shape)
    }
}

extension Tensor where Scalar: TensorScalar {
    /// `cat` of the pieces' gradients, zeros for a piece that received none.
    static func joined(_ grads: [Tensor?], sizes: [Int], dim: Int, inputShape: [Int]) -> Tensor {
        cat(zip(grads, sizes).map { grad, size in
            var shape = inputShape
            shape[dim] = size
            return grad ?? zeros(shaped: shape)
        }, dim: dim)
    }

    /// `stack` of the pieces' gradients, zeros for a piece that received none.
    static func stacked(_ grads: [Tensor?], dim: Int, inputShape: [Int]) -> Tensor {
        var shape = inputShape
        shape.remove(at: dim)
        return stack(grads.map { $0 ?? zeros(shaped: shape) }, dim: dim)
    }
}
