import Arena

/// Backward passes and the autograd state a user can change.
extension Tensor where Scalar: TensorScalar {
    /// `backward()` without `createGraph` or `inputs`: the plain sweep into every leaf.
    @inline(__always)
    func plainBackward(gradient: Tensor?, retainGraph: Bool) throws(AutogradError) {
        guard requiresGrad else { throw .doesNotRequireGrad }
        if let gradient {
            guard gradient.shape == shape else {
                throw .gradientShapeMismatch(gradient: gradient.shape, output: shape)
            }
        } else {
            guard count == 1 else { throw .nonScalarOutput }
        }
        guard let history else {
            // On a leaf, the gradient is the seed.
            accumulateGrad(gradient.map { $0.data.copied() } ?? DenseTensor(shape: shape, repeating: 1))
            return
        }
        // The graph went with the thread that recorded it (a result that outlived its thread).
        guard let graph = history.segment.graph else { throw .graphFreed }
        // A caller's gradient is not copied here: only one that reaches a `grad` unchanged would
        // alias the caller's tensor, and the sweep copies exactly those (PyTorch's AccumulateGrad
        // clones a shared incoming gradient the same way). Copying up front cost a read and a
        // write of the whole output, 12 % of `a*b+a` forward and backward. The implicit seed of a
        // 0-d output is the graph's shared `1`, passed as the caller's gradient for that reason.
        let callerGradient = gradient?.data ?? (rank == 0 ? graph.unitSeed : nil)
        let seed = callerGradient ?? DenseTensor(shape: shape, repeating: 1)
        // Only a graph that ever recorded a conversion can send gradients to another graph.
        guard graph.recordedCrossings else {
            return try graph.backward(from: history, seed: seed, callerGradient: callerGradient, retainGraph: retainGraph)
        }
        let context = ThreadContext.current
        do {
            try graph.backward(from: history, seed: seed, callerGradient: callerGradient, retainGraph: retainGraph)
        } catch {
            context.dropCrossings()
            throw error
        }
        try context.runCrossings(retainGraph: retainGraph)
    }

    /// Keeps this non-leaf's gradient in ``grad`` after backward (PyTorch's `retain_grad()`).
    /// On a leaf it does nothing: leaves keep their gradient anyway.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func retainGrad() {
        guard let history else { return }
        trapUnless(history.isLive, "can't retain_grad on a tensor whose graph was already freed")
        retainsGrad = true
        history.segment.nodes[Int(history.index)].pointee.retainsGrad = true
        history.segment.retained[history.index] = WeakTensor(self)
    }

    /// A new leaf sharing this tensor's storage, with no history and no grad requirement
    /// (PyTorch's `detach()`).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func detached() -> Tensor {
        Tensor(data: data)
    }

    /// Cuts this tensor from its history in place, making it a leaf that does not require grad
    /// (PyTorch's `detach_()`).
    ///
    /// A node that saved this tensor's value for its derivative can't use it any more: a later
    /// backward through that node throws ``AutogradError/savedTensorDetached``, as PyTorch raises.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func detach() {
        if let history, history.isLive {
            history.segment.nodes[Int(history.index)].pointee.outputDetached = true
            history.segment.graph?.outputsDetached = true
        }
        releaseHistory()
    }

    /// Makes this tensor a leaf that does not require grad.
    func releaseHistory() {
        if let history { history.segment.releaseTensor(generation: history.generation) }
        history = nil
        leafRequiresGrad = false
    }

    /// Sets ``grad`` to `nil`, as PyTorch's `zero_grad(set_to_none=True)`.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func zeroGrad() {
        grad = nil
    }
}
