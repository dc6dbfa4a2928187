import Foundation
import XCTest
import Autograd
import _TestSupport

/// In-place ops in grad mode, replayed against PyTorch: `grad` assignment, `retainGrad()` of a
/// tensor changed in place, writes into shared storage, saved values changed or detached in
/// place, views taken before their base required grad.
///
/// `Tests/Fixtures/inplace.json`, written by `Tests/Fixtures/make_inplace_fixture.py` with torch
/// 2.11.0, holds for each program the values and gradients it read (`results`) and the message
/// of the RuntimeError it raised (`error`, or `null`). The programs here are the script's, id for
/// id; where PyTorch raises at an assignment or an in-place op, ours traps with the same message
/// (`expectTrap`, in a child process).
final class InPlaceSemanticsTests: XCTestCase {
    private typealias F = Tensor<Float>

    private struct Case {
        let results: [String: Any]
        let error: String?
    }

    /// Read at each use (a static stored value would have to be `Sendable`); the file is small.
    private static var fixture: [String: Case] {
        let data = try! Data(contentsOf: Fixtures.url("inplace.json"))
        let root = try! JSONSerialization.jsonObject(with: data) as! [String: Any]
        var cases: [String: Case] = [:]
        for c in root["cases"] as! [[String: Any]] {
            cases[c["id"] as! String] = Case(results: c["results"] as! [String: Any], error: c["error"] as? String)
        }
        return cases
    }

    /// What a program read: float lists (`NSNull` for an unset gradient, as JSON's `null`),
    /// names, numbers.
    private typealias Results = [String: Any]

    private static func flat(_ t: F?) -> Any { t.map { $0.scalars.map(Double.init) } ?? NSNull() }

    /// Runs program `id` and compares what it read, and what its backward threw, with PyTorch's.
    private func check(_ id: String, file: StaticString = #filePath, line: UInt = #line,
                       _ program: (inout Results) throws -> Void) {
        guard let expected = Self.fixture[id] else { return XCTFail("\(id): not in inplace.json", file: file, line: line) }
        var results: Results = [:]
        var thrown: String?
        do { try program(&results) } catch { thrown = "\(error)" }
        XCTAssertEqual(thrown, expected.error, "\(id): the error", file: file, line: line)
        XCTAssertEqual(Set(results.keys), Set(expected.results.keys), "\(id): what was read", file: file, line: line)
        for (key, value) in expected.results {
            guard let ours = results[key] else { continue }
            switch (value, ours) {
            case (is NSNull, is NSNull):
                break
            case let (theirs as [Double], ours as [Double]):
                XCTAssertEqual(ours.count, theirs.count, "\(id).\(key)", file: file, line: line)
                for (a, b) in zip(ours, theirs) where Swift.abs(a - b) > 1e-6 * Swift.max(1, Swift.abs(b)) {
                    XCTFail("\(id).\(key): \(ours), PyTorch \(theirs)", file: file, line: line)
                    break
                }
            case let (theirs as String, ours as String):
                XCTAssertEqual(ours, theirs, "\(id).\(key)", file: file, line: line)
            case let (theirs as Int, ours as Int):
                XCTAssertEqual(ours, theirs, "\(id).\(key)", file: file, line: line)
            default:
                XCTFail("\(id).\(key): \(String(describing: ours)), PyTorch \(value)", file: file, line: line)
            }
        }
    }

    private func message(_ id: String) -> String { Self.fixture[id]!.error! }

    // MARK: - grad assignment

    /// The next backward would add a gradient of `x`'s shape to it, or write into `x` itself:
    /// PyTorch refuses the assignment; a setter can't throw, so ours traps with its message.
    func testAssigningAGradOfAnotherShapeOrTheTensorItselfTraps() {
        expectTrap("gradOfAnotherShape", message: message("gradOfAnotherShape")) {
            F([1, 2], requiresGrad: true).grad = F.ones([3])
        }
        expectTrap("gradOfAnotherRank", message: message("gradOfAnotherRank")) {
            F([1, 2], requiresGrad: true).grad = F.ones([1, 2])
        }
        expectTrap("gradIsItself", message: message("gradIsItself")) {
            let x = F([1, 2], requiresGrad: true)
            x.grad = x
        }
        // A gradient of the right shape, and nil, are taken.
        let x = F([1, 2], requiresGrad: true)
        x.grad = F([3, 4])
        XCTAssertEqual(x.grad?.scalars, [3, 4])
        x.grad = nil
        XCTAssertNil(x.grad)
    }

