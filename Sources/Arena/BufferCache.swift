import CThreadLocal
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A per-thread cache of freed buffers by size class, so that a loop whose shapes repeat (a
/// training step, a benchmark) reuses its buffers instead of asking the system for memory.
///
/// Note [Buffer cache]: size classes are four per power of two (at most 25 % slack), from 64 B
/// up; each class keeps at most ``BufferCache/buffersPerClass`` buffers and the whole cache at
/// most ``BufferCache/byteLimit`` bytes per thread, beyond which a freed buffer goes back to the
/// system. Reuse matters most for large buffers: a fresh one is faulted in page by page, which
/// costs more than the arithmetic done in it. A buffer freed on another thread is cached there.
public enum BufferCache {
    /// The most bytes a thread's cache holds: by default a sixteenth of the machine's physical
    /// memory, at least 256 MiB (1.5 GiB on a 24 GiB machine). The cache never holds more than the
    /// thread had live at its peak, since only freed buffers enter it; ``trim()`` gives them back.
    /// Lowering the limit does not trim.
    public static var byteLimit: Int {
        get { _Cache.current.byteLimit }
        set { _Cache.current.byteLimit = Swift.max(0, newValue) }
    }

    /// The most buffers kept per size class (default 16).
    public static let buffersPerClass = 16

    /// Bytes currently held in this thread's cache.
    public static var cachedBytes: Int { _Cache.current.cachedBytes }

    /// Gives every buffer in this thread's cache back to the system.
    public static func trim() { _Cache.current.trim() }

    /// Bytes of the buffers this thread has taken with ``allocate(byteCount:)`` and not yet given
    /// back with ``deallocate(_:byteCount:)``, counted at the requested `byteCount` (not the class
    /// size): with tensor storage as the only client, the bytes of live tensor storage.
    ///
    /// Per thread, like the cache itself: a plain add on the thread's cache object, which both
    /// calls fetch anyway, rather than an atomic shared by every thread. A buffer freed on another
    /// thread is subtracted there, so a thread's count can go negative; the sum over threads is the
    /// process's live storage. The memory-regression tests read it on one thread.
    public static var liveBytes: Int { _Cache.current.liveBytes }

    /// Counts of this thread's requests served from the cache and from the system.
    public static var statistics: (hits: Int, misses: Int) {
        let cache = _Cache.current
        return (cache.hits, cache.misses)
    }

    /// The class size of a request: 64 B, then four steps per power of two.
    @inlinable
    public static func classSize(forByteCount n: Int) -> Int {
        if n <= 64 { return 64 }
        let log = Int.bitWidth - 1 - (n - 1).leadingZeroBitCount   // 2^log < n <= 2^(log+1)
        let mask = (1 << (log - 2)) - 1
        return (n + mask) & ~mask
    }

    /// The index of a class size in the cache's table.
    @inlinable
    static func classIndex(forClassSize size: Int) -> Int {
        if size <= 64 { return 0 }
        let log = Int.bitWidth - 1 - (size - 1).leadingZeroBitCount
        return (log - 6) * 4 + ((size - 1) >> (log - 2)) - 4 + 1
    }

    /// A buffer of at least `byteCount` bytes, 64-byte aligned, from the cache when it has one.
    @inline(__always)
    @usableFromInline package static func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        _Cache.withCurrent { cache in
            cache.liveBytes &+= byteCount
            return cache.take(classSize(forByteCount: byteCount))
        }
    }

    /// ``allocate(byteCount:)``, and whether this thread is in inference mode (the storage
    /// marks itself so: read here because the thread's cache is at hand anyway).
    @inline(__always)
    @usableFromInline package static func allocateMarking(byteCount: Int) -> (UnsafeMutableRawPointer, inference: Bool) {
        _Cache.withCurrent { cache in
            cache.liveBytes &+= byteCount
            return (cache.take(classSize(forByteCount: byteCount)), cache.inferenceDepth > 0)
        }
    }

    /// How many `withInferenceMode` scopes this thread is in.
    package static var inferenceDepth: Int {
        get { _Cache.current.inferenceDepth }
        set { _Cache.current.inferenceDepth = newValue }
    }

    /// Returns a buffer from ``allocate(byteCount:)``, with the same `byteCount`.
    @inline(__always)
    package static func deallocate(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        _Cache.withCurrent { cache in
            cache.liveBytes &-= byteCount
            cache.give(pointer, classSize(forByteCount: byteCount))
        }
    }
}

