import Arena

/// The node that produced a tensor, as PyTorch's `grad_fn` shows it.
public struct GradFn: Equatable, CustomStringConvertible, @unchecked Sendable {
    let op: OpKind
    let customName: String?
    /// The node in its graph, for ``nextFunctions``; `nil` for an AccumulateGrad node.
    private let node: NodeReference?

    init(op: OpKind, customName: String? = nil) {
        self.op = op
        self.customName = customName
        self.node = nil
    }

    init<Scalar: TensorScalar>(history: History<Scalar>) {
        self.op = history.op
        self.customName = history.customName
        self.node = TypedNodeReference(segment: history.segment, generation: history.generation, index: history.index)
    }

    /// PyTorch's class name for the backward node, e.g. `"AddBackward0"`; a custom function's is
    /// its type's name and `Backward` (`MyFnBackward`); a leaf's node is `"AccumulateGrad"`.
    public var name: String { customName ?? op.name }

    /// The ``name`` in angle brackets, `<AddBackward0>`, as a printed tensor shows its `grad_fn`
    /// (Python's `repr(t.grad_fn)` adds an object address, which has no counterpart here).
    public var description: String { "<\(name)>" }

    /// The nodes this one sends gradients to, one per operand, with the output of each that the
    /// operand was (PyTorch's `next_functions`): an AccumulateGrad node for a leaf that requires
    /// grad, `nil` for an operand that needs no gradient or is a number. Empty for an
    /// AccumulateGrad node, and for a node whose graph was freed.
    ///
    /// ```swift
    /// let y = x * 2 + 1
    /// y.gradFn!.nextFunctions.map { $0.0?.name }   // ["MulBackward0", nil]
    /// ```
    public var nextFunctions: [(GradFn?, Int)] { node?.nextFunctions ?? [] }

    public static func == (a: GradFn, b: GradFn) -> Bool {
        a.op == b.op && a.customName == b.customName && a.node?.identity == b.node?.identity
    }
}

/// A node of some element type's graph, as a `GradFn` refers to it.
private class NodeReference {
    var identity: [UInt64] { [] }
    var nextFunctions: [(GradFn?, Int)] { [] }
}

private final class TypedNodeReference<Scalar: TensorScalar>: NodeReference {
    let segment: Segment<Scalar>
    let generation: UInt32
    let index: UInt32

    init(segment: Segment<Scalar>, generation: UInt32, index: UInt32) {
        self.segment = segment
        self.generation = generation
        self.index = index
    }

    override var identity: [UInt64] {
        [UInt64(UInt(bitPattern: ObjectIdentifier(segment).hashValue)), UInt64(generation), UInt64(index)]
    }

    override var nextFunctions: [(GradFn?, Int)] {
        guard segment.generation == generation, let graph = segment.graph else { return [] }
        let pointer = segment.nodes[Int(index)]
        let node = pointer.pointee
        let count = node.isWide ? Int(node.inputCount)
            : (node.inputs.1.kind != .none ? 2 : node.op.definition.operandCount)
        let slots = node.op.definition.operandSlots(node) ?? (0..<count).map { $0 }
        return slots.map { k in
            guard let k else { return (nil, 0) }
            let edge = Segment<Scalar>.input(k, of: pointer)
            switch edge.kind {
            case .none:
                return (nil, 0)
            case .leaf:
                return (GradFn(op: .unnumbered, customName: "AccumulateGrad"), 0)
            case .node:
                let owner = graph.segment(edge.segment)
                guard owner.generation == edge.generation else { return (nil, 0) }
                let base = owner.outputPosition(of: edge.index) ?? 0
                let history = History(segment: owner, generation: edge.generation, index: edge.index,
                                      op: owner.nodes[Int(edge.index)].pointee.op)
                return (GradFn(history: history), base)
            }
        }
    }
}
