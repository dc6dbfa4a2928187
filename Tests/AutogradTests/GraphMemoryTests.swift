import Foundation
import XCTest
import Autograd

/// The graph-memory rules of API.md and DESIGN.md, asserted on `currentGraphStats()` counts.
///
/// Each test runs on a thread of its own: the graph is per thread, so a fresh thread starts with
/// empty stats and nothing another test left behind can blur the counts.
final class GraphMemoryTests: XCTestCase {
    // MARK: - Nothing is recorded without a reason

    func testNoNodeIsRecordedUnderNoGrad() {
        onFreshThread {
            let x = Tensor<Float>.randn([4, 3], requiresGrad: true)
            let before = currentGraphStats()
            XCTAssertEqual([before.nodeCount, before.bytesInUse, before.bytesReserved, before.resetCount], [0, 0, 0, 0])
            let y = withNoGrad { ((x * 2).exp() + x).sum(dim: 1).mean() }
            XCTAssertEqual(currentGraphStats(), before, "no-grad ops touched graph memory")
            XCTAssertFalse(y.requiresGrad)
            XCTAssertNil(y.gradFn)

            // Nor on tensors that carry history.
            let h = x * 2
            let recorded = currentGraphStats()
            XCTAssertEqual(recorded.nodeCount, 1)
            let z = withNoGrad { (h.exp() * h).sum() }
            XCTAssertEqual(currentGraphStats(), recorded)
            XCTAssertTrue(z.isLeaf)
        }
    }

    func testNoNodeIsRecordedWhenNoInputRequiresGrad() {
        onFreshThread {
            let a = Tensor<Float>.randn([4, 3]), b = Tensor<Float>.randn([3])
            let before = currentGraphStats()
            let y = ((a * b).tanh() - 1).pow(2).sum()
            XCTAssertEqual(currentGraphStats(), before)
            XCTAssertFalse(y.requiresGrad)
            XCTAssertThrowsError(try y.backward()) { XCTAssertEqual($0 as? AutogradError, .doesNotRequireGrad) }
            XCTAssertEqual(currentGraphStats(), before)
        }
    }

    // MARK: - Backward frees, retainGraph keeps

    func testBackwardWithoutRetainGraphFreesTheGraph() throws {
        onFreshThread {
            let x = Tensor<Float>.randn([5], requiresGrad: true)
            let out = (x * 2).exp().sum()
            let recorded = currentGraphStats()
            XCTAssertEqual(recorded.nodeCount, 3)
            XCTAssertGreaterThan(recorded.bytesInUse, 0)
            XCTAssertGreaterThanOrEqual(recorded.bytesReserved, recorded.bytesInUse)
            try out.backward()
            let after = currentGraphStats()
            XCTAssertEqual(after.nodeCount, 0)
            XCTAssertEqual(after.bytesInUse, 0)
            XCTAssertEqual(after.resetCount, recorded.resetCount + 1)
            XCTAssertEqual(after.bytesReserved, recorded.bytesReserved, "chunks are kept for the next graph")
        }
    }

    func testRetainGraphKeepsTheNodesUntilTheLastBackward() throws {
        onFreshThread {
            let x = Tensor<Float>([1, 2, 3], requiresGrad: true)
            let out = (x * x).sum()
            let recorded = currentGraphStats()
            XCTAssertEqual(recorded.nodeCount, 2)
            try out.backward(retainGraph: true)
            XCTAssertEqual(currentGraphStats(), recorded, "retainGraph keeps every node")
            try out.backward(retainGraph: true)
            XCTAssertEqual(currentGraphStats(), recorded)
            try out.backward()
            XCTAssertEqual(x.grad?.scalars, [6, 12, 18])
            let after = currentGraphStats()
            XCTAssertEqual(after.nodeCount, 0)
            XCTAssertEqual(after.resetCount, recorded.resetCount + 1)
            XCTAssertThrowsError(try out.backward()) { XCTAssertEqual($0 as? AutogradError, .graphFreed) }
        }
    }

    // MARK: - Graphs nobody can backward through are freed