/// One thread's cache (see Note [Buffer cache]): a fixed table of slots in raw memory, so that
/// a take or a give is a few loads and stores, with no array copy-on-write check on the way.
final class _Cache {
    static let classCount = 128
    /// 256 MiB held back the large benchmarks: `a*b+a` forward and backward on 1.6e7 floats keeps
    /// seven 64 MB buffers, so two went back to the system every step and came back as fresh
    /// pages, page-faulted in (74 ms a step; 57 ms with all of them cached).
    static let defaultByteLimit: Int = {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, pageSize > 0 else { return 256 << 20 }
        return Swift.max(256 << 20, pages / 16 * pageSize)
    }()
    let slots: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    let counts: UnsafeMutablePointer<Int>
    @exclusivity(unchecked) var cachedBytes = 0
    @exclusivity(unchecked) var byteLimit = _Cache.defaultByteLimit
    @exclusivity(unchecked) var hits = 0
    @exclusivity(unchecked) var misses = 0
    /// See ``BufferCache/liveBytes``.
    @exclusivity(unchecked) var liveBytes = 0
    @exclusivity(unchecked) var inferenceDepth = 0

    init() {
        slots = .allocate(capacity: _Cache.classCount * BufferCache.buffersPerClass)
        slots.initialize(repeating: nil, count: _Cache.classCount * BufferCache.buffersPerClass)
        counts = .allocate(capacity: _Cache.classCount)
        counts.initialize(repeating: 0, count: _Cache.classCount)
    }

    @inline(__always)
    static var current: _Cache { unmanagedCurrent.takeUnretainedValue() }

    /// Runs `body` with this thread's cache, borrowed: no atomic retain and release around every
    /// allocation, as `current` costs.
    @inline(__always)
    static func withCurrent<R>(_ body: (_Cache) -> R) -> R {
        unmanagedCurrent._withUnsafeGuaranteedRef(body)
    }

    @inline(__always)
    private static var unmanagedCurrent: Unmanaged<_Cache> {
        if let raw = swiftautograd_buffer_cache() { return Unmanaged.fromOpaque(raw) }
        return makeCurrent()
    }

    /// The thread's first use: a new cache, registered with the key whose destructor frees it.
    @inline(never)
    private static func makeCurrent() -> Unmanaged<_Cache> {
        let cache = Unmanaged.passRetained(_Cache())
        pthread_setspecific(cacheKey, cache.toOpaque())
        swiftautograd_set_buffer_cache(cache.toOpaque())
        return cache
    }

    @inline(__always)
    func take(_ size: Int) -> UnsafeMutableRawPointer {
        let index = BufferCache.classIndex(forClassSize: size)
        if index < _Cache.classCount, counts[index] > 0 {
            counts[index] &-= 1
            let slot = slots + (index &* BufferCache.buffersPerClass &+ counts[index])
            cachedBytes &-= size
            hits &+= 1
            return slot.pointee.unsafelyUnwrapped
        }
        misses &+= 1
        return Allocator.allocate(byteCount: size)
    }

    @inline(__always)
    func give(_ pointer: UnsafeMutableRawPointer, _ size: Int) {
        let index = BufferCache.classIndex(forClassSize: size)
        guard index < _Cache.classCount, counts[index] < BufferCache.buffersPerClass,
              cachedBytes &+ size <= byteLimit else {
            Allocator.deallocate(pointer)
            return
        }
        slots[index &* BufferCache.buffersPerClass &+ counts[index]] = pointer
        counts[index] &+= 1
        cachedBytes &+= size
    }

    func trim() {
        for index in 0..<_Cache.classCount {
            for k in 0..<counts[index] {
                if let pointer = slots[index * BufferCache.buffersPerClass + k] { Allocator.deallocate(pointer) }
            }
            counts[index] = 0
        }
        cachedBytes = 0
    }

    deinit {
        trim()
        slots.deallocate()
        counts.deallocate()
    }
}

private let cacheKey: pthread_key_t = {
    var key = pthread_key_t()
    let status = pthread_key_create(&key) { raw in
        guard let raw else { return }
        // Cleared first: a buffer freed later in this thread's teardown makes a new cache (and
        // registers it, so the destructors run again) rather than reach this one.
        swiftautograd_set_buffer_cache(nil)
        Unmanaged<_Cache>.fromOpaque(raw).release()
    }
    trapUnless(status == 0, "Arena: cannot create the buffer cache's thread-local key (\(status))")
    return key
}()
