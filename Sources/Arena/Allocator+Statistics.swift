#if Jemalloc
import CJemalloc
#endif

/// The allocator's own counts, read from jemalloc with `mallctl` (the ground truth of the
/// memory-regression tests). Without the `Jemalloc` trait they read 0 and
/// ``Allocator/hasStatistics`` is `false`.
///
/// ```swift
/// let before = Allocator.threadAllocatedBytes
/// try trainingStep()
/// let bytes = Allocator.threadAllocatedBytes - before   // bytes this thread asked for
/// ```
extension Allocator {
    /// Whether jemalloc is linked and its statistics are real.
    public static var hasStatistics: Bool {
        #if Jemalloc
        return true
        #else
        return false
        #endif
    }

    /// Bytes allocated and not yet freed in the whole process, refreshed now (jemalloc's
    /// `stats.allocated` after an `epoch` bump; jemalloc's thread caches may hold a few KiB that
    /// it counts as allocated).
    public static var allocatedBytes: Int {
        #if Jemalloc
        refreshEpoch()
        var value = 0
        var size = MemoryLayout<Int>.size
        guard mallctl("stats.allocated", &value, &size, nil, 0) == 0 else { return 0 }
        return value
        #else
        return 0
        #endif
    }

    /// How many allocations the process has made so far (jemalloc's small and large `nrequests`
    /// summed over all arenas, refreshed now). Differences between two readings count the
    /// allocator calls made in between, by every thread. Reading it flushes this thread's cache,
    /// whose counts jemalloc merges only then.
    public static var allocationCount: Int {
        #if Jemalloc
        flushThreadCache()
        refreshEpoch()
        var total = 0
        for name in ["stats.arenas.4096.small.nrequests", "stats.arenas.4096.large.nrequests"] {
            var value: UInt64 = 0
            var size = MemoryLayout<UInt64>.size
            if mallctl(name, &value, &size, nil, 0) == 0 { total += Int(value) }
        }
        return total
        #else
        return 0
        #endif
    }

    /// Returns this thread's jemalloc cache to its arenas, so that process-wide figures such as
    /// ``allocatedBytes`` stop counting blocks the cache merely holds.
    public static func flushThreadCache() {
        #if Jemalloc
        _ = mallctl("thread.tcache.flush", nil, nil, nil, 0)
        #endif
    }

    #if Jemalloc
    private static func refreshEpoch() {
        var epoch: UInt64 = 0
        var newEpoch: UInt64 = 1
        var size = MemoryLayout<UInt64>.size
        _ = mallctl("epoch", &epoch, &size, &newEpoch, size)
    }
    #endif

    /// Bytes this thread has allocated since it started (monotonic; jemalloc's `thread.allocated`).
    public static var threadAllocatedBytes: UInt64 { threadCounter("thread.allocated") }

    /// Bytes this thread has freed since it started (monotonic; jemalloc's `thread.deallocated`).
    public static var threadDeallocatedBytes: UInt64 { threadCounter("thread.deallocated") }

    private static func threadCounter(_ name: String) -> UInt64 {
        #if Jemalloc
        var value: UInt64 = 0
        var size = MemoryLayout<UInt64>.size
        guard mallctl(name, &value, &size, nil, 0) == 0 else { return 0 }
        return value
        #else
        return 0
        #endif
    }
}
