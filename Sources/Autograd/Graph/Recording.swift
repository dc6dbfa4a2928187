import Arena

/// What a node keeps for its derivative besides its inputs. Built by each op's forward and
/// stored only when the op is recorded. The most common ops record without one, writing straight
/// into the node (the `record` overloads with `scalar:`, `keepingShape:`, `product:`), as
/// dropping a `Saved` costs more than what they keep (see `record(_:_:_:_:filling:)`).
struct Saved<Scalar: TensorElement> {
    var tensors: (DenseTensor<Scalar>?, DenseTensor<Scalar>?) = (nil, nil)
    var shapes: ([Int]?, [Int]?) = (nil, nil)
    var indices: [Int]? = nil
    var scalar: Double = 0
    var dim = 0
    var dim2 = 0
    var keepDim = false

    /// The values of the inputs that a derivative needs; where one is not kept, its shape is
    /// (`BackwardContext.inputShape0`), for the sum over broadcast dimensions.
    @inline(__always)
    static func inputs(_ a: Tensor<Scalar>, keeping keepA: Bool, _ b: Tensor<Scalar>, keeping keepB: Bool) -> Saved {
        Saved(tensors: (keepA ? a.data : nil, keepB ? b.data : nil),
              shapes: (keepA ? nil : a.shape, keepB ? nil : b.shape))
    }
}

extension Tensor where Scalar: TensorScalar {
    /// Wraps an op's result, recording a node for `op` that keeps `saved` when grad mode is on and
    /// an input requires grad. Otherwise no graph memory is touched: the check comes first.
    @inline(__always)
    static func record<Op: OpDefinition>(
        _ value: __owned DenseTensor<Scalar>, _ op: Op.Type, _ a: Tensor, _ b: Tensor?,
        _ saved: @autoclosure () -> Saved<Scalar>
    ) -> Tensor {
        record(value, op, a, b) { node, segment in
            var s = saved()
            store(&s, in: &node, segment: segment)
        }
    }

    /// `record` for a node that keeps nothing but a scalar (`a * s`).
    @inline(__always)
    static func record<Op: OpDefinition>(_ value: __owned DenseTensor<Scalar>, _ op: Op.Type, _ a: Tensor, scalar: Double) -> Tensor {
        record(value, op, a, nil) { node, _ in node.scalar = scalar }
    }

    /// `record` for a node that keeps input 0's shape (a reduction's, for its derivative's
    /// expand; a view's, for the zeros its derivative places the gradient in) and, for its
    /// derivative, up to two dimensions and a scalar.
    @inline(__always)
    static func record<Op: OpDefinition>(
        _ value: __owned DenseTensor<Scalar>, _ op: Op.Type, _ a: Tensor, keepingShape shape: [Int],
        dim: Int = 0, dim2: Int = 0, scalar: Double = 0
    ) -> Tensor {
        record(value, op, a, nil) { node, segment in
            node.shapes.0 = segment.keep(shape)
            (node.dim, node.dim2, node.scalar) = (Int32(truncatingIfNeeded: dim), Int32(truncatingIfNeeded: dim2), scalar)
        }
    }

    /// `record` for a node that keeps two dimensions (a transpose's).
    @inline(__always)
    static func record<Op: OpDefinition>(_ value: __owned DenseTensor<Scalar>, _ op: Op.Type, _ a: Tensor, dim: Int, dim2: Int) -> Tensor {
        record(value, op, a, nil) { node, _ in
            (node.dim, node.dim2) = (Int32(truncatingIfNeeded: dim), Int32(truncatingIfNeeded: dim2))
        }
    }

    /// `record` for a broadcasting op of `a` and `b` that keeps both shapes, for the sums of its
    /// derivatives back to them.
    @inline(__always)
    static func recordKeepingShapes<Op: OpDefinition>(_ value: __owned DenseTensor<Scalar>, _ op: Op.Type, _ a: Tensor, _ b: Tensor) -> Tensor {
        record(value, op, a, b) { node, segment in
            node.shapes = (segment.keep(a.shape), segment.keep(b.shape))
        }
    }

    /// `record` for a product of `a` and `b` (elementwise, matrix, linear): each factor is kept
    /// only for the other's gradient, as PyTorch does, so that changing a factor whose partner
    /// needs no gradient is no error, and nothing is kept for nothing; where a factor is not
    /// kept, its shape is (`BackwardContext.inputShape0`), for the sum over broadcast
    /// dimensions. `fill` writes what else the node keeps.
    @inline(__always)
    static func record<Op: OpDefinition>(
        _ value: __owned DenseTensor<Scalar>, _ op: Op.Type, product a: Tensor, _ b: Tensor,
        filling fill: (inout Node) -> Void = { _ in }
    ) -> Tensor {
        record(value, op, a, b) { node, segment in
            keepFactors(a, b, in: &node, segment: segment)
            fill(&node)
        }
    }