    // MARK: - retainGrad, then in place

    /// The retained gradient is the one of the tensor's newest value, as in PyTorch.
    func testRetainedGradIsTheNewestValuesAfterAnInPlaceOp() {
        check("retainedThenMul") { r in
            let x = F([1], requiresGrad: true)
            let a = x * 1
            a.retainGrad()
            a *= 2
            try a.sum().backward()
            r["a_grad"] = Self.flat(a.grad); r["x_grad"] = Self.flat(x.grad)
        }
        check("retainedThenMulTwice") { r in
            let x = F([1], requiresGrad: true)
            let a = x * 1
            a.retainGrad()
            a *= 2
            a *= 2
            try a.sum().backward()
            r["a_grad"] = Self.flat(a.grad); r["x_grad"] = Self.flat(x.grad)
        }
        check("retainedThenAddTensor") { r in
            let (x, y) = (F([1, 2], requiresGrad: true), F([3, -1], requiresGrad: true))
            let a = x * 2
            a.retainGrad()
            a += y
            try (a * a).sum().backward()
            r["a_grad"] = Self.flat(a.grad); r["x_grad"] = Self.flat(x.grad); r["y_grad"] = Self.flat(y.grad)
        }
        check("retainedThenFill") { r in
            let x = F([1, 2], requiresGrad: true)
            let a = x * 1
            a.retainGrad()
            a.fill(2)
            try (a * 3).sum().backward()
            r["a_grad"] = Self.flat(a.grad); r["x_grad"] = Self.flat(x.grad)
        }
        // Through a view: the view's retained gradient is its newest value's too.
        check("retainedViewThenMul") { r in
            let x = try F([[1, 2], [3, 4]], requiresGrad: true)
            let v = (x * 1).reshaped([4])
            v.retainGrad()
            v *= 2
            try (v * 3).sum().backward()
            r["v_grad"] = Self.flat(v.grad); r["x_grad"] = Self.flat(x.grad)
        }
    }

    // MARK: - In place on a non-leaf

    /// `z = x * 1.5; z op= rhs` writes into z's storage: an alias from `detached()` and a reshape
    /// taken under no-grad see the new values; z's storage is at version 1; the gradients are
    /// PyTorch's. `z *= z` and `z /= z` save the z they overwrite, and backward throws.
    func testInPlaceOnANonLeafWritesIntoItsStorage() {
        let ops: [(String, (F, F) -> Void, (F, Float) -> Void)] = [
            ("add", { $0 += $1 }, { $0 += $1 }), ("sub", { $0 -= $1 }, { $0 -= $1 }),
            ("mul", { $0 *= $1 }, { $0 *= $1 }), ("div", { $0 /= $1 }, { $0 /= $1 }),
        ]
        for (name, tensorOp, scalarOp) in ops {
            for rhs in ["tensor", "constant", "scalar", "self"] {
                check("nonLeaf.\(name).\(rhs)") { r in
                    let (x, y) = (F([1, 2, -3], requiresGrad: true), F([0.5, -1, 2], requiresGrad: true))
                    let z = x * 1.5
                    let alias = z.detached()
                    let view = withNoGrad { z.reshaped([3, 1]) }
                    switch rhs {
                    case "tensor": tensorOp(z, y)
                    case "constant": tensorOp(z, F([0.5, -1, 2]))
                    case "scalar": scalarOp(z, 2)
                    default: tensorOp(z, z)
                    }
                    r["z"] = Self.flat(z); r["alias"] = Self.flat(alias); r["view"] = Self.flat(view)
                    r["grad_fn"] = z.gradFn?.name ?? "NoneType"; r["version"] = z.data.storage.version
                    try (z * F([1, 2, 3])).sum().backward()
                    r["x_grad"] = Self.flat(x.grad); r["y_grad"] = Self.flat(y.grad)
                }
            }
        }
        check("selfTimesSelf") { r in
            let x = F([1, 2, -3], requiresGrad: true)
            let z = x * 1
            z *= z
            r["z"] = Self.flat(z)
            try z.sum().backward()
            r["x_grad"] = Self.flat(x.grad)
        }
    }

