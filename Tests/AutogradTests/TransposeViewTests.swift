import XCTest
@testable import Autograd

/// `t()` is a view (no copy), and `x.matmul(w.t())` hands BLAS `w` with a transpose flag; the
/// product's derivative for the view is formed in the view's layout, so the transpose's own
/// derivative gives `w` a row-major gradient without a copy either. What users see: values,
/// printed text, strides, `grad_fn`s, gradients (also where the transpose's own gradient is
/// retained or it feeds other ops too).
final class TransposeViewTests: XCTestCase {
    private func matrix(_ rows: Int, _ cols: Int, from start: Float, requiresGrad: Bool = true) -> Tensor<Float> {
        try! Tensor<Float>((0..<rows * cols).map { start + Float($0) * 0.5 }, shape: [rows, cols], requiresGrad: requiresGrad)
    }

    func testAProductReadsTheMatrixAndNeverMakesTheTranspose() throws {
        let (a, w) = (matrix(3, 4, from: -1), matrix(5, 4, from: 0.25))
        let wT = w.transposed()
        XCTAssertTrue(wT.data.storage === w.data.storage, "a view")
        XCTAssertEqual(wT.shape, [4, 5])
        XCTAssertEqual(wT.strides, [1, 4])
        XCTAssertFalse(wT.isContiguous)
        let y = a.matmul(wT)
        XCTAssertEqual(y.gradFn?.name, "MmBackward0")
        XCTAssertEqual(wT.gradFn?.name, "TBackward0")
        let eager = withNoGrad { a.matmul(w.transposed()) }
        XCTAssertEqual(y.scalars, eager.scalars)
        try (y * y).sum().backward()
        XCTAssertEqual(w.grad?.strides, [4, 1], "a row-major gradient")
        // d/dA = 2Y·W, d/dW = 2Yᵀ·A, from the values alone.
        let g = withNoGrad { eager * 2 }
        XCTAssertEqual(a.grad?.scalars, withNoGrad { g.matmul(w.detached()) }.scalars)
        XCTAssertEqual(w.grad?.scalars, withNoGrad { g.transposed().matmul(a.detached()) }.scalars)
    }

    func testReadingTheTransposeGivesItsElements() throws {
        let w = matrix(2, 3, from: 1)
        let wT = w.transposed()
        XCTAssertEqual(wT.description, "tensor([[1.0000, 2.5000],\n        [1.5000, 3.0000],\n        [2.0000, 3.5000]], grad_fn=<TBackward0>)")
        XCTAssertEqual(w.transposed().scalars, [1, 2.5, 1.5, 3, 2, 3.5])
        XCTAssertEqual(w.transposed().transposed().scalars, w.scalars)
        XCTAssertEqual(w.transposed().count, 6)
        XCTAssertEqual(w.transposed().rank, 2)
        // Not recorded (no grad needed, or no-grad mode): a view all the same.
        XCTAssertEqual(matrix(2, 3, from: 0, requiresGrad: false).transposed().strides, [1, 3])
        XCTAssertEqual(withNoGrad { w.transposed() }.strides, [1, 3])
        let cut = w.transposed()
        cut.detach()
        XCTAssertEqual(cut.scalars, [1, 2.5, 1.5, 3, 2, 3.5])
    }

    /// The transpose's own gradient, retained, is the product's part, in the view's layout.
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

    /// The transpose follows changes made to its input in place, as PyTorch's view does.
    func testATransposeSeesItsInputUpdatedUnderNoGrad() {
        let w = matrix(2, 2, from: 0)
        let wT = w.transposed()
        withNoGrad { w += 1 }
        XCTAssertEqual(wT.scalars, [1, 2, 1.5, 2.5])
    }

    /// `transposed(0, 1)` (PyTorch's `transpose(0, 1)`) of a matrix is the same swap:
    /// TransposeBackward0 as its node, the same gradients as `t()`.
    func testTransposedDimsOfAMatrixIsAViewToo() throws {
        let (a, w) = (matrix(3, 4, from: -1), matrix(5, 4, from: 0.25))
        let swapped = w.transposed(-1, 0)
        XCTAssertTrue(swapped.data.storage === w.data.storage)
        XCTAssertEqual(swapped.shape, [4, 5])
        XCTAssertEqual(swapped.gradFn?.name, "TransposeBackward0")
        let y = a.matmul(swapped)
        try (y * y).sum().backward()
        let g = withNoGrad { a.matmul(w.transposed()) * 2 }   // made at once: no history
        XCTAssertEqual(a.grad?.scalars, withNoGrad { g.matmul(w.detached()) }.scalars)
        XCTAssertEqual(w.grad?.scalars, withNoGrad { g.transposed().matmul(a.detached()) }.scalars)
        XCTAssertEqual(w.transposed(1, 0).scalars, w.transposed().scalars)
        XCTAssertEqual(w.transposed(0, 0).strides, [4, 1], "the same dimension twice")
        XCTAssertEqual(matrix(2, 3, from: 0).unsqueezed(dim: 0).transposed(1, 2).strides, [6, 1, 3])
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
