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
}