    /// fill, zero and copy(from:) are recorded (FillBackward2, ZeroBackward0, CopyBackwards):
    /// the tensor keeps requiring grad, no gradient reaches the overwritten value, a copied
    /// source gets its gradient summed to its shape.
    func testFillZeroAndCopyOnANonLeaf() {
        check("nonLeafFill") { r in
            let x = F([1, 2], requiresGrad: true)
            let z = x * 2
            let alias = z.detached()
            z.fill(3)
            r["z"] = Self.flat(z); r["alias"] = Self.flat(alias); r["grad_fn"] = z.gradFn?.name ?? "NoneType"
            r["requires_grad"] = z.requiresGrad ? "True" : "False"
            try (z * x).sum().backward()
            r["x_grad"] = Self.flat(x.grad)
        }
        check("nonLeafZero") { r in
            let x = F([1, 2], requiresGrad: true)
            let z = x * 2
            z.zero()
            r["z"] = Self.flat(z); r["grad_fn"] = z.gradFn?.name ?? "NoneType"
            try (z + x).sum().backward()
            r["x_grad"] = Self.flat(x.grad)
        }
        check("nonLeafCopyConstant") { r in
            let x = F([1, 2], requiresGrad: true)
            let z = x * 2
            z.copy(from: F([5, 6]))
            r["z"] = Self.flat(z); r["grad_fn"] = z.gradFn?.name ?? "NoneType"
            try (z * x).sum().backward()
            r["x_grad"] = Self.flat(x.grad)
        }
        check("constantCopyBroadcast") { r in
            let y = F([1, 2, 3], requiresGrad: true)
            let c = F.zeros([2, 3])
            c.copy(from: y * 2)
            r["c"] = Self.flat(c); r["grad_fn"] = c.gradFn?.name ?? "NoneType"
            try (c * F([[1, 2, 3], [4, 5, 6]])).sum().backward()
            r["y_grad"] = Self.flat(y.grad)
        }
    }

    /// A constant takes history from a right-hand side that requires grad; a leaf that requires
    /// grad changes under no-grad and stays a leaf.
    func testMixedCases() {
        check("constantTimesRequiresGrad") { r in
            let y = F([1, -2, 3], requiresGrad: true)
            let c = F.ones([3])
            c *= y
            r["c"] = Self.flat(c); r["grad_fn"] = c.gradFn?.name ?? "NoneType"; r["is_leaf"] = c.isLeaf ? "True" : "False"
            try (c * c).sum().backward()
            r["y_grad"] = Self.flat(y.grad)
        }
        check("leafUnderNoGrad") { r in
            let (x, y) = (F([1, 2], requiresGrad: true), F([3, 4], requiresGrad: true))
            withNoGrad { x += y }
            r["x"] = Self.flat(x); r["is_leaf"] = x.isLeaf ? "True" : "False"; r["x_grad_before"] = Self.flat(x.grad)
            try (x * y).sum().backward()
            r["x_grad"] = Self.flat(x.grad); r["y_grad"] = Self.flat(y.grad)
        }
    }

    // MARK: - Saved values changed by a recorded in-place op

    /// The message names the changed tensor's `grad_fn` now (the in-place op's), or, for a saved
    /// output, the node that saved it, as PyTorch 2.11 does.
    func testASavedValueChangedInPlaceInGradModeIsReported() {
        check("savedNonLeafThenAdd") { _ in
            let (x, y) = (F([1, 1], requiresGrad: true), F([2, 3], requiresGrad: true))
            let z = x * 1
            let w = z * y
            z += 2
            try w.backward(gradient: F.ones([2]))
        }
        check("savedNonLeafThenFill") { _ in
            let z = F([1, 1], requiresGrad: true) * 1
            let w = z * z
            z.fill(3)
            try w.sum().backward()
        }
        check("savedOutputThenAdd") { _ in
            let z = F([1, 1], requiresGrad: true).exp()
            z += 1
            try z.sum().backward()
        }
        check("savedNonLeafThenMulTwice") { _ in
            let (x, y) = (F([1, 1], requiresGrad: true), F([2, 3], requiresGrad: true))
            let z = x * 1
            let w = z * y
            z += 2
            z *= y
            try w.sum().backward()
        }
    }

