import Arena

/// A piece of a thread's graph: an arena of nodes in execution order plus the side tables those
/// nodes point into, with a count of the references that keep it alive.
///
/// Note [Segments]: a graph cannot be freed while anything can still backward through it, and a
/// single count per thread never reaches zero in the loop users write (`out = model(x)` records
/// the new graph before the old `out` goes). So a thread's graph is a list of segments, each with
/// its own count: tensors whose node is here, and segments holding an edge into this one. At zero
/// the segment resets in O(1), keeping its chunks, and is reused. A backward without
/// `retainGraph` resets the segments it walked; tensors still pointing at them see a newer
/// generation and report `graphFreed`.
final class Segment<Scalar: TensorElement> {
    let id: UInt16
    /// The graph that owns this segment, or `nil` once that graph is gone with its thread.
    ///
    /// Note [Segment lifetime]: a segment is owned by its graph (`Graph.segments`), and tensors
    /// point at it without ARC (`History.segmentRef`, an ``UnownedRef``): a strong reference there
    /// cost an atomic retain and release each time a history was copied or a tensor made and
    /// freed, and a `weak` reference to the graph put the graph's count in a side table (the slow
    /// path of every retain). Instead the segment counts, non-atomically, the tensors pointing at
    /// it (`tensorHandles`, live or stale history alike: thread-confined, like the graph). When
    /// the graph goes (its thread ended), it marks every segment `orphaned`, and a segment that
    /// tensors still point at keeps itself alive with one retain, given back when its last such
    /// tensor goes.
    var graph: Graph<Scalar>? { orphaned ? nil : owner }
    unowned(unsafe) let owner: Graph<Scalar>
    @exclusivity(unchecked) var orphaned = false
    /// Tensors whose history points into this segment (see Note [Segment lifetime]).
    @exclusivity(unchecked) var tensorHandles = 0
    let arena = Arena(chunkByteCount: 16 * 1024)
    /// Order in which segments were started: edges only point from newer to older segments.
    @exclusivity(unchecked) var sequence = 0
    /// References keeping this segment alive (tensors, and segments with edges into it).
    @exclusivity(unchecked) var liveReferences = 0
    @exclusivity(unchecked) var isFree = false

    let nodes = SegmentTable<UnsafeMutablePointer<Node>>()
    let saved = SegmentTable<DenseTensor<Scalar>>()
    /// Each saved value's storage version when it was saved (see `AutogradError.savedTensorModified`).
    let savedVersions = SegmentTable<Int>()
    let shapes = SegmentTable<[Int]>()
    let indices = SegmentTable<[Int]>()
    let leaves = SegmentTable<Tensor<Scalar>>()
    /// `leaves`' identities, for `slot(for:)`'s check without a retain and release per read.
    let leafIDs = SegmentTable<ObjectIdentifier>()
    /// Older segments this one has edges into, each holding one reference there.
    @exclusivity(unchecked) var parents: ContiguousArray<(segment: Segment<Scalar>, generation: UInt32)> = []
    /// Non-leaf tensors that asked for their gradient (`retainGrad()`), by node index.
    @exclusivity(unchecked) var retained: [UInt32: WeakTensor<Scalar>] = [:]
    /// Gradient hooks of non-leaf tensors, by node index (Note [Hooks]); `AnyObject` because a
    /// segment exists for every element type and hooks only for float ones (a `HookList`).
    @exclusivity(unchecked) var hooks: [UInt32: AnyObject] = [:]
    /// The contexts of custom functions (``AutogradFunction``) recorded here, by `node.dim`.
    @exclusivity(unchecked) var customFunctions: ContiguousArray<any CustomFunctionRecord> = []
    /// The node whose output the tensor a node made became, when an in-place op recorded on it
    /// wrote over its storage, by node index: only the message for a changed saved value reads
    /// it, to name the tensor's current `grad_fn` as PyTorch does.
    @exclusivity(unchecked) var successors: [UInt32: Edge] = [:]
    /// The derivatives of conversions from another element type, by `node.dim`: each sends its
    /// gradient across to the source's graph (Note [Conversions between graphs]).
    @exclusivity(unchecked) var crossings: ContiguousArray<(DenseTensor<Scalar>) -> Void> = []
    /// The same derivatives in the recorded interpretation: each converts a gradient with history
    /// back, recorded, and queues it for the source's graph (`ThreadContext.sendAcrossRecorded`).
    @exclusivity(unchecked) var recordedSends: ContiguousArray<(Tensor<Scalar>) -> Void> = []

