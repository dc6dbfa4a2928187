import Arena

/// A thread's graph for one scalar type: its segments, the one being recorded into, and the
/// segments free for reuse. See Note [Segments].
final class Graph<Scalar: TensorElement> {
    @exclusivity(unchecked) var segments: ContiguousArray<Segment<Scalar>> = []
    /// `segments` again, unmanaged: the sweep borrows a segment by id (`withSegment`) without
    /// the atomic retain and release that reading `segments[id]` into a local costs.
    @exclusivity(unchecked) var segmentRefs: ContiguousArray<UnownedRef<Segment<Scalar>>> = []
    @exclusivity(unchecked) var current: Segment<Scalar>?
    @exclusivity(unchecked) var freeList: ContiguousArray<Segment<Scalar>> = []
    @exclusivity(unchecked) var sequence = 0
    /// Whether a tensor with live history was ever detached in place on this thread: only then
    /// does the sweep look for saved values of such tensors (`Segment.checkSavedVersions`).
    @exclusivity(unchecked) var outputsDetached = false
    /// Whether a conversion from another element type was ever recorded here: only then can a
    /// sweep of this graph send gradients across (Note [Conversions between graphs]).
    @exclusivity(unchecked) var recordedCrossings = false
    /// Inside `withAnomalyDetection`: every derivative's gradients are checked for NaN.
    @exclusivity(unchecked) var detectsAnomalies = false
    /// A backward sweep's segment lists, kept between sweeps for their capacity (see `backward`).
    /// Unowned (``UnownedRef``): the graph owns every segment (`segments`) for as long as it lives.
    @exclusivity(unchecked) var sweepPending: ContiguousArray<UnownedRef<Segment<Scalar>>> = []
    @exclusivity(unchecked) var sweepWalked: ContiguousArray<(segment: UnownedRef<Segment<Scalar>>, generation: UInt32)> = []
    /// A wide node's output gradients and its inputs' needs, the lists the sweep hands its
    /// derivative: kept between nodes (and sweeps) so that they are made once, not per node. A
    /// sweep takes them out while it uses them, so a sweep nested in a derivative makes its own.
    @exclusivity(unchecked) var sweepWideGrads: [DenseTensor<Scalar>?] = []
    @exclusivity(unchecked) var sweepWideNeeds: [Bool] = []
    /// An empty list with room for a wide node's input gradients, which its derivative fills
    /// (`WideBackwardContext.gradientList(count:)`) and the sweep gives back once it has added
    /// them where they go: no list is made per node.
    @exclusivity(unchecked) var sweepWideResults: [DenseTensor<Scalar>?] = []
    /// The implicit gradient of a 0-d output's `backward()`, a `1` made once per graph instead
    /// of once per call (a storage allocated and freed: ~300 instructions of a ~11,000-instruction
    /// seed step). The sweep treats it as a gradient the caller holds: never written over (the
    /// graph's reference keeps it shared), and copied where it would reach a `grad` unchanged.
    @exclusivity(unchecked) private var cachedUnitSeed: DenseTensor<Scalar>?

    deinit {
        for segment in segments { segment.orphan() }
    }

    /// The segment a new node goes to: the newest segment holding one of its inputs' (live) nodes,
    /// so that a graph grows in its own segment even when another graph was started in between.
    /// An op whose inputs carry no history starts a fresh segment when the current one is still
    /// referenced. Both keep independent graphs in separate segments, freed independently.
    /// Unowned, not retained: the graph owns its segments (Note [Segment lifetime]).
    @inline(__always)
    func segmentForRecording(inputs: UnownedRef<Segment<Scalar>>?) -> UnownedRef<Segment<Scalar>> {
        if let inputs { return inputs }
        // A current segment nobody references is empty (it reset when its count reached zero).
        if let current, current.liveReferences == 0 { return UnownedRef(current) }
        return UnownedRef(startSegment())
    }

    func startSegment() -> Segment<Scalar> {
        let segment: Segment<Scalar>
        if let reused = freeList.popLast() {
            segment = reused
        } else {
            trapUnless(segments.count < Int(UInt16.max), "Autograd: too many live graphs on one thread")
            segment = Segment(id: UInt16(segments.count), graph: self)
            segments.append(segment)
            segmentRefs.append(UnownedRef(segment))
        }
        segment.isFree = false
        sequence += 1
        segment.sequence = sequence
        current = segment
        return segment
    }

    /// Called by a segment that just reset: it becomes reusable unless it is the current one.
    func segmentFreed(_ segment: Segment<Scalar>) {
        guard segment !== current, !segment.isFree else { return }
        segment.isFree = true
        freeList.append(segment)
    }

    func segment(_ id: UInt16) -> Segment<Scalar> { segments[Int(id)] }

    /// Calls `body` with segment `id` borrowed (the graph owns its segments).
    @inline(__always)
    func withSegment<R>(_ id: UInt16, _ body: (Segment<Scalar>) throws -> R) rethrows -> R {
        try segmentRefs[Int(id)].with(body)
    }
}

/// A graph of any scalar type, as `currentGraphStats()` reads it.
protocol GraphStatisticsSource: AnyObject {
    func addStatistics(to stats: inout GraphStats)
}

extension Graph: GraphStatisticsSource {
    func addStatistics(to stats: inout GraphStats) {
        for segment in segments {
            stats.nodeCount += segment.nodes.count
            stats.bytesInUse += segment.arena.bytesInUse
            stats.bytesReserved += segment.arena.bytesReserved
            stats.resetCount += segment.arena.resetCount
            for i in 0..<segment.saved.count { stats.savedBytes += segment.saved[i].count * MemoryLayout<Scalar>.stride }
            for function in segment.customFunctions { stats.savedBytes += function.savedBytes }
        }
    }
}

extension Graph where Scalar: TensorScalar {
    /// The `1` of shape `[]` (see `cachedUnitSeed`).
    var unitSeed: DenseTensor<Scalar> {
        if let cachedUnitSeed { return cachedUnitSeed }
        let one = DenseTensor<Scalar>(shape: [], repeating: 1)
        cachedUnitSeed = one
        return one
    }
}

extension Graph where Scalar: TensorScalar {
    /// Throws ``AutogradError/anomaly(function:output:)`` for the first gradient of `grads`
    /// holding a NaN (anomaly detection); `name` is the node's `grad_fn` name.
    static func checkAnomalies<V: GradientValue>(_ grads: [V?], name: @autoclosure () -> String) throws(AutogradError) {
        for (k, g) in grads.enumerated() {
            guard let g else { continue }
            let values: [V.Scalar] = (g as? DenseTensor<V.Scalar>)?.scalars ?? (g as! Tensor<V.Scalar>).scalars
            if values.contains(where: { $0.isNaN }) { throw .anomaly(function: name(), output: k) }
        }
    }

    /// The `grad_fn` name of the node at `index` of `segment` (a custom function's own).
    static func nodeName(_ segment: Segment<Scalar>, _ index: Int) -> String {
        let node = segment.nodes[index].pointee
        guard node.op == CustomFunctionOp.kind else { return node.op.name }
        return segment.customFunctions[Int(node.dim)].name
    }
}