    /// The saving of `record(_:_:product:_:filling:)`: each factor kept only for the other's
    /// gradient, its shape where it is not kept.
    @inline(__always)
    static func keepFactors(_ a: Tensor, _ b: Tensor, in node: inout Node, segment: Segment<Scalar>) {
        if b.requiresGrad { node.saved.0 = segment.save(a.data) } else { node.shapes.0 = segment.keep(a.shape) }
        if a.requiresGrad { node.saved.1 = segment.save(b.data) } else { node.shapes.1 = segment.keep(b.shape) }
    }

    /// An op recorded as two nodes, `product` of `a` and `b` and then `biasOp` of that product's
    /// output and `bias` (`linear`'s and a convolution's bias, each its own node as in the op
    /// table), with no `Tensor` for the product's output: nobody sees it, and making and freeing
    /// one cost a malloc and its reference counting per layer. `fillProduct` and `fillBias` write
    /// what each node keeps. The bias node's input 0 is the product node, or nothing when neither
    /// factor needs a gradient; a bias with a history of its own takes the two plain records.
    @inline(__always)
    static func recordProduct<Product: OpDefinition, Bias: OpDefinition>(
        _ value: __owned DenseTensor<Scalar>, _ product: Product.Type, _ a: Tensor, _ b: Tensor,
        filling fillProduct: (inout Node, Segment<Scalar>) -> Void,
        thenBias biasOp: Bias.Type, _ bias: Tensor, filling fillBias: (inout Node, Segment<Scalar>) -> Void
    ) -> Tensor {
        let factorsNeedGrad = a.requiresGrad || b.requiresGrad
        guard factorsNeedGrad || bias.requiresGrad else { return Tensor(data: value) }
        if a.viewBase != nil { a.refreshViewHistory() }
        if b.viewBase != nil { b.refreshViewHistory() }
        if bias.viewBase != nil { bias.refreshViewHistory() }
        guard bias.history == nil else {
            let inner = record(value, product, a, b, filling: fillProduct)
            return record(value, biasOp, inner, bias, filling: fillBias)
        }
        return ThreadContext.withCurrent { context in
            guard context.gradEnabled else { return Tensor(data: value) }
            return context.unmanagedGraph(Scalar.self).with { graph in
                graph.segmentForRecording(inputs: newestLiveSegment(a, b)).with { segment in
                    var first = Edge.none
                    if factorsNeedGrad {
                        var node = Node(product, inputs: (edge(to: a, from: segment), edge(to: b, from: segment)))
                        fillProduct(&node, segment)
                        first = Edge(kind: .node, segment: segment.id, generation: segment.generation, index: segment.append(node))
                    }
                    var node = Node(biasOp, inputs: (first, edge(to: bias, from: segment)))
                    fillBias(&node, segment)
                    let index = segment.append(node)
                    return Tensor(data: value, history: History(segment: segment, generation: segment.generation, index: index, op: node.op))
                }
            }
        }
    }

    /// `record` for a node that keeps what `fill` writes into it and the segment's tables (by
    /// default nothing). Ops that keep nothing or a scalar come here without a `Saved`: Swift
    /// destroys a struct with that many reference-counted fields through its value witnesses,
    /// even one whose fields were all moved out (`store`), ~70 instructions an op.
    ///
    /// Generic over the definition, so that its kind is read only when a node is recorded and
    /// its flags are constants in each inlined copy.
    @inline(__always)
    static func record<Op: OpDefinition>(
        _ value: __owned DenseTensor<Scalar>, _ op: Op.Type, _ a: Tensor, _ b: Tensor? = nil,
        filling fill: (inout Node, Segment<Scalar>) -> Void = { _, _ in }
    ) -> Tensor {
        guard a.requiresGrad || b?.requiresGrad == true else { return Tensor(data: value) }
        if a.viewBase != nil { a.refreshViewHistory() }
        if let b, b.viewBase != nil { b.refreshViewHistory() }
        return ThreadContext.withCurrent { context in
            guard context.gradEnabled else { return Tensor(data: value) }
            // Borrowed, like the context: a strong reference to the graph and to the segment
            // cost an atomic retain and release each, on every op.
            return context.unmanagedGraph(Scalar.self).with { graph in
                graph.segmentForRecording(inputs: newestLiveSegment(a, b)).with { segment in
                    recordNode(value, op, a, b, fill, in: segment)
                }
            }
        }
    }

