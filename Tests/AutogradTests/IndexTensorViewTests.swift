import Autograd
import XCTest

/// The views and joins of `Int` and `Bool` tensors against the floating ones' (which PyTorch's
/// golden cases check): the same shapes, strides, offsets, values and view-ness, for every op,
/// and sharing storage with their base.
final class IndexTensorViewTests: XCTestCase {
    private typealias F = Tensor<Float>

    /// Each op applied to an Int tensor and to the Float tensor of the same values.
    private let ops: [(String, (Tensor<Int>) -> Tensor<Int>, (F) -> F)] = [
        ("reshaped", { $0.reshaped([4, -1]) }, { $0.reshaped([4, -1]) }),
        ("reshaped of a transpose (a copy)", { $0.transposed(0, 2).reshaped([-1]) }, { $0.transposed(0, 2).reshaped([-1]) }),
        ("flattened", { $0.flattened(startDim: 1) }, { $0.flattened(startDim: 1) }),
        ("unsqueezed", { $0.unsqueezed(dim: -1) }, { $0.unsqueezed(dim: -1) }),
        ("squeezed", { $0.unsqueezed(dim: 1).squeezed() }, { $0.unsqueezed(dim: 1).squeezed() }),
        ("squeezed(dim:)", { $0.unsqueezed(dim: 0).squeezed(dim: 0) }, { $0.unsqueezed(dim: 0).squeezed(dim: 0) }),
        ("expanded", { $0.select(dim: 0, index: 1).unsqueezed(dim: 0).expanded(to: [3, -1, 4]) },
                     { $0.select(dim: 0, index: 1).unsqueezed(dim: 0).expanded(to: [3, -1, 4]) }),
        ("transposed()", { $0.select(dim: 2, index: 0).transposed() }, { $0.select(dim: 2, index: 0).transposed() }),
        ("transposed(_:_:)", { $0.transposed(0, 2) }, { $0.transposed(0, 2) }),
        ("permuted", { $0.permuted([2, 0, 1]) }, { $0.permuted([2, 0, 1]) }),
        ("select", { $0.select(dim: 1, index: -1) }, { $0.select(dim: 1, index: -1) }),
        ("narrow", { $0.narrow(dim: 2, start: -3, length: 2) }, { $0.narrow(dim: 2, start: -3, length: 2) }),
        ("contiguous", { $0.permuted([1, 0, 2]).contiguous() }, { $0.permuted([1, 0, 2]).contiguous() }),
        ("cat", { Tensor.cat([$0, $0.narrow(dim: 0, start: 0, length: 1)], dim: 0) },
                { Tensor.cat([$0, $0.narrow(dim: 0, start: 0, length: 1)], dim: 0) }),
        ("stack", { Tensor.stack([$0, $0], dim: 1) }, { Tensor.stack([$0, $0], dim: 1) }),
    ]

    func testIntViewsMatchTheFloatViews() throws {
        let values = Array(0..<24)
        for (name, intOp, floatOp) in ops {
            let i = try Tensor<Int>(values, shape: [2, 3, 4])
            let f = try F(values.map(Float.init), shape: [2, 3, 4])
            let (a, b) = (intOp(i), floatOp(f))
            XCTAssertEqual(a.shape, b.shape, name)
            XCTAssertEqual(a.strides, b.strides, name)
            XCTAssertEqual(a.data.offset, b.data.offset, name)
            XCTAssertEqual(a.scalars.map(Float.init), b.scalars, name)
            XCTAssertEqual(a.isView, b.isView, name)
            XCTAssertEqual(a.data.storage === i.data.storage, b.data.storage === f.data.storage, name)
            XCTAssertFalse(a.requiresGrad, name)
        }
    }

    func testBoolViewsAndAWriteThroughOne() throws {
        let m = try Tensor<Bool>([true, false, false, true, true, false], shape: [2, 3])
        XCTAssertEqual(m.transposed().scalars, [true, true, false, true, false, false])
        XCTAssertEqual(m.reshaped([-1]).shape, [6])
        XCTAssertEqual(Tensor<Bool>.cat([m, m], dim: 1).shape, [2, 6])
        // A view shares storage and version with its base: an in-place op on an Int view is seen there.
        let i = Tensor<Int>([1, 2, 3, 4])
        let row = i.reshaped([2, 2]).select(dim: 0, index: 1)
        row += 10
        XCTAssertEqual(i.scalars, [1, 2, 13, 14])
        XCTAssertEqual(i.version, 1)
    }

    /// The pattern the views are for: a class's log-probability picked by `gather` with the labels
    /// as a column.
    func testGatherWithUnsqueezedLabels() throws {
        let logits = try F([[0.5, 1.5, -1], [2, 0, 1]], requiresGrad: true)
        let labels = Tensor<Int>([1, 0])
        let picked = logits.gather(dim: 1, index: labels.unsqueezed(dim: 1))
        XCTAssertEqual(picked.shape, [2, 1])
        XCTAssertEqual(picked.scalars, [1.5, 2])
        try picked.sum().backward()
        XCTAssertEqual(logits.grad?.scalars, [0, 1, 0, 1, 0, 0])
    }
}
