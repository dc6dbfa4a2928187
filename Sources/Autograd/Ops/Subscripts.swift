import Arena

// Subscripts (API.md Part two, "Subscripts"): PyTorch's basic indexing, `x[1]`, `x[1..<3]`,
// `x[0, .all, .newAxis]`, `x[.ellipsis, 0]`, `x[.stride(0..<8, by: 2)]`, each result a view
// made of the view ops PyTorch's indexing calls (`THPVariable_getitem` and `applySlicing` in
// `torch/csrc/autograd/python_variable_indexing.cpp`, `ATen/TensorIndexing.h`): an `Int`
// selects (SelectBackward0), a range slices (SliceBackward0, with a step: the stepped slice
// below), `.newAxis` unsqueezes (UnsqueezeBackward0), and an index that changes nothing gives an
// alias (AliasBackward0). A lone `Tensor<Int>` index or `Tensor<Bool>` mask (advanced indexing,
// a copy) goes to AdvancedIndexing.swift.

// MARK: - Resolving indices

/// One view op a subscript resolves to, on the shape left by the ones before it.
enum IndexStep: Equatable {
    /// `select(dim:index:)`, `index` in range.
    case select(dim: Int, index: Int)
    /// The stepped slice: `count` elements from `start`, every `step`-th (bounds clamped).
    case slice(dim: Int, start: Int, count: Int, step: Int)
    case unsqueeze(dim: Int)

    /// The `grad_fn` of the view this step makes.
    var nodeName: String {
        switch self {
        case .select: Select.name
        case .slice: Slice.name
        case .unsqueeze: Unsqueeze.name
        }
    }
}

extension Shape {
    /// The view ops that `indices` stand for on a tensor of `shape`, as PyTorch's indexing
    /// resolves them, trapping with its messages. Empty when the result is the tensor itself:
    /// the getter then returns an alias (`x[.ellipsis]`, `x[]`, or slices PyTorch skips), the
    /// setter writes into the tensor itself.
    ///
    /// PyTorch's rules, kept here: a lone index is handled on its own (`get_item`/`set_item`),
    /// several in turn (`applySlicing`); among several, a slice `0:size` of step 1, written with
    /// the dimension's size as its stop, is skipped (the "slice optimization", on in the setter for
    /// a lone slice too, never for `:`, whose stop is `Int.max`); an index out of range names the
    /// index's *position* as its dimension (`x[.newAxis, 5]` on a `[4]` tensor says "dimension 1");
    /// a lone `Int` on a 0-d tensor says to use `item()`, several say "too many indices".
    static func subscriptSteps(_ indices: [TensorIndex], shape original: [Int], forWriting: Bool) -> [IndexStep] {
        trapUnless(!indices.contains { $0.isTensor }, TensorIndex.onlyIndexMessage)
        var shape = original
        var steps: [IndexStep] = []

        func select(_ index: Int, dim: Int, position: Int) {
            trapUnless(!shape.isEmpty,
                "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
            let size = shape[dim]
            trapUnless(index >= -size && index < size,
                "index \(index) is out of bounds for dimension \(position) with size \(size)")
            steps.append(.select(dim: dim, index: index < 0 ? index + size : index))
            shape.remove(at: dim)
        }

        func slice(_ start: Int, _ stop: Int, _ step: Int, dim: Int, skipWhole: Bool) {
            trapUnless(step != 0, "slice step cannot be zero")
            trapUnless(step > 0, "step must be greater than zero")
            trapUnless(!shape.isEmpty, "slice() cannot be applied to a 0-dim tensor.")
            let size = shape[dim]
            // PyTorch's `applySlice` skips a slice from 0 to at least the end (`:`, `0:100` of 4), but not
            // one that only clamps to it (`-4:`).
            if skipWhole && start == 0 && stop >= size && step == 1 { return }
            // Python's (and at::slice's) clamping.
            var begin = start < 0 ? start + size : start
            var end = stop < 0 ? stop + size : stop
            begin = Swift.min(Swift.max(begin, 0), size)
            end = Swift.min(Swift.max(end, begin), size)
            let length = end - begin
            let count = length == 0 ? 0 : (length - 1) / step + 1
            steps.append(.slice(dim: dim, start: begin, count: count, step: step))
            shape[dim] = count
        }

        func unsqueeze(_ dim: Int) {
            steps.append(.unsqueeze(dim: dim))
            shape.insert(1, at: dim)
        }

        if indices.count == 1 {
            switch indices[0].kind {
            case .integer(let i): select(i, dim: 0, position: 0)
            case .slice(let start, let stop, let step): slice(start, stop, step, dim: 0, skipWhole: forWriting)
            case .newAxis: unsqueeze(0)
            case .ellipsis, .positions, .mask: break   // tensors: trapped above
            }
            return steps
        }

        let rank = original.count
        var specified = 0, ellipses = 0
        for index in indices {
            switch index.kind {
            case .integer, .slice: specified += 1
            case .ellipsis: ellipses += 1
            case .newAxis, .positions, .mask: break
            }
        }
        trapUnless(specified <= rank, "too many indices for tensor of dimension \(rank)")
        // PyTorch accepts several (pytorch/pytorch#59787) and reads past the shape with them.
        trapUnless(ellipses <= 1, "an index can only have a single ellipsis ('...')")
        var dim = 0
        for (position, index) in indices.enumerated() {
            switch index.kind {
            case .integer(let i):
                select(i, dim: dim, position: position)
            case .slice(let start, let stop, let step):
                slice(start, stop, step, dim: dim, skipWhole: true)
                dim += 1
            case .ellipsis:
                dim += rank - specified
            case .newAxis:
                unsqueeze(dim)
                dim += 1
            case .positions, .mask:
                break   // trapped above
            }
        }
        return steps
    }
}

extension DenseTensor {
    /// The view of `count` elements from `start` along `dim`, every `step`-th (PyTorch's `slice`,
    /// bounds already clamped): the stride along `dim` is multiplied by `step`, also where one
    /// element or none is left, as PyTorch's is.
    func sliced(dim: Int, start: Int, count: Int, step: Int) -> DenseTensor {
        var newShape = shape, newStrides = strides
        let stride = newStrides[dim]
        newShape[dim] = count
        newStrides[dim] = stride &* step
        return asStrided(newShape, strides: newStrides, offset: start * stride)
    }

