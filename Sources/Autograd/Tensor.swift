import Arena
import Synchronization

/// A multi-dimensional array that records the operations done to it, so that one call to
/// ``backward(gradient:retainGraph:createGraph:inputs:)`` computes the gradient of a result with respect to every
/// tensor that requires grad (PyTorch's `torch.Tensor` with autograd, on the CPU).
///
/// ```swift
/// import Autograd
///
/// let x = Tensor<Float>.ones([2, 2], requiresGrad: true)
/// let y = x + 2                      // y.gradFn?.name == "AddBackward0"
/// let out = (y * y * 3).mean()
/// try out.backward()
/// print(x.grad!)                     // tensor([[4.5000, 4.5000],
///                                    //         [4.5000, 4.5000]])
/// ```
///
/// `Tensor` has reference semantics, like `torch.Tensor`. The graph it records lives in a
/// per-thread arena and is freed by `backward()` or when nothing can backward through it any
/// more, so a training loop's graph memory does not grow. A tensor with history belongs to the
/// thread that made it.
// Note [Exclusivity]: the hot classes (Tensor, the graph's Segment and Graph, ThreadContext,
// TensorStorage, Arena, the buffer cache) mark their stored properties
// `@exclusivity(unchecked)`. Swift otherwise checks every access to a class property at run time
// against a thread-local access set, which cost a third of the instructions of a small
// training step (callgrind). The attribute only holds inside the declaring module: code in
// another module that reads such a field directly checks anyway, so fields read across modules
// go through a non-inlinable accessor (`TensorStorage.version`) or are mirrored (`Segment.generation`).
// These objects are thread-confined and their properties are never
// passed `inout` across a call that could reach them again, which is what the check guards.
//
// Note [Exported specializations]: the public generic API is specialized for Float and Double
// with `@_specialize(exported: true, ...)`. Without `exported`, a call from another module (the
// app, tensorbench) entered the generic function, which then found and called its Float
// specialization: ~45 instructions a call, 2 % of the seed step. Exported, the specialization is
// a public symbol the caller's optimizer calls directly. The NN modules keep the plain form:
// reached through `any Module` (Sequential), their exported specializations made the witness
// calls allocate, two mallocs an mlp-small step (tensorbench allocations).
public final class Tensor<Scalar: TensorElement> {
    /// The values. Read through ``data`` or `withData` (Note [Lending data]).
    @exclusivity(unchecked) var storedData: DenseTensor<Scalar>
    /// The node that made this tensor; `nil` for leaves.
    @exclusivity(unchecked) var history: History<Scalar>?
    @exclusivity(unchecked) var leafRequiresGrad: Bool
    @exclusivity(unchecked) var retainsGrad = false
    /// The slot this leaf was last given in a segment's leaf table: a hint, checked before use
    /// (`Segment.slot`). Atomic because a leaf is shared: threads recording with it at once each
    /// write their own segment's slot here (Note [Leaves shared by threads]).
    let leafSlotHint = Atomic<UInt32>(.max)
    /// For a result of a view op (reshape, unsqueeze, expand, the transposes: the ops PyTorch
    /// returns views from, whether ours shares storage or copies), the tensor the chain of views
    /// started from; `nil` otherwise (PyTorch's `_base`). `detached()` results are no views.
    @exclusivity(unchecked) var viewBase: Tensor?
    /// For a view, the storage's version when its history was last made: a later in-place
    /// change of the storage (through the base or another view) makes the history stale, and it
    /// is made again on next use (`refreshViewHistory`, Note [In-place on views]).
    @exclusivity(unchecked) var viewVersion = 0
    /// Whether this is a view made by a function returning several views (`split`, `chunked`,
    /// `unbind`), or a view of one (PyTorch's creation meta MULTI_OUTPUT_NODE, which views of a
    /// view inherit): a recorded in-place op on it traps, as PyTorch refuses it.
    @exclusivity(unchecked) var isMultiOutputView = false

