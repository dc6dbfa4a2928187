import XCTest
@testable import Autograd
import _TestSupport

/// The subscripts beyond what indexing.json and views.json replay: which overload Swift picks,
/// Python's clamping of ranges, the slices PyTorch skips among several indices, writes through a
/// subscripted view (Note [Subscript setters]), and the trap messages.
final class SubscriptTests: XCTestCase {
    private typealias F = Tensor<Float>

    private func matrix(requiresGrad: Bool = false) throws -> F {
        try F((0..<12).map(Float.init), shape: [4, 3], requiresGrad: requiresGrad)
    }

    // MARK: - Overloads

    func testTheTensorSubscriptIsPreferredAndTheScalarOneIsChosenByType() throws {
        let x = try matrix()
        let row = x[1]
        XCTAssertTrue(type(of: row) == F.self)
        XCTAssertEqual(row.scalars, [3, 4, 5])
        let element: Float = x[1, -1]
        XCTAssertEqual(element, 5)
        XCTAssertEqual(x[2, 0] as Float, 6)
        x[0] = Float(2)                 // the Scalar setter: fills the row
        x[3] = 7                        // a literal can only be a Scalar
        x[1, 1] = -1
        XCTAssertEqual(x.scalars, [2, 2, 2, 3, -1, 5, 6, 7, 8, 7, 7, 7])
        XCTAssertEqual(x.version, 3)
        x[2] = F([0, 1, 2])             // the Tensor setter
        XCTAssertEqual(x[2].scalars, [0, 1, 2])
    }

    func testReadingAScalarRecordsNothing() throws {
        let x = try matrix(requiresGrad: true)
        let y = x * 2
        let nodes = currentGraphStats().nodeCount
        let value: Float = y[1, 2]
        XCTAssertEqual(value, 10)
        XCTAssertEqual(currentGraphStats().nodeCount, nodes)   // no view was recorded
    }

    func testResultsAreViewsOfTheStorage() throws {
        let x = try matrix()
        for view in [x[1], x[1..<3], x[.all, 2], x[.newAxis], x[.ellipsis], x[], x[.stride(0..<4, by: 3)]] {
            XCTAssertTrue(view.isView)
            XCTAssertTrue(view.data.storage === x.data.storage)
        }
        XCTAssertEqual(x[.stride(0..<4, by: 3), 1].scalars, [1, 10])
        XCTAssertEqual(x[.stride(0..<4, by: 3)].strides, [9, 1])
    }

    func testTensorIndexDescriptionIsPythons() {
        let items: [any TensorIndexExpression] = [2, 1..<3, 1...2, 1..., ..<2, ...(-1), TensorIndex.all, TensorIndex.ellipsis,
                                                 TensorIndex.newAxis, TensorIndex.stride(0..<8, by: 2)]
        XCTAssertEqual(items.map(\.tensorIndex.description), ["2", "1:3", "1:3", "1:", ":2", ":", ":", "...", "None", ":8:2"])
    }

    // MARK: - Ranges