    /// This tensor through one step of a subscript.
    func applying(_ step: IndexStep) -> DenseTensor {
        switch step {
        case .select(let dim, let index): selected(dim: dim, index: index)
        case .slice(let dim, let start, let count, let step): sliced(dim: dim, start: start, count: count, step: step)
        case .unsqueeze(let dim): unsqueezed(dim: dim)
        }
    }
}

// MARK: - The view ops of subscripts: stepped slice, alias

enum Alias: OpDefinition {
    static let name = "AliasBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let isView = true
    /// The gradient itself: the alias is the same elements.
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.grad, nil) }
}

extension Tensor where Scalar: TensorScalar {
    /// The view of `count` elements from `start` along `dim`, every `step`-th (SliceBackward0,
    /// PyTorch's `slice` once its bounds are clamped; `Slice`'s derivative places the gradient
    /// back at those positions). `narrow(dim:start:length:)` is the step-1 case.
    func sliced(dim: Int, start: Int, count: Int, step: Int) -> Tensor {
        // Past one element the step is at most the size, so it fits the node's `scalar` exactly.
        Tensor.record(withData { $0.sliced(dim: dim, start: start, count: count, step: step) }, Slice.self, self,
                      keepingShape: shape, dim: dim, dim2: start, scalar: Double(count > 1 ? step : 1)).view(of: self)
    }

    /// A view of all of this tensor (AliasBackward0), PyTorch's `alias`: what `x[...]` returns.
    func aliased() -> Tensor {
        Tensor.record(data, Alias.self, self).view(of: self)
    }

    /// This tensor through the view ops of a subscript.
    func applying(_ steps: [IndexStep]) -> Tensor {
        var t = self
        for step in steps {
            switch step {
            case .select(let dim, let index): t = t.select(dim: dim, index: index)
            case .slice(let dim, let start, let count, let step): t = t.sliced(dim: dim, start: start, count: count, step: step)
            case .unsqueeze(let dim): t = t.unsqueezed(dim: dim)
            }
        }
        return t
    }
}

// MARK: - Writing: fill_ with a 0-d tensor

