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
        _ value: __owned DenseTensor<Scalar>, op: Op.Type, send: @escaping (DenseTensor<Scalar>) -> Void
    ) -> Tensor {
        ThreadContext.withCurrent { context in
            context.unmanagedGraph(Scalar.self).with { graph in
                graph.recordedCrossings = true
                return graph.segmentForRecording(inputs: nil).with { segment in
                    var node = Node(op, inputs: (.none, .none))
                    node.dim = Int32(segment.crossings.count)
                    segment.crossings.append(send)
                    let index = segment.append(node)
                    return Tensor(data: value, history: History(segment: segment, generation: segment.generation,
                                                                index: index, op: node.op))
                }
            }
        }
    }

    /// Backward from each of `roots` with its gradient, in one sweep of this graph; a leaf root
    /// takes its gradient directly. Gradients of one tensor are summed first.
    static func backward(roots: [(Tensor, DenseTensor<Scalar>)], retainGraph: Bool) throws(AutogradError) {
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
            } else if tensor.requiresGrad {
                tensor.accumulateGrad(grad)
            }
        }
        guard let (first, seed) = histories.first else { return }
        guard let graph = first.segment.graph else { throw .graphFreed }
        try graph.backward(from: first, seed: seed, callerGradient: nil, retainGraph: retainGraph,
                           extraRoots: Array(histories.dropFirst()))
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

    /// Whether a sweep queued gradients for another element type's graph.
    var hasCrossings: Bool { !floatCrossings.isEmpty || !doubleCrossings.isEmpty }

    /// Forgets the gradients queued by a sweep that failed.
    func dropCrossings() {
        if !floatCrossings.isEmpty { floatCrossings = [] }
        if !doubleCrossings.isEmpty { doubleCrossings = [] }
    }
}
