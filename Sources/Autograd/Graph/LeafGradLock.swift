import Synchronization
#if canImport(Glibc)
import Glibc
#endif

// Note [Leaves shared by threads]: a leaf (a model's parameter, an input) may be used by several
// threads at once, each recording into its own graph and running its own backward, and PyTorch
// lands every thread's contribution in `grad`. Two things of a leaf are written from those
// threads. Its `leafSlotHint` (`Segment.slot`) is an atomic hint that each segment checks
// against its own table. Its `grad` is read, summed and written back at the end of a sweep,
// which must not interleave with another thread's: `LeafGradLock` serializes that step per leaf.

/// The locks that serialize gradient accumulation into a leaf across threads (Note [Leaves
/// shared by threads]): 64 spin locks in one word, a leaf mapped to one by its address. A sweep
/// takes one per leaf it writes, uncontended on a single thread: one atomic or and one and.
enum LeafGradLock {
    private static let bits = Atomic<UInt64>(0)

    /// Runs `body` holding the lock of `leaf`'s stripe.
    @inline(__always)
    static func withLock<R>(for leaf: AnyObject, _ body: () -> R) -> R {
        // The address itself: `ObjectIdentifier.hashValue` runs the standard library's hasher
        // (~90 instructions a leaf, a hundredth of the tutorial step).
        let address = UInt(bitPattern: ObjectIdentifier(leaf))
        let bit: UInt64 = 1 << ((address >> 4) & 63)
        if bits.bitwiseOr(bit, ordering: .acquiring).oldValue & bit != 0 { waitFor(bit) }
        defer { bits.bitwiseAnd(~bit, ordering: .releasing) }
        return body()
    }

    /// Spins, then yields, until `bit` is ours: the holder may be descheduled on a busy machine
    /// (ten threads on two cores), and an accumulation can take as long as one large add.
    @inline(never)
    private static func waitFor(_ bit: UInt64) {
        var tries = 0
        while true {
            if bits.load(ordering: .relaxed) & bit == 0,
               bits.bitwiseOr(bit, ordering: .acquiring).oldValue & bit == 0 { return }
            tries += 1
            if tries > 64 { sched_yield() }
        }
    }
}