enum FillTensor: OpDefinition {
    static let name = "FillBackward3"   // fill_ with a 0-d tensor (Overwrite.swift's Fill takes a number)
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    /// No gradient reaches the overwritten value (zeros); the 0-d value gets the sum of the gradient.
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (c.first { c.grad.zerosLike() }, c.second { c.grad.sum(toShape: []) })
    }
}

extension Tensor where Scalar: TensorScalar {
    /// Sets every element to `value` in place, as PyTorch's `fill_` with a 0-d tensor (`source`,
    /// or a number it made of a scalar) records it (FillBackward3): what `x[.ellipsis] = value`
    /// does. Unlike ``fill(_:)`` it is a copy, so a tensor whose elements share memory (an
    /// expanded one) traps.
    func fill(with value: Scalar, source: Tensor?) {
        checkInPlaceAllowed()
        if mustRecord(source) {
            adopt(Tensor.record(DenseTensor(shape: shape, repeating: value), FillTensor.self, self, source))
        } else {
            data.copy(from: DenseTensor(value))
        }
    }
}

// MARK: - Subscripts

/// What a subscript setter writes.
enum SubscriptValue<Scalar: TensorElement> {
    case scalar(Scalar)
    case tensor(Tensor<Scalar>)
}

extension Tensor where Scalar: TensorScalar {
    /// The view of this tensor that `indices` pick, PyTorch's `x[...]`, one index per position:
    ///
    /// - an `Int` selects (SelectBackward0; negative counts from the end) and the dimension goes;
    /// - a range (`a..<b`, `a...b`, `a...`, `..<b`, `...b`, `.all`) or `.stride(a..<b, by: s)`
    ///   slices (SliceBackward0), its bounds clamped to the dimension as Python clamps a slice's
    ///   (`x[2..<100]` of 4 rows is rows 2 and 3); a negative bound counts from the end, and
    ///   `a...(-1)` runs to the end;
    /// - `.newAxis` inserts a dimension of size 1 (UnsqueezeBackward0);
    /// - `.ellipsis` stands for the dimensions the others leave, whole; `x[.ellipsis]` alone is
    ///   an alias of `x` (AliasBackward0).
    ///
    /// The indices apply to successive dimensions; the result is a view of this tensor's storage
    /// (it ``isView``) and its `grad_fn` is the last view op's.
    ///
    /// A `Tensor<Int>` or a `Tensor<Bool>`, as the only index, copies instead (IndexBackward0,
    /// PyTorch's advanced indexing): `x[i]` takes the slices along dimension 0 at `i`'s positions
    /// (negative from the end, repeats included), shaped `i.shape + x.shape.dropFirst()`; `x[m]`
    /// takes the elements (or slices) where the mask, which covers the leading dimensions, is
    /// `true`, shaped `[count of true] + the dimensions it leaves`.
    ///
    /// ```swift
    /// let x = try Tensor<Float>([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]], requiresGrad: true)
    /// x[1].scalars                          // [4, 5, 6]
    /// x[-1, 0].scalars                      // [10]
    /// x[1..<3, .all].shape                  // [2, 3]
    /// x[.all, 2].scalars                    // [3, 6, 9, 12]
    /// x[.stride(0..<4, by: 2), ...1].scalars  // [1, 2, 7, 8]
    /// x[.newAxis].shape                     // [1, 4, 3]
    /// ```
    ///
    /// Setting writes `newValue` in place into that view, broadcast to its shape (leading sizes of
    /// 1 of `newValue` are dropped first, as PyTorch drops them): the tensor the view belongs to
    /// is then CopySlices' output, as in PyTorch; a lone `.ellipsis` copies into the tensor itself
    /// (CopyBackwards, or FillBackward3 for a 0-d `newValue`). On a leaf that requires grad, or
    /// a view of one, this traps in grad mode, as every in-place op does.
    ///
    /// ```swift
    /// let y = x * 1
    /// y[0] = Tensor<Float>([0, 0, 0])       // y.gradFn?.name == "CopySlices"
    /// y[.all, 1...] = Tensor<Float>([7, 8]) // broadcast over the rows
    /// y[y .< 0] = Tensor<Float>(0)          // IndexPutBackward0
    /// ```
    ///
    /// With a tensor index, setting is PyTorch's `index_put_`, in place (IndexPutBackward0 on
    /// the tensor written, or CopySlices on its base where it is a view); where a position
    /// repeats, the last write wins.
    ///
    /// Traps with PyTorch's message for an index out of range ("index 5 is out of bounds for
    /// dimension 0 with size 4"), more indices than dimensions ("too many indices for tensor of
    /// dimension 2"), an `Int` into a 0-d tensor, a step that is not positive, or a value that
    /// does not broadcast; and for more than one `.ellipsis` (NumPy's message; PyTorch accepts
    /// them); for a mask whose shape differs from the leading dimensions' ("The shape of the mask
    /// [3] at index 0 does not match the shape of the indexed tensor [4] at index 0"); and for a
    /// tensor index mixed with other indices, which is not supported.
    public subscript(_ indices: any TensorIndexExpression...) -> Tensor {
        get { subscriptView(indices.map(\.tensorIndex)) }
        set { assign(.tensor(newValue), at: indices.map(\.tensorIndex)) }
    }