    func testRangesAreClampedAsPythonSlices() throws {
        let x = F((0..<6).map(Float.init))
        XCTAssertEqual(x[2..<100].scalars, [2, 3, 4, 5])
        XCTAssertEqual(x[(-100)..<2].scalars, [0, 1])
        XCTAssertEqual(x[9...].shape, [0])
        XCTAssertEqual(x[9...].data.offset, 6)
        XCTAssertEqual(x[(-1)..<2].shape, [0])               // 5..<2: empty
        XCTAssertEqual(x[(-3)...(-1)].scalars, [3, 4, 5])    // a closed range through the last
        XCTAssertEqual(x[(-3)...(-2)].scalars, [3, 4])
        XCTAssertEqual(x[...(-1)].scalars, [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(x[..<(-1)].scalars, [0, 1, 2, 3, 4])
        XCTAssertEqual(x[.stride((-5)..<6, by: 2)].scalars, [1, 3, 5])
        XCTAssertEqual(x[.stride(0..<6, by: 100)].scalars, [0])
        XCTAssertEqual(x[.stride(0..<6, by: 100)].strides, [100])   // PyTorch's stride, unused
    }

    // MARK: - What PyTorch records

    func testSlicesCoveringADimensionAreSkippedAmongSeveralIndices() throws {
        let x = try matrix(requiresGrad: true)
        XCTAssertEqual(x[0..<4, 1].gradFn?.name, "SelectBackward0")
        XCTAssertEqual(x[0..<4, 0...2].gradFn?.name, "AliasBackward0")   // nothing left: an alias
        XCTAssertEqual(x[].gradFn?.name, "AliasBackward0")
        XCTAssertEqual(x[.all, .all].gradFn?.name, "AliasBackward0")     // `:` is skipped, as `0:100` is
        XCTAssertEqual(x[0..<100, 0...2].gradFn?.name, "AliasBackward0")
        XCTAssertEqual(x[0..<4].gradFn?.name, "SliceBackward0")          // but not a lone slice, read
        // One node for `x[:, ::2]` (PyTorch: SliceBackward0 straight to AccumulateGrad); two for
        // `x[-4:, ::2]`, whose start only clamps to 0 (SliceBackward0 after SliceBackward0).
        func nodes(_ view: () -> Tensor<Float>) -> Int {
            let before = currentGraphStats().nodeCount
            let v = view()
            return withExtendedLifetime(v) { currentGraphStats().nodeCount - before }
        }
        XCTAssertEqual(nodes { x[.all, .stride(0..<3, by: 2)] }, 1)
        XCTAssertEqual(nodes { x[(-4)..., .stride(0..<3, by: 2)] }, 2)
        XCTAssertEqual(x[.newAxis, .ellipsis, .newAxis].shape, [1, 4, 3, 1])
    }

    func testSettingTheWholeTensorWritesIntoItAsPyTorch() throws {
        let x = try matrix(requiresGrad: true)
        let a = x * 1
        a[0..<4] = 2                               // a lone slice PyTorch skips when writing
        XCTAssertEqual(a.gradFn?.name, "FillBackward3")
        let b = x * 1
        b[.all] = 2                                // `:` too (PyTorch 2.11: FillBackward3)
        XCTAssertEqual(b.gradFn?.name, "FillBackward3")
        let g = x * 1
        g[(-4)...] = 2                             // a start that only clamps to 0: a slice written
        XCTAssertEqual(g.gradFn?.name, "CopySlices")
        let c = x * 1
        c[.ellipsis] = F([1, 2, 3])                // broadcast: copy_
        XCTAssertEqual(c.gradFn?.name, "CopyBackwards")
        XCTAssertEqual(c.scalars, [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3])
        let s = F(5, requiresGrad: true)
        let d = x * 1
        d[.ellipsis] = s                           // a 0-d value: fill_
        XCTAssertEqual(d.gradFn?.name, "FillBackward3")
        try (d * x).sum().backward()
        XCTAssertEqual(s.grad?.scalar, 66)          // Σ x
        XCTAssertEqual(x.grad?.scalars, [Float](repeating: 5, count: 12))   // d's own values: none through a
    }

    // MARK: - Writing through views

    func testWritingThroughASubscriptOfAViewRebasesTheViewToo() throws {
        let x = try matrix(requiresGrad: true)
        let base = x * 1
        let v = base.narrow(dim: 1, start: 1, length: 2)
        v[0] = 9
        XCTAssertEqual(base.gradFn?.name, "CopySlices")
        XCTAssertEqual(v.gradFn?.name, "AsStridedBackward0")
        XCTAssertEqual(v.version, 1)
        XCTAssertEqual(base.scalars, [0, 9, 9, 3, 4, 5, 6, 7, 8, 9, 10, 11])
        XCTAssertTrue(v.data.storage === base.data.storage)
        // A gradient through the view sees the write: nothing reaches x where v[0] was written.
        try v.sum().backward()
        XCTAssertEqual(x.grad?.scalars, [0, 0, 0, 0, 1, 1, 0, 1, 1, 0, 1, 1])
    }

    /// The setter's view is its own and dies with the write: the base still counts as having no
    /// views, so its next recorded in-place op writes into the same storage (version 2, the
    /// detached alias sees it), as PyTorch's.
    func testASetterLeavesNoViewBehind() throws {
        let x = F.ones([2, 2], requiresGrad: true)
        let y = x * 1
        let alias = y.detached()
        y[0] = 5
        y += 1
        XCTAssertEqual(y.version, 2)
        XCTAssertTrue(y.data.storage === alias.data.storage)
        XCTAssertEqual(alias.scalars, [6, 6, 2, 2])
        try y.sum().backward()
        XCTAssertEqual(x.grad?.scalars, [0, 0, 1, 1])
    }

    /// A row of an expanded view written: the view is made again as AsStridedBackward0 of its
    /// base, and the gradients of its rows, which share positions, add up (PyTorch: 333, 444).
    func testAnExpandedViewWrittenThroughARow() throws {
        let x = F.ones([1, 4], requiresGrad: true)
        let base = x * 1
        let e = base.expanded(to: [3, 4])
        e[0, 0..<2] = 9
        XCTAssertEqual(e.scalars, [9, 9, 1, 1, 9, 9, 1, 1, 9, 9, 1, 1])
        let w = try F([1, 2, 3, 4, 10, 20, 30, 40, 100, 200, 300, 400], shape: [3, 4])
        try (e * w).sum().backward()
        XCTAssertEqual(e.gradFn?.name, "AsStridedBackward0")
        XCTAssertEqual(x.grad?.scalars, [0, 0, 333, 444])
    }

    func testWritingIntoATensorThatIsNotRowMajor() throws {
        let x = try matrix(requiresGrad: true)
        let y = (x * 1).transposed().cloned()      // [3, 4], laid out as a transpose, no view
        XCTAssertFalse(y.isContiguous)
        y[1, .all] = 0
        XCTAssertEqual(y.scalars, [0, 3, 6, 9, 0, 0, 0, 0, 2, 5, 8, 11])
        try (y * y).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [0, 0, 4, 6, 0, 10, 12, 0, 16, 18, 0, 22])
    }

    /// `y[1] += 10` is the tensor subscript's view changed in place (Note [Compound assignment
    /// through a subscript]): the gradient keeps flowing through the old values, as PyTorch's.
    func testCompoundAssignmentWritesThroughTheView() throws {
        let x = try matrix(requiresGrad: true)
        let y = x * 1
        let f: Float = 3
        y[1] += 10
        y[1, 2] *= f
        y[0] -= f
        y[.all, 0] /= 2
        XCTAssertEqual(y.scalars, [-1.5, -2, -1, 6.5, 14, 45, 3, 7, 8, 4.5, 10, 11])
        XCTAssertEqual(y.gradFn?.name, "CopySlices")
        try y.sum().backward()
        XCTAssertEqual(x.grad?.scalars, [0.5, 1, 1, 0.5, 1, 3, 0.5, 1, 1, 0.5, 1, 1])
        let d = Tensor<Double>.zeros([2])
        d[1] += 1
        XCTAssertEqual(d.scalars, [0, 1])
    }

    /// Pins a limit of Swift's overload resolution (the `Scalar` subscript's documentation): with
    /// a `Scalar` variable on the other side of a binary operator, the `Scalar` subscript is
    /// chosen, unless the tensor is asked for.
    func testAScalarVariableOperandPicksTheScalarSubscript() {
        let x = F([1, 2, 3])
        let f: Float = 2
        let product = x[1] * f
        XCTAssertTrue(type(of: product) == Float.self)
        XCTAssertTrue(type(of: (x[1] as F) * f) == F.self)
        XCTAssertTrue(type(of: x[1] * 2) == F.self)
    }

    func testWritingIntoALeafUnderNoGrad() throws {
        let w = try matrix(requiresGrad: true)
        withNoGrad { w[.all, 0] = 0 }
        XCTAssertEqual(w[.all, 0].scalars, [0, 0, 0, 0])
        XCTAssertTrue(w.isLeaf)
    }

    func testATakingHistoryViewWithoutGrad() throws {
        let x = try matrix()
        let s = F([1, 2, 3, 4], requiresGrad: true)
        let v = x.transposed()
        v[1] = s                                   // v has no history: the value takes it
        XCTAssertEqual(x.gradFn?.name, "CopySlices")
        XCTAssertEqual(v.gradFn?.name, "AsStridedBackward0")
        XCTAssertEqual(x[.all, 1].scalars, [1, 2, 3, 4])
        try (x * x).sum().backward()
        XCTAssertEqual(s.grad?.scalars, [2, 4, 6, 8])
    }

    // MARK: - Traps

    func testTrapMessages() throws {
        expectTrap("outOfRange", message: "index 4 is out of bounds for dimension 0 with size 4") {
            _ = try! self.matrix()[4]
        }
        expectTrap("positionNamesTheDimension", message: "index 5 is out of bounds for dimension 1 with size 4") {
            _ = F.zeros([4])[.newAxis, 5]
        }
        expectTrap("ellipsisPosition", message: "index 3 is out of bounds for dimension 1 with size 3") {
            _ = F.zeros([2, 2, 3])[.ellipsis, 3]
        }
        expectTrap("tooMany", message: "too many indices for tensor of dimension 2") {
            _ = try! self.matrix()[0, .newAxis, 0, 0]
        }
        expectTrap("tooManyOn0d", message: "too many indices for tensor of dimension 0") {
            _ = F(1)[0, .ellipsis]
        }
        expectTrap("intOn0d", message: "invalid index of a 0-dim tensor. Use `tensor.item()` in Python") {
            _ = F(1)[3]
        }
        expectTrap("sliceOn0d", message: "slice() cannot be applied to a 0-dim tensor.") {
            _ = F(1)[0..<1]
        }
        expectTrap("negativeStep", message: "step must be greater than zero") {
            _ = F.zeros([4])[.stride(0..<4, by: -1)]
        }
        expectTrap("zeroStepInSetter", message: "slice step cannot be zero") {
            let x = F.zeros([4])
            x[.stride(0..<4, by: 0)] = 1
        }
        expectTrap("twoEllipses", message: "an index can only have a single ellipsis ('...')") {
            _ = try! self.matrix()[.ellipsis, 0, .ellipsis]
        }
        expectTrap("scalarOfARow", message: "a Tensor with 3 elements cannot be converted to Scalar") {
            let f: Float = try! self.matrix()[0]
            _ = f
        }
        expectTrap("valueWithMoreDims", message: "expand(torch.FloatTensor{[2, 3]}, size=[3]): the number of sizes provided (1) must be greater or equal to the number of dimensions in the tensor (2)") {
            try! self.matrix()[0] = F.zeros([2, 3])
        }
        expectTrap("leafWhole", message: "a leaf Variable that requires grad is being used in an in-place operation.") {
            try! self.matrix(requiresGrad: true)[.ellipsis] = 1
        }
        expectTrap("viewOfLeaf", message: "a view of a leaf Variable that requires grad is being used in an in-place operation.") {
            try! self.matrix(requiresGrad: true).transposed()[0] = 1
        }
        expectTrap("expandedColumn", message: "more than one element of the written-to tensor refers to a single memory location") {
            let e = F.zeros([1, 3]).expanded(to: [4, 3])
            e[.all, 0] = 1
        }
    }
}

extension SubscriptTests {
    /// The examples of the documentation comments in Subscripts.swift, as written there.
    func testDocumentationExamples() throws {
        do {
            let x = F.zeros([4, 3])
            XCTAssertEqual(x[1].shape, [3])
            XCTAssertEqual(x[1..<3, -1].shape, [2])
            XCTAssertEqual(x[.all, .newAxis, 0...1].shape, [4, 1, 2])
            XCTAssertEqual(F.arange(8)[.stride(1..<8, by: 3)].scalars, [1, 4, 7])
        }
        do {
            let x = try F([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]], requiresGrad: true)
            XCTAssertEqual(x[1].scalars, [4, 5, 6])
            XCTAssertEqual(x[-1, 0].scalars, [10])
            XCTAssertEqual(x[1..<3, .all].shape, [2, 3])
            XCTAssertEqual(x[.all, 2].scalars, [3, 6, 9, 12])
            XCTAssertEqual(x[.stride(0..<4, by: 2), ...1].scalars, [1, 2, 7, 8])
            XCTAssertEqual(x[.newAxis].shape, [1, 4, 3])
            let y = x * 1
            y[0] = F([0, 0, 0])
            XCTAssertEqual(y.gradFn?.name, "CopySlices")
            y[.all, 1...] = F([7, 8])
            XCTAssertEqual(y.scalars, [0, 7, 8, 4, 7, 8, 7, 7, 8, 10, 7, 8])
        }
        do {
            let x = try F([[1, 2, 3], [4, 5, 6]])
            let f: Float = x[1, -1]
            XCTAssertEqual(f, 6)
            x[0] = 0
            XCTAssertEqual(x.scalars, [0, 0, 0, 4, 5, 6])
            x[.all, 1] = Float(9)
            XCTAssertEqual(x.scalars, [0, 9, 0, 4, 9, 6])
        }
    }
}
