/// The backward sweep. Nodes were appended in execution order, so each segment already is a
/// topological order: walk it from the top down, skipping nodes no gradient reached, and push
/// each derivative into the node or leaf it came from. Segments are walked newest first (edges
/// only point to older ones). Leaf and retained gradients are buffered and written only when
/// the whole sweep has succeeded, so a thrown `graphFreed` leaves every `grad` as it was.
extension Graph where Scalar: TensorScalar {
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    /// `callerGradient`: a gradient someone else holds, which no `grad` may be: the one the
    /// caller passed (`backward(gradient:)`), or the graph's shared implicit seed of a 0-d
    /// output (`unitSeed`); `nil` for a seed made for this sweep. `extraRoots`: more outputs to
    /// backward from in the same sweep, with their gradients (Note [Conversions between graphs]).
    /// `targets`: the tensors whose gradients `grad(...)` or `backward(inputs:)` asked for
    /// (Note [Sweep targets]); then no other leaf's `grad` is written.
    func backward(
        from root: History<Scalar>, seed: consuming DenseTensor<Scalar>, callerGradient: DenseTensor<Scalar>?,
        retainGraph: Bool, extraRoots: [(History<Scalar>, DenseTensor<Scalar>)] = [],
        targets: SweepTargets<Scalar>? = nil
    ) throws(AutogradError) {
        guard root.isLive else { throw .graphFreed }
        targets?.mark(true, in: self)
        defer { targets?.mark(false, in: self) }
        // The segment lists are the graph's, borrowed for the sweep and handed back emptied with
        // their capacity, so that a training step's backward allocates no bookkeeping. A sweep
        // runs no user code, so it never nests. They hold the segments unmanaged (the graph owns
        // them): each strong entry cost atomic retains and releases as it was added and read.
        var pending = ContiguousArray<UnownedRef<Segment<Scalar>>>()
        var walked = ContiguousArray<(segment: UnownedRef<Segment<Scalar>>, generation: UInt32)>()
        swap(&pending, &sweepPending)
        swap(&walked, &sweepWalked)
        pending.append(root.segmentRef)
        var retainedGrads: [(Tensor<Scalar>, DenseTensor<Scalar>)] = []
        var seed = Optional(seed)
        root.withSegment { segment in
            segment.prepareSweep()
            segment.grads[Int(root.index)] = seed.take()
        }
        // With several roots the root's segment is walked from its newest node.
        let rootTop = extraRoots.isEmpty ? Int(root.index) : root.withSegment { $0.nodes.count - 1 }
        // Whatever happens, no segment keeps gradient buffers (or a stale "prepared" state).
        defer {
            for segment in pending { segment.with { $0.clearSweepState() } }
            for entry in walked { entry.segment.with { $0.clearSweepState() } }
            pending.removeAllInPlace()
            walked.removeAllInPlace()
            swap(&pending, &sweepPending)
            swap(&walked, &sweepWalked)
        }
        for (history, grad) in extraRoots {
            try accumulate(grad, into: Edge(kind: .node, segment: history.segmentID, generation: history.generation,
                                            index: history.index), pending: &pending)
        }

        // The op table, read once per sweep: each read of a global is a `swift_once` call on Linux.
        let definitions = OpTable.definitions
        while !pending.isEmpty {
            var newest = 0
            for i in pending.indices where pending[i].with({ a in
                pending[newest].with { b in a.sequence > b.sequence }
            }) { newest = i }
            let unmanaged = pending.remove(at: newest)
            let segment = unmanaged.object
            walked.append((unmanaged, segment.generation))
            // Each segment from its top (the root's from the root): a `top` carried over from
            // the segment walked before skipped a root above it in its own (several roots).
            let top = unmanaged === root.segmentRef ? rootTop : segment.nodes.count - 1
            for index in stride(from: top, through: 0, by: -1) {
                if segment.hasWideNodes && segment.nodes[index].pointee.isWide {
                    try sweepWide(segment, at: index, top: top, targets: targets, retainedGrads: &retainedGrads, pending: &pending)
                    continue
                }
                // Moved out of the table and into the context (`take`, `consume`), not copied:
                // each copy of a gradient is two atomic reference-count operations.
                guard var grad = segment.grads[index].take() else { continue }
                let record = segment.nodes[index]
                let node = record.pointee
                try segment.checkSavedVersions(node)
                if node.isIntercepted {
                    grad = intercept(grad, node: node, segment: segment, index: index, targets: targets, retainedGrads: &retainedGrads)
                }
                let owned = grad.holdsUniqueStorage()
                // Consumed by the derivative, so that a gradient it writes over moves through.
                let context = BackwardContext(grad: consume grad, record: record, segment: UnownedRef(segment),
                                              ownsGrad: owned, entry: UInt32(index))
                // Taken out of the result (`take`): `if let g = consume g0` on a destructured
                // tuple copied each gradient and released the original (two atomic operations).
                var grads = node.op.backward(consume context, definitions: definitions)
                if detectsAnomalies { try Self.checkAnomalies([grads.0, grads.1], name: Self.nodeName(segment, index)) }
                if let g = grads.0.take() { try accumulate(g, into: node.inputs.0, pending: &pending) }
                if let g = grads.1.take() { try accumulate(g, into: node.inputs.1, pending: &pending) }
            }
        }

        // The sweep succeeded: now, and only now, write the gradients users can see.
        // A gradient that is still the caller's gradient tensor (passed through unchanged by
        // additions) is copied, so that no `grad` is the caller's `gradient` tensor: PyTorch's
        // AccumulateGrad clones an incoming gradient someone else holds. A view of it (a slice
        // of `cat`'s gradient, a reshape) is a tensor of its own there, kept without a copy, and
        // here too: it shares the caller's storage, as in PyTorch.
        func own(_ grad: consuming DenseTensor<Scalar>) -> DenseTensor<Scalar> {
            if let callerGradient, grad.storage === callerGradient.storage, grad.offset == callerGradient.offset,
               grad.shape == callerGradient.shape, grad.strides == callerGradient.strides {
                return grad.copied()
            }
            return grad
        }
        for (unmanaged, _) in walked {
            unmanaged.with { segment in
                for slot in segment.leaves.indices {
                    // Not into a leaf that stopped requiring grad since (detached in place, or
                    // `requiresGrad = false`): PyTorch's AccumulateGrad skips it too.
                    if var grad = segment.leafGrads[slot].take(), segment.leaves[slot].requiresGrad {
                        let leaf = segment.leaves[slot]
                        if let targets, !targets.contains(leaf) { continue }
                        if let hooks = leaf.hooks { grad = hooks.run(grad) }
                        if let targets {
                            targets.found(own(grad), leaf: leaf)
                            guard targets.accumulates else { continue }
                        }
                        leaf.accumulateGrad(own(grad))
                        if let hooks = leaf.postAccumulateHooks { withGradEnabled(false) { hooks.run(leaf) } }
                    }
                }
            }
        }
        for (tensor, grad) in retainedGrads { tensor.accumulateGrad(own(grad)) }
        if let targets {
            for k in targets.results.indices {
                guard let grad = targets.results[k] else { continue }
                targets.results[k] = own(grad)
                // A non-leaf named in `backward(inputs:)` gets its gradient in `grad`, as if retained.
                if targets.accumulates && !targets.tensors[k].isLeaf && !targets.tensors[k].retainsGrad {
                    targets.tensors[k].accumulateGrad(own(grad))
                }
            }
        }
        if !retainGraph {
            // Freeing one segment can free an older one through its parent reference: free each once.
            for (unmanaged, generation) in walked {
                unmanaged.with { segment in
                    if segment.generation == generation { segment.free() }
                }
            }
        }
    }