    /// The one element that `indices` pick, or (setting) every element they pick set to
    /// `newValue`: `x[...] = s` of PyTorch with a number.
    ///
    /// Chosen when the context wants a `Scalar`: `let v = x[0]` is a ``Tensor`` (the other
    /// subscript); `let f: Float = x[0, 1]` reads one element, without recording anything; and
    /// `x[0] = 2` fills a row in place, recorded as the tensor subscript's setter is.
    ///
    /// ```swift
    /// let x = try Tensor<Float>([[1, 2, 3], [4, 5, 6]])
    /// let f: Float = x[1, -1]    // 6
    /// x[0] = 0                   // x is [[0, 0, 0], [4, 5, 6]]
    /// x[.all, 1] = Float(9)      // x is [[0, 9, 0], [4, 9, 6]]
    /// ```
    ///
    /// Reading traps unless the indices pick exactly one element, with PyTorch's `item()`
    /// message ("a Tensor with 3 elements cannot be converted to Scalar"); otherwise as the
    /// tensor subscript.
    ///
    /// Swift picks this subscript wherever an operator with a `Scalar` *variable* on the other
    /// side type-checks on it, before the generic tensor operator: with `let f: Float = 2`,
    /// `x[0] * f` reads one element (and traps for a row). Say which is meant: `(x[0] as Tensor)
    /// * f`, `let row: Tensor = x[0] * f`, or bind the view first. A literal (`x[0] * 2`) and a
    /// tensor (`x[0] * y`) choose the tensor subscript, and so does an in-place operator with a
    /// scalar (`x[0] += f`, which writes through the view: Note [Compound assignment through a
    /// subscript]), except in code generic over the element type.
    @_disfavoredOverload
    public subscript(_ indices: any TensorIndexExpression...) -> Scalar {
        get { element(at: indices.map(\.tensorIndex)) }
        set { assign(.scalar(newValue), at: indices.map(\.tensorIndex)) }
    }

    /// The getter: the view, or an alias where the indices change nothing.
    func subscriptView(_ indices: [TensorIndex]) -> Tensor {
        if let index = AdvancedIndex(indices, shape: shape) { return indexed(index) }
        let steps = Shape.subscriptSteps(indices, shape: shape, forWriting: false)
        return steps.isEmpty ? aliased() : applying(steps)
    }

    // Note [Subscript setters]
    //
    // PyTorch's `x[indices] = value` takes the view the getter would take (except that a lone
    // `...`, or a slice PyTorch skips, is `x` itself) and copies `value` into it (`copy_to`:
    // `copy_`, or `fill_` of a 0-d value, which is a `copy_` too, so an expanded target whose
    // elements share memory raises). So does this setter: the view's write goes through to the
    // base of `x`, which becomes CopySlices' output, and where `x` is itself a view, its history
    // is made again on its next use (AsStridedBackward0 of the base, Note [In-place on views]),
    // as PyTorch regenerates its `grad_fn`.
    //
    // Two cases take another route, where a write through a view of `x` would be lost or leave
    // `x` behind: a base that is not row-major or whose graph was freed (the view's write would
    // get storage of its own, and `x` would never see it), and a view `x` without history taking
    // history from `value` (views without history are not made again). There `x`'s new value is
    // formed out of place (a row-major copy of `x` with the view's part written, CopySlices of
    // the copy) and copied into `x` (`copy(from:)`): `x` is the tensor written, with its base's
    // CopySlices and its own AsStridedBackward0 where it writes through, CopyBackwards where it
    // cannot. It costs a copy of `x`. An expanded `x` (elements sharing memory) can't be copied
    // into, and is always written through the view.

