import Arena

/// The tensors a sweep is asked about (`grad(outputs:inputs:)`, `backward(inputs:)`), and the
/// gradients it found for them.
///
/// Note [Sweep targets]: a target with history is a node entry; the sweep reads its gradient
/// when the node comes up, complete by then (every consumer was recorded later), before its
/// derivative consumes it. Such nodes carry `Node.isTarget` for the sweep, so the check costs
/// nothing beside `retainsGrad`'s, and lose it when the sweep ends. A leaf target is met where
/// the sweep writes leaf gradients at its end. Targets the sweep never reaches keep `nil`.
final class SweepTargets<Scalar: TensorScalar> {
    struct Entry: Hashable {
        let segment: UInt16
        let generation: UInt32
        let index: UInt32
    }

    let tensors: [Tensor<Scalar>]
    /// Whether the found gradients go into the targets' `grad` (`backward(inputs:)`) rather than
    /// back to the caller (`grad(...)`). Either way no other leaf is written.
    let accumulates: Bool
    private(set) var nodes: [Entry: [Int]] = [:]
    private(set) var leaves: [ObjectIdentifier: [Int]] = [:]
    var results: [DenseTensor<Scalar>?]

    init(_ tensors: [Tensor<Scalar>], accumulates: Bool) {
        self.tensors = tensors
        self.accumulates = accumulates
        self.results = Array(repeating: nil, count: tensors.count)
        for (k, tensor) in tensors.enumerated() {
            if let h = tensor.history {
                nodes[Entry(segment: h.segmentID, generation: h.generation, index: h.index), default: []].append(k)
            } else {
                leaves[ObjectIdentifier(tensor), default: []].append(k)
            }
        }
    }

    /// Sets or clears `isTarget` on the live target nodes of `graph`.
    func mark(_ on: Bool, in graph: Graph<Scalar>) {
        for entry in nodes.keys where Int(entry.segment) < graph.segments.count {
            let segment = graph.segment(entry.segment)
            guard segment.generation == entry.generation, Int(entry.index) < segment.nodes.count else { continue }
            segment.nodes[Int(entry.index)].pointee.isTarget = on
        }
    }

    /// The gradient of the node entry `index` of `segment`, as the sweep reaches it.
    func found(_ grad: DenseTensor<Scalar>, segment: Segment<Scalar>, index: Int) {
        let entry = Entry(segment: segment.id, generation: segment.generation, index: UInt32(index))
        for k in nodes[entry] ?? [] { add(grad, at: k) }
    }

    func contains(_ leaf: Tensor<Scalar>) -> Bool { leaves[ObjectIdentifier(leaf)] != nil }

    /// The gradient of the target `leaf`.
    func found(_ grad: DenseTensor<Scalar>, leaf: Tensor<Scalar>) {
        for k in leaves[ObjectIdentifier(leaf)] ?? [] { add(grad, at: k) }
    }

    /// Adds what another sweep for the same tensors found (a sweep after a conversion).
    func merge(_ other: SweepTargets) {
        for (k, g) in other.results.enumerated() { if let g { add(g, at: k) } }
    }

    private func add(_ grad: DenseTensor<Scalar>, at k: Int) {
        results[k] = results[k].map { $0.binary(.add, grad) } ?? grad
    }
}
