import Arena

// Note [Conversions between graphs]: a thread has one graph per element type, and a node's
// edges point into its own graph only. A conversion between Float and Double (ToCopyBackward0)
// is recorded in the result's graph as a node with no edges, holding a closure that converts the
// gradient back and hands it, with the source tensor, to the thread context (`sendAcross`).
// When the sweep that ran it has finished, `runCrossings` sweeps the source's graph from every
// tensor that received a gradient at once (several roots, one sweep: a graph freed by the first
// root's sweep could not be swept again for the second), and so on while gradients cross.
// A node reached both directly and through a round trip Float → Double → Float is swept twice,
// which a freed graph refuses (`graphFreed`); with `retainGraph` the sums are right.

extension Tensor where Scalar: TensorScalar {
    /// Records `value` as the output of a node with no edges in this graph whose derivative is
    /// `send` (Note [Conversions between graphs]).
    static func recordCrossing<Op: OpDefinition>(
        _ value: __owned DenseTensor<Scalar>, op: Op.Type, send: @escaping (DenseTensor<Scalar>) -> Void,
        sendRecorded: @escaping (Tensor<Scalar>) -> Void
    ) -> Tensor {
        ThreadContext.withCurrent { context in
            context.unmanagedGraph(Scalar.self).with { graph in
                graph.recordedCrossings = true
                return graph.segmentForRecording(inputs: nil).with { segment in
                    var node = Node(op, inputs: (.none, .none))
                    node.dim = Int32(segment.crossings.count)
                    segment.crossings.append(send)
                    segment.recordedSends.append(sendRecorded)
                    let index = segment.append(node)
                    return Tensor(data: value, history: History(segment: segment, generation: segment.generation,
                                                                index: index, op: node.op))
                }
            }
        }
    }

    /// Backward from each of `roots` with its gradient, in one sweep of this graph; a leaf root
    /// takes its gradient directly. Gradients of one tensor are summed first.
    ///
    /// With `targets` (`grad(...)`, `backward(inputs:)` following a conversion), no leaf is
    /// written but the targets, and a leaf root counts as found.
    static func backward(
        roots: [(Tensor, DenseTensor<Scalar>)], retainGraph: Bool, targets: SweepTargets<Scalar>? = nil
    ) throws(AutogradError) {
        var order: [ObjectIdentifier] = []
        var summed: [ObjectIdentifier: (Tensor, DenseTensor<Scalar>)] = [:]
        for (tensor, grad) in roots {
            let id = ObjectIdentifier(tensor)
            if let (t, sum) = summed[id] { summed[id] = (t, sum.binary(.add, grad)) } else { summed[id] = (tensor, grad); order.append(id) }
        }
        var histories: [(History<Scalar>, DenseTensor<Scalar>)] = []
        for id in order {
            let (tensor, grad) = summed[id]!
            if let history = tensor.history {
                histories.append((history, grad))
            } else if let targets {
                guard targets.contains(tensor) else { continue }
                targets.found(grad, leaf: tensor)
                if targets.accumulates { tensor.accumulateGrad(grad) }
            } else if tensor.requiresGrad {
                tensor.accumulateGrad(grad)
            }
        }
        guard let (first, seed) = histories.first else { return }
        guard let graph = first.segment.graph else { throw .graphFreed }
        try graph.backward(from: first, seed: seed, callerGradient: nil, retainGraph: retainGraph,
                           extraRoots: Array(histories.dropFirst()), targets: targets)
    }

