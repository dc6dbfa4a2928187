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
    /// The most bytes a thread's cache holds (default 256 MiB). Lowering it does not trim.
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
        let quarter = 1 << (log - 2)
        return (n + quarter - 1) / quarter * quarter
    }

    /// The index of a class size in the cache's table.
    @inlinable
    static func classIndex(forClassSize size: Int) -> Int {
        if size <= 64 { return 0 }
        let log = Int.bitWidth - 1 - (size - 1).leadingZeroBitCount
        let quarter = 1 << (log - 2)
        return (log - 6) * 4 + (size - 1) / quarter - 4 + 1
    }

    /// A buffer of at least `byteCount` bytes, 64-byte aligned, from the cache when it has one.
    @inline(__always)
    public static func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        _Cache.current.take(classSize(forByteCount: byteCount))
    }

    /// Returns a buffer from ``allocate(byteCount:)``, with the same `byteCount`.
    @inline(__always)
    public static func deallocate(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        _Cache.current.give(pointer, classSize(forByteCount: byteCount))
    }
}

/// One thread's cache (see Note [Buffer cache]).
final class _Cache {
    var classes: [ContiguousArray<UnsafeMutableRawPointer>] = Array(repeating: [], count: 256)
    var cachedBytes = 0
    var byteLimit = 256 << 20
    var hits = 0
    var misses = 0

    @inline(__always)
    static var current: _Cache {
        if let raw = pthread_getspecific(cacheKey) {
            return Unmanaged<_Cache>.fromOpaque(raw).takeUnretainedValue()
        }
        let cache = _Cache()
        pthread_setspecific(cacheKey, Unmanaged.passRetained(cache).toOpaque())
        return cache
    }

    @inline(__always)
    func take(_ size: Int) -> UnsafeMutableRawPointer {
        let index = BufferCache.classIndex(forClassSize: size)
        if index < classes.count, let pointer = classes[index].popLast() {
            cachedBytes -= size
            hits += 1
            return pointer
        }
        misses += 1
        return Allocator.allocate(byteCount: size)
    }

    @inline(__always)
    func give(_ pointer: UnsafeMutableRawPointer, _ size: Int) {
        let index = BufferCache.classIndex(forClassSize: size)
        guard index < classes.count, classes[index].count < BufferCache.buffersPerClass,
              cachedBytes + size <= byteLimit else {
            Allocator.deallocate(pointer)
            return
        }
        if classes[index].capacity == 0 { classes[index].reserveCapacity(BufferCache.buffersPerClass) }
        classes[index].append(pointer)
        cachedBytes += size
    }

    func trim() {
        for i in classes.indices {
            for pointer in classes[i] { Allocator.deallocate(pointer) }
            classes[i].removeAll(keepingCapacity: true)
        }
        cachedBytes = 0
    }

    deinit { trim() }
}

private let cacheKey: pthread_key_t = {
    var key = pthread_key_t()
    let status = pthread_key_create(&key) { raw in
        guard let raw else { return }
        Unmanaged<_Cache>.fromOpaque(raw).release()
    }
    precondition(status == 0, "Arena: cannot create the buffer cache's thread-local key (\(status))")
    return key
}()