    /// A leaf's gradient hooks and post-accumulate-grad hooks (a `LeafHooks<Scalar>`; Note
    /// [Hooks]): one optional field, so that a tensor without hooks (nearly all) pays 8 bytes and
    /// one nil check at deinit; `AnyObject` because only float types have hooks.
    @exclusivity(unchecked) var leafHooks: AnyObject?

    /// What ``grad`` reads; the sweep writes it directly (`accumulateGrad`), past the setter's checks.
    @exclusivity(unchecked) var storedGrad: Tensor?

    /// The gradient accumulated by backward passes: set on leaves that require grad, and on
    /// non-leaves after ``retainGrad()``; `nil` otherwise or after ``zeroGrad()``.
    ///
    /// Assigning a tensor of another shape, or the tensor itself, traps with PyTorch's message
    /// (a property setter can't throw, and either is a programmer error: the next backward would
    /// add a gradient of this tensor's shape to it, or write the gradient into the values).
    public var grad: Tensor? {
        get { storedGrad }
        set {
            if let newValue {
                if newValue === self { trap("can't assign Variable as its own grad") }
                if newValue.shape != shape {
                    trap("attempting to assign a gradient of size '\(newValue.shape)' to a tensor of size '\(shape)'. Please ensure that the gradient and the tensor are the same size")
                }
            }
            storedGrad = newValue
        }
    }

    /// Wraps `data` as a leaf.
    ///
    /// Only floating tensors can require grad: `requiresGrad: true` on an `Int` or `Bool` tensor
    /// traps with PyTorch's message (as its factories do).
    public init(data: __owned DenseTensor<Scalar>, requiresGrad: Bool = false) {
        if requiresGrad && !Scalar.isFloatingPoint {
            trap("Only Tensors of floating point and complex dtype can require gradients")
        }
        self.storedData = data
        self.leafRequiresGrad = requiresGrad
    }

    /// Wraps the result of a recorded operation.
    init(data: __owned DenseTensor<Scalar>, history: History<Scalar>) {
        self.storedData = data
        self.history = history
        self.leafRequiresGrad = false
        history.withSegment { $0.retainTensor() }
    }

    /// Calls `body` with `data` lent in place, for the kernel call of an op's forward.
    ///
    /// Note [Lending data]: reading the stored value to pass it to a call copies it (the
    /// property could be reassigned during the call), and so does passing it `borrowing`: an
    /// atomic retain and release of both its storage and its shape, four atomic operations
    /// (~7 ns each here) per operand of every op. Passed `inout` (`&storedData`: a stored
    /// property of a final class whose exclusivity isn't checked), the value is lent from its
    /// address without a copy. (An address probed from the object's layout once did this; the
    /// plain `inout` access compiles to the same code: callgrind, seed and overhead steps within
    /// 1 % of each other, the `inout` one below.) An `inout` access is
    /// a modifying one, though, and two threads lending one tensor at once would race: so only
    /// tensors with history, which belong to the thread that made them, are lent; leaves and
    /// results made without recording, which threads may share for reading, are copied as
    /// before (ThreadSanitizer reported the race on a batch shared by training threads).
    /// `body` only reads the value (the kernels).
    @inline(__always)
    func withData<R>(_ body: (inout DenseTensor<Scalar>) throws -> R) rethrows -> R {
        if history == nil {
            var copy = data
            return try body(&copy)
        }
        return try body(&storedData)
    }

    /// Calls `body` with the data of `a` and `b` lent in place (Note [Lending data]); when they
    /// are the same tensor, `b`'s is a copy, as two accesses to one value can't overlap.
    @inline(__always)
    static func withData<R>(
        _ a: Tensor, _ b: Tensor, _ body: (inout DenseTensor<Scalar>, inout DenseTensor<Scalar>) throws -> R
    ) rethrows -> R {
        if a === b {
            var copy = b.data
            return try a.withData { try body(&$0, &copy) }
        }
        return try a.withData { x in try b.withData { y in try body(&x, &y) } }
    }

