import Synchronization
import XCTest
import _TestSupport
@testable import TensorCore

/// The pool that runs the parts of split kernels and products (Note [Worker pool]). Run under
/// ThreadSanitizer in CI (scripts/ci-sanitizers.sh), which checks the hand-off for races.
final class WorkerPoolTests: XCTestCase {
    /// Every part of every job runs exactly once, across many jobs in a row (the hand-off from
    /// one job to the next is where a late worker could run a part twice or a part be lost).
    func testEveryPartRunsExactlyOnce() {
        for parts in [2, 3, 4, 7] {
            let counts = (0..<parts).map { _ in Counter() }
            for _ in 0..<2_000 {
                Parallel.forEachPart(parts) { part in counts[part].value.add(1, ordering: .relaxed) }
            }
            XCTAssertEqual(counts.map { $0.value.load(ordering: .relaxed) }, Array(repeating: 2_000, count: parts))
        }
    }

    /// Callers on several threads at once: one gets the pool, the others run their parts
    /// themselves; a part started inside a part runs inline. Nothing is lost or doubled.
    func testConcurrentAndNestedCallers() {
        let total = Counter()
        DispatchQueueLike.concurrently(4) {
            for _ in 0..<500 {
                Parallel.forEachPart(3) { _ in
                    Parallel.forEachPart(2) { _ in total.value.add(1, ordering: .relaxed) }
                }
            }
        }
        XCTAssertEqual(total.value.load(ordering: .relaxed), 4 * 500 * 3 * 2)
    }

    /// OpenBLAS is loaded without threads of its own (Note [One thread pool]): products are split
    /// on this pool, and an idle OpenBLAS thread spun beside its workers.
    func testOpenBLASIsLoadedWithoutAPoolOfItsOwn() throws {
        _ = BLASLibrary.coreName   // loads OpenBLAS
        let value = try XCTUnwrap(getenv("OPENBLAS_NUM_THREADS").map { String(cString: $0) },
                                  "the library sets OPENBLAS_NUM_THREADS before loading OpenBLAS")
        try XCTSkipIf(value != "1", "this run's environment set OPENBLAS_NUM_THREADS=\(value), which wins")
    }

    /// `minimumElements = Int.max` turns splitting off for sums, fills and copies too: four times
    /// it once wrapped around to a negative threshold, which split every sum.
    func testHugeMinimumSplitsNothing() {
        let a = DenseTensor<Float>.randn([300, 200], using: &generator)
        let (threads, minimum) = (Parallel.threads, Parallel.minimumElements)
        defer { Parallel.threads = threads; Parallel.minimumElements = minimum }
        Parallel.threads = 1
        let serial = a.sum().scalars
        Parallel.threads = 3; Parallel.minimumElements = .max
        XCTAssertEqual(Parallel.minimumStreamElements, .max)
        XCTAssertSameBits(a.sum().scalars, serial)
        Parallel.minimumElements = 64
        XCTAssertEqual(Parallel.minimumStreamElements, 256)
    }

    private var generator = RandomGenerator(seed: 7)
}

private final class Counter: Sendable { let value = Atomic<Int>(0) }

/// Runs `body` on `n` threads at once and waits for them.
private enum DispatchQueueLike {
    static func concurrently(_ n: Int, _ body: @escaping @Sendable () -> Void) {
        var threads: [pthread_t] = []
        final class Box { let body: @Sendable () -> Void; init(_ b: @escaping @Sendable () -> Void) { body = b } }
        for _ in 0..<n {
            var thread = pthread_t()
            let box = Unmanaged.passRetained(Box(body)).toOpaque()
            pthread_create(&thread, nil, { raw in
                Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
                return nil
            }, box)
            threads.append(thread)
        }
        for thread in threads { pthread_join(thread, nil) }
    }
}