    /// The sweep at entry `index` of a wide node (Note [Nodes with any number of inputs and
    /// outputs]): a multi-output node runs at its last output's entry (or at the root's), with
    /// the gradients of all its outputs.
    private func sweepWide(
        _ segment: Segment<Scalar>, at index: Int, top: Int, targets: SweepTargets<Scalar>?,
        retainedGrads: inout [(Tensor<Scalar>, DenseTensor<Scalar>)],
        pending: inout ContiguousArray<UnownedRef<Segment<Scalar>>>
    ) throws(AutogradError) {
        let pointer = segment.nodes[index]
        let node = pointer.pointee
        if index != top && index + 1 < segment.nodes.count && segment.nodes[index + 1] == pointer { return }
        var base = index
        while base > 0 && segment.nodes[base - 1] == pointer { base -= 1 }
        var grads = sweepWideGrads   // the graph's lists, taken out (Graph.sweepWideGrads)
        var needs = sweepWideNeeds
        (sweepWideGrads, sweepWideNeeds) = ([], [])
        defer {   // given back empty, their capacity kept (unless a throw came first)
            grads.removeAll(keepingCapacity: true)
            needs.removeAll(keepingCapacity: true)
            (sweepWideGrads, sweepWideNeeds) = (grads, needs)
        }
        var received = false
        for slot in base...index {
            var grad = segment.grads[slot].take()
            if let g = grad, node.isIntercepted {
                grad = intercept(g, node: node, segment: segment, index: slot, targets: targets, retainedGrads: &retainedGrads)
            }
            received = received || grad != nil
            grads.append(grad)
        }
        guard received else { return }
        while grads.count < Int(node.outputCount) { grads.append(nil) }
        try segment.checkWideSavedVersions(pointer)
        var intoLeaves = true
        for k in 0..<Int(node.inputCount) {
            let kind = Segment<Scalar>.input(k, of: pointer).kind
            needs.append(kind != .none)
            intoLeaves = intoLeaves && kind != .node
        }
        let definition = node.op.definition as! any WideOpDefinition.Type
        var inputGrads: [DenseTensor<Scalar>?]
        do {   // the context's copies of the lists end here, so that they are unique again to give back
            var context = WideBackwardContext(grads: grads, node: node, needs: needs, segment: UnownedRef(segment))
            context.intoLeaves = intoLeaves
            context.base = UInt32(base)
            inputGrads = definition.backward(wide: context)
        }
        grads.removeAll(keepingCapacity: true)   // the output gradients are let go before the inputs' are added
        if detectsAnomalies { try Self.checkAnomalies(inputGrads, name: Self.nodeName(segment, index)) }
        for (k, grad) in inputGrads.enumerated() {
            if let grad { try accumulate(grad, into: Segment<Scalar>.input(k, of: pointer), pending: &pending) }
        }
        inputGrads.removeAll(keepingCapacity: true)   // the next wide node's list (Graph.sweepWideResults)
        sweepWideResults = inputGrads
    }

