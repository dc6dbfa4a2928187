import XCTest
import Autograd
import _TestSupport

/// In-place operations (`+= -= *= /=`, `zero()`, `fill(_:)`, `copy(from:)`) with PyTorch's rules:
/// a leaf that requires grad can't be changed in place while grad mode is on (trap); it can under
/// `withNoGrad` (an optimizer's update); a value saved for a derivative that is changed in place
/// makes backward throw `savedTensorModified` instead of giving a wrong gradient; in-place
/// changes of values nobody saved keep gradients right; views share storage.
final class InPlaceTests: XCTestCase {
    static let leafMessage = "a leaf Variable that requires grad is being used in an in-place operation."

    /// Every in-place operation, by name, applied to a `[3]` tensor.
    static func operations<S: TensorScalar>(_: S.Type) -> [(String, (Tensor<S>) -> Void)] {
        [
            ("addTensor", { $0 += Tensor<S>.ones([3]) }), ("subTensor", { $0 -= Tensor<S>.ones([3]) }),
            ("mulTensor", { $0 *= Tensor<S>.ones([3]) }), ("divTensor", { $0 /= Tensor<S>.ones([3]) }),
            ("addScalar", { $0 += 1 }), ("subScalar", { $0 -= 1 }), ("mulScalar", { $0 *= 2 }), ("divScalar", { $0 /= 2 }),
            ("zero", { $0.zero() }), ("fill", { $0.fill(2) }), ("copy", { $0.copy(from: Tensor<S>.ones([3])) }),
        ]
    }

    // MARK: - Leaves that require grad

    func testInPlaceOnALeafThatRequiresGradTraps() {
        for (name, op) in Self.operations(Float.self) {
            expectTrap(name, message: Self.leafMessage) { op(Tensor<Float>.ones([3], requiresGrad: true)) }
        }
        expectTrap("double", message: Self.leafMessage) { Tensor<Double>.ones([3], requiresGrad: true) *= 3 }
        // A tensor that was made to require grad after creation is such a leaf too.
        expectTrap("requiresGradSetLater", message: Self.leafMessage) {
            let x = Tensor<Float>([1, 2, 3])
            x.requiresGrad = true
            x += 1
        }
        // With a right-hand side that requires grad as well.
        expectTrap("rhsRequiresGrad", message: Self.leafMessage) {
            Tensor<Float>.ones([3], requiresGrad: true) += Tensor<Float>.ones([3], requiresGrad: true)
        }
        // Grad mode switched back on inside no-grad.
        expectTrap("enableGradInsideNoGrad", message: Self.leafMessage) {
            let x = Tensor<Float>.ones([3], requiresGrad: true)
            withNoGrad { withGradEnabled(true) { x -= 1 } }
        }
    }

    func testInPlaceOnALeafIsAllowedInsideNoGrad() throws {
        for (name, op) in Self.operations(Float.self) {
            let x = Tensor<Float>([1, 2, 4], requiresGrad: true)
            withNoGrad { op(x) }
            XCTAssertTrue(x.isLeaf && x.requiresGrad, name)
            XCTAssertNil(x.gradFn, name)
            let expected: [Float] = switch name {
            case "addTensor", "addScalar": [2, 3, 5]
            case "subTensor", "subScalar": [0, 1, 3]
            case "mulTensor", "divTensor": [1, 2, 4]
            case "mulScalar": [2, 4, 8]
            case "divScalar": [0.5, 1, 2]
            case "zero": [0, 0, 0]
            case "fill": [2, 2, 2]
            default: [1, 1, 1]
            }
            XCTAssertEqual(x.scalars, expected, name)
        }
        // withGradEnabled(false) is no-grad too.
        let y = Tensor<Double>([1, 2], requiresGrad: true)
        withGradEnabled(false) { y *= 3 }
        XCTAssertEqual(y.scalars, [3, 6])
    }

    /// The optimizer step users write by hand: forward, backward, update in place under no-grad,
    /// then the next step sees the new values and gives the gradient at them.
    func testManualSGDStepUnderNoGrad() throws {
        let w = Tensor<Float>([1, 2, 3], requiresGrad: true)
        for step in 0..<3 {
            let loss = (w * w).sum()
            try loss.backward()
            XCTAssertEqual(w.grad?.scalars, w.scalars.map { 2 * $0 }, "step \(step)")
            withNoGrad { w -= w.grad! * 0.25 }   // w ← w − 0.25 · 2w = w / 2
            w.zeroGrad()
        }
        XCTAssertEqual(w.scalars, [0.125, 0.25, 0.375])
        XCTAssertTrue(w.isLeaf && w.requiresGrad)
    }

    // MARK: - Saved values changed in place

