import Arena

/// In-place operations, with PyTorch's rules.
///
/// - They write into the tensor's storage and bump its version, so every alias of that storage
///   (``detached()`` results, `reshaped` and `unsqueezed` results) sees the change, and a node
///   that saved the old value makes a later backward throw
///   ``AutogradError/savedTensorModified(tensor:outputOf:version:expected:)`` instead of computing
///   a gradient from values that are gone.
/// - On a leaf that requires grad, or a view of one (a result of reshape, unsqueeze, expand or a
///   transpose, even one taken before the leaf was made to require grad), they trap while grad
///   mode is on, with PyTorch's message: the change could not be differentiated. Inside
///   `withNoGrad`, where optimizers update parameters, they are allowed.
/// - On a tensor with history (or with a right-hand side that requires grad), in grad mode, the
///   operation is recorded like its out-of-place form and the tensor becomes that node's output:
///   its ``grad`` after ``retainGrad()`` is the gradient of its newest value, as in PyTorch.
///   When the node needs the old value (`y *= x` with `x` requiring grad needs `y` for `x`'s
///   gradient) it saves a copy, as PyTorch saves a clone, so that the write does not fail the
///   op's own backward (`y *= y` does fail, as in PyTorch).
/// - `fill`, `zero` and `copy(from:)` are recorded too (FillBackward2, ZeroBackward0,
///   CopyBackwards): no gradient reaches the overwritten value, but the tensor keeps requiring grad.
///
/// Note [In-place on views]: as in PyTorch, an in-place op recorded on a view writes into the
/// storage it shares with its base, and the graph is rebased: the base becomes the output of a
/// CopySlices node (its old value, with the view's region replaced by the op's result) and the
/// view the output of AsStridedBackward0 of the new base, so a gradient through either reaches
/// the op's inputs and the base's old value, each for its own elements. Every other view of the
/// storage, whose history is now stale, gets new history on its next use (`refreshViewHistory`:
/// the storage's version moved past the one its history was made at), AsStridedBackward0 of the
/// base as it is then, as PyTorch regenerates a view's `grad_fn`; so a recorded in-place op on a
/// base writes into its storage too. That takes a base whose layout names the view's positions
/// (row-major); an in-place op recorded on a view of a base laid out otherwise, or on a tensor
/// with no history that shares its storage and takes history from a right-hand side that
/// requires grad, gives that tensor new storage instead (the other tensors keep the old values).
/// Unrecorded in-place ops (under no-grad, or where nothing requires grad) always write into the
/// shared storage.
extension Tensor where Scalar: TensorScalar {
    @inline(__always)
    func checkInPlaceAllowed() {
        guard GradMode.isEnabled else { return }
        if history == nil && leafRequiresGrad {
            trap("a leaf Variable that requires grad is being used in an in-place operation.")
        }
        if isMultiOutputView, let history, history.isLive {
            // A view of such an output is refused too, named by its own node, as "Output 0".
            let output = history.withSegment { $0.outputPosition(of: history.index) } ?? 0
            trap(Self.multiOutputViewMessage(output: output, of: history.op.name))
        }
        if let viewBase, viewBase.history == nil && viewBase.leafRequiresGrad {
            trap("a view of a leaf Variable that requires grad is being used in an in-place operation.")
        }
    }

    /// PyTorch's refusal of an in-place op on output `output` of `node`, a function returning
    /// several views (or on a view of one).
    static func multiOutputViewMessage(output: Int, of node: String) -> String {
        "Output \(output) of \(node) is a view and is being modified inplace. This view is the output of a function that returns multiple views. Such functions do not allow the output views to be modified inplace. You should replace the inplace operation by an out-of-place one."
    }

    /// Whether a recorded in-place op can write into this tensor's storage (Note [In-place on views]).
    /// Not when its graph was freed: the copy of the old value (`snapshot`) could not point there.
    private func writesInPlaceWhenRecorded() -> Bool {
        if viewBase != nil { return false }
        if let history { return history.isLive }
        return storedData.holdsUniqueStorage()
    }

    /// A copy of this tensor's value under its (live) history, for a node that saves its first input.
    private func snapshot() -> Tensor {
        guard let history else { return Tensor(data: data.copied()) }
        return Tensor(data: data.copied(), history: history)
    }

