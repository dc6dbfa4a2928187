import Foundation
import XCTest
import Autograd
import _TestSupport

/// The subscripts of API.md "Subscripts", replayed against PyTorch 2.11.
///
/// `Tests/Fixtures/indexing.json` (written by `make_indexing_fixture.py`) holds programs in the
/// step language of Tests/Fixtures/README.md: `subscript.*` reads `x[...]` with every index form
/// (values, strides, storage offset, `grad_fn`, gradients) and the index errors; `subscriptSet.*`
/// writes `x[...] = s` with a scalar or a broadcast tensor, and the errors of a leaf, a shape
/// mismatch and an index out of range. The interpreter and the comparison are
/// ViewsGoldenTests's (views.json's step language is the same). Errors trap here with PyTorch's
/// message, checked in a child process (`expectTrap`).
///
/// Replayed: the cases whose ops are all in ``replayedOps`` and whose indices hold no tensor.
/// Skipped, and counted: subscripts with a `Tensor<Int>` index or a `Tensor<Bool>` mask
/// (advanced indexing: those element types don't exist yet), and the cases of ops not built yet
/// (`cat`, `stack`, `indexSelect`, `gather`, `scatterAdd`, `maskedFill`, `where`).
final class IndexingGoldenTests: XCTestCase {
    /// The ops of the step language these tests replay.
    private static let replayedOps: Set<String> = ["*", "subscript", "subscriptSet"]

    /// The subscript cases without tensor indices: 37 that succeed and 11 that raise.
    private static let expectedCounts = (replayed: 37, failing: 11)

    /// indexing.json's cases, split into those replayed and the reasons the others are skipped.
    private static func partition() throws -> (cases: [[String: Any]], skipped: [String: Int]) {
        var cases: [[String: Any]] = []
        var skipped: [String: Int] = [:]   // reason -> cases
        for c in try ViewsGoldenTests.cases("indexing.json") {
            let steps = ViewsGoldenTests.steps(c)
            if let op = steps.map({ $0["op"] as! String }).first(where: { !replayedOps.contains($0) }) {
                skipped["\(op) is not built yet", default: 0] += 1
            } else if steps.contains(where: { hasTensorIndex($0["indices"] as? [Any] ?? []) }) {
                skipped["a Tensor<Int> index or Tensor<Bool> mask (those element types don't exist yet)", default: 0] += 1
            } else {
                cases.append(c)
            }
        }
        return (cases, skipped)
    }

    func testSubscriptCases() throws {
        let (cases, skipped) = try Self.partition()
        var replayed = 0
        for c in cases where !(c["error"] is [String: Any]) {
            try ViewsGoldenTests.replay(c)
            replayed += 1
        }
        print("indexing.json: \(replayed) subscript cases replayed; skipped: "
              + skipped.keys.sorted().map { "\(skipped[$0]!) for \($0)" }.joined(separator: ", "))
        XCTAssertEqual(replayed, Self.expectedCounts.replayed)
    }

    /// The subscript cases that raise in PyTorch trap here with its message.
    func testSubscriptErrorsTrap() throws {
        var checked = 0
        for c in try Self.partition().cases {
            guard let error = c["error"] as? [String: Any] else { continue }
            let id = c["id"] as! String
            let step = error["step"] as! Int
            guard step < ViewsGoldenTests.steps(c).count else {
                XCTFail("\(id): a backward that raises is not replayed here")
                continue
            }
            expectTrap(id, message: error["message"] as? String) {
                var env = ViewsGoldenTests.inputs(c)
                for s in ViewsGoldenTests.steps(c)[...step] { ViewsGoldenTests.run(s, &env) }
            }
            checked += 1
        }
        XCTAssertEqual(checked, Self.expectedCounts.failing)
    }
}
