import Foundation
import XCTest
import Autograd
import _TestSupport

/// The losses of API.md "More operations" replayed against PyTorch 2.11: the `losses` cases of
/// `Tests/Fixtures/reductions.json` (`make_reductions_fixture.py`; read as ReductionsGoldenTests
/// reads its cases). `nllLoss` (with ignored targets), `crossEntropy` with `Tensor<Int>`
/// targets, `binaryCrossEntropy` (inputs at 0 and 1), `binaryCrossEntropyWithLogits` (logits
/// ±100), `l1Loss`, `huberLoss` and `smoothL1Loss` (differences at ±delta, beta 0,
/// broadcasting), in Float and Double: values, `grad_fn` names, the gradients of input and
/// target; and PyTorch's messages for targets out of range, batch sizes and shapes that
/// differ, inputs outside [0, 1], a non-positive delta and a negative beta, as traps.
final class LossesGoldenTests: XCTestCase, GoldenFixtureOps {
    static let expectedCounts = (replayed: 82, failing: 34)

    func testCases() throws {
        XCTAssertEqual(try GoldenFixture.replayAll("losses", Self.self), Self.expectedCounts.replayed)
    }

    func testErrorsTrap() throws {
        XCTAssertEqual(try GoldenFixture.expectTraps("losses", Self.self, in: self), Self.expectedCounts.failing)
    }

    static func apply<S: TensorScalar>(_ op: String, _ xs: [Tensor<S>], _ ints: [Tensor<Int>?], _ p: [String: Any]) -> GoldenFixture.Output<S> {
        switch op {
        case "nllLoss": return .float(nllLoss(logProbabilities: xs[0], targets: ints[1]!))
        case "crossEntropy": return .float(crossEntropy(logits: xs[0], targets: ints[1]!))
        case "binaryCrossEntropy": return .float(binaryCrossEntropy(xs[0], xs[1]))
        case "binaryCrossEntropyWithLogits": return .float(binaryCrossEntropyWithLogits(xs[0], xs[1]))
        case "l1Loss": return .float(l1Loss(xs[0], xs[1]))
        case "huberLoss": return .float(huberLoss(xs[0], xs[1], delta: S(p["delta"] as? Double ?? 1)))
        case "smoothL1Loss": return .float(smoothL1Loss(xs[0], xs[1], beta: S(p["beta"] as? Double ?? 1)))
        default: preconditionFailure("reductions.json: unknown loss \(op)")
        }
    }
}