    /// Gradients flowing during a backward, by node index and by leaf slot. These and the
    /// tables above are `SegmentTable`s (Note [Segment tables]).
    let grads = SegmentTable<DenseTensor<Scalar>?>()
    let leafGrads = SegmentTable<DenseTensor<Scalar>?>()

    init(id: UInt16, graph: Graph<Scalar>) {
        self.id = id
        self.owner = graph
    }

    /// The arena's generation, mirrored here: reading `arena.generation` across the module
    /// boundary would cost a dynamic exclusivity check per read (Note [Exclusivity]).
    @exclusivity(unchecked) private(set) var generation: UInt32 = 0

    /// Appends a node and returns its index.
    @inline(__always)
    func append(_ node: Node) -> UInt32 {
        let raw = arena.allocate(byteCount: MemoryLayout<Node>.stride, alignment: MemoryLayout<Node>.alignment)
        let pointer = raw.bindMemory(to: Node.self, capacity: 1)
        pointer.initialize(to: node)
        nodes.append(pointer)
        return UInt32(nodes.count - 1)
    }

    /// Whether a node with more than two inputs or more than one output was recorded here since
    /// the last reset: only then does the sweep take its general path.
    @exclusivity(unchecked) var hasWideNodes = false

    /// Appends a node with `node.inputCount` inputs (the first two in `node.inputs`, the rest
    /// `extraInput(0)`, … `extraInput(extraInputCount − 1)`) and `node.outputCount` outputs, and returns the index of output 0 (Note
    /// [Nodes with any number of inputs and outputs]).
    func appendWide(_ node: Node, extraInputCount: Int, extraInput: (Int) -> Edge) -> UInt32 {
        assert(extraInputCount == max(0, Int(node.inputCount) - 2))
        let edgeBytes = extraInputCount * MemoryLayout<Edge>.stride
        let raw = arena.allocate(byteCount: MemoryLayout<Node>.stride + edgeBytes, alignment: MemoryLayout<Node>.alignment)
        let pointer = raw.bindMemory(to: Node.self, capacity: 1)
        pointer.initialize(to: node)
        if extraInputCount > 0 {
            let edges = (raw + MemoryLayout<Node>.stride).bindMemory(to: Edge.self, capacity: extraInputCount)
            for k in 0..<extraInputCount { (edges + k).initialize(to: extraInput(k)) }
        }
        let base = UInt32(nodes.count)
        for _ in 0..<max(1, Int(node.outputCount)) { nodes.append(pointer) }
        hasWideNodes = true
        return base
    }

    /// Which output of its node entry `index` is, for a node with several outputs; `nil` for one.
    func outputPosition(of index: UInt32) -> Int? {
        let pointer = nodes[Int(index)]
        guard pointer.pointee.outputCount > 1 else { return nil }
        var base = Int(index)
        while base > 0 && nodes[base - 1] == pointer { base -= 1 }
        return Int(index) - base
    }

    /// Input `k` of the node at `pointer` (an edge of the record, or one after it in the arena).
    @inline(__always)
    static func input(_ k: Int, of pointer: UnsafeMutablePointer<Node>) -> Edge {
        switch k {
        case 0: return pointer.pointee.inputs.0
        case 1: return pointer.pointee.inputs.1
        default:
            let edges = (UnsafeMutableRawPointer(pointer) + MemoryLayout<Node>.stride).assumingMemoryBound(to: Edge.self)
            return edges[k - 2]
        }
    }

    @inline(__always)
    func retain() { liveReferences += 1 }

    /// A tensor made by a node of this segment's current generation now points here.
    @inline(__always)
    func retainTensor() {
        tensorHandles &+= 1
        liveReferences += 1
    }

    /// A tensor whose history points here (made in `generation`) lets go of it.
    @inline(__always)
    func releaseTensor(generation: UInt32) {
        tensorHandles &-= 1
        if generation == self.generation { release() }
        if tensorHandles == 0 && orphaned { Unmanaged.passUnretained(self).release() }
    }

