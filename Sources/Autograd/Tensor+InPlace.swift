import Arena

/// In-place operations, with PyTorch's rules.
///
/// - On a leaf that requires grad, they trap while grad mode is on (the change could not be
///   differentiated); inside `withNoGrad`, where optimizers update parameters, they are allowed.
/// - They write into the storage and bump its version: a node that saved this storage for its
///   derivative makes a later backward throw ``AutogradError/savedTensorModified(tensor:outputOf:version:expected:)``
///   instead of computing a silently wrong gradient.
/// - On a tensor with history, with grad mode on, the operation is recorded like its
///   out-of-place form and the tensor takes the result's history (and new storage). Unlike
///   PyTorch, other views of the old storage (`reshaped`, `detached()`) do not see that write;
///   on a view of a leaf that requires grad (anything PyTorch returns as a view: reshape,
///   unsqueeze, expand, transposes), where the leaf would silently keep its values, the op traps
///   as PyTorch's does ("a view of a leaf Variable ...").
extension Tensor {
    @inline(__always)
    func checkInPlaceAllowed() {
        guard GradMode.isEnabled else { return }
        if history == nil && leafRequiresGrad {
            trap("a leaf Variable that requires grad is being used in an in-place operation.")
        }
        if history != nil && isViewOfLeafRequiringGrad() {
            trap("a view of a leaf Variable that requires grad is being used in an in-place operation.")
        }
    }

    /// Whether this tensor comes from a leaf that requires grad through a chain of ops that return
    /// views in PyTorch (`OpDefinition.isView`), whether or not ours copied (a transpose, once
    /// made, is a copy). In grad mode an in-place op here would be recorded out of place (see
    /// `rebase`) and leave the leaf silently unchanged; PyTorch refuses it, and so do we.
    func isViewOfLeafRequiringGrad() -> Bool {
        guard let history, history.isLive, let graph = history.segment.graph else { return false }
        var segment = history.segment
        var index = Int(history.index)
        while true {
            let node = segment.nodes[index].pointee
            guard node.op.definition.isView else { return false }
            let edge = node.inputs.0
            switch edge.kind {
            case .none:
                return false
            case .leaf:
                let owner = graph.segment(edge.segment)
                guard owner.generation == edge.generation else { return false }
                return owner.leaves[Int(edge.index)].leafRequiresGrad
            case .node:
                segment = graph.segment(edge.segment)
                guard segment.generation == edge.generation else { return false }
                index = Int(edge.index)
            }
        }
    }

    /// Takes over `result`'s value and history (the in-place form of a recorded op).
    func rebase(onto result: Tensor) {
        let old = history
        data = result.data
        history = result.history
        // The new reference first: when both are in one segment, dropping the old one first
        // could free it under the new one.
        if let h = history { h.segment.retainTensor() }
        if let old { old.segment.releaseTensor(generation: old.generation) }
    }

    /// Whether an in-place op must be recorded (grad mode on and something requires grad).
    @inline(__always)
    func mustRecord(_ other: Tensor? = nil) -> Bool {
        (history != nil || other?.requiresGrad == true) && GradMode.isEnabled
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func += (lhs: Tensor, rhs: Tensor) { lhs.inPlace(.add, rhs) { $0 + $1 } }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func -= (lhs: Tensor, rhs: Tensor) { lhs.inPlace(.sub, rhs) { $0 - $1 } }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func *= (lhs: Tensor, rhs: Tensor) { lhs.inPlace(.mul, rhs) { $0 * $1 } }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func /= (lhs: Tensor, rhs: Tensor) { lhs.inPlace(.div, rhs) { $0 / $1 } }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func += (lhs: Tensor, rhs: Scalar) { lhs.inPlace(.add, rhs) { $0 + $1 } }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func -= (lhs: Tensor, rhs: Scalar) { lhs.inPlace(.sub, rhs) { $0 - $1 } }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func *= (lhs: Tensor, rhs: Scalar) { lhs.inPlace(.mul, rhs) { $0 * $1 } }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func /= (lhs: Tensor, rhs: Scalar) { lhs.inPlace(.div, rhs) { $0 / $1 } }

    private func inPlace(_ op: BinaryOp, _ rhs: Tensor, _ recorded: (Tensor, Tensor) -> Tensor) {
        checkInPlaceAllowed()
        if mustRecord(rhs) {
            let target = Shape.broadcast(shape, rhs.shape)
            trapUnless(target == shape, "output with shape \(shape) doesn't match the broadcast shape \(target)")
            rebase(onto: recorded(self, rhs))
        } else {
            data.formBinary(op, rhs.data)
        }
    }

    private func inPlace(_ op: BinaryOp, _ rhs: Scalar, _ recorded: (Tensor, Scalar) -> Tensor) {
        checkInPlaceAllowed()
        if mustRecord() { rebase(onto: recorded(self, rhs)) } else { data.formBinary(op, scalar: rhs) }
    }

    /// Sets every element to zero, in place (PyTorch's `zero_()`).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func zero() { fill(0) }

    /// Sets every element to `value`, in place (PyTorch's `fill_()`).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func fill(_ value: Scalar) {
        checkInPlaceAllowed()
        // The old value no longer matters to the result: no gradient flows through a fill.
        if history != nil && GradMode.isEnabled { detach(); data = data.copied() }
        data.fill(value)
    }

    /// Copies `source`'s elements (broadcast to this shape) into this tensor, in place
    /// (PyTorch's `copy_()`).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func copy(from source: Tensor) {
        checkInPlaceAllowed()
        if source.requiresGrad && GradMode.isEnabled {
            let result = source.expanded(to: shape)
            result.data = result.data.copied()   // an expand to the same shape shares `source`'s storage
            rebase(onto: result)
        } else {
            if history != nil && GradMode.isEnabled { detach(); data = data.copied() }
            data.copy(from: source.data)
        }
    }
}
