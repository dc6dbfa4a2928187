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

    /// The gradients of the output behind `root` with respect to `inputs` (leaves or tensors
    /// with history), for the output's gradient `seed`; `nil` for an input it does not reach.
    func recordedGradients(
        from root: History<Scalar>, seed: Tensor<Scalar>, inputs: [Tensor<Scalar>]
    ) throws(AutogradError) -> [Tensor<Scalar>?] {
        guard root.isLive else { throw .graphFreed }
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
        var pending: [Entry: Tensor<Scalar>] = [Entry(segment: root.segmentID, generation: root.generation, index: root.index): seed]
        var leafGrads: [ObjectIdentifier: Tensor<Scalar>] = [:]
        func order(_ e: Entry) -> (Int, UInt32) { (segment(e.segment).sequence, e.index) }

        while let entry = pending.keys.max(by: { order($0) < order($1) }) {
            let grad = pending.removeValue(forKey: entry)!
            for k in wanted[entry] ?? [] { results[k] = grad }
            let segment = segment(entry.segment)
            guard segment.generation == entry.generation else { throw .graphFreed }
            let node = segment.nodes[Int(entry.index)].pointee
            trapUnless(!node.isWide, "\(node.op.name)'s derivative runs only in the plain backward sweep: it can't be recorded (differentiated again) yet")
            try segment.checkSavedVersions(node)
            let context = BackwardContext(grad: grad, node: node, segment: UnownedRef(segment), partials: (nil, nil),
                                          ownsGrad: false, entry: entry.index)
            let grads = Self.derivative(node.op.definition, context)
            for (edge, g) in [(node.inputs.0, grads.0), (node.inputs.1, grads.1)] {
                guard let g else { continue }
                switch edge.kind {
                case .none: continue
                case .node:
                    let key = Entry(segment: edge.segment, generation: edge.generation, index: edge.index)
                    pending[key] = pending[key].map { $0 + g } ?? g
                case .leaf:
                    let owner = self.segment(edge.segment)
                    guard owner.generation == edge.generation else { throw .graphFreed }
                    let leaf = ObjectIdentifier(owner.leaves[Int(edge.index)])
                    leafGrads[leaf] = leafGrads[leaf].map { $0 + g } ?? g
                }
            }
        }
        for (leaf, positions) in wantedLeaves {
            for k in positions { results[k] = leafGrads[leaf] }
        }
        return results
    }

    /// `definition`'s derivative in the recorded interpretation (opened from the existential:
    /// this sweep is not the hot path, the plain one's switch is).
    private static func derivative<D: OpDefinition>(
        _ definition: D.Type, _ c: consuming BackwardContext<Tensor<Scalar>>
    ) -> Gradients<Tensor<Scalar>> {
        D.backward(c)
    }
}

extension Tensor where Scalar: TensorScalar {
    /// The gradients of this tensor with respect to `inputs`, each a tensor with history where
    /// it depends on something that requires grad, so that it can be differentiated again; no
    /// `grad` is written, and the graph is kept (the recorded sweep, Note [Two interpretations of
    /// a derivative]). `gradient` as in ``backward(gradient:retainGraph:)``.
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
        guard let history else { return inputs.map { $0 === self ? seed : nil } }
        guard let graph = history.segment.graph else { throw .graphFreed }
        let previous = GradMode.isEnabled
        GradMode.isEnabled = true
        defer { GradMode.isEnabled = previous }
        return try graph.recordedGradients(from: history, seed: seed, inputs: inputs)
    }
}
