#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one entry point through which the library asks the system for memory.
///
/// Tensor storage and arena chunks both come from here, so that allocation can be measured
/// and swapped in a single place. Every block is aligned to at least 64 bytes (a cache line,
/// and the width of an AVX-512 register), so SIMD loads never straddle a line at the start.
public enum Allocator {
    /// The alignment of every block handed out, in bytes.
    public static let alignment = 64

    /// Blocks of at least this many bytes get transparent huge pages (2 MiB on x86-64 Linux).
    public static let hugePageSize = 2 << 20

    /// Returns `byteCount` bytes aligned to `alignment` (at least ``Allocator/alignment``).
    ///
    /// A zero-byte request still returns a unique, freeable pointer.
    @inlinable
    package static func allocate(byteCount: Int, alignment: Int = Allocator.alignment) -> UnsafeMutableRawPointer {
        trapUnless(byteCount >= 0, "Allocator: negative byte count \(byteCount)")
        var raw: UnsafeMutableRawPointer?
        // Large blocks are aligned to a huge page and asked to be backed by huge pages: a fresh
        // 64 MB buffer then faults in 32 times instead of 16,384 (THP is `madvise`-only here).
        let huge = byteCount >= hugePageSize
        let align = huge ? hugePageSize : Swift.max(alignment, Allocator.alignment)
        let status = posix_memalign(&raw, align, Swift.max(byteCount, 1))
        guard status == 0, let pointer = raw else {
            fatalError("Allocator: out of memory allocating \(byteCount) bytes")
        }
        #if os(Linux)
        if huge { _ = madvise(pointer, (byteCount + hugePageSize - 1) & ~(hugePageSize - 1), MADV_HUGEPAGE) }
        #endif
        return pointer
    }

    /// Returns a block obtained from ``allocate(byteCount:alignment:)``.
    @inlinable
    package static func deallocate(_ pointer: UnsafeMutableRawPointer) {
        free(pointer)
    }
}