    /// The setter (Note [Subscript setters]).
    private func assign(_ value: SubscriptValue<Scalar>, at indices: [TensorIndex]) {
        if let index = AdvancedIndex(indices, shape: shape) { return put(value, at: index) }
        let steps = Shape.subscriptSteps(indices, shape: shape, forWriting: true)
        if steps.isEmpty {
            writeWhole(value)
            return
        }
        let targetShape = steps.reduce(into: data) { $0 = $0.applying($1) }.shape
        let prepared = prepare(value, for: targetShape)
        let sourceRequiresGrad = switch prepared {
        case .scalar: false
        case .tensor(let t): t.requiresGrad
        }
        guard GradMode.isEnabled && (requiresGrad || sourceRequiresGrad) else {
            write(prepared, into: applying(steps))   // not recorded: straight into the shared storage
            return
        }
        // A view of an output of split/chunked/unbind, as PyTorch's creation meta says.
        if isMultiOutputView, let history, history.isLive {
            trap(Self.multiOutputViewMessage(output: 0, of: steps.last!.nodeName))
        }
        let base = viewBase ?? self
        let reachesBase = base.isContiguous && base.history.map(\.isLive) != false && history.map(\.isLive) != false
        let takesHistory = viewBase != nil && history == nil
        guard (!reachesBase || takesHistory) && !sharesElementPositions else {
            write(prepared, into: applying(steps))
            return
        }
        checkInPlaceAllowed()
        let copy = isContiguous ? cloned() : contiguous()   // row-major, storage of its own
        copy.write(prepared, into: copy.applying(steps))
        self.copy(from: copy)
    }

    /// Whether two elements share a storage position (an expanded dimension).
    private var sharesElementPositions: Bool {
        let (shape, strides) = (self.shape, self.strides)
        return shape.indices.contains { strides[$0] == 0 && shape[$0] > 1 }
    }

    /// `value` ready to be copied into a target of `shape`, checked as PyTorch's `copy_to`
    /// checks it: its leading sizes of 1 dropped (`slicePrefix1sSize`) and its shape expandable
    /// to `shape`, with `expand`'s messages.
    private func prepare(_ value: SubscriptValue<Scalar>, for shape: [Int]) -> SubscriptValue<Scalar> {
        guard case .tensor(let source) = value, source.shape != shape, source.rank > 0 else { return value }
        let kept = source.shapeWritten(into: shape)
        return .tensor(kept.count == source.rank ? source : source.reshaped(kept))
    }

    /// `value` copied into `target`, a view of this tensor (or of a copy of it).
    private func write(_ value: SubscriptValue<Scalar>, into target: Tensor) {
        switch value {
        case .scalar(let s): target.copy(from: Tensor(s))   // a copy: refuses shared positions, as PyTorch's
        case .tensor(let t): target.copy(from: t)
        }
    }

    /// `value` copied into this tensor itself (a lone `.ellipsis`, or a slice PyTorch skips), as
    /// PyTorch's `copy_to` does: a value of the same shape by `copy_` (CopyBackwards), a 0-d one
    /// by `fill_` (FillBackward3), anything else broadcast by `copy_`.
    private func writeWhole(_ value: SubscriptValue<Scalar>) {
        switch prepare(value, for: shape) {
        case .scalar(let s):
            if rank == 0 { copy(from: Tensor(s)) } else { fill(with: s, source: nil) }
        case .tensor(let t):
            if t.shape == shape || t.rank > 0 {
                copy(from: t)
            } else {
                fill(with: t.scalar!, source: t)
            }
        }
    }
}

// MARK: - What every element type's subscripts share

extension Tensor {
    /// The one element `indices` pick (the `Scalar` subscript's getter), trapping with PyTorch's
    /// `item()` message unless they pick exactly one.
    func element(at indices: [TensorIndex]) -> Scalar {
        var d = data
        if let index = AdvancedIndex(indices, shape: shape) {
            d = d.indexed(index)
        } else {
            for step in Shape.subscriptSteps(indices, shape: shape, forWriting: false) { d = d.applying(step) }
        }
        trapUnless(d.count == 1, "a Tensor with \(d.count) elements cannot be converted to Scalar")
        return d.scalar!
    }

