import Arena

/// Removes the hook it was returned for (PyTorch's `RemovableHandle`).
public final class HookHandle {
    private var removal: (() -> Void)?

    init(_ removal: @escaping () -> Void) { self.removal = removal }

    /// Removes the hook; a second call does nothing.
    public func remove() {
        removal?()
        removal = nil
    }
}

/// A tensor's gradient hooks, in registration order (Note [Hooks]).
///
/// Note [Hooks]: a leaf keeps its hooks itself (`Tensor.hooks`); a result's are its node's, in
/// its segment's `hooks` table, and the node carries `Node.hasHooks`, which the sweep tests with
/// `retainsGrad` in one read (`isIntercepted`). The sweep runs them on the tensor's complete
/// gradient before anything reads it: before a retained `grad` or a `grad(...)` result takes it
/// and before the node's derivative (a leaf's: before accumulation), each hook given what the
/// one before returned, as PyTorch 2.11 orders them. In the plain sweep they run with grad mode
/// off, as PyTorch's engine runs them outside `create_graph`; in the recorded sweep with it on.
/// A hook is user code: it may run any op, which records into the thread's graph as usual.
final class HookList<Scalar: TensorScalar> {
    private var hooks: [(id: Int, body: (Tensor<Scalar>) -> Tensor<Scalar>?)] = []
    private var nextID = 0

    var isEmpty: Bool { hooks.isEmpty }

    func add(_ body: @escaping (Tensor<Scalar>) -> Tensor<Scalar>?) -> HookHandle {
        let id = nextID
        nextID += 1
        hooks.append((id, body))
        return HookHandle { [weak self] in self?.hooks.removeAll { $0.id == id } }
    }

    /// `grad` through every hook.
    func run(_ grad: Tensor<Scalar>) -> Tensor<Scalar> {
        var current = grad
        for (_, body) in hooks {
            guard let replaced = body(current) else { continue }
            trapUnless(replaced.shape == current.shape, "hook '<closure>' has changed the size of value")
            current = replaced
        }
        return current
    }

    /// The plain sweep's gradient through every hook, with grad mode off.
    func run(_ grad: DenseTensor<Scalar>) -> DenseTensor<Scalar> {
        let previous = GradMode.isEnabled
        GradMode.isEnabled = false
        defer { GradMode.isEnabled = previous }
        return run(Tensor(data: grad)).data
    }
}

/// A leaf's post-accumulate-grad hooks.
final class PostAccumulateHookList<Scalar: TensorScalar> {
    private var hooks: [(id: Int, body: (Tensor<Scalar>) -> Void)] = []
    private var nextID = 0

    func add(_ body: @escaping (Tensor<Scalar>) -> Void) -> HookHandle {
        let id = nextID
        nextID += 1
        hooks.append((id, body))
        return HookHandle { [weak self] in self?.hooks.removeAll { $0.id == id } }
    }

    func run(_ leaf: Tensor<Scalar>) {
        for (_, body) in hooks { body(leaf) }
    }
}

extension Tensor where Scalar: TensorScalar {
    /// Registers `hook` to be called with this tensor's gradient each time one is computed, in
    /// any backward pass or `grad(...)` (PyTorch's `Tensor.register_hook`). A returned tensor
    /// (of the same shape) replaces the gradient for everything after: later hooks, the leaf's
    /// `grad`, a retained `grad`, the derivatives further down; `nil` keeps it.
    ///
    /// Traps, as PyTorch raises, on a tensor that does not require grad.
    ///
    /// ```swift
    /// let handle = w.registerHook { g in g.clamped(min: -1, max: 1) }   // clip w's gradient
    /// handle.remove()
    /// ```
    @discardableResult
    public func registerHook(_ hook: @escaping (Tensor) -> Tensor?) -> HookHandle {
        trapUnless(requiresGrad, "cannot register a hook on a tensor that doesn't require gradient")
        if viewBase != nil { refreshViewHistory() }
        guard let history else {
            let list = hooks ?? HookList()
            hooks = list
            return list.add(hook)
        }
        return history.withSegment { segment in
            trapUnless(segment.generation == history.generation, "cannot register a hook on a tensor whose graph was already freed")
            let list = segment.hookList(at: history.index) ?? HookList()
            segment.hooks[history.index] = list
            segment.nodes[Int(history.index)].pointee.hasHooks = true
            return list.add(hook)
        }
    }

    /// Registers `hook` to be called with this leaf itself after a backward pass has added to its
    /// ``grad`` (PyTorch's `register_post_accumulate_grad_hook`): the place for an optimizer step
    /// fused into backward. Not called by `grad(...)`, which accumulates nothing.
    ///
    /// Traps, as PyTorch raises, on a non-leaf or a tensor that does not require grad.
    @discardableResult
    public func registerPostAccumulateGradHook(_ hook: @escaping (Tensor) -> Void) -> HookHandle {
        trapUnless(history == nil, "post accumulate grad hooks cannot be registered on non-leaf tensors")
        trapUnless(requiresGrad, "cannot register a hook on a tensor that doesn't require gradient")
        let list = postAccumulateHooks ?? PostAccumulateHookList()
        postAccumulateHooks = list
        return list.add(hook)
    }
}

/// A leaf's two kinds of hooks, behind the tensor's one `leafHooks` field.
final class LeafHooks<Scalar: TensorScalar> {
    var gradient: HookList<Scalar>?
    var postAccumulate: PostAccumulateHookList<Scalar>?
}

extension Tensor where Scalar: TensorScalar {
    private var leafHookLists: LeafHooks<Scalar>? { leafHooks.map { unsafeDowncast($0, to: LeafHooks<Scalar>.self) } }

    private func makeLeafHookLists() -> LeafHooks<Scalar> {
        if let lists = leafHookLists { return lists }
        let lists = LeafHooks<Scalar>()
        leafHooks = lists
        return lists
    }

    /// This leaf's gradient hooks, if any were registered.
    var hooks: HookList<Scalar>? {
        get { leafHookLists?.gradient }
        set { makeLeafHookLists().gradient = newValue }
    }
    var postAccumulateHooks: PostAccumulateHookList<Scalar>? {
        get { leafHookLists?.postAccumulate }
        set { makeLeafHookLists().postAccumulate = newValue }
    }
}

extension Segment where Scalar: TensorScalar {
    /// The hooks of the tensor node `index` made.
    func hookList(at index: UInt32) -> HookList<Scalar>? {
        hooks[index].map { unsafeDowncast($0, to: HookList<Scalar>.self) }
    }
}
