import XCTest
import Autograd
import _TestSupport

/// Subscripts with a `Tensor<Int>` index or a `Tensor<Bool>` mask beyond what indexing.json
/// replays: setting a tensor value that requires grad, writing through a view, reading one
/// element, and the traps (a value that does not broadcast, a tensor index mixed with others).
final class TensorIndexSubscriptTests: XCTestCase {
    private typealias D = Tensor<Double>

    private func weights() throws -> D { try D([1, 2, 3, 4, 5, 6], shape: [3, 2]) }

    /// `y[i] = v`: IndexPutBackward0; `v` gets the gradient of the rows it was written to,
    /// summed over its broadcast; `x` none where written over.
    func testSettingATensorValueThatRequiresGrad() throws {
        let x = try D([1, 2, 3, 4, 5, 6], shape: [3, 2], requiresGrad: true)
        let v = try D([10, 20], shape: [1, 2], requiresGrad: true)
        let y = x * 1
        y[Tensor<Int>([2, 0])] = v
        XCTAssertEqual(y.gradFn?.name, "IndexPutBackward0")
        XCTAssertEqual(y.version, 1)
        XCTAssertEqual(y.scalars, [10, 20, 3, 4, 10, 20])
        try (y * weights()).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [0, 0, 3, 4, 0, 0])
        XCTAssertEqual(v.grad?.shape, [1, 2])
        XCTAssertEqual(v.grad?.scalars, [1 + 5, 2 + 6])
    }

    /// Through a view of a base with history, the base becomes CopySlices' output and the view
    /// AsStridedBackward0's, as for every in-place op on a view.
    func testSettingThroughAViewRebasesTheBase() throws {
        let x = try D([1, 2, 3, 4, 5, 6], shape: [3, 2], requiresGrad: true)
        let base = x * 1
        let row = base[1]
        row[Tensor<Bool>([true, false])] = 7
        XCTAssertEqual(base.scalars, [1, 2, 7, 4, 5, 6])
        XCTAssertEqual(base.gradFn?.name, "CopySlices")
        XCTAssertEqual(row.gradFn?.name, "AsStridedBackward0")
        try (base * weights()).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [1, 2, 0, 4, 5, 6])
    }

    /// Without grad the write goes into the storage, shared with views, and bumps the version.
    func testSettingWithoutGradWritesTheStorage() throws {
        let x = try D([1, 2, 3, 4], shape: [4])
        let alias = x.reshaped([2, 2])
        x[x .> 2] = 0
        XCTAssertEqual(alias.scalars, [1, 2, 0, 0])
        XCTAssertEqual(x.version, 1)
        XCTAssertNil(x.gradFn)
    }

    func testReadingOneElement() throws {
        let x = try D([1, 2, 3, 4], shape: [4])
        let f: Double = x[Tensor<Int>([-1])]
        XCTAssertEqual(f, 4)
    }

    func testTraps() throws {
        expectTrap("mixed", message: "a Tensor<Int> index or Tensor<Bool> mask must be the only index") {
            let x = D.zeros([3, 2])
            _ = x[Tensor<Int>([0]), 1] as D
        }
        expectTrap("valueShape", message: "shape mismatch: value tensor of shape [3] cannot be broadcast to indexing result of shape [2, 2]") {
            let x = D.zeros([3, 2])
            x[Tensor<Int>([0, 1])] = D([1, 2, 3])
        }
        expectTrap("maskTooLarge", message: "too many indices for tensor of dimension 1") {
            let x = D.zeros([2])
            _ = x[Tensor<Bool>.ones([2, 1])] as D
        }
    }
}