    /// The values (shared with views and with ``detached()``).
    public internal(set) var data: DenseTensor<Scalar> {
        get { storedData }
        set { storedData = newValue }
        // In place, so that the in-place ops' `data.formBinary(...)` works on the stored value.
        _modify { yield &storedData }
    }

    deinit {
        if let history { history.withSegment { $0.releaseTensor(generation: history.generation) } }
    }

    // MARK: Reading

    /// The size of each dimension; `[]` for a 0-d tensor.
    public var shape: [Int] { storedData.shape }
    /// The number of dimensions.
    public var rank: Int { storedData.rank }
    /// The number of elements.
    public var count: Int { storedData.count }
    /// A row-major copy of the elements.
    public var scalars: [Scalar] { data.scalars }
    /// The value of a one-element tensor, else `nil`.
    public var scalar: Scalar? { data.scalar }

    // MARK: Autograd state

    /// Whether gradients flow to or through this tensor. Settable on leaves (PyTorch's
    /// `requires_grad_`); a non-leaf requires grad because it has history.
    public var requiresGrad: Bool {
        get { history != nil || leafRequiresGrad }
        set {
            if history != nil {
                trapUnless(newValue,
                    "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")
                return
            }
            trapUnless(!newValue || Scalar.isFloatingPoint, "only Tensors of floating point dtype can require gradients")
            leafRequiresGrad = newValue
        }
    }

    /// Whether this tensor (its storage) was made inside ``withInferenceMode(_:)`` (PyTorch's
    /// `is_inference()`); a view of one is one too.
    public var isInference: Bool { storedData.storage.isInference }

    /// `true` for tensors the user created (and results computed without recording).
    public var isLeaf: Bool { history == nil }

}

extension Tensor where Scalar: TensorScalar {
    /// The operation that made this tensor (PyTorch's `grad_fn`); `nil` for leaves.
    public var gradFn: GradFn? {
        if viewBase != nil { refreshViewHistory() }
        return history.map { GradFn(history: $0) }
    }
}

extension History where Scalar: TensorScalar {
    /// A custom function's node name (`MyFnBackward`), `nil` for the ops of the table.
    var customName: String? {
        guard op == CustomFunctionOp.kind, isLive else { return nil }
        return withSegment { segment in
            segment.customFunctions[Int(segment.nodes[Int(index)].pointee.dim)].name
        }
    }
}

/// The `grad_fn` name `history` shows: a custom function's own for a float tensor.
private func gradFnName<Scalar>(_ history: History<Scalar>) -> String {
    if let history = history as? History<Float> { return history.customName ?? history.op.name }
    if let history = history as? History<Double> { return history.customName ?? history.op.name }
    return history.op.name
}

extension Tensor: CustomStringConvertible {
    /// PyTorch's printed text, suffixes included (`requires_grad=True`, `grad_fn=<...>`).
    public var description: String {
        if let history { return data.formatted(suffixes: ["grad_fn=<\(gradFnName(history))>"]) }
        return data.formatted(suffixes: leafRequiresGrad ? ["requires_grad=True"] : [])
    }
}

// MARK: Layout

extension Tensor {
    /// The distance in storage between neighbours along each dimension, in elements (PyTorch's
    /// `stride()`): `[3, 1]` for a row-major 2×3 matrix, `[1, 3]` for its transpose, 0 along an
    /// expanded dimension.
    public var strides: [Int] { storedData.strides }

    /// Whether the elements lie in row-major order in storage (PyTorch's `is_contiguous()`).
    public var isContiguous: Bool { storedData.isContiguous }

    /// The count of in-place changes to this tensor's storage, shared with every view of it
    /// (PyTorch's `_version`).
    public var version: Int { storedData.storage.version }
}
