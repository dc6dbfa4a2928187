import XCTest
@testable import Autograd

/// A recorded `t()` of a matrix is made only when read, and `x.matmul(w.t())` never makes it
/// (Note [Lazy transpose]). What users see must be what the eager transpose gave: values,
/// printed text, `grad_fn`s, gradients (also where the transpose's own gradient is retained or
/// it feeds other ops too).
final class LazyTransposeTests: XCTestCase {
    private func matrix(_ rows: Int, _ cols: Int, from start: Float, requiresGrad: Bool = true) -> Tensor<Float> {
        try! Tensor<Float>((0..<rows * cols).map { start + Float($0) * 0.5 }, shape: [rows, cols], requiresGrad: requiresGrad)
    }

    func testAProductReadsTheMatrixAndNeverMakesTheTranspose() throws {
        let (a, w) = (matrix(3, 4, from: -1), matrix(5, 4, from: 0.25))
        let wT = w.transposed()
        XCTAssertTrue(wT.pendingTranspose)
        XCTAssertEqual(wT.shape, [4, 5])
        let y = a.matmul(wT)
        XCTAssertTrue(wT.pendingTranspose, "the product read w itself")
        XCTAssertEqual(y.gradFn?.name, "MmBackward0")
        XCTAssertEqual(wT.gradFn?.name, "TBackward0")
        let eager = withNoGrad { a.matmul(w.transposed()) }
        XCTAssertEqual(y.scalars, eager.scalars)
        try (y * y).sum().backward()
        XCTAssertTrue(wT.pendingTranspose)
        // d/dA = 2Y·W, d/dW = 2Yᵀ·A, from the values alone.
        let g = withNoGrad { eager * 2 }
        XCTAssertEqual(a.grad?.scalars, withNoGrad { g.matmul(w.detached()) }.scalars)
        XCTAssertEqual(w.grad?.scalars, withNoGrad { g.transposed().matmul(a.detached()) }.scalars)
    }

    func testReadingThePendingTransposeGivesTheEagerOne() throws {
        let w = matrix(2, 3, from: 1)
        let wT = w.transposed()
        XCTAssertEqual(wT.description, "tensor([[1.0000, 2.5000],\n        [1.5000, 3.0000],\n        [2.0000, 3.5000]], grad_fn=<TBackward0>)")
        XCTAssertFalse(wT.pendingTranspose, "printing made it")
        XCTAssertEqual(w.transposed().scalars, [1, 2.5, 1.5, 3, 2, 3.5])
        XCTAssertEqual(w.transposed().transposed().scalars, w.scalars)
        XCTAssertEqual(w.transposed().count, 6)
        XCTAssertEqual(w.transposed().rank, 2)
        // Not recorded (no grad needed, or no-grad mode): made at once, as before.
        XCTAssertFalse(matrix(2, 3, from: 0, requiresGrad: false).transposed().pendingTranspose)
        XCTAssertFalse(withNoGrad { w.transposed() }.pendingTranspose)
        // Detached in place, it becomes a leaf other threads may read: made at once.
        let cut = w.transposed()
        cut.detach()
        XCTAssertFalse(cut.pendingTranspose)
        XCTAssertEqual(cut.scalars, [1, 2.5, 1.5, 3, 2, 3.5])
    }

    /// The transpose's own gradient, retained, sees the product's part: the sweep then sends
    /// the product's gradient through the transpose's node instead of past it.
    func testARetainedGradientOfTheTransposeIsComplete() throws {
        let (a, w) = (matrix(3, 4, from: -1), matrix(5, 4, from: 0.25))
        let wT = w.transposed()
        let y = a.matmul(wT)
        wT.retainGrad()   // after the product was recorded: decided at backward time
        try y.sum().backward()
        let ones = Tensor<Float>.ones([3, 5])
        let expected = withNoGrad { a.detached().transposed().matmul(ones) }   // Aᵀ · G
        XCTAssertEqual(wT.grad?.shape, [4, 5])
        XCTAssertEqual(wT.grad?.scalars, expected.scalars)
        XCTAssertEqual(w.grad?.scalars, expected.transposed().scalars)
    }

    /// The transpose used by a product and by other ops: the gradients meet at `w`.
    func testATransposeUsedTwiceSumsBothPaths() throws {
        let (a, w) = (matrix(3, 4, from: -1), matrix(5, 4, from: 0.25))
        let wT = w.transposed()
        let loss = a.matmul(wT).sum() + (wT * wT).sum() + a.matmul(wT).mean()
        try loss.backward()
        // d/dW: 1·(rows of A summed) per output row + 2W + the mean's share.
        let (av, wv) = (a.scalars, w.scalars)
        var expected: [Float] = []
        for i in 0..<5 {
            for j in 0..<4 {
                let columnSum: Float = av[j] + av[4 + j] + av[8 + j]
                expected.append(columnSum + 2 * wv[i * 4 + j] + columnSum / 15)
            }
        }
        for (got, want) in zip(try XCTUnwrap(w.grad).scalars, expected) { XCTAssertEqual(got, want, accuracy: 1e-4) }
    }

    /// Until it is read, the pending transpose follows changes made to its input in place, as
    /// PyTorch's view does (`w.t()` there shares `w`'s storage).
    func testAPendingTransposeSeesItsInputUpdatedUnderNoGrad() {
        let w = matrix(2, 2, from: 0)
        let wT = w.transposed()
        withNoGrad { w += 1 }
        XCTAssertEqual(wT.scalars, [1, 2, 1.5, 2.5])
    }

    /// `transposed(0, 1)` (PyTorch's `transpose(0, 1)`, also a view there) of a matrix is the same
    /// swap: not made by a product, TransposeBackward0 as its node, the same gradients as `t()`.
    func testTransposedDimsOfAMatrixIsPendingToo() throws {
        let (a, w) = (matrix(3, 4, from: -1), matrix(5, 4, from: 0.25))
        let swapped = w.transposed(-1, 0)
        XCTAssertTrue(swapped.pendingTranspose)
        XCTAssertEqual(swapped.shape, [4, 5])
        XCTAssertEqual(swapped.gradFn?.name, "TransposeBackward0")
        let y = a.matmul(swapped)
        XCTAssertTrue(swapped.pendingTranspose)
        try (y * y).sum().backward()
        let g = withNoGrad { a.matmul(w.transposed()) * 2 }   // made at once: no history
        XCTAssertEqual(a.grad?.scalars, withNoGrad { g.matmul(w.detached()) }.scalars)
        XCTAssertEqual(w.grad?.scalars, withNoGrad { g.transposed().matmul(a.detached()) }.scalars)
        XCTAssertEqual(w.transposed(1, 0).scalars, w.transposed().scalars)
        XCTAssertFalse(w.transposed(0, 0).pendingTranspose, "the same dimension twice is a copy")
        XCTAssertFalse(matrix(2, 3, from: 0).unsqueezed(dim: 0).transposed(1, 2).pendingTranspose, "only matrices")
    }

    func testDoubleAndAMatrixTimesItsOwnTranspose() throws {
        let x = try Tensor<Double>([1, 2, 3, 4, 5, 6], shape: [2, 3], requiresGrad: true)
        let gram = x.matmul(x.transposed())            // X·Xᵀ
        XCTAssertEqual(gram.scalars, [14, 32, 32, 77])
        try gram.sum().backward()
        // d/dX of Σ X·Xᵀ = (1·X) + (1ᵀ·X) = 2 · (column sums of X) in every row... per row i: Σ_k X[k, :] twice.
        XCTAssertEqual(x.grad?.scalars, [10, 14, 18, 10, 14, 18])
    }
}
