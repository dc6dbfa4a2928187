/// Where a node's input came from: nothing that needs a gradient, a node, or a leaf.
struct Edge: Equatable {
    enum Kind: UInt8 { case none, node, leaf }
    var kind: Kind
    /// The graph segment holding the node or the leaf slot (`Graph.segments` index).
    var segment: UInt16
    /// The segment's generation when the edge was made: a mismatch means that graph was freed.
    var generation: UInt32
    /// The node's index in its segment, or the leaf's slot.
    var index: UInt32

    static let none = Edge(kind: .none, segment: 0, generation: 0, index: 0)
}

/// One recorded operation: a plain record in the segment's arena (no Swift object, no refcount).
///
/// Whatever is not plain data (saved tensors, shapes, index lists) sits in the segment's side
/// tables and the node holds its position there. The layout fits in 64 bytes, one cache line:
/// Swift lays stored properties out in declaration order, so the 8-byte `scalar` comes first and
/// the one-byte fields sit together before the 4-byte-aligned rest (`scalar` last would pad the
/// record to 72 bytes; the memory-regression tests measure the arena bytes per node).
///
/// Note [Nodes with any number of inputs and outputs]: the first two input edges sit in the
/// record; a node with more (`cat` of eight tensors) has the rest right after it in the arena,
/// `inputCount - 2` edges (`Segment.input(_:of:)`), so a two-input node still costs 64 bytes and
/// its sweep is what it was. A node with `outputCount` outputs takes that many consecutive
/// entries in the segment's node table, all pointing at its one record: entry `base + j` is
/// output `j`, with its own gradient slot, and a tensor's history and an edge name the entry.
/// Every consumer of an output was recorded after the node, so when the top-down sweep reaches
/// the node's last entry every output's gradient is complete, and the node runs there once.
struct Node {
    var scalar: Double = 0
    var op: OpKind
    /// `retainsGrad`, `keepDim`, `outputDetached`, `isWide`, `isTarget`, `hasHooks` in one byte.
    var flags: UInt8 = 0
    var inputCount: UInt8 = 2
    var outputCount: UInt8 = 1
    var inputs: (Edge, Edge)
    /// Positions in the segment's `saved` table, -1 for none.
    var saved: (Int32, Int32) = (-1, -1)
    /// Positions in the segment's `shapes` table, -1 for none.
    var shapes: (Int32, Int32) = (-1, -1)
    /// Position in the segment's `indices` table, -1 for none.
    var indices: Int32 = -1
    var dim: Int32 = 0
    var dim2: Int32 = 0

    @inline(__always)
    init<Op: OpDefinition>(_: Op.Type, inputs: (Edge, Edge)) {
        self.op = Op.kind
        self.inputs = inputs
    }

    /// Whether a tensor this node made asked to keep its gradient (`retainGrad()`).
    var retainsGrad: Bool {
        get { flags & 1 != 0 }
        set { flags = newValue ? flags | 1 : flags & ~1 }
    }
    var keepDim: Bool {
        get { flags & 2 != 0 }
        set { flags = newValue ? flags | 2 : flags & ~2 }
    }
    /// Whether the tensor this node made was detached in place (`detach()`) while the node was
    /// live: a node that saved that tensor's value then refuses it, as PyTorch does.
    var outputDetached: Bool {
        get { flags & 4 != 0 }
        set { flags = newValue ? flags | 4 : flags & ~4 }
    }
    /// Recorded by `recordWide`: its derivative takes and gives arrays (`WideOpDefinition`),
    /// whatever its counts (a `cat` of two tensors too). Note [Nodes with any number of inputs and outputs].
    var isWide: Bool {
        get { flags & 8 != 0 }
        set { flags = newValue ? flags | 8 : flags & ~8 }
    }
    /// Whether the running sweep was asked for this node's gradient (Note [Sweep targets]).
    var isTarget: Bool {
        get { flags & 16 != 0 }
        set { flags = newValue ? flags | 16 : flags & ~16 }
    }
    /// Whether the tensor this node made has gradient hooks (Note [Hooks]).
    var hasHooks: Bool {
        get { flags & 32 != 0 }
        set { flags = newValue ? flags | 32 : flags & ~32 }
    }
    /// Whether the sweep must look at this node's gradient before its derivative runs: a
    /// retained gradient, a sweep target or hooks. One test of the flags byte for all three.
    var isIntercepted: Bool { flags & (1 | 16 | 32) != 0 }
}

/// What a tensor knows of the node that made it.
///
/// The segment is held unmanaged: it counts the tensors pointing at it itself (Note [Segment
/// lifetime]), and the hot paths borrow it with `withSegment`, as a strong or `unowned(unsafe)`
/// reference would still retain and release it around each use.
struct History<Scalar: TensorElement> {
    let segmentRef: UnownedRef<Segment<Scalar>>
    let generation: UInt32
    let index: UInt32
    let segmentID: UInt16
    let op: OpKind

    init(segment: Segment<Scalar>, generation: UInt32, index: UInt32, op: OpKind) {
        self.segmentRef = UnownedRef(segment)
        self.generation = generation
        self.index = index
        self.segmentID = segment.id
        self.op = op
    }

    /// The segment, as a strong reference (for the paths that are not per op).
    var segment: Segment<Scalar> { segmentRef.object }

    /// Calls `body` with the segment borrowed.
    @inline(__always)
    func withSegment<R>(_ body: (Segment<Scalar>) throws -> R) rethrows -> R {
        try segmentRef.with(body)
    }

    var isLive: Bool { withSegment { $0.generation == generation } }
}