    /// A retained, asked-for or hooked node's gradient, read before its derivative consumes it;
    /// returns it as the hooks left it (Note [Hooks]).
    @inline(never)
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func intercept(
        _ grad: DenseTensor<Scalar>, node: Node, segment: Segment<Scalar>, index: Int, targets: SweepTargets<Scalar>?,
        retainedGrads: inout [(Tensor<Scalar>, DenseTensor<Scalar>)]
    ) -> DenseTensor<Scalar> {
        var grad = grad
        if node.hasHooks, let hooks = segment.hookList(at: UInt32(index)) { grad = hooks.run(grad) }
        if node.retainsGrad, let tensor = segment.retained[UInt32(index)]?.tensor {
            retainedGrads.append((tensor, grad))
        }
        if node.isTarget, let targets { targets.found(grad, segment: segment, index: index) }
        return grad
    }

    /// Takes out what `edge`'s node or leaf has received so far in this sweep, if anything
    /// (`BackwardContext.takePartial0()`).
    func takePartial(_ edge: Edge) -> DenseTensor<Scalar>? {
        guard edge.kind != .none else { return nil }
        return withSegment(edge.segment) { segment in
            guard segment.generation == edge.generation, segment.sweepPrepared else { return nil }
            return edge.kind == .node ? segment.grads[Int(edge.index)].take() : segment.leafGrads[Int(edge.index)].take()
        }
    }

    /// Adds `grad` to what `edge`'s node or leaf has received so far (ggml's `add_or_set`).
    private func accumulate(
        _ grad: __owned DenseTensor<Scalar>, into edge: Edge, pending: inout ContiguousArray<UnownedRef<Segment<Scalar>>>
    ) throws(AutogradError) {
        guard edge.kind != .none else { return }
        // The segment borrowed (a strong local cost an atomic retain and release per gradient),
        // and the gradient moved into the closure through an optional: a captured parameter can
        // only be copied, which was another retain and release.
        var moving: DenseTensor<Scalar>? = consume grad
        let live = withSegment(edge.segment) { segment in
            guard segment.generation == edge.generation else { return false }
            if !segment.sweepPrepared {
                segment.prepareSweep()
                pending.append(UnownedRef(segment))
            }
            let index = Int(edge.index)
            switch edge.kind {
            case .node: Self.add(moving.take()!, to: &segment.grads[index])
            case .leaf: Self.add(moving.take()!, to: &segment.leafGrads[index])
            case .none: break
            }
            return true
        }
        guard live else { throw .graphFreed }
    }

    /// `slot += grad`, or `slot = grad` for the first one, moving rather than copying.
    @inline(__always)
    private static func add(_ grad: __owned DenseTensor<Scalar>, to slot: inout DenseTensor<Scalar>?) {
        if let sum = slot.take() {
            slot = sum.binary(.add, grad)
        } else {
            slot = consume grad
        }
    }
}

extension Tensor where Scalar: TensorScalar {
    /// `grad += g`, creating `grad` on first use (PyTorch's AccumulateGrad), under the leaf's
    /// lock: threads may backward into one leaf at once (Note [Leaves shared by threads]).
    func accumulateGrad(_ g: __owned DenseTensor<Scalar>) {
        // A gradient that reached the leaf as a view (an expand's or a transpose's derivative) is
        // made row-major, as PyTorch's AccumulateGrad makes it obey the parameter's layout.
        var moving: DenseTensor<Scalar>? = g.isContiguous ? consume g : g.contiguous()
        LeafGradLock.withLock(for: self) {
            if let grad = storedGrad {
                grad.data = grad.data.binary(.add, moving.take()!)
            } else {
                storedGrad = Tensor(data: moving.take()!)
            }
        }
    }
}
