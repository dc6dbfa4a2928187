import XCTest
@testable import Autograd
import _TestSupport

/// Tensors point at their graph segment without ARC (Note [Segment lifetime]); the segment counts
/// them itself. These tests hold a segment past its thread, where only that count keeps it alive,
/// and check that it then goes exactly when its last tensor does: neither freed under a tensor
/// (which ASan in CI would report as a use after free) nor kept forever.
final class SegmentLifetimeTests: XCTestCase {
    final class Box: @unchecked Sendable {
        var tensors: [Tensor<Float>] = []
        weak var segment: Segment<Float>?
    }

    /// One tensor with live history and one whose graph a backward already freed, both returned
    /// from a thread that has ended.
    func testSegmentOutlivesItsThreadUntilItsLastTensorGoes() {
        let box = Box()
        TestThreads.run {
            let x = Tensor<Float>([1, 2, 3], requiresGrad: true)
            let stale = x.exp()
            try! stale.sum().backward()   // frees the segment: `stale` now has old history
            let live = (x * 2).sum()      // recorded in the same segment, reset and reused
            box.tensors = [live, stale]
            box.segment = live.history!.segment
            XCTAssertTrue(live.history!.segment === stale.history!.segment)
        }
        XCTAssertNotNil(box.segment, "tensors still point at it after its thread ended")
        XCTAssertNil(box.segment?.graph, "its graph went with the thread")
        XCTAssertEqual(box.segment?.tensorHandles, 2)
        XCTAssertThrowsError(try box.tensors[0].backward()) { XCTAssertEqual($0 as? AutogradError, .graphFreed) }
        XCTAssertEqual(box.tensors[1].scalars, [1, 2, 3].map { Float.exp($0) })

        box.tensors.removeFirst()   // the live one
        XCTAssertNotNil(box.segment, "the stale tensor still points at it")
        box.tensors.removeAll()
        XCTAssertNil(box.segment, "freed with its last tensor")
    }

    /// On a thread that goes on living, a segment belongs to the graph and is reused, whatever the
    /// tensors do.
    func testSegmentOfALiveGraphStaysWithTheGraph() throws {
        // A strong reference, not a weak one: a weak reference to an object that lives for the
        // whole process (this thread's graph keeps its segments) leaves a side table that
        // LeakSanitizer reports as leaked at exit (scripts/ci-leaks.sh).
        let segment: Segment<Float>
        do {
            let x = Tensor<Float>([1, 2], requiresGrad: true)
            let y = x * x
            segment = y.history!.segment
            XCTAssertEqual(segment.tensorHandles, 1)
            try y.sum().backward()
        }
        XCTAssertEqual(segment.tensorHandles, 0)
        XCTAssertFalse(segment.orphaned)
        XCTAssertTrue(segment.graph === ThreadContext.current.floatGraph, "still its graph's")
    }

    /// An in-place op on a tensor with history moves the tensor to the result's node; the count
    /// moves with it.
    func testInPlaceRebaseMovesTheHandle() {
        let x = Tensor<Float>([1, 2], requiresGrad: true)
        let y = x * 3
        let segment = y.history!.segment
        XCTAssertEqual(segment.tensorHandles, 1)
        y += 1
        XCTAssertEqual(y.gradFn?.name, "AddBackward0")
        XCTAssertEqual(segment.tensorHandles, 1, "the old node's tensor let go, the new one holds it")
        y.detach()
        XCTAssertEqual(segment.tensorHandles, 0)
    }
}
