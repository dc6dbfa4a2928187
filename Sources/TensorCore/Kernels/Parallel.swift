import Synchronization

/// When and how kernels split work across cores.
///
/// Note [Parallel kernels]: on this kind of machine a second core helps only large work (a
/// 16M-float add: 2.05× when the sibling core is free, 1.1× when another process holds it), and
/// splitting below about 64K elements loses (toolchain notes, §7). So a kernel runs inline
/// unless it has at least ``minimumElements`` elements and ``threads`` > 1; then it is cut into
/// one contiguous block per thread, each block running the same single-thread loop.
///
/// The thresholds were measured with the worker pool (Note [Worker pool]), two threads, the same
/// binary with each setting alternating three or four times (medians): elementwise ops gain from
/// 64K elements (`a + b` forward+backward on 131,072 floats 122 → 51 µs, `a * b + a` forward on
/// 200,000 floats 169 → 63 µs: each core's share then also stays in its own L2; 65,536: 0.92–1.05),
/// and at 16K they lose (`a + b` 2.7 → 3.3 µs). A sum, a fill or a copy moves a third of the bytes
/// an element that a binary op does, at up to 120 GB/s: split from 64K, sums of 65,536 floats went
/// 2.5 → 2.9 µs and sum forward+backward 10.6 → 11.7 µs, so those split from
/// ``minimumStreamElements``, four times as many (at 200,000 they gain: 6.6 → 4.8 µs), and so do
/// matrix transposes, which were not measured below 256K.
public enum Parallel {
    /// The most threads a kernel uses (default: the number of online cores).
    public static var threads: Int {
        get { threadSetting.load(ordering: .relaxed) }
        set { threadSetting.store(Swift.max(1, newValue), ordering: .relaxed) }
    }

    /// The fewest elements an elementwise kernel must have before it is split (default 64K).
    public static var minimumElements: Int {
        get { minimumSetting.load(ordering: .relaxed) }
        set { minimumSetting.store(Swift.max(1, newValue), ordering: .relaxed) }
    }

    /// The fewest elements a sum, fill, copy or matrix transpose must have before it is split:
    /// four times ``minimumElements`` (256K by default), since each element is a third of the
    /// work; `Int.max` when ``minimumElements`` is above a quarter of it (no split).
    @inlinable public static var minimumStreamElements: Int {
        let (product, overflow) = minimumElements.multipliedReportingOverflow(by: 4)
        return overflow ? .max : product
    }

    /// Below this many elements nothing is split or streamed, whatever the settings: the
    /// small tensors of a training step's bookkeeping skip reading them.
    @inlinable static var neverSplitBelow: Int { 4096 }

    private static let threadSetting = Atomic<Int>(Swift.max(1, ProcessInfoCores.online))
    private static let minimumSetting = Atomic<Int>(1 << 16)

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