    /// Appends the node for `op` to `segment` and wraps `value` with its history.
    @inline(__always)
    private static func recordNode<Op: OpDefinition>(
        _ value: __owned DenseTensor<Scalar>, _ op: Op.Type, _ a: Tensor, _ b: Tensor?,
        _ fill: (inout Node, Segment<Scalar>) -> Void, in segment: Segment<Scalar>
    ) -> Tensor {
        var node = Node(op, inputs: (edge(to: a, from: segment), b.map { edge(to: $0, from: segment) } ?? .none))
        fill(&node, segment)
        let index = segment.append(node)
        return Tensor(data: value, history: History(segment: segment, generation: segment.generation, index: index, op: node.op))
    }

    /// Moves what `s` saved into `segment`'s tables and its scalars into `node`. Moved (`take`):
    /// copying them out of `s` and then dropping `s` cost an atomic retain and release for each
    /// saved storage and shape.
    @inline(__always)
    static func store(_ s: inout Saved<Scalar>, in node: inout Node, segment: Segment<Scalar>) {
        if let t = s.tensors.0.take() { node.saved.0 = segment.save(t) }
        if let t = s.tensors.1.take() { node.saved.1 = segment.save(t) }
        if let t = s.shapes.0.take() { node.shapes.0 = segment.keep(t) }
        if let t = s.shapes.1.take() { node.shapes.1 = segment.keep(t) }
        if let t = s.indices.take() { node.indices = Int32(segment.indices.count); segment.indices.append(t) }
        node.scalar = s.scalar
        node.dim = Int32(truncatingIfNeeded: s.dim)
        node.dim2 = Int32(truncatingIfNeeded: s.dim2)
        node.keepDim = s.keepDim
    }

    /// The newest segment (by start order) holding a live node of `a` or `b`; `nil` when neither
    /// carries live history. Recording there keeps every edge pointing to an older segment.
    @inline(__always)
    static func newestLiveSegment(_ a: Tensor, _ b: Tensor?) -> UnownedRef<Segment<Scalar>>? {
        var newest: UnownedRef<Segment<Scalar>>?
        if let h = a.history, h.isLive { newest = h.segmentRef }
        if let h = b?.history, h.isLive, newest.map({ old in
            old.with { old in h.withSegment { $0.sequence > old.sequence } }
        }) ?? true {
            newest = h.segmentRef
        }
        return newest
    }

    /// The edge from a node being recorded in `segment` to its input `t`.
    @inline(__always)
    static func edge(to t: Tensor, from segment: Segment<Scalar>) -> Edge {
        if let h = t.history {
            if !(h.segmentRef === UnownedRef(segment)) || h.generation != segment.generation {
                segment.addParent(h.segment, generation: h.generation)
            }
            return Edge(kind: .node, segment: h.segmentID, generation: h.generation, index: h.index)
        }
        guard t.leafRequiresGrad else { return .none }
        return Edge(kind: .leaf, segment: segment.id, generation: segment.generation, index: segment.slot(for: t))
    }
}

extension Tensor where Scalar: TensorScalar {
    /// Wraps the results of an op with any number of inputs and outputs, recording one node for
    /// `op` when grad mode is on and an input requires grad (Note [Nodes with any number of
    /// inputs and outputs]). Inputs that need no gradient get `.none` edges.
    static func recordWide<Op: WideOpDefinition>(
        _ values: [DenseTensor<Scalar>], _ op: Op.Type, inputs: [Tensor], _ saved: @autoclosure () -> Saved<Scalar> = Saved()
    ) -> [Tensor] {
        recordWide(op, inputCount: inputs.count, input: { inputs[$0] }, outputCount: values.count, saved(),
                   extraSaved: (nil, nil),
                   untracked: { values.map { Tensor(data: $0) } },
                   tracked: { segment, base in
                       values.enumerated().map { j, value in
                           Tensor(data: value, history: History(segment: segment, generation: segment.generation,
                                                                index: base + UInt32(j), op: Op.kind))
                       }
                   })
    }

    /// ``recordWide(_:_:inputs:_:)`` for an op with one output (`cat`, `stack`): no array of
    /// values in or of tensors out.
    static func recordWide<Op: WideOpDefinition>(
        _ value: DenseTensor<Scalar>, _ op: Op.Type, inputs: [Tensor], _ saved: @autoclosure () -> Saved<Scalar> = Saved()
    ) -> Tensor {
        recordWide(value, op, inputCount: inputs.count, input: { inputs[$0] }, saved(), extraSaved: (nil, nil))
    }

