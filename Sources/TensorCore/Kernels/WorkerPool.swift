import Arena
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Note [Worker pool]: the threads that run the second and later parts of a split kernel or
// product. Dispatch's pool parks idle threads, and waking one on this 2-vCPU KVM machine took
// longer than the part it was woken for: a product split in two (n = 256) ran no faster than on
// one thread, where PyTorch's OpenMP threads, which spin a while before sleeping, gain 2×.
// These workers spin for a short while after their last part (`spinLimit` polls, tens of
// microseconds), then sleep on a condition variable until the next job.
//
// One job runs at a time. A caller that finds the pool busy (another thread's job, or a job
// started from inside a part) runs its parts itself, one after the other: nothing waits for
// the pool, and a nested split cannot deadlock.
//
// A job is published in `state`: its number in the high 32 bits, its part count in the next 16
// and the next unclaimed part in the low 16. A part is claimed by a compare-and-swap of the
// whole word, so a worker that wakes late, after its job ended and another began, cannot claim
// a part of the new job on the strength of the old one; and the closure is read only by a
// worker holding a claimed part, while the caller still waits for it.
@usableFromInline
final class WorkerPool: @unchecked Sendable {
    @usableFromInline static let shared = WorkerPool()

    private let state = Atomic<UInt64>(0)
    private let remaining = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    /// The job's closure; written only while no part is outstanding, read only by a worker
    /// holding a claimed part (after the acquire of its claim).
    private nonisolated(unsafe) var body: UnsafeRawPointer?
    private let lock: UnsafeMutablePointer<pthread_mutex_t>
    private let wake: UnsafeMutablePointer<pthread_cond_t>
    private nonisolated(unsafe) var sleepers = 0
    private nonisolated(unsafe) var workerCount = 0
    private static let spinLimit = 1 << 16

    private init() {
        lock = .allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
        wake = .allocate(capacity: 1)
        pthread_cond_init(wake, nil)
    }

    /// Calls `body(part)` for every part in `0..<parts`, part 0 on the calling thread and the
    /// rest on the pool's workers when the pool is free; returns when all have finished.
    @usableFromInline
    func run(_ parts: Int, _ body: (Int) -> Void) {
        guard parts > 1, parts < 1 << 16, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for part in 0..<parts { body(part) }
            return
        }
        defer { busy.store(false, ordering: .releasing) }
        ensureWorkers(parts - 1)
        withoutActuallyEscaping(body) { body in
            withUnsafePointer(to: body) { bodyPointer in
                self.body = UnsafeRawPointer(bodyPointer)
                remaining.store(parts, ordering: .relaxed)
                let job = ((state.load(ordering: .relaxed) >> 32) &+ 1) & 0xFFFF_FFFF
                state.store(job << 32 | UInt64(parts) << 16, ordering: .releasing)
                pthread_mutex_lock(lock)
                if sleepers > 0 { pthread_cond_broadcast(wake) }
                pthread_mutex_unlock(lock)
                // The caller works too, then waits (spinning: the parts are short).
                work(job: job)
                while remaining.load(ordering: .acquiring) > 0 {}
                self.body = nil
            }
        }
    }

    /// Claims and runs parts of job `job` until none is left.
    private func work(job: UInt64) {
        while true {
            var current = state.load(ordering: .acquiring)
            var part = 0
            while true {
                guard current >> 32 == job else { return }
                part = Int(current & 0xFFFF)
                guard part < Int((current >> 16) & 0xFFFF) else { return }
                let (exchanged, original) = state.compareExchange(
                    expected: current, desired: current &+ 1, ordering: .acquiringAndReleasing)
                if exchanged { break }
                current = original
            }
            body!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(part)
            remaining.subtract(1, ordering: .releasing)
        }
    }

    private func ensureWorkers(_ count: Int) {
        while workerCount < Swift.min(count, 63) {
            workerCount += 1
            var thread = pthread_t()
            let context = Unmanaged.passRetained(self).toOpaque()
            let status = pthread_create(&thread, nil, { raw in
                Unmanaged<WorkerPool>.fromOpaque(raw!).takeRetainedValue().workerLoop()
            }, context)
            trapUnless(status == 0, "TensorCore: cannot start a worker thread (\(status))")
            pthread_detach(thread)
        }
    }

    private func workerLoop() -> Never {
        var seen = state.load(ordering: .acquiring) >> 32
        while true {
            var spins = 0
            var job = state.load(ordering: .acquiring) >> 32
            while job == seen {
                spins += 1
                if spins >= WorkerPool.spinLimit {
                    pthread_mutex_lock(lock)
                    sleepers += 1
                    while state.load(ordering: .acquiring) >> 32 == seen { pthread_cond_wait(wake, lock) }
                    sleepers -= 1
                    pthread_mutex_unlock(lock)
                    spins = 0
                }
                job = state.load(ordering: .acquiring) >> 32
            }
            seen = job
            work(job: job)
        }
    }
}
