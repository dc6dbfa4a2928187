import Arena
import Foundation
import XCTest
import Autograd
@testable import tensorbench

/// The transformer's training loop holds its memory flat: from step 10 to the last, the graph is
/// freed by every backward, the arena does not grow, live tensor storage and this thread's
/// heap allocation stay where they were. Batches of 4 windows (the shapes repeat, which is what
/// matters here; the full batch of 32 only makes the test slower).
final class TransformerMemoryTests: XCTestCase {
    func testTrainingStepsFromTenToTheLastDoNotGrowMemory() throws {
        let words = try WordsData(file: WordsData.defaultFile())
        let trainer = try TransformerTrainer(words: words, steps: 40, batchSize: 4, lr: 3e-3, seed: 1, initFrom: nil)
        let batches = (0..<40).map { _ in trainer.nextBatch() }
        var net: Int { Int(truncatingIfNeeded: Allocator.threadAllocatedBytes &- Allocator.threadDeallocatedBytes) }
        for batch in batches.prefix(10) { _ = try trainer.step(batch) }
        var losses: [Float] = []
        losses.reserveCapacity(30)
        let graphBefore = currentGraphStats()
        let storageBefore = BufferCache.liveBytes
        let netBefore = net
        for batch in batches.dropFirst(10) {
            losses.append(try trainer.step(batch))
            XCTAssertEqual(currentGraphStats().nodeCount, 0, "a backward left nodes behind")
        }
        let netAfter = net
        let graphAfter = currentGraphStats()
        print("transformer, steps 10–40: this thread's net allocation changed by \(netAfter - netBefore) B; "
              + "live storage \(storageBefore) → \(BufferCache.liveBytes) B; graph \(graphBefore) -> \(graphAfter)")
        XCTAssertLessThan(losses.suffix(5).reduce(0, +), losses.prefix(5).reduce(0, +), "the model did not train")
        XCTAssertEqual(graphAfter.bytesReserved, graphBefore.bytesReserved, "the graph arena grew")
        XCTAssertEqual(BufferCache.liveBytes, storageBefore, "live tensor storage changed across steps")
        if Allocator.hasStatistics {
            XCTAssertLessThan(abs(netAfter - netBefore), 1024, "30 steps changed this thread's allocation by \(netAfter - netBefore) B")
        }
        withExtendedLifetime(batches) {}
    }
}