    /// Called by the graph going away with its thread (Note [Segment lifetime]).
    func orphan() {
        orphaned = true
        if tensorHandles > 0 { _ = Unmanaged.passUnretained(self).retain() }
    }

    @inline(__always)
    func release() {
        liveReferences -= 1
        if liveReferences == 0 { free() }
    }

    /// Frees every node and saved value in O(1) (the arena keeps its chunks) and moves to a new
    /// generation, so that stale references can tell.
    func free() {
        arena.reset()
        hasWideNodes = false
        generation = arena.generation
        liveReferences = 0
        nodes.removeAll()
        saved.removeAll()
        savedVersions.removeAll()
        shapes.removeAll()
        indices.removeAll()
        if !retained.isEmpty { retained.removeAll() }
        if !hooks.isEmpty { hooks.removeAll() }
        if !customFunctions.isEmpty { customFunctions.removeAll() }
        if !successors.isEmpty { successors.removeAll() }
        if !crossings.isEmpty { crossings.removeAll() }
        if !recordedSends.isEmpty { recordedSends.removeAll() }
        clearSweepState()
        // The leaves' deinits touch no graph (leaves have no history), and releasing a parent can
        // only free older segments, never this one: both arrays are emptied in place, keeping
        // their capacity, so a steady training loop allocates nothing here.
        leaves.removeAll()
        leafIDs.removeAll()
        graph?.segmentFreed(self)
        for parent in parents where parent.segment.generation == parent.generation {
            parent.segment.release()
        }
        parents.removeAllInPlace()
    }

    /// Whether a backward sweep has sized `grads` and `leafGrads` for this segment, and for how
    /// many nodes and leaves.
    @exclusivity(unchecked) private(set) var sweepPrepared = false
    @exclusivity(unchecked) private var sweepCounts = (nodes: 0, leaves: 0)

    /// Readies the gradient slots for a sweep, all `nil`. The tables keep their length between
    /// sweeps and are cleared slot by slot: emptying and refilling them went through the generic
    /// array paths (a metadata lookup of several hundred instructions, twice a step).
    func prepareSweep() {
        clearSweepState()
        if grads.count < nodes.count { grads.append(repeating: nil, count: nodes.count - grads.count) }
        if leafGrads.count < leaves.count { leafGrads.append(repeating: nil, count: leaves.count - leafGrads.count) }
        sweepCounts = (nodes.count, leaves.count)
        sweepPrepared = true
    }

    /// Drops the gradients of a finished (or failed) backward sweep.
    func clearSweepState() {
        guard sweepPrepared else { return }
        for i in 0..<sweepCounts.nodes { grads[i] = nil }
        for i in 0..<sweepCounts.leaves { leafGrads[i] = nil }
        sweepPrepared = false
    }

    /// Saves a value for a derivative and returns its position.
    @inline(__always)
    func save(_ value: __owned DenseTensor<Scalar>) -> Int32 {
        if value.storage.isInference { trap(Self.inferenceSaveMessage) }
        savedVersions.append(value.storage.version)
        saved.append(consume value)
        return Int32(saved.count - 1)
    }

    static var inferenceSaveMessage: String {
        "Inference tensors cannot be saved for backward. Please do not use Tensors created in inference mode in computation tracked by autograd. To work around this, you can make a clone to get a normal tensor and use it in autograd, or use `torch.no_grad()` instead of `torch.inference_mode()`."
    }

    /// Keeps a shape for a derivative and returns its position.
    @inline(__always)
    func keep(_ shape: __owned [Int]) -> Int32 {
        shapes.append(shape)
        return Int32(shapes.count - 1)
    }

    /// Throws if a value `node` saved was overwritten in place since, or belongs to a tensor
    /// detached in place since.
    @inline(__always)
    func checkSavedVersions(_ node: Node) throws(AutogradError) {
        try checkSavedVersion(node.saved.0, node, input: node.inputs.0)
        try checkSavedVersion(node.saved.1, node, input: node.inputs.1)
    }

