import Arena

/// The backward sweep of the recorded interpretation (Note [Two interpretations of a derivative]
/// in Ops/GradientValue.swift): the same derivatives as the plain sweep, run on `Tensor`s while
/// grad mode is on, so that every gradient they form is recorded, and a gradient that depends on
/// an input has history through which it can be differentiated again. It is what
/// `createGraph` stands on.
///
/// It is the plain sweep without what makes that one fast (no buffer reuse, no fused
/// accumulation, a dictionary for the gradients on their way): building a graph costs more than
/// the arithmetic here. It leaves every `grad` and the graph it walks as they were; the nodes it
/// records go to the graph of the values they read, like any op's.
extension Graph where Scalar: TensorScalar {
    private struct Entry: Hashable {
        let segment: UInt16
        let generation: UInt32
        let index: UInt32
    }

    /// The gradients of the outputs behind `roots` with respect to `inputs` (leaves or tensors
    /// with history), for the outputs' gradients (each root's seed); `nil` for an input they do
    /// not reach. With `everyLeaf`, also the gradient of every leaf reached (`leaves`, for
    /// `backward(createGraph:)`). Retained non-leaves get theirs added to their `grad`.
    func recordedGradients(
        roots: [(History<Scalar>, Tensor<Scalar>)], inputs: [Tensor<Scalar>], everyLeaf: Bool = false
    ) throws(AutogradError) -> (inputs: [Tensor<Scalar>?], leaves: [(Tensor<Scalar>, Tensor<Scalar>)]) {
        for (root, _) in roots { guard root.isLive else { throw .graphFreed } }
        var results = [Tensor<Scalar>?](repeating: nil, count: inputs.count)
        var wanted: [Entry: [Int]] = [:]
        var wantedLeaves: [ObjectIdentifier: [Int]] = [:]
        for (k, input) in inputs.enumerated() {
            if let h = input.history {
                wanted[Entry(segment: h.segmentID, generation: h.generation, index: h.index), default: []].append(k)
            } else {
                wantedLeaves[ObjectIdentifier(input), default: []].append(k)
            }
        }
        // Gradients on their way, by the node entry they are for; walked newest first (segment
        // start order, then entry), so that a node runs once all its gradients arrived.
        var pending: [Entry: Tensor<Scalar>] = [:]
        for (root, seed) in roots {
            let key = Entry(segment: root.segmentID, generation: root.generation, index: root.index)
            pending[key] = pending[key].map { $0 + seed } ?? seed
        }
        var leafGrads: [ObjectIdentifier: (leaf: Tensor<Scalar>, grad: Tensor<Scalar>)] = [:]
        var retained: [(Tensor<Scalar>, Tensor<Scalar>)] = []
        func order(_ e: Entry) -> (Int, UInt32) { (segment(e.segment).sequence, e.index) }

        while let entry = pending.keys.max(by: { order($0) < order($1) }) {
            var grad = pending.removeValue(forKey: entry)!
            let segment = segment(entry.segment)
            guard segment.generation == entry.generation else { throw .graphFreed }
            let pointer = segment.nodes[Int(entry.index)]
            let node = pointer.pointee
            if node.hasHooks, let hooks = segment.hookList(at: entry.index) { grad = hooks.run(grad) }
            for k in wanted[entry] ?? [] { results[k] = grad }
            if node.retainsGrad, let tensor = segment.retained[entry.index]?.tensor { retained.append((tensor, grad)) }
            try segment.checkSavedVersions(node)
            let inputGrads: [(Edge, Tensor<Scalar>?)]
            if node.isWide {
                // Every output's gradient is complete when the first of them comes up (their
                // consumers all came later): the node runs once, with all of them.
                var base = Int(entry.index), end = base
                while base > 0 && segment.nodes[base - 1] == pointer { base -= 1 }
                while end + 1 < segment.nodes.count && segment.nodes[end + 1] == pointer { end += 1 }
                var grads = [Tensor<Scalar>?]()
                for slot in base...end {
                    let key = Entry(segment: entry.segment, generation: entry.generation, index: UInt32(slot))
                    var other = slot == Int(entry.index) ? grad : pending.removeValue(forKey: key)
                    if slot != Int(entry.index), let g = other, node.hasHooks, let hooks = segment.hookList(at: UInt32(slot)) {
                        other = hooks.run(g)
                    }
                    grads.append(other)
                    guard slot != Int(entry.index), let other else { continue }
                    for k in wanted[key] ?? [] { results[k] = other }
                    if node.retainsGrad, let tensor = segment.retained[UInt32(slot)]?.tensor { retained.append((tensor, other)) }
                }
                let edges = (0..<Int(node.inputCount)).map { Segment<Scalar>.input($0, of: pointer) }
                try segment.checkWideSavedVersions(pointer)
                var context = WideBackwardContext(grads: grads, node: node, needs: edges.map { $0.kind != .none },
                                                  segment: UnownedRef(segment))
                context.base = UInt32(base)
                let definition = node.op.definition as! any WideOpDefinition.Type
                let wideGrads = Self.wideDerivative(definition, context)
                if detectsAnomalies { try Self.checkAnomalies(wideGrads, name: Self.nodeName(segment, Int(entry.index))) }
                inputGrads = Array(zip(edges, wideGrads))
            } else {
                let context = BackwardContext(grad: grad, record: pointer, segment: UnownedRef(segment),
                                              ownsGrad: false, entry: entry.index)
                let definition = node.op.definition
                let grads = Self.derivative(definition, context)
                if detectsAnomalies { try Self.checkAnomalies([grads.0, grads.1], name: Self.nodeName(segment, Int(entry.index))) }
                inputGrads = [(node.inputs.0, grads.0), (node.inputs.1, grads.1)]
            }
            for (edge, g) in inputGrads {
                guard let g else { continue }
                switch edge.kind {
                case .none: continue
                case .node:
                    let key = Entry(segment: edge.segment, generation: edge.generation, index: edge.index)
                    pending[key] = pending[key].map { $0 + g } ?? g
                case .leaf:
                    let owner = self.segment(edge.segment)
                    guard owner.generation == edge.generation else { throw .graphFreed }
                    let leaf = owner.leaves[Int(edge.index)]
                    guard leaf.requiresGrad else { continue }
                    let id = ObjectIdentifier(leaf)
                    leafGrads[id] = (leaf, leafGrads[id].map { $0.grad + g } ?? g)
                }
            }
        }
        for (id, entry) in leafGrads where everyLeaf || wantedLeaves[id] != nil {
            if let hooks = entry.leaf.hooks { leafGrads[id] = (entry.leaf, hooks.run(entry.grad)) }
        }
        for (leaf, positions) in wantedLeaves {
            for k in positions { results[k] = leafGrads[leaf]?.grad }
        }
        for (tensor, grad) in retained { tensor.accumulateRecordedGrad(grad) }
        return (results, everyLeaf ? leafGrads.values.map { ($0.leaf, $0.grad) } : [])
    }

