import XCTest
import Arena

/// jemalloc is linked and its counters move with real allocations.
final class AllocatorStatisticsTests: XCTestCase {
    func testJemallocCountsAThreadsAllocations() throws {
        try XCTSkipUnless(Allocator.hasStatistics, "built without the Jemalloc trait")
        let before = Allocator.threadAllocatedBytes
        let block = Allocator.allocate(byteCount: 1 << 20)
        let after = Allocator.threadAllocatedBytes
        Allocator.deallocate(block)
        XCTAssertGreaterThanOrEqual(after - before, 1 << 20)
        XCTAssertGreaterThanOrEqual(Allocator.threadDeallocatedBytes, 1 << 20)
    }

    func testProcessAllocatedBytesTracksALiveBlock() throws {
        try XCTSkipUnless(Allocator.hasStatistics, "built without the Jemalloc trait")
        // Process-wide: other threads (Dispatch workers returning their jemalloc caches) move
        // the figure by tens of KiB, so the bounds leave 1 MiB of slack around the 8 MiB block.
        Allocator.flushThreadCache()
        let before = Allocator.allocatedBytes
        let block = Allocator.allocate(byteCount: 8 << 20)
        let during = Allocator.allocatedBytes
        Allocator.deallocate(block)
        Allocator.flushThreadCache()
        let after = Allocator.allocatedBytes
        XCTAssertGreaterThan(during - before, 7 << 20)
        XCTAssertLessThan(after - before, 1 << 20)
    }
}
