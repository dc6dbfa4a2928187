import Arena

/// A contiguous, 64-byte-aligned buffer of scalars, reference counted.
///
/// Storage is the only owner of tensor memory; it gets that memory from the per-thread
/// ``BufferCache`` (backed by ``Allocator``) and gives it back when the last reference goes. Views (reshape, unsqueeze, detach) share one storage.
/// The bytes of live storage are counted per thread by `BufferCache.liveBytes` (`count × stride`
/// per storage), which the memory-regression tests compare with what a model should hold.
/// `version` counts in-place writes, so that a saved value can be checked for modification.
public final class TensorStorage<Scalar: TensorElement> {
    @usableFromInline let base: UnsafeMutablePointer<Scalar>
    /// The number of scalars held.
    public let count: Int
    /// Bumped by every in-place write (PyTorch's version counter).
    ///
    /// A computed property over a private field: another module reading a stored class property
    /// directly emits its own exclusivity check, ignoring `@exclusivity(unchecked)` (Note
    /// [Exclusivity]); going through this accessor keeps the check off.
    public var version: Int {
        get { _version }
        set { _version = newValue }
    }
    @exclusivity(unchecked) private var _version = 0
    /// Whether it was made inside `withInferenceMode` (PyTorch's inference tensors): such a
    /// value may not be saved for backward.
    public let isInference: Bool

    /// Uninitialized storage for `count` scalars; the caller must write every element.
    @inlinable
    init(uninitializedCount count: Int) {
        trapUnless(count >= 0, "negative storage size \(count)")
        // Checked: a valid shape such as [2^62 + 1, 0] reduced along its zero-size dim asks for
        // 2^62 + 1 scalars, whose byte count wraps around to a few bytes, and the kernel then
        // wrote far past them. Now such a request traps before anything is written.
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Scalar>.stride)
        trapUnless(!overflow, "can't allocate memory: \(count) scalars of \(MemoryLayout<Scalar>.stride) bytes overflow the address space")
        self.count = count
        let (raw, inference) = BufferCache.allocateMarking(byteCount: byteCount)
        isInference = inference
        base = raw.bindMemory(to: Scalar.self, capacity: count)
    }

    deinit {
        BufferCache.deallocate(UnsafeMutableRawPointer(base), byteCount: count &* MemoryLayout<Scalar>.stride)
    }

    /// Calls `body` with a read-only view of all the scalars (kernels read a tensor's elements
    /// through `DenseTensor.withElements`, which knows its layout).
    @inlinable
    func read<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    /// Calls `body` with a mutable view of all the scalars.
    @inlinable
    func update<R>(_ body: (UnsafeMutableBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: base, count: count))
    }
}