    // MARK: - detach() of a saved tensor

    /// A saved non-leaf detached in place (PyTorch's `detach_()`) can't be used by backward;
    /// a saved output, a leaf or a constant can. Nothing is written when backward throws.
    func testASavedNonLeafDetachedInPlaceIsReported() {
        XCTAssertEqual(AutogradError.savedTensorDetached.description, message("detachedSavedInput"))
        // a = x * 1 is saved by a * x (or a * a), then detached in place, then `then(a)`.
        func detachedSaved(_ id: String, square: Bool = false, then: (F) -> Void = { _ in }) {
            check(id) { _ in
                let x = F([1, 1], requiresGrad: true)
                let a = x * 1
                let b = a * (square ? a : x)
                a.detach()
                then(a)
                defer { XCTAssertNil(x.grad, "\(id): a thrown backward writes no gradient") }
                try b.sum().backward()
            }
        }
        detachedSaved("detachedSavedInput")
        detachedSaved("detachedSavedSquare", square: true)
        detachedSaved("detachedThenRequiresGrad") { $0.requiresGrad = true }
        detachedSaved("detachedThenModified") { $0 += 1 }
        check("detachedNotSaved") { r in
            let x = F([1, 2], requiresGrad: true)
            let a = x * 1
            let b = a + x
            a.detach()
            try b.sum().backward()
            r["x_grad"] = Self.flat(x.grad)
        }
        check("detachedSavedOutput") { r in
            let x = F([0, 1], requiresGrad: true)
            let a = x.exp()
            let b = a.exp().sum()
            a.detach()
            try b.backward()
            r["x_grad"] = Self.flat(x.grad)
        }
        check("detachedConstant") { r in
            let (x, c) = (F([1, 2], requiresGrad: true), F([3, 4]))
            let b = x * c
            c.detach()
            try b.sum().backward()
            r["x_grad"] = Self.flat(x.grad)
        }
        check("detachedLeaf") { r in
            let x = F([1, 2], requiresGrad: true)
            let b = x * x
            x.detach()
            try b.sum().backward()
            r["x_grad"] = Self.flat(x.grad); r["requires_grad"] = x.requiresGrad ? "True" : "False"
        }
    }

    // MARK: - Views taken before their base required grad

    /// A view made while its base needed no gradient still is a view of a leaf that requires
    /// grad once the base does: in place on it traps with PyTorch's message in grad mode (it
    /// would change the leaf behind autograd's back). A `detached()` alias is no view.
    func testInPlaceOnAViewTakenBeforeItsBaseRequiredGradTraps() throws {
        let views: [(String, (F) -> F)] = [
            ("reshape", { $0.reshaped([4]) }), ("view", { $0.reshaped([4]) }), ("unsqueeze", { $0.unsqueezed(dim: 0) }),
            ("t", { $0.transposed() }), ("transpose", { $0.transposed(0, 1) }), ("expand", { $0.expanded(to: [2, 2]) }),
            ("reshapeTwice", { $0.reshaped([4]).reshaped([2, 2]) }),
        ]
        let ops: [(String, (F) -> Void)] = [
            ("mul", { $0 *= 2 }), ("add", { $0 += 1 }), ("fill", { $0.fill(3) }), ("zero", { $0.zero() }),
            ("copy", { $0.copy(from: F.ones($0.shape)) }),
        ]
        for (view, makeView) in views {
            for (op, apply) in ops {
                let id = "viewBeforeRequiresGrad.\(view).\(op)"
                expectTrap(id, message: message(id)) {
                    let x = F.ones([2, 2])
                    let v = makeView(x)
                    x.requiresGrad = true
                    apply(v)
                }
            }
        }
        check("detachedBeforeRequiresGrad") { r in
            let x = F.ones([2, 2])
            let v = x.detached()
            x.requiresGrad = true
            v *= 2
            r["x"] = Self.flat(x); r["requires_grad"] = x.requiresGrad ? "True" : "False"; r["is_leaf"] = x.isLeaf ? "True" : "False"
        }
        check("viewBeforeRequiresGradUnderNoGrad") { r in
            let x = F.ones([2, 2])
            let v = x.reshaped([4])
            x.requiresGrad = true
            withNoGrad { v *= 2 }
            r["x"] = Self.flat(x)
        }
    }