    func testDroppedGraphsAreFreedAndTheirMemoryReused() {
        onFreshThread {
            let x = Tensor<Float>.randn([8, 8], requiresGrad: true)
            func graph() -> Tensor<Float> { ((x * 2 + 1).tanh() * x).sum() }
            do { _ = graph() }
            let one = currentGraphStats()
            XCTAssertEqual(one.nodeCount, 0, "a dropped graph is freed")
            XCTAssertGreaterThan(one.bytesReserved, 0)
            for _ in 0..<10_000 { _ = graph() }
            let after = currentGraphStats()
            XCTAssertEqual(after.nodeCount, 0)
            XCTAssertEqual(after.bytesInUse, 0)
            XCTAssertLessThanOrEqual(after.bytesReserved, one.bytesReserved, "graph memory grew: \(after)")
            XCTAssertGreaterThanOrEqual(after.resetCount, one.resetCount + 10_000)
        }
    }

    func testAGraphIsFreedWhenTheLastTensorPointingIntoItGoes() {
        onFreshThread {
            let x = Tensor<Float>.randn([3], requiresGrad: true)
            var a: Tensor<Float>? = x * 2
            var out: Tensor<Float>? = a!.exp().sum()
            XCTAssertEqual(currentGraphStats().nodeCount, 3)
            out = nil
            XCTAssertEqual(currentGraphStats().nodeCount, 3, "`a` can still be backwarded through")
            a = nil
            XCTAssertEqual(currentGraphStats().nodeCount, 0)
            XCTAssertEqual(currentGraphStats().resetCount, 1)
            XCTAssertNil(out)

            // Detaching in place lets go of the graph too.
            let y = (x * 3).exp()
            XCTAssertEqual(currentGraphStats().nodeCount, 2)
            y.detach()
            XCTAssertEqual(currentGraphStats().nodeCount, 0)
            XCTAssertTrue(y.isLeaf)
            XCTAssertFalse(y.requiresGrad)
        }
    }

    func testOutEqualsModelLoopStaysBounded() {
        onFreshThread {
            let x = Tensor<Float>.randn([4, 6])
            let w = Tensor<Float>.randn([6], requiresGrad: true), b = Tensor<Float>.randn([4, 1], requiresGrad: true)
            func model(_ x: Tensor<Float>) -> Tensor<Float> { ((x * w + b).relu() * 0.5).sum(dim: 1) }
            var out = model(x)
            let one = currentGraphStats()
            XCTAssertGreaterThan(one.nodeCount, 0)
            var worst = one.bytesReserved
            for _ in 0..<1_000 {
                out = model(x)   // records the new graph while the old `out` still holds the previous one
                let stats = currentGraphStats()
                XCTAssertEqual(stats.nodeCount, one.nodeCount, "the previous graph was not freed")
                worst = Swift.max(worst, stats.bytesReserved)
            }
            XCTAssertLessThanOrEqual(worst, 2 * one.bytesReserved, "graph memory grew to \(worst) bytes")
            XCTAssertEqual(out.shape, [4])
            try out.sum().backward()
            XCTAssertEqual(currentGraphStats().nodeCount, 0)
        }
    }

    func testTrainingLoopAllocatesNoGraphMemoryAfterTheFirstStep() {
        onFreshThread {
            let x = Tensor<Float>.randn([4, 6])
            var w = Tensor<Float>.randn([6], requiresGrad: true)
            func step() throws {
                let loss = ((x * w).sum(dim: 1).tanh() - 0.5).pow(2).mean()
                try loss.backward()
                w = withNoGrad { w - w.grad! * 0.1 }
                w.requiresGrad = true
            }
            try step()
            let first = currentGraphStats()
            for _ in 0..<1_000 { try step() }
            let after = currentGraphStats()
            XCTAssertEqual(after.nodeCount, 0)
            XCTAssertEqual(after.bytesReserved, first.bytesReserved)
            XCTAssertEqual(after.resetCount, first.resetCount + 1_000)
        }
    }

    // MARK: - Independence and stale references

    func testIndependentGraphsSharingOnlyALeafAreFreedIndependently() {
        onFreshThread {
            let x = Tensor<Float>([1, 2], requiresGrad: true)
            let l1 = (x * 2).sum()
            let l2 = (x * 3).exp().sum()
            XCTAssertEqual(currentGraphStats().nodeCount, 5)
            try l1.backward()
            XCTAssertEqual(currentGraphStats().nodeCount, 3, "l1.backward() freed l2's graph")
            try l2.backward()
            XCTAssertEqual(currentGraphStats().nodeCount, 0)
            let expected = [1, 2].map { 2 + 3 * Float.exp(3 * $0) }
            for (g, e) in zip(x.grad!.scalars, expected) { XCTAssertEqual(g, e, accuracy: 1e-3 * e) }
        }
    }

