import XCTest
@testable import Autograd

/// An op whose two operands are one tensor: its data is lent once and copied for the second
/// operand (`Tensor.withData(_:_:_:)`, Note [Lending data]), and both edges lead to the same leaf.
final class SameOperandTests: XCTestCase {
    func testBinaryOpsOnOneTensor() throws {
        let a = try Tensor<Float>([[1, -2], [3, 0.5]], requiresGrad: true)
        let cases: [(String, (Tensor<Float>) -> Tensor<Float>, [Float], [Float])] = [
            ("a + a", { $0 + $0 }, [2, -4, 6, 1], [2, 2, 2, 2]),
            ("a - a", { $0 - $0 }, [0, 0, 0, 0], [0, 0, 0, 0]),
            ("a * a", { $0 * $0 }, [1, 4, 9, 0.25], [2, -4, 6, 1]),
            ("a / a", { $0 / $0 }, [1, 1, 1, 1], [0, 0, 0, 0]),
            // [[1,-2],[3,0.5]]² = [[-5, -3], [4.5, -5.75]]; d(sum(A·A))/dA = 1·Aᵀ + Aᵀ·1 (row sums, column sums)
            ("a.matmul(a)", { $0.matmul($0) }, [-5, -3, 4.5, -5.75], [3, 7.5, -2.5, 2]),
        ]
        for (name, f, value, grad) in cases {
            a.zeroGrad()
            let y = f(a)
            XCTAssertEqual(y.scalars, value, name)
            try y.sum().backward()
            XCTAssertEqual(a.grad!.scalars, grad, name)
        }
    }

    /// A tensor with history lends its data in place (Note [Lending data]), a Double one too.
    func testATensorWithHistoryLendsItsOwnData() {
        let d = Tensor<Double>([1, 2], requiresGrad: true) * 2
        XCTAssertEqual(d.withData { $0.scalars }, [2, 4])
        XCTAssertTrue(d.withData { $0.storage } === d.data.storage)
    }
}