    /// The shape this tensor, a value written through a subscript into a part of `shape`, is
    /// read as: without its leading sizes of 1 (PyTorch's `slicePrefix1sSize`), checked
    /// expandable to `shape` with `expand`'s messages, as PyTorch's `copy_to` checks it.
    func shapeWritten(into shape: [Int]) -> [Int] {
        let kept = Array(self.shape.drop { $0 == 1 })
        let stripped = kept.count == rank ? self : Tensor(data: data.reshaped(kept))
        _ = stripped.expandTarget(shape)
        return kept
    }
}

// MARK: - Compound assignment through a subscript

// Note [Compound assignment through a subscript]
//
// `x[1] += 1` needs a subscript that can be read and written, and both subscripts can. Swift's
// solver tries the operator overloads whose parameter types match the operands' first and keeps
// the first solution that type-checks: `Float`'s `+=(inout Float, Float)` matches `1` exactly,
// while the tensor's `+=(Tensor, Scalar)` is generic over `Scalar`, so it was never tried, and
// the disfavored `Scalar` subscript won. That read one element (a row trapped) and wrote a
// constant back: values right, but no gradient reached the old element, where PyTorch's
// `x[1, 2] += 1` adds in place through the view. These overloads, concrete for the two element
// types, match as well as `Float`'s; the solver then compares whole solutions, and the
// disfavored subscript loses, as it should. Each forwards to the generic operator. In code
// generic over the element type the `Scalar` subscript still wins: write `x[1] += Tensor(1)`
// there, or take the view first (`let row = x[1]; row += 1`).

/// In place `lhs += rhs` (the generic operator; see Note [Compound assignment through a subscript]).
private func addInPlace<S: TensorScalar>(_ lhs: Tensor<S>, _ rhs: S) { lhs += rhs }
private func subtractInPlace<S: TensorScalar>(_ lhs: Tensor<S>, _ rhs: S) { lhs -= rhs }
private func multiplyInPlace<S: TensorScalar>(_ lhs: Tensor<S>, _ rhs: S) { lhs *= rhs }
private func divideInPlace<S: TensorScalar>(_ lhs: Tensor<S>, _ rhs: S) { lhs /= rhs }

/// ``Tensor/+=(_:_:)-(_,Scalar)`` for `Float`, so that `x[i] += 1` writes through the tensor
/// subscript (Note [Compound assignment through a subscript] in Subscripts.swift).
public func += (lhs: Tensor<Float>, rhs: Float) { addInPlace(lhs, rhs) }
/// ``Tensor/-=(_:_:)-(_,Scalar)`` for `Float`, so that `x[i] -= 1` writes through the tensor subscript.
public func -= (lhs: Tensor<Float>, rhs: Float) { subtractInPlace(lhs, rhs) }
/// ``Tensor/*=(_:_:)-(_,Scalar)`` for `Float`, so that `x[i] *= 2` writes through the tensor subscript.
public func *= (lhs: Tensor<Float>, rhs: Float) { multiplyInPlace(lhs, rhs) }
/// ``Tensor//=(_:_:)-(_,Scalar)`` for `Float`, so that `x[i] /= 2` writes through the tensor subscript.
public func /= (lhs: Tensor<Float>, rhs: Float) { divideInPlace(lhs, rhs) }
/// ``Tensor/+=(_:_:)-(_,Scalar)`` for `Double`, so that `x[i] += 1` writes through the tensor subscript.
public func += (lhs: Tensor<Double>, rhs: Double) { addInPlace(lhs, rhs) }
/// ``Tensor/-=(_:_:)-(_,Scalar)`` for `Double`, so that `x[i] -= 1` writes through the tensor subscript.
public func -= (lhs: Tensor<Double>, rhs: Double) { subtractInPlace(lhs, rhs) }
/// ``Tensor/*=(_:_:)-(_,Scalar)`` for `Double`, so that `x[i] *= 2` writes through the tensor subscript.
public func *= (lhs: Tensor<Double>, rhs: Double) { multiplyInPlace(lhs, rhs) }
/// ``Tensor//=(_:_:)-(_,Scalar)`` for `Double`, so that `x[i] /= 2` writes through the tensor subscript.
public func /= (lhs: Tensor<Double>, rhs: Double) { divideInPlace(lhs, rhs) }
