import Foundation
import XCTest
import Autograd
import _TestSupport

/// The subscripts and the gathering ops of API.md "Subscripts" and "Joining, gathering,
/// selecting", replayed against PyTorch 2.11.
///
/// `Tests/Fixtures/indexing.json` (written by `make_indexing_fixture.py`) holds programs in the
/// step language of Tests/Fixtures/README.md: `subscript.*` reads `x[...]` with every index form,
/// a `Tensor<Int>` index and a `Tensor<Bool>` mask included (values, strides, storage offset,
/// `grad_fn`, gradients), and the index errors; `subscriptSet.*` writes `x[...] = s` with a
/// scalar or a broadcast tensor (with a tensor index: IndexPutBackward0), and the errors of a
/// leaf, a shape mismatch and an index out of range; `indexSelect.*`, `gather.*`, `scatterAdd.*`,
/// `maskedFill.*` and `where.*` run those ops (values, `grad_fn`, gradients of the inputs that
/// need one) and their misuses. The interpreter and the comparison are ViewsGoldenTests's
/// (views.json's step language is the same; the int64 and bool inputs are bound beside the
/// float64 ones). Errors trap here with PyTorch's message, checked in a child process
/// (`expectTrap`): the error of a forward step, and `scatterAdd.error.sourceLargerBackward`,
/// whose backward raises.
///
/// Every case is replayed but `cat.*` and `stack.*`, which JoiningGoldenTests replays (with the
/// view cases of split, chunked and unbind); an op in neither list fails the partition.
final class IndexingGoldenTests: XCTestCase {
    /// The ops of the step language these tests replay.
    private static let replayedOps: Set<String> = [
        "*", "subscript", "subscriptSet", "indexSelect", "gather", "scatterAdd", "maskedFill", "where",
    ]

    /// The ops of indexing.json replayed elsewhere.
    private static let replayedElsewhere: [String: String] = [
        "cat": "replayed by JoiningGoldenTests",
        "stack": "replayed by JoiningGoldenTests",
    ]

    /// 71 cases that succeed, 25 whose step raises, 1 whose backward raises
    /// (`scatterAdd.error.sourceLargerBackward`); the 25 `cat`/`stack` cases are JoiningGoldenTests's.
    private static let expectedCounts = (replayed: 71, failing: 26, elsewhere: 25)

    /// indexing.json's cases, split into those replayed here and the number replayed elsewhere.
    private static func partition() throws -> (cases: [[String: Any]], elsewhere: Int) {
        var cases: [[String: Any]] = []
        var elsewhere = 0
        for c in try ViewsGoldenTests.cases("indexing.json") {
            let ops = ViewsGoldenTests.steps(c).map { $0["op"] as! String }
            if ops.contains(where: { replayedElsewhere[$0] != nil }) {
                elsewhere += 1
                continue
            }
            for op in ops where !replayedOps.contains(op) { XCTFail("\(c["id"]!): op \(op) is neither replayed nor replayed elsewhere") }
            cases.append(c)
        }
        return (cases, elsewhere)
    }

    func testCases() throws {
        let (cases, elsewhere) = try Self.partition()
        var replayed = 0
        for c in cases where !(c["error"] is [String: Any]) {
            try ViewsGoldenTests.replay(c)
            replayed += 1
        }
        print("indexing.json: \(replayed) cases replayed; \(elsewhere) cat/stack cases left to JoiningGoldenTests")
        XCTAssertEqual(replayed, Self.expectedCounts.replayed)
        XCTAssertEqual(elsewhere, Self.expectedCounts.elsewhere)
    }

    /// The cases that raise in PyTorch trap here with its message: at the step that raised, or
    /// in the backward where PyTorch's backward raised.
    func testErrorsTrap() throws {
        var checked = 0
        for c in try Self.partition().cases {
            guard let error = c["error"] as? [String: Any] else { continue }
            let id = c["id"] as! String
            let step = error["step"] as! Int
            let steps = ViewsGoldenTests.steps(c)
            expectTrap(id, message: error["message"] as? String) {
                var env = ViewsGoldenTests.inputs(c)
                let indexInputs = ViewsGoldenTests.indexInputs(c)
                for s in steps[..<Swift.min(step + 1, steps.count)] { ViewsGoldenTests.run(s, &env, indexInputs) }
                if step == steps.count { try? ViewsGoldenTests.runBackward(c, env) }
            }
            checked += 1
        }
        XCTAssertEqual(checked, Self.expectedCounts.failing)
    }

    /// Repeated positions read one element several times: its gradient is the sum of theirs, for
    /// each way of selecting (a derivative that copied instead of adding would keep only one).
    func testRepeatedIndicesAccumulateGradients() throws {
        let x = try Tensor<Double>([1, 2, 3, 4, 5, 6], shape: [3, 2], requiresGrad: true)
        let i = Tensor<Int>([2, 0, 2, 2])
        let w = try Tensor<Double>((1...8).map(Double.init), shape: [4, 2])
        // d/dx Σ w ⊙ x[i]: row 2 gets w's rows 0, 2 and 3, row 0 gets row 1, row 1 nothing.
        let expected: [Double] = [3, 4, 0, 0, 1 + 5 + 7, 2 + 6 + 8]
        for (name, y) in [("indexSelect", x.indexSelect(dim: 0, index: i)), ("subscript", x[i])] {
            x.zeroGrad()
            try (y * w).sum().backward()
            XCTAssertEqual(x.grad?.scalars, expected, name)
        }
        // gather along dim 1: out[r][k] = x[r][j[r][k]]; x[r][1] gets every weight of row r that points at it.
        let j = try Tensor<Int>([1, 1, 1, 0, 0, 0, 1, 0, 1], shape: [3, 3])
        let v = try Tensor<Double>((1...9).map(Double.init), shape: [3, 3])
        x.zeroGrad()
        try (x.gather(dim: 1, index: j) * v).sum().backward()
        let gathered: [Double] = [0, 1 + 2 + 3, 4 + 5 + 6, 0, 8, 7 + 9]
        XCTAssertEqual(x.grad?.scalars, gathered)
    }
}
