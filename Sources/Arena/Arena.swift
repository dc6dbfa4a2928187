/// A chunked bump allocator with O(1) reset.
///
/// An arena hands out raw memory by moving a cursor through a chunk; when the chunk is full it
/// moves on to the next one, allocating a new chunk only when it has none left. ``reset()``
/// rewinds the cursor to the first chunk and keeps every chunk for reuse, so a workload that
/// fills the arena to the same depth again and again allocates nothing after its first round.
///
/// Each reset advances ``generation``: a handle that remembers the generation it was made in
/// can tell, by comparing, whether the memory it points to has been recycled since.
///
/// ```swift
/// let arena = Arena(chunkByteCount: 4096)
/// let p = arena.allocate(byteCount: 64, alignment: 64)
/// p.storeBytes(of: 42, as: Int.self)
/// arena.reset()          // p is now free for reuse; arena.generation went up by one
/// ```
///
/// An arena is not thread-safe; the autograd graph keeps one per thread.
public final class Arena {
    @exclusivity(unchecked) @usableFromInline var chunks: [_Chunk] = []
    /// Index of the chunk the cursor is in; `chunks.count` when no chunk is in use yet.
    @exclusivity(unchecked) @usableFromInline var current = 0
    /// Byte offset of the cursor inside `chunks[current]`.
    @exclusivity(unchecked) @usableFromInline var offset = 0
    /// Bytes handed out since the last reset, padding included, in chunks before `current`.
    @exclusivity(unchecked) @usableFromInline var bytesInFullChunks = 0
    /// The current chunk's start and size (`nil` and 0 when no chunk is in use): the fast path
    /// of ``allocate(byteCount:alignment:)`` reads these two words, not the chunk array (its
    /// bounds check and buffer load were a third of a node's allocation).
    @exclusivity(unchecked) var currentBase: UnsafeMutableRawPointer?
    @exclusivity(unchecked) var currentByteCount = 0

    /// The size of a standard chunk. Requests larger than this get a chunk of their own size.
    public let chunkByteCount: Int

    /// Advances by one at every ``reset()`` (wrapping), so stale handles can be told apart.
    @exclusivity(unchecked) public private(set) var generation: UInt32 = 0

    /// Creates an empty arena; no memory is taken until the first allocation.
    public init(chunkByteCount: Int = 64 * 1024) {
        trapUnless(chunkByteCount >= 64, "Arena: a chunk must hold at least 64 bytes")
        self.chunkByteCount = chunkByteCount
    }

    deinit {
        for chunk in chunks { Allocator.deallocate(chunk.base) }
    }

    /// Returns `byteCount` bytes aligned to `alignment` (a power of two, at most 64).
    ///
    /// Never fails for lack of room: a full arena chains a new chunk. Not `@inlinable`: code
    /// inlined into another module would check exclusivity on every field it touches.
    package func allocate(byteCount: Int, alignment: Int = 16) -> UnsafeMutableRawPointer {
        trapUnless(byteCount >= 0, "Arena: negative byte count \(byteCount)")
        trapUnless(alignment > 0 && alignment & (alignment - 1) == 0 && alignment <= Allocator.alignment,
                   "Arena: alignment \(alignment) is not a power of two up to \(Allocator.alignment)")
        if let base = currentBase {
            let start = (offset + alignment - 1) & ~(alignment - 1)
            if start + byteCount <= currentByteCount {
                offset = start + byteCount
                return base + start
            }
        }
        return allocateSlow(byteCount: byteCount)
    }

    /// Moves to the next chunk that can hold `byteCount` bytes, chaining a new one if needed.
    @usableFromInline
    func allocateSlow(byteCount: Int) -> UnsafeMutableRawPointer {
        if current < chunks.count { bytesInFullChunks += offset }
        var next = current < chunks.count ? current + 1 : 0
        // Skip kept chunks too small for an oversized request; they are used again after reset.
        while next < chunks.count && chunks[next].byteCount < byteCount { next += 1 }
        if next == chunks.count {
            let size = Swift.max(chunkByteCount, byteCount)
            chunks.append(_Chunk(base: Allocator.allocate(byteCount: size), byteCount: size))
        }
        current = next
        offset = byteCount
        makeCurrent(next)
        return chunks[next].base
    }

    /// Frees everything allocated since the last reset, in O(1); keeps the chunks.
    public func reset() {
        current = 0
        offset = 0
        bytesInFullChunks = 0
        makeCurrent(0)
        generation &+= 1
        resetCount += 1
    }

    /// Gives the kept chunks back to the allocator (for a long-lived thread that is done).
    public func trim() {
        reset()
        for chunk in chunks { Allocator.deallocate(chunk.base) }
        chunks.removeAll()
        makeCurrent(0)
    }

    /// Points the fast path at chunk `index`, or at none when there is no such chunk.
    private func makeCurrent(_ index: Int) {
        currentBase = index < chunks.count ? chunks[index].base : nil
        currentByteCount = index < chunks.count ? chunks[index].byteCount : 0
    }

    /// Bytes handed out since the last reset, alignment padding included.
    public var bytesInUse: Int {
        current < chunks.count ? bytesInFullChunks + offset : 0
    }

    /// Bytes held in chunks, in use or kept for reuse.
    public var bytesReserved: Int {
        chunks.reduce(0) { $0 + $1.byteCount }
    }

    /// Number of chunks held.
    public var chunkCount: Int { chunks.count }

    /// How many times the arena was reset.
    @exclusivity(unchecked) public private(set) var resetCount = 0
}

/// One block of arena memory.
@usableFromInline
struct _Chunk {
    @usableFromInline let base: UnsafeMutableRawPointer
    @usableFromInline let byteCount: Int
    @usableFromInline init(base: UnsafeMutableRawPointer, byteCount: Int) {
        self.base = base
        self.byteCount = byteCount
    }
}