    /// After a sweep of this type's graph with `targets`: the sweeps of the gradients its
    /// conversions queued, in the other graph (writing no leaf there) and back here (into fresh
    /// targets for the same tensors, whose findings are added to `targets`), until none crosses.
    static func followCrossings(_ context: ThreadContext, retainGraph: Bool, targets: SweepTargets<Scalar>) throws(AutogradError) {
        do {
            while context.hasCrossings {
                if Scalar.self != Float.self, !context.floatCrossings.isEmpty {
                    let roots = context.floatCrossings
                    context.floatCrossings = []
                    try Tensor<Float>.backward(roots: roots, retainGraph: retainGraph, targets: SweepTargets([], accumulates: false))
                }
                if Scalar.self != Double.self, !context.doubleCrossings.isEmpty {
                    let roots = context.doubleCrossings
                    context.doubleCrossings = []
                    try Tensor<Double>.backward(roots: roots, retainGraph: retainGraph, targets: SweepTargets([], accumulates: false))
                }
                let back = context.takeCrossings(Scalar.self)
                guard !back.isEmpty else { continue }
                let more = SweepTargets(targets.tensors, accumulates: targets.accumulates)
                try backward(roots: back, retainGraph: retainGraph, targets: more)
                targets.merge(more)
            }
        } catch {
            context.dropCrossings()
            throw error
        }
    }
}

extension ThreadContext {
    /// Queues `grad` for `source`, in `source`'s graph, until the running sweep has finished.
    func sendAcross<Source: TensorScalar>(_ grad: DenseTensor<Source>, to source: Tensor<Source>) {
        if let source = source as? Tensor<Float> {
            floatCrossings.append((source, grad as! DenseTensor<Float>))
        } else if let source = source as? Tensor<Double> {
            doubleCrossings.append((source, grad as! DenseTensor<Double>))
        } else {
            trap("conversions are differentiable between Float and Double only, not \(Source.self)")
        }
    }

    /// Sweeps the graphs that gradients crossed into, until none is left to cross.
    func runCrossings(retainGraph: Bool) throws(AutogradError) {
        do {
            while true {
                if !doubleCrossings.isEmpty {
                    let roots = doubleCrossings
                    doubleCrossings = []
                    try Tensor<Double>.backward(roots: roots, retainGraph: retainGraph)
                } else if !floatCrossings.isEmpty {
                    let roots = floatCrossings
                    floatCrossings = []
                    try Tensor<Float>.backward(roots: roots, retainGraph: retainGraph)
                } else {
                    return
                }
            }
        } catch {
            dropCrossings()
            throw error
        }
    }

    /// Queues a recorded gradient for `source` until the running recorded sweep has finished
    /// (`Tensor.recordedSweep(roots:inputs:everyLeaf:)` then sweeps `source`'s graph).
    func sendAcrossRecorded<Source: TensorScalar>(_ grad: Tensor<Source>, to source: Tensor<Source>) {
        if let source = source as? Tensor<Float> {
            floatRecordedCrossings.append((source, grad as! Tensor<Float>))
        } else if let source = source as? Tensor<Double> {
            doubleRecordedCrossings.append((source, grad as! Tensor<Double>))
        } else {
            trap("conversions are differentiable between Float and Double only, not \(Source.self)")
        }
    }

    /// The recorded gradients queued for `Scalar`'s graph, taken out of the queue.
    func takeRecordedCrossings<Scalar: TensorScalar>(_: Scalar.Type) -> [(Tensor<Scalar>, Tensor<Scalar>)] {
        if Scalar.self == Float.self {
            defer { floatRecordedCrossings = [] }
            return floatRecordedCrossings as! [(Tensor<Scalar>, Tensor<Scalar>)]
        }
        if Scalar.self == Double.self {
            defer { doubleRecordedCrossings = [] }
            return doubleRecordedCrossings as! [(Tensor<Scalar>, Tensor<Scalar>)]
        }
        return []
    }

    /// The plain gradients queued for `Scalar`'s graph, taken out of the queue.
    func takeCrossings<Scalar: TensorScalar>(_: Scalar.Type) -> [(Tensor<Scalar>, DenseTensor<Scalar>)] {
        if Scalar.self == Float.self {
            defer { floatCrossings = [] }
            return floatCrossings as! [(Tensor<Scalar>, DenseTensor<Scalar>)]
        }
        if Scalar.self == Double.self {
            defer { doubleCrossings = [] }
            return doubleCrossings as! [(Tensor<Scalar>, DenseTensor<Scalar>)]
        }
        return []
    }

    /// Whether a sweep queued gradients for another element type's graph.
    var hasCrossings: Bool { !floatCrossings.isEmpty || !doubleCrossings.isEmpty }

