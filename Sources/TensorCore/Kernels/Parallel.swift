import Synchronization

/// When and how kernels split work across cores.
///
/// Note [Parallel kernels]: on this kind of machine a second core helps only large work (a
/// 16M-float add: 2.05× when the sibling core is free, 1.1× when another process holds it), and
/// splitting below about 64K elements loses (toolchain notes, §7). So a kernel runs inline
/// unless it has at least ``minimumElements`` elements and ``threads`` > 1; then it is cut into
/// one contiguous block per thread, each block running the same single-thread loop.
public enum Parallel {
    /// The most threads a kernel uses (default: the number of online cores).
    public static var threads: Int {
        get { threadSetting.load(ordering: .relaxed) }
        set { threadSetting.store(Swift.max(1, newValue), ordering: .relaxed) }
    }

    /// The fewest elements a kernel must have before it is split (default 256K).
    public static var minimumElements: Int {
        get { minimumSetting.load(ordering: .relaxed) }
        set { minimumSetting.store(Swift.max(1, newValue), ordering: .relaxed) }
    }

    /// Below this many elements nothing is split or streamed, whatever the settings: the
    /// small tensors of a training step's bookkeeping skip reading them.
    @inlinable static var neverSplitBelow: Int { 4096 }

    private static let threadSetting = Atomic<Int>(Swift.max(1, ProcessInfoCores.online))
    private static let minimumSetting = Atomic<Int>(1 << 18)

    /// Calls `body` on disjoint ranges covering `0..<count`: inline for small work, else one
    /// block per thread (block starts aligned to 16 elements, so SIMD loops keep their shape).
    @inlinable @inline(__always)
    public static func forEachBlock(_ count: Int, _ body: (Range<Int>) -> Void) {
        let parts = count >= minimumElements ? Swift.min(threads, count / 16) : 1
        if parts <= 1 {
            body(0..<count)
            return
        }
        let step = ((count + parts - 1) / parts + 15) & ~15
        forEachPart(parts) { part in
            let lo = part * step
            let hi = Swift.min(count, lo + step)
            if lo < hi { body(lo..<hi) }
        }
    }

    /// Calls `body(part)` for every part in `0..<parts`, concurrently when `parts` > 1.
    @inlinable
    public static func forEachPart(_ parts: Int, _ body: (Int) -> Void) {
        if parts <= 1 {
            if parts == 1 { body(0) }
            return
        }
        WorkerPool.shared.run(parts, body)   // Note [Worker pool]
    }
}

#if canImport(Glibc)
import Glibc
#endif

enum ProcessInfoCores {
    static var online: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}