    private func assertSavedTensorModified<S: TensorScalar>(
        _ loss: Tensor<S>, outputOf: String?, version: Int, expected: Int, shape: [Int],
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try loss.backward(), file: file, line: line) { error in
            guard case let .savedTensorModified(tensor, producer, v, e)? = error as? AutogradError else {
                return XCTFail("expected savedTensorModified, got \(error)", file: file, line: line)
            }
            XCTAssertEqual(producer, outputOf, file: file, line: line)
            XCTAssertEqual(v, version, file: file, line: line)
            XCTAssertEqual(e, expected, file: file, line: line)
            let type = S.self == Double.self ? "torch.DoubleTensor" : "torch.FloatTensor"
            XCTAssertEqual(tensor, "[\(type) [\(shape.map(String.init).joined(separator: ", "))]]", file: file, line: line)
            let text = "\(error)"
            let parts = ["modified by an inplace operation", outputOf.map { "which is output 0 of \($0)," },
                         "is at version \(version); expected version \(expected)"]
            for part in parts.compactMap({ $0 }) {
                XCTAssertTrue(text.contains(part), "description lacks \"\(part)\": \(text)", file: file, line: line)
            }
        }
    }

    func testBackwardThrowsWhenASavedInputWasModified() throws {
        let x = Tensor<Float>([1, 2], requiresGrad: true)
        let w = Tensor<Float>([3, 4])           // a constant, saved by the product
        let loss = (x * w).sum()
        w += 1
        assertSavedTensorModified(loss, outputOf: nil, version: 1, expected: 0, shape: [2])
        XCTAssertNil(x.grad, "a thrown backward writes no gradient")
        // PyTorch 2.11's own text for this case (SavedTensorErrorTests replays many more).
        XCTAssertEqual(
            AutogradError.savedTensorModified(tensor: "[torch.FloatTensor [2]]", outputOf: nil, version: 1, expected: 0).description,
            "one of the variables needed for gradient computation has been modified by an inplace operation: [torch.FloatTensor [2]] is at version 1; expected version 0 instead. Hint: enable anomaly detection to find the operation that failed to compute its gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).")
    }

    func testBackwardThrowsWhenASavedOutputWasModifiedThroughADetachedAlias() {
        let x = Tensor<Double>([0, 1, 2], requiresGrad: true)
        let y = x.exp()                          // ExpBackward0 saves its output
        let alias = y.detached()                 // same storage, no history: in place is allowed
        alias *= 2
        alias += 1
        assertSavedTensorModified(y.sum(), outputOf: "ExpBackward0", version: 2, expected: 0, shape: [3])
    }

    func testBackwardThrowsWhenAParameterIsUpdatedBeforeBackward() {
        // The classic mistake: the optimizer's update runs between forward and backward. `w` is
        // saved for the gradient of the layer's input (which needs one here: a first layer's
        // input needs none, and PyTorch, like us, then keeps no `w` and raises nothing).
        let x = Tensor<Float>.ones([4, 3], requiresGrad: true)
        let w = Tensor<Float>.ones([3, 2], requiresGrad: true)
        let loss = x.matmul(w).sum()
        withNoGrad { w -= 0.1 }
        assertSavedTensorModified(loss, outputOf: nil, version: 1, expected: 0, shape: [3, 2])
        XCTAssertNil(w.grad)
    }

    func testExpectedVersionIsTheVersionAtSaveTime() {
        let x = Tensor<Float>([1, 2, 3], requiresGrad: true)
        let c = Tensor<Float>([1, 1, 1])
        c.fill(2)                                 // version 1 before it is saved
        let loss = (x / c).sum()                  // DivBackward0 saves x and c
        c.copy(from: Tensor<Float>([3, 3, 3]))    // version 2
        assertSavedTensorModified(loss, outputOf: nil, version: 2, expected: 1, shape: [3])
    }

    func testEveryInPlaceOperationBumpsTheVersion() {
        for (name, op) in Self.operations(Float.self) {
            let x = Tensor<Float>([1, 2, 4], requiresGrad: true)
            let c = Tensor<Float>([1, 2, 3])
            let loss = (x * c).sum()
            op(c)
            assertSavedTensorModified(loss, outputOf: nil, version: 1, expected: 0, shape: [3])
            _ = name
        }
    }

    func testUnmodifiedSavedValuesStillWork() throws {
        // Modifying a tensor that the graph did not save is fine.
        let x = Tensor<Float>([1, 2], requiresGrad: true)
        let c = Tensor<Float>([5, 5])
        let loss = (x + c).sum()                  // AddBackward0 saves no tensor
        c *= 10
        try loss.backward()
        XCTAssertEqual(x.grad?.scalars, [1, 1])
    }

    // MARK: - In-place on values nobody saved: gradients stay right

    /// In-place ops on intermediate values (with history, or constants that take history from a
    /// right-hand side that requires grad) inside a program checked against central differences.
    /// The finite differences run the same program under `withNoGrad`, where each in-place op
    /// writes its storage for real.
    func testInPlaceOnIntermediatesMatchesFiniteDifferences() throws {
        var generator = RandomGenerator(seed: 11)
        let program: ([Tensor<Double>]) -> Tensor<Double>? = { xs in
            let (a, b) = (xs[0], xs[1])           // [2, 3], [3]
            let y = a * 2
            y += b                                // broadcast right-hand side
            y *= a
            y -= 1
            y /= b
            y += 3
            y *= 0.5
            y -= 2
            y /= 4
            y += y                                // aliasing right-hand side
            let c = Tensor<Double>.ones([2, 3])   // a constant that takes b's history
            c *= b
            let buffer = Tensor<Double>.zeros([2, 3])
            buffer.copy(from: b.exp())            // broadcast copy from a value that requires grad
            // Not the output of tanh or sigmoid, which their nodes save: PyTorch's backward raises
            // when that is overwritten, and so does ours.
            let z = (a * a).abs()
            z.fill(0.5)                           // no gradient reaches a * a through the fill
            z += a
            let gone = -a
            gone.zero()
            gone -= b
            return y.tanh() * c + buffer * z + gone
        }
        let inputs = [
            Gradcheck.Input<Double>(values: Gradcheck.sample("any", count: 6, using: &generator), shape: [2, 3]),
            Gradcheck.Input<Double>(values: Gradcheck.sample("nonzero", count: 3, using: &generator), shape: [3]),
        ]
        let report = try XCTUnwrap(Gradcheck.check(program, inputs: inputs, using: &generator))
        XCTAssertEqual(report.compared, 9)
        XCTAssertTrue(report.passed, report.failures.joined(separator: "\n"))
    }

    func testInPlaceOnAValueWithHistoryRecordsTheOperation() throws {
        let x = Tensor<Float>([1, 2], requiresGrad: true)
        let y = x * 3
        y += 1
        XCTAssertEqual(y.gradFn?.name, "AddBackward0")
        y *= x
        XCTAssertEqual(y.gradFn?.name, "MulBackward0")
        XCTAssertFalse(y.isLeaf)
        try y.sum().backward()
        // y = (3x + 1) x, dy/dx = 6x + 1
        XCTAssertEqual(x.grad?.scalars, [7, 13])
    }

    // MARK: - Views share storage

    func testViewsShareStorage() throws {
        let base = Tensor<Float>.zeros([2, 3])
        let flat = base.reshaped([6])
        flat += 1
        XCTAssertEqual(base.scalars, [1, 1, 1, 1, 1, 1], "a reshaped view writes through to its base")
        let column = base.reshaped([6, 1])
        withNoGrad { column *= Tensor<Float>([1, 2, 3, 4, 5, 6]).reshaped([6, 1]) }
        XCTAssertEqual(base.scalars, [1, 2, 3, 4, 5, 6])
        let lifted = base.unsqueezed(dim: 0)
        lifted -= 1
        XCTAssertEqual(flat.scalars, [0, 1, 2, 3, 4, 5], "views of one base see each other's writes")
        base.detached().fill(7)
        XCTAssertEqual(lifted.scalars, [7, 7, 7, 7, 7, 7])
    }

    func testViewOfAParameterUpdatedUnderNoGradChangesTheParameter() throws {
        let w = Tensor<Float>.ones([2, 2], requiresGrad: true)
        withNoGrad {
            let flat = w.reshaped([4])             // under no-grad: no history, in place allowed
            flat -= Tensor<Float>([1, 2, 3, 4])
        }
        XCTAssertEqual(w.scalars, [0, -1, -2, -3])
        XCTAssertTrue(w.isLeaf && w.requiresGrad)
    }

    func testWriteThroughAViewBumpsTheBasesVersion() {
        let x = Tensor<Float>([1, 2, 3, 4], requiresGrad: true)
        let c = Tensor<Float>([[1, 2], [3, 4]].flatMap { $0 })
        let loss = (x * c).sum()
        c.reshaped([2, 2]).fill(0)                 // the version lives in the shared storage
        assertSavedTensorModified(loss, outputOf: nil, version: 1, expected: 0, shape: [4])
    }

    /// In grad mode, an in-place op on a view of a leaf that requires grad traps, as in PyTorch
    /// ("a view of a leaf Variable that requires grad is being used in an in-place operation.").
    /// Without this check the op was recorded out of place and the parameter silently kept its
    /// old values.
    func testInPlaceOnAViewOfALeafThatRequiresGradTraps() throws {
        let message = "a view of a leaf Variable that requires grad is being used in an in-place operation."
        expectTrap("reshaped", message: message) {
            let w = Tensor<Float>.ones([2, 2], requiresGrad: true)
            w.reshaped([4]) -= 1
        }
        expectTrap("unsqueezedTwice", message: message) {
            let w = Tensor<Float>.ones([3], requiresGrad: true)
            w.unsqueezed(dim: 0).unsqueezed(dim: 0).fill(0)
        }
        expectTrap("transposed1d", message: message) {
            let w = Tensor<Double>.ones([3], requiresGrad: true)
            w.transposed() *= 2
        }
        // PyTorch's transposes and expand are views, whatever ours do (PyTorch 2.11 traps on
        // each of these): a matrix's t(), transpose(0, 1), transpose(0, 0), expand, t().t().
        expectTrap("transposedMatrix", message: message) {
            try! Tensor<Float>([[1, 2], [3, 4]], requiresGrad: true).transposed() += 1
        }
        expectTrap("transposedDims", message: message) {
            try! Tensor<Float>([[1, 2], [3, 4]], requiresGrad: true).transposed(0, 1) *= 2
        }
        expectTrap("transposedSameDim", message: message) {
            try! Tensor<Float>([[1, 2], [3, 4]], requiresGrad: true).transposed(0, 0).fill(0)
        }
        expectTrap("expanded", message: message) {
            Tensor<Float>.ones([1, 2], requiresGrad: true).expanded(to: [2, 2]) -= 1
        }
        expectTrap("transposedTwice", message: message) {
            try! Tensor<Float>([[1, 2], [3, 4]], requiresGrad: true).transposed().transposed() += 1
        }
        // A view of a value computed from the leaf is not a view of the leaf: recorded through
        // its base (CopySlices), and the leaf keeps its values (PyTorch: the same).
        let w = try Tensor<Float>([[1, 2], [3, 4]], requiresGrad: true)
        let t = (w * 1).transposed()
        t += 1
        XCTAssertEqual(w.scalars, [1, 2, 3, 4])
        XCTAssertEqual(t.scalars, [2, 4, 3, 5])
        XCTAssertEqual(t.gradFn?.name, "AsStridedBackward0")
    }

    /// `backward(gradient:)` does not copy the gradient up front; a `grad` that would be the
    /// caller's tensor itself (passed on unchanged by an addition, or on a leaf) gets a copy, so
    /// that writing to the caller's tensor later changes no gradient, and two leaves never share
    /// one buffer for the same elements. A view of it is kept, as PyTorch keeps it.
    func testGradientPassedToBackwardIsNeverAliasedByAGrad() throws {
        let a = Tensor<Float>([1, 2, 3, 4], requiresGrad: true)
        let b = Tensor<Float>([5, 6, 7, 8], requiresGrad: true)
        let g = Tensor<Float>([1, 1, 1, 1])
        try (a + b).backward(gradient: g)
        let r = Tensor<Float>([1, 2, 3, 4], requiresGrad: true)
        try r.reshaped([2, 2]).backward(gradient: Tensor<Float>([[1, 1], [1, 1]]))
        let leaf = Tensor<Float>([1, 2], requiresGrad: true)
        let h = Tensor<Float>([3, 4])
        try leaf.backward(gradient: h)
        let m = Tensor<Float>([1, 2, 3, 4], requiresGrad: true)
        try (m * 2).backward(gradient: g)   // a new buffer: nothing to copy, and nothing shared
        XCTAssertFalse(a.grad!.data.storage === g.data.storage)
        XCTAssertFalse(b.grad!.data.storage === g.data.storage)
        XCTAssertFalse(a.grad!.data.storage === b.grad!.data.storage)
        XCTAssertFalse(leaf.grad!.data.storage === h.data.storage)
        g += 10
        h += 10
        XCTAssertEqual(a.grad!.scalars, [1, 1, 1, 1])
        XCTAssertEqual(b.grad!.scalars, [1, 1, 1, 1])
        XCTAssertEqual(r.grad!.scalars, [1, 1, 1, 1])
        XCTAssertEqual(leaf.grad!.scalars, [3, 4])
        XCTAssertEqual(m.grad!.scalars, [2, 2, 2, 2])
        // A view of the caller's gradient is a gradient of its own, kept without a copy, as
        // PyTorch's AccumulateGrad keeps it: `cat`'s slices share the caller's storage.
        let parts = [Tensor<Float>([1, 2], requiresGrad: true), Tensor<Float>([3], requiresGrad: true)]
        let joined = Tensor<Float>([4, 5, 6])
        try Tensor.cat(parts).backward(gradient: joined)
        XCTAssertTrue(parts[0].grad!.data.storage === joined.data.storage)
        XCTAssertEqual(parts[1].grad!.scalars, [6])
    }
}