    /// Becomes the output of `result`, the recorded out-of-place form of an in-place op on this
    /// tensor: through its base when it is a view that can (Note [In-place on views]), else into
    /// its own storage or, where other tensors' history would go stale, new storage.
    ///
    /// `fill`/`zero` pass `allowingOverlap`: they may write through an expanded view (every
    /// element gets the one value), and PyTorch raises only when a backward reaches the
    /// CopySlices node (its gradient can't be copied into the overlapping region).
    func adopt(_ result: Tensor, allowingOverlap: Bool = false) {
        if let base = viewBase, writesThroughView(into: base) {
            rebaseThroughView(onto: result, base: base, allowingOverlap: allowingOverlap)
        } else {
            rebase(onto: result, inPlace: writesInPlaceWhenRecorded())
        }
    }

    /// Whether a recorded in-place op on this view writes into its base's storage and rebases
    /// the base (CopySlices): when the base lays the storage out row-major, so that the view's
    /// positions name elements of the base, and both have live history or none.
    private func writesThroughView(into base: Tensor) -> Bool {
        base.storedData.storage === storedData.storage && base.storedData.isContiguous
            && base.storedData.offset <= storedData.offset
            && (history?.isLive ?? true) && (base.history?.isLive ?? true)
    }

    /// PyTorch's rebase of a view's history: the new values go into the shared storage, the base
    /// becomes the output of a CopySlices node (its old value with this view's region replaced
    /// by `result`), and this view the output of AsStridedBackward0 of the new base.
    private func rebaseThroughView(onto result: Tensor, base: Tensor, allowingOverlap: Bool) {
        let delta = storedData.offset - base.storedData.offset
        let geometry = Saved<Scalar>(shapes: (shape, strides), indices: base.shape, dim: delta)
        if allowingOverlap && storedData.hasInternalOverlap {
            data.storage.version += 1
            data.assign(result.data)   // one value for all: the elements sharing a position agree
        } else {
            data.copy(from: result.data)
        }
        base.adoptHistory(of: Tensor.record(base.data, CopySlices.self, base, result, geometry), inPlace: true)
        adoptHistory(of: Tensor.record(data, AsStrided.self, base, nil, geometry), inPlace: true)
        viewVersion = storedData.storage.version
    }

    /// Makes this view's history again when the storage changed in place since it was made
    /// (PyTorch regenerates a view's `grad_fn` the same way): AsStridedBackward0 of its base's
    /// current history, so that a gradient through the view reaches whatever wrote its elements.
    /// Only for a view with history, in grad mode, of a base that requires grad and whose layout
    /// names the view's positions.
    @inline(never)
    func refreshViewHistory() {
        guard let base = viewBase, history != nil, storedData.storage.version != viewVersion,
              GradMode.isEnabled, base.requiresGrad, writesThroughView(into: base) else { return }
        let delta = storedData.offset - base.storedData.offset
        let geometry = Saved<Scalar>(shapes: (shape, strides), indices: base.shape, dim: delta)
        adoptHistory(of: Tensor.record(data, AsStrided.self, base, nil, geometry), inPlace: true)
        viewVersion = storedData.storage.version
    }

    /// Becomes the output of the recorded op that made `result`: its values are written into this
    /// tensor's storage (`inPlace`) or replace it, and its node becomes this tensor's history.
    func rebase(onto result: Tensor, inPlace: Bool) {
        if inPlace {
            data.copy(from: result.data)
        } else {
            data = result.data
            viewBase = nil
        }
        adoptHistory(of: result, inPlace: inPlace)
    }

    /// Takes `result`'s history as this tensor's (`inPlace`: this tensor's storage holds
    /// `result`'s values, so the old node's output lives on as the new one's).
    func adoptHistory(of result: Tensor, inPlace: Bool) {
        let old = history
        history = result.history
        // The new reference first: when both are in one segment, dropping the old one first
        // could free it under the new one.
        if let h = history { h.segment.retainTensor() }
        if let old, old.isLive, let new = history {
            if inPlace {
                old.segment.successors[old.index] = Edge(kind: .node, segment: new.segmentID, generation: new.generation, index: new.index)
            }
            if retainsGrad {
                old.segment.nodes[Int(old.index)].pointee.retainsGrad = false
                old.segment.retained[old.index] = nil
            }
        }
        // The gradient a user retained is the newest value's (PyTorch moves the hook).
        if retainsGrad && history != nil { retainGrad() }
        if let old { old.segment.releaseTensor(generation: old.generation) }
    }