    func testIndependentGraphsBuiltInterleavedAreFreedIndependently() {
        onFreshThread {
            let x = Tensor<Float>([1, 2], requiresGrad: true)
            let a1 = x * 2
            let a2 = x * 3                 // l2's graph starts while l1's is still being built
            let l1 = a1.exp().sum()
            let l2 = a2.tanh().sum()
            XCTAssertEqual(currentGraphStats().nodeCount, 6)
            try l1.backward()
            XCTAssertEqual(currentGraphStats().nodeCount, 3, "l1.backward() freed l2's graph")
            try l2.backward()              // PyTorch runs both: the graphs share no node
            XCTAssertEqual(currentGraphStats().nodeCount, 0)
            let expected = [Float(1), 2].map { 2 * Float.exp(2 * $0) + 3 * (1 - Float.tanh(3 * $0) * Float.tanh(3 * $0)) }
            for (g, e) in zip(x.grad?.scalars ?? [], expected) { XCTAssertEqual(g, e, accuracy: 1e-3 * e) }
            XCTAssertEqual(x.grad?.count, 2)
        }
    }

    func testStaleTensorThrowsGraphFreedEvenAfterItsSegmentIsReused() {
        onFreshThread {
            let x = Tensor<Float>([1, 2], requiresGrad: true)
            var a: Tensor<Float>? = x * x
            var old: Tensor<Float>? = a!.sum()
            try old!.backward()
            let freed = currentGraphStats()
            XCTAssertEqual(freed.nodeCount, 0)

            // A new graph takes the freed memory; the stale tensors must not see it as theirs.
            let fresh = (x * 5).sum()
            XCTAssertEqual(currentGraphStats().nodeCount, 2)
            XCTAssertEqual(currentGraphStats().bytesReserved, freed.bytesReserved, "the freed segment is reused")
            XCTAssertThrowsError(try old!.backward()) { XCTAssertEqual($0 as? AutogradError, .graphFreed) }
            XCTAssertThrowsError(try a!.sum().backward()) { XCTAssertEqual($0 as? AutogradError, .graphFreed) }
            XCTAssertEqual(old!.gradFn?.name, "SumBackward0", "a freed graph's tensor still names its grad_fn")
            XCTAssertEqual(x.grad?.scalars, [2, 4], "failed backwards wrote nothing")

            // Dropping the stale tensors must not release the new graph's memory.
            let before = currentGraphStats().nodeCount
            old = nil
            a = nil
            XCTAssertGreaterThanOrEqual(currentGraphStats().nodeCount, 2)
            XCTAssertLessThanOrEqual(currentGraphStats().nodeCount, before)
            try fresh.backward()
            XCTAssertEqual(x.grad?.scalars, [7, 9])
            XCTAssertEqual(currentGraphStats().nodeCount, 0)
        }
    }

    func testThrownBackwardLeavesEveryGradientAsItWas() {
        onFreshThread {
            let x = Tensor<Float>([1, 2, 3], requiresGrad: true)
            let y = x * 2                  // first graph
            let l1 = y.sum()
            let z = x * 3                  // a new segment: its input carries no history
            z.retainGrad()
            let w = z.exp() + y            // live part (z) and, after l1.backward(), a freed part (y)
            try l1.backward()
            XCTAssertEqual(x.grad?.scalars, [2, 2, 2])
            let before = currentGraphStats()
            XCTAssertGreaterThan(before.nodeCount, 0)

            XCTAssertThrowsError(try w.sum().backward()) { XCTAssertEqual($0 as? AutogradError, .graphFreed) }
            XCTAssertEqual(x.grad?.scalars, [2, 2, 2], "x.grad was half-written by a failed backward")
            XCTAssertNil(z.grad, "a retained gradient was written by a failed backward")
            XCTAssertEqual(currentGraphStats().nodeCount, before.nodeCount + 1, "only the new sum node was added")

            // The live part still works on its own.
            try z.sum().backward()
            XCTAssertEqual(x.grad?.scalars, [5, 5, 5])
        }
    }
}

/// Runs `body` on a new thread (with its own, empty graph) and waits for it.
private func onFreshThread(file: StaticString = #filePath, line: UInt = #line,
                           _ body: @escaping @Sendable () throws -> Void) {
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        do { try body() } catch { XCTFail("threw \(error)", file: file, line: line) }
        done.signal()
    }
    thread.stackSize = 8 << 20
    thread.start()
    done.wait()
}
