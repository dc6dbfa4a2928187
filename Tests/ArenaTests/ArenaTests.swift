import XCTest
import Arena

/// The arena: chunked bump allocation, alignment, O(1) reset that keeps its chunks, the
/// generation counter, and trim.
final class ArenaTests: XCTestCase {
    func testStartsEmptyAndTakesNoMemoryUntilFirstAllocation() {
        let arena = Arena(chunkByteCount: 1024)
        XCTAssertEqual(arena.chunkCount, 0)
        XCTAssertEqual(arena.bytesReserved, 0)
        XCTAssertEqual(arena.bytesInUse, 0)
        XCTAssertEqual(arena.generation, 0)
        XCTAssertEqual(arena.resetCount, 0)
        XCTAssertEqual(arena.chunkByteCount, 1024)
    }

    func testBumpAllocationIsContiguousWithinAChunk() {
        let arena = Arena(chunkByteCount: 1024)
        let a = arena.allocate(byteCount: 64, alignment: 16)
        let b = arena.allocate(byteCount: 64, alignment: 16)
        XCTAssertEqual(b - a, 64, "consecutive requests are bumped, not malloc'd")
        XCTAssertEqual(arena.chunkCount, 1)
        XCTAssertEqual(arena.bytesInUse, 128)
        XCTAssertEqual(arena.bytesReserved, 1024)
    }

    func testChainsChunksWhenFull() {
        let arena = Arena(chunkByteCount: 256)
        var pointers: [UnsafeMutableRawPointer] = []
        for i in 0..<100 {
            let p = arena.allocate(byteCount: 48, alignment: 16)
            p.storeBytes(of: i, as: Int.self)
            pointers.append(p)
        }
        XCTAssertEqual(arena.chunkCount, 20)   // five 48-byte blocks fit in 256 bytes
        XCTAssertEqual(arena.bytesReserved, arena.chunkCount * 256)
        for (i, p) in pointers.enumerated() {
            XCTAssertEqual(p.load(as: Int.self), i, "an allocation was overwritten")
        }
        XCTAssertEqual(Set(pointers).count, pointers.count)
        XCTAssertGreaterThanOrEqual(arena.bytesInUse, 100 * 48)
        XCTAssertLessThanOrEqual(arena.bytesInUse, arena.bytesReserved)
    }

    func testRequestsLargerThanAChunkGetAChunkOfTheirOwn() {
        let arena = Arena(chunkByteCount: 128)
        let small = arena.allocate(byteCount: 16)
        let big = arena.allocate(byteCount: 10_000, alignment: 64)
        big.initializeMemory(as: UInt8.self, repeating: 0xAB, count: 10_000)   // the whole block is writable
        XCTAssertEqual(Int(bitPattern: big) % 64, 0)
        XCTAssertEqual(arena.chunkCount, 2)
        XCTAssertEqual(arena.bytesReserved, 128 + 10_000)
        let after = arena.allocate(byteCount: 16)
        XCTAssertNotEqual(after, small)
        XCTAssertEqual(big.load(fromByteOffset: 9_999, as: UInt8.self), 0xAB, "a later request overlapped the big block")
    }

    func testAlignmentIsHonoured() {
        let arena = Arena(chunkByteCount: 4096)
        for alignment in [1, 2, 4, 8, 16, 32, 64] {
            for size in [1, 3, 7, 24, 100] {
                let p = arena.allocate(byteCount: size, alignment: alignment)
                XCTAssertEqual(Int(bitPattern: p) % alignment, 0, "size \(size) alignment \(alignment)")
            }
        }
        // Padding counts as in use.
        let fresh = Arena(chunkByteCount: 4096)
        _ = fresh.allocate(byteCount: 1, alignment: 1)
        _ = fresh.allocate(byteCount: 1, alignment: 64)
        XCTAssertEqual(fresh.bytesInUse, 65)
    }

    func testResetKeepsChunksAndReusesThem() {
        let arena = Arena(chunkByteCount: 512)
        let first = arena.allocate(byteCount: 100)
        for _ in 0..<20 { _ = arena.allocate(byteCount: 100) }
        let reserved = arena.bytesReserved
        let chunks = arena.chunkCount
        XCTAssertGreaterThan(chunks, 1)

        arena.reset()
        XCTAssertEqual(arena.bytesInUse, 0)
        XCTAssertEqual(arena.bytesReserved, reserved, "reset must keep the chunks")
        XCTAssertEqual(arena.chunkCount, chunks)
        XCTAssertEqual(arena.allocate(byteCount: 100), first, "after reset the first chunk is reused from its start")

        // Filling to the same depth again allocates no chunk.
        for _ in 0..<20 { _ = arena.allocate(byteCount: 100) }
        XCTAssertEqual(arena.chunkCount, chunks)
        XCTAssertEqual(arena.bytesReserved, reserved)
    }

    func testGenerationAndResetCountAdvanceOnEveryReset() {
        let arena = Arena(chunkByteCount: 256)
        XCTAssertEqual(arena.generation, 0)
        for i in 1...5 {
            _ = arena.allocate(byteCount: 32)
            arena.reset()
            XCTAssertEqual(arena.generation, UInt32(i))
            XCTAssertEqual(arena.resetCount, i)
        }
        arena.reset()   // an empty arena's reset still moves on: a handle can't outlive it unnoticed
        XCTAssertEqual(arena.generation, 6)
    }

    func testTrimReturnsTheChunks() {
        let arena = Arena(chunkByteCount: 256)
        for _ in 0..<10 { _ = arena.allocate(byteCount: 200) }
        XCTAssertEqual(arena.chunkCount, 10)
        let generation = arena.generation
        arena.trim()
        XCTAssertEqual(arena.chunkCount, 0)
        XCTAssertEqual(arena.bytesReserved, 0)
        XCTAssertEqual(arena.bytesInUse, 0)
        XCTAssertGreaterThan(arena.generation, generation, "trim frees everything, so it is a reset too")
        // Still usable after a trim.
        let p = arena.allocate(byteCount: 64, alignment: 64)
        XCTAssertEqual(Int(bitPattern: p) % 64, 0)
        XCTAssertEqual(arena.chunkCount, 1)
        XCTAssertEqual(arena.bytesInUse, 64)
    }

    func testAllocatorAlignsEveryBlockToACacheLine() {
        for size in [0, 1, 63, 64, 1000] {
            let p = Allocator.allocate(byteCount: size)
            XCTAssertEqual(Int(bitPattern: p) % Allocator.alignment, 0)
            Allocator.deallocate(p)
        }
    }
}
