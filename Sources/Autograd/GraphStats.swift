/// A snapshot of this thread's graph memory (all scalar types together).
public struct GraphStats: Equatable, Sendable, CustomStringConvertible {
    /// Nodes recorded and not yet freed.
    public var nodeCount: Int
    /// Arena bytes holding those nodes.
    public var bytesInUse: Int
    /// Arena bytes held, in use or kept for reuse.
    public var bytesReserved: Int
    /// How many times graph memory was freed.
    public var resetCount: Int
    /// Bytes of the tensor values the recorded nodes saved for their derivatives (counted per
    /// saved value, whether or not its storage is shared with a live tensor): what activation
    /// checkpointing trades for compute.
    public var savedBytes = 0

    public init(nodeCount: Int, bytesInUse: Int, bytesReserved: Int, resetCount: Int, savedBytes: Int = 0) {
        self.nodeCount = nodeCount
        self.bytesInUse = bytesInUse
        self.bytesReserved = bytesReserved
        self.resetCount = resetCount
        self.savedBytes = savedBytes
    }

    /// One line for logs: `GraphStats(nodes: 2, inUse: 256 B, reserved: 4096 B, resets: 1, saved: 96 B)`.
    public var description: String {
        "GraphStats(nodes: \(nodeCount), inUse: \(bytesInUse) B, reserved: \(bytesReserved) B, resets: \(resetCount), saved: \(savedBytes) B)"
    }
}

/// Describes this thread's graph memory: what backward or dropping results would free.
///
/// ```swift
/// let loss = (x * x).sum()
/// currentGraphStats().nodeCount   // 2
/// try loss.backward()
/// currentGraphStats().nodeCount   // 0
/// ```
public func currentGraphStats() -> GraphStats {
    let context = ThreadContext.current
    var stats = GraphStats(nodeCount: 0, bytesInUse: 0, bytesReserved: 0, resetCount: 0)
    context.floatGraph.addStatistics(to: &stats)
    context.doubleGraph.addStatistics(to: &stats)
    for graph in context.otherGraphs.values { graph.addStatistics(to: &stats) }
    return stats
}