    /// `checkSavedVersions` for a wide node, whose custom function (if it is one) keeps its
    /// saved values itself, and whose attention (if it is one) keeps its third input's value
    /// right after the second's (`Tensor.recordWide(_:_:inputs:_:extraSaved:)`).
    func checkWideSavedVersions(_ pointer: UnsafeMutablePointer<Node>) throws(AutogradError) {
        let node = pointer.pointee
        try checkSavedVersions(node)
        if node.op == CustomFunctionOp.kind { try customFunctions[Int(node.dim)].checkSavedVersions() }
        if node.op == ScaledDotProductAttention.kind {
            try checkSavedVersion(node.saved.1 + 1, node, input: Self.input(2, of: pointer))
        }
    }

    /// `input`: the edge to the input whose value sits at `position`, unless the op saved its output.
    @inline(__always)
    private func checkSavedVersion(_ position: Int32, _ node: Node, input: Edge) throws(AutogradError) {
        guard position >= 0 else { return }
        // Only after a detach of a live non-leaf on this thread: the sweep need not look at
        // every input's node otherwise.
        if !orphaned && owner.outputsDetached, node.op.definition.savesInputValues,
           producerNode(input)?.outputDetached == true {
            throw .savedTensorDetached
        }
        let value = saved[Int(position)]
        let expected = savedVersions[Int(position)]
        guard value.storage.version != expected else { return }
        let type = Scalar.self == Double.self ? "torch.DoubleTensor" : "torch.FloatTensor"
        let shape = value.shape
        throw .savedTensorModified(
            tensor: "[\(type) [\(shape.map(String.init).joined(separator: ", "))]]",
            outputOf: producerName(ofSavedBy: node, input: input),
            version: value.storage.version, expected: expected)
    }

    /// The segment and index of the node behind `edge`, if its segment still holds it.
    private func live(_ edge: Edge) -> (segment: Segment<Scalar>, index: UInt32)? {
        guard edge.kind == .node, let graph else { return nil }
        let segment = graph.segment(edge.segment)
        return segment.generation == edge.generation ? (segment, edge.index) : nil
    }

    /// The node behind `edge`, if its segment still holds it.
    private func producerNode(_ edge: Edge) -> Node? {
        live(edge).map { $0.segment.nodes[Int($0.index)].pointee }
    }

    /// The `grad_fn` named in the message for a changed value `node` saved. For a saved output,
    /// `node`'s own (whatever the tensor became since: PyTorch 2.11 names the saving node).
    /// For a saved input, the `grad_fn` the input shows now: the node behind the edge (`nil` for
    /// a leaf or a value that needs no gradient), or the newest in-place op recorded on it since
    /// (`successors`); an in-place change under no-grad leaves its history as it was.
    private func producerName(ofSavedBy node: Node, input: Edge) -> String? {
        if node.op.definition.savesOutput { return node.op.reportedName }
        guard var current = live(input) else { return nil }
        while let next = current.segment.successors[current.index].flatMap(live) { current = next }
        return current.segment.nodes[Int(current.index)].pointee.op.reportedName
    }

    /// The slot of `leaf` in this segment's leaf table, adding it if needed.
    ///
    /// The leaf's hint is the slot it last got anywhere, so it is trusted only when that slot
    /// of this table holds this very leaf (`leafIDs`, compared without touching reference
    /// counts): another thread's segment, an older generation or any other stale hint all miss and
    /// append. A leaf twice in one table is harmless: its two gradients are summed.
    @inline(__always)
    func slot(for leaf: Tensor<Scalar>) -> UInt32 {
        let hint = leaf.leafSlotHint.load(ordering: .relaxed)
        if Int(hint) < leafIDs.count && leafIDs[Int(hint)] == ObjectIdentifier(leaf) { return hint }
        leaves.append(leaf)
        leafIDs.append(ObjectIdentifier(leaf))
        let slot = UInt32(leaves.count - 1)
        leaf.leafSlotHint.store(slot, ordering: .relaxed)
        return slot
    }

    /// Counts a reference from this segment into an older one (once per older segment).
    func addParent(_ other: Segment<Scalar>, generation: UInt32) {
        for parent in parents where parent.segment === other && parent.generation == generation { return }
        parents.append((other, generation))
        if other.generation == generation { other.retain() }
    }
}

/// A weak reference to a tensor, for `retainGrad()` (which must not keep the tensor alive).
final class WeakTensor<Scalar: TensorElement> {
    weak var tensor: Tensor<Scalar>?
    init(_ tensor: Tensor<Scalar>) { self.tensor = tensor }
}