    /// Forgets the gradients queued by a sweep that failed.
    func dropCrossings() {
        if !floatCrossings.isEmpty { floatCrossings = [] }
        if !doubleCrossings.isEmpty { doubleCrossings = [] }
    }
}

extension Tensor where Scalar: TensorScalar {
    /// The recorded sweep from `roots` (tensors with their gradients) with respect to `inputs`,
    /// following gradients across conversions (Note [Conversions between graphs]): after each
    /// graph's sweep, the gradients its conversions queued are swept in their source's graph,
    /// and so on until none crosses. A node reached twice (directly and through a round trip)
    /// runs once per arrival, which sums right because a derivative is linear in its gradient,
    /// and the recorded sweep frees nothing. With `everyLeaf`, every leaf of this type that a
    /// gradient reached is returned (`leaves`), and leaves of the other type get theirs added
    /// to their `grad` here (`backward(createGraph:)`).
    static func recordedSweep(
        roots: [(Tensor, Tensor)], inputs: [Tensor], everyLeaf: Bool
    ) throws(AutogradError) -> (inputs: [Tensor?], leaves: [(Tensor, Tensor)]) {
        let context = ThreadContext.current
        let previous = GradMode.isEnabled
        GradMode.isEnabled = true
        defer { GradMode.isEnabled = previous }
        var results = [Tensor?](repeating: nil, count: inputs.count)
        var leaves: [(Tensor, Tensor)] = []
        var pending = roots
        do {
            while true {
                let found = try sweepOnce(pending, inputs: inputs, everyLeaf: everyLeaf)
                for (k, g) in found.inputs.enumerated() { if let g { results[k] = results[k].map { $0 + g } ?? g } }
                leaves += found.leaves
                // The other float type's graph: its conversions can only send back to this one.
                if Scalar.self != Float.self { try Tensor<Float>.sweepOther(context, everyLeaf) }
                if Scalar.self != Double.self { try Tensor<Double>.sweepOther(context, everyLeaf) }
                pending = context.takeRecordedCrossings(Scalar.self)
                if pending.isEmpty { break }
            }
        } catch {
            context.floatRecordedCrossings = []
            context.doubleRecordedCrossings = []
            throw error
        }
        return (results, leaves)
    }

    /// Sweeps this type's queued recorded gradients (a graph other than the caller's); their
    /// leaves get their gradients in `grad` under `everyLeaf`.
    private static func sweepOther(_ context: ThreadContext, _ everyLeaf: Bool) throws(AutogradError) {
        let queued = context.takeRecordedCrossings(Scalar.self)
        guard !queued.isEmpty else { return }
        let found = try sweepOnce(queued, inputs: [], everyLeaf: everyLeaf)
        for (leaf, g) in found.leaves { leaf.receiveRecordedGrad(g) }
    }

    /// One recorded sweep of this type's graph from `roots`; a root that is a leaf is its own
    /// gradient.
    private static func sweepOnce(
        _ roots: [(Tensor, Tensor)], inputs: [Tensor], everyLeaf: Bool
    ) throws(AutogradError) -> (inputs: [Tensor?], leaves: [(Tensor, Tensor)]) {
        var results = [Tensor?](repeating: nil, count: inputs.count)
        var leaves: [(Tensor, Tensor)] = []
        var histories: [(History<Scalar>, Tensor)] = []
        for (root, g) in roots {
            if let history = root.history {
                histories.append((history, g))
                continue
            }
            for (k, input) in inputs.enumerated() where input === root { results[k] = results[k].map { $0 + g } ?? g }
            if everyLeaf && root.requiresGrad { leaves.append((root, g)) }
        }
        guard let first = histories.first?.0 else { return (results, leaves) }
        guard let graph = first.segment.graph else { throw .graphFreed }
        let found = try graph.recordedGradients(roots: histories, inputs: inputs, everyLeaf: everyLeaf)
        for (k, g) in found.inputs.enumerated() { if let g { results[k] = results[k].map { $0 + g } ?? g } }
        return (results, leaves + found.leaves)
    }
}