    /// ``recordWide(_:_:inputs:_:)`` for an op with one output and up to three inputs, the
    /// absent ones left out of the node (a normalization's weight and bias, attention's query,
    /// key and value): no list of them is made. `extraSaved` are up to two values kept beyond
    /// `saved`'s two, at the positions right after its second (which it must have): the node
    /// reads them at `node.saved.1 + 1` and `+ 2`.
    static func recordWide<Op: WideOpDefinition>(
        _ value: DenseTensor<Scalar>, _ op: Op.Type, inputs a: Tensor, _ b: Tensor?, _ c: Tensor?,
        _ saved: @autoclosure () -> Saved<Scalar> = Saved(),
        extraSaved: @autoclosure () -> (DenseTensor<Scalar>?, DenseTensor<Scalar>?) = (nil, nil)
    ) -> Tensor {
        let count = 1 + (b == nil ? 0 : 1) + (c == nil ? 0 : 1)
        return recordWide(value, op, inputCount: count, input: { k in k == 0 ? a : k == 1 ? (b ?? c!) : c! },
                          saved(), extraSaved: extraSaved())
    }

    @inline(__always)
    private static func recordWide<Op: WideOpDefinition>(
        _ value: DenseTensor<Scalar>, _ op: Op.Type, inputCount: Int, input: (Int) -> Tensor,
        _ saved: @autoclosure () -> Saved<Scalar>, extraSaved: @autoclosure () -> (DenseTensor<Scalar>?, DenseTensor<Scalar>?)
    ) -> Tensor {
        recordWide(op, inputCount: inputCount, input: input, outputCount: 1, saved(), extraSaved: extraSaved(),
                   untracked: { Tensor(data: value) },
                   tracked: { segment, base in
                       Tensor(data: value, history: History(segment: segment, generation: segment.generation,
                                                            index: base, op: Op.kind))
                   })
    }

    /// The node of a wide op with inputs `input(0)`, … `input(inputCount − 1)` and `outputCount`
    /// outputs, recorded when grad mode is on and an input requires grad: `tracked` then wraps
    /// the outputs given the segment and the entry of output 0, else `untracked` wraps them. The
    /// inputs' edges go straight into the arena.
    @inline(__always)
    private static func recordWide<Op: WideOpDefinition, Result>(
        _ op: Op.Type, inputCount n: Int, input: (Int) -> Tensor, outputCount: Int, _ saved: @autoclosure () -> Saved<Scalar>,
        extraSaved: @autoclosure () -> (DenseTensor<Scalar>?, DenseTensor<Scalar>?), untracked: () -> Result,
        tracked: (Segment<Scalar>, UInt32) -> Result
    ) -> Result {
        var anyRequiresGrad = false
        for k in 0..<n where input(k).requiresGrad { anyRequiresGrad = true; break }
        guard anyRequiresGrad, GradMode.isEnabled, outputCount > 0 else { return untracked() }
        for k in 0..<n {
            let t = input(k)
            if t.viewBase != nil { t.refreshViewHistory() }
        }
        trapUnless(n <= Int(UInt8.max) && outputCount <= Int(UInt8.max),
                   "\(Op.name): at most 255 inputs and outputs are recorded, got \(n) and \(outputCount)")
        return ThreadContext.withCurrent { context in
            context.unmanagedGraph(Scalar.self).with { graph in
                var newest: UnownedRef<Segment<Scalar>>?
                for k in 0..<n {
                    guard let h = input(k).history, h.isLive else { continue }
                    if let old = newest, old.object.sequence >= h.segment.sequence { continue }
                    newest = h.segmentRef
                }
                return graph.segmentForRecording(inputs: newest).with { segment in
                    var node = Node(op, inputs: (n > 0 ? edge(to: input(0), from: segment) : .none,
                                                 n > 1 ? edge(to: input(1), from: segment) : .none))
                    node.inputCount = UInt8(n)
                    node.outputCount = UInt8(outputCount)
                    node.isWide = true
                    var s = saved()
                    store(&s, in: &node, segment: segment)
                    let (extra0, extra1) = extraSaved()
                    if let extra0 {
                        let position = segment.save(extra0)
                        assert(node.saved.1 >= 0 && position == node.saved.1 + 1)
                    }
                    if let extra1 {
                        let position = segment.save(extra1)
                        assert(extra0 != nil && position == node.saved.1 + 2)
                    }
                    let base = segment.appendWide(node, extraInputCount: Swift.max(0, n - 2)) { k in
                        edge(to: input(k + 2), from: segment)
                    }
                    return tracked(segment, base)
                }
            }
        }
    }
}