    /// `definition`'s derivative in the recorded interpretation, opened from the existential
    /// (the plain sweep calls the specialized `floatBackward`/`doubleBackward` witnesses instead).
    private static func derivative<D: OpDefinition>(
        _ definition: D.Type, _ c: consuming BackwardContext<Tensor<Scalar>>
    ) -> Gradients<Tensor<Scalar>> {
        D.backward(c)
    }

    private static func wideDerivative<D: WideOpDefinition>(
        _ definition: D.Type, _ c: WideBackwardContext<Tensor<Scalar>>
    ) -> [Tensor<Scalar>?] {
        D.backward(wide: c)
    }
}

extension Tensor where Scalar: TensorScalar {
    /// The gradients of this tensor with respect to `inputs`, each a tensor with history where
    /// it depends on something that requires grad, so that it can be differentiated again; no
    /// `grad` is written, and the graph is kept (the recorded sweep, Note [Two interpretations of
    /// a derivative], across conversions as `grad(...)`). `gradient` as in ``backward(gradient:retainGraph:createGraph:inputs:)``.
    func recordedGradients(wrt inputs: [Tensor], gradient: Tensor? = nil) throws(AutogradError) -> [Tensor?] {
        guard requiresGrad else { throw .doesNotRequireGrad }
        let seed: Tensor
        if let gradient {
            guard gradient.shape == shape else { throw .gradientShapeMismatch(gradient: gradient.shape, output: shape) }
            seed = gradient
        } else {
            guard count == 1 else { throw .nonScalarOutput }
            seed = Tensor(data: DenseTensor(shape: shape, repeating: 1))
        }
        return try Tensor.recordedSweep(roots: [(self, seed)], inputs: inputs, everyLeaf: false).inputs
    }

    /// `grad += g` with `g` kept as a tensor with history (`backward(createGraph: true)`):
    /// out of place, so the gradient can be differentiated again, as PyTorch's AccumulateGrad
    /// does under `create_graph`.
    func accumulateRecordedGrad(_ g: Tensor) {
        LeafGradLock.withLock(for: self) {
            storedGrad = storedGrad.map { $0 + g } ?? g
        }
    }

    /// ``accumulateRecordedGrad(_:)``, then this tensor's post-accumulate hooks, which see the
    /// sum (PyTorch's order).
    func receiveRecordedGrad(_ g: Tensor) {
        accumulateRecordedGrad(g)
        postAccumulateHooks?.run(self)
    }
}