    // MARK: - Documented differences

    /// A second backward through a graph that saved nothing: PyTorch walks it again; here the
    /// first backward freed the whole graph, and the second throws `graphFreed` (README,
    /// "Differences from PyTorch").
    func testSecondBackwardThroughAGraphThatSavedNothingThrows() throws {
        let theirs = try XCTUnwrap(Self.fixture["secondBackwardWithoutSavedValues"])
        XCTAssertNil(theirs.error)
        XCTAssertEqual(theirs.results["x_grad"] as? [Double], [2, 2])
        let x = F([1, 2], requiresGrad: true)
        let c = x + 1
        try c.backward(gradient: F.ones([2]))
        XCTAssertThrowsError(try c.backward(gradient: F.ones([2]))) { XCTAssertEqual($0 as? AutogradError, .graphFreed) }
        XCTAssertEqual(x.grad?.scalars, [1, 1])
    }

    /// An in-place op recorded on a view (of a non-leaf) writes through to its base, which
    /// becomes CopySlices' output, and the view AsStridedBackward0's, as in PyTorch.
    func testRecordedInPlaceOnAViewWritesThroughToItsBase() throws {
        let x = try F([[1, 2], [3, 4]], requiresGrad: true)
        let a = x * 1
        let v = a.reshaped([4])
        v *= 2
        XCTAssertEqual(v.scalars, [2, 4, 6, 8])
        XCTAssertEqual(a.scalars, [2, 4, 6, 8])
        XCTAssertEqual(a.gradFn?.name, "CopySlices")
        XCTAssertEqual(v.gradFn?.name, "AsStridedBackward0")
        XCTAssertEqual(a.version, 1)
        // And on a base that has a view with history: the write goes into the shared storage,
        // and the view's history is made again on its next use (AsStridedBackward0 of the new
        // base), as PyTorch regenerates its grad_fn.
        let b = x * 1
        let w = b.reshaped([4])
        XCTAssertEqual(w.gradFn?.name, "ViewBackward0")
        b += 1
        XCTAssertEqual(b.scalars, [2, 3, 4, 5])
        XCTAssertEqual(w.scalars, [2, 3, 4, 5])
        XCTAssertEqual(w.gradFn?.name, "AsStridedBackward0")
        try ((v * 3).sum() + (w * b.reshaped([4])).sum()).backward()
        // d/dx of 3·2x + (x + 1)·(x + 1) = 6 + 2(x + 1)
        XCTAssertEqual(x.grad?.scalars, [10, 12, 14, 16])
    }

    /// PyTorch refuses in-place ops on every output of a function returning several views, a
    /// single piece too, and on views of them, each named by its own node (checked against
    /// torch 2.11: `x.split(4)` of 3 rows, `x.unbind(0)[0][1:]`).
    func testOutputsOfMultiViewFunctionsAndTheirViewsRefuseInPlace() {
        let tail = "is a view and is being modified inplace. This view is the output of a function that returns multiple views."
        expectTrap("singlePiece", message: "Output 0 of SplitBackward0 \(tail)") {
            let x = Tensor<Float>.ones([3, 4], requiresGrad: true) * 1
            x.split(size: 4)[0] += 1
        }
        expectTrap("viewOfUnbound", message: "Output 0 of SliceBackward0 \(tail)") {
            let x = Tensor<Float>.ones([3, 4], requiresGrad: true) * 1
            x.unbind(dim: 0)[0].narrow(dim: 0, start: 1, length: 3) *= 2
        }
        // Without history nothing is refused: the write goes to the shared storage.
        let y = Tensor<Float>.ones([3, 4])
        y.split(size: 2)[1].narrow(dim: 1, start: 0, length: 2) += 1
        XCTAssertEqual(y.scalars, [1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 1, 1])
    }
}