    /// Whether an in-place op must be recorded (grad mode on and something requires grad).
    @inline(__always)
    func mustRecord(_ other: Tensor? = nil) -> Bool {
        (history != nil || other?.requiresGrad == true) && GradMode.isEnabled
    }

    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func += (lhs: Tensor, rhs: Tensor) { lhs.inPlace(.add, rhs) { $0 + $1 } }
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func -= (lhs: Tensor, rhs: Tensor) { lhs.inPlace(.sub, rhs) { $0 - $1 } }
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func *= (lhs: Tensor, rhs: Tensor) { lhs.inPlace(.mul, rhs) { $0 * $1 } }
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func /= (lhs: Tensor, rhs: Tensor) { lhs.inPlace(.div, rhs) { $0 / $1 } }
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func += (lhs: Tensor, rhs: Scalar) { lhs.inPlace(.add, rhs) { $0 + $1 } }
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func -= (lhs: Tensor, rhs: Scalar) { lhs.inPlace(.sub, rhs) { $0 - $1 } }
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func *= (lhs: Tensor, rhs: Scalar) { lhs.inPlace(.mul, rhs) { $0 * $1 } }
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func /= (lhs: Tensor, rhs: Scalar) { lhs.inPlace(.div, rhs) { $0 / $1 } }

    private func inPlace(_ op: BinaryOp, _ rhs: Tensor, _ recorded: (Tensor, Tensor) -> Tensor) {
        checkInPlaceAllowed()
        if mustRecord(rhs) {
            let target = Shape.broadcast(shape, rhs.shape)
            trapUnless(target == shape, "output with shape \(shape) doesn't match the broadcast shape \(target)")
            let inPlace = writesInPlaceWhenRecorded() || viewBase.map { writesThroughView(into: $0) } == true
            // A product or quotient saves its first input for the other's gradient: that must be
            // the old value, which the write overwrites. (`y *= y` saves `y` as the other factor
            // too, which PyTorch does not clone: its backward raises, and so does ours.)
            let savesSelf = (op == .mul || op == .div) && rhs.requiresGrad && rhs !== self
            adopt(recorded(inPlace && savesSelf ? snapshot() : self, rhs))
        } else {
            data.formBinary(op, rhs.data)
        }
    }

    private func inPlace(_ op: BinaryOp, _ rhs: Scalar, _ recorded: (Tensor, Scalar) -> Tensor) {
        checkInPlaceAllowed()
        if mustRecord() {
            adopt(recorded(self, rhs))
        } else {
            data.formBinary(op, scalar: rhs)
        }
    }

    /// Sets every element to zero, in place (PyTorch's `zero_()`).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func zero() {
        checkInPlaceAllowed()
        if mustRecord() { adopt(recordedFill(0, Zero.self), allowingOverlap: true) } else { data.fill(0) }
    }

    /// Sets every element to `value`, in place (PyTorch's `fill_()`).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func fill(_ value: Scalar) {
        checkInPlaceAllowed()
        if mustRecord() { adopt(recordedFill(value, Fill.self), allowingOverlap: true) } else { data.fill(value) }
    }

    /// Copies `source`'s elements (broadcast to this shape) into this tensor, in place
    /// (PyTorch's `copy_()`).
    ///
    /// No `@_specialize(exported:)` here: with it, Swift 6.3's release build stopped emitting the
    /// pre-specializations that the batch norms' running-statistics update calls (an undefined
    /// symbol at link time) after the state-dict changes (``TensorProtocol``) landed; not reduced
    /// further. The work is `DenseTensor.copy(from:)`'s either way.
    public func copy(from source: Tensor) {
        checkInPlaceAllowed()
        if mustRecord(source) {
            adopt(recordedCopy(from: source))
        } else {
            data.copy(from: source.data)
        }
    }
}
