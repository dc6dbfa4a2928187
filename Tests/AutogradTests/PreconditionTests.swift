import XCTest
import Autograd
import _TestSupport

/// Programmer errors inside an operator trap with PyTorch's wording (composite.json `errors`),
/// checked in a child process by `expectTrap` (Tests/_TestSupport/TrapTest.swift), in debug and
/// release builds alike. scripts/check-client-package.sh checks three of them from a separate
/// package's release build.
final class PreconditionTests: XCTestCase {
    private func golden(_ key: String) throws -> String {
        let errors = try XCTUnwrap(try Golden.load("composite.json")["errors"] as? [String: Any])
        return try XCTUnwrap(errors[key] as? String, "composite.json errors has no \(key)")
    }

    func testShapesThatDoNotBroadcastTrap() throws {
        let message = try golden("broadcastPrecondition")   // (3) vs (4) at dimension 0
        expectTrap("add", message: message) { _ = Tensor<Float>.ones([3]) + Tensor<Float>.ones([4]) }
        expectTrap("mulDouble", message: message) { _ = Tensor<Double>.ones([3]) * Tensor<Double>.ones([4]) }
        expectTrap("recorded", message: message) {
            _ = Tensor<Float>.ones([3], requiresGrad: true) - Tensor<Float>.ones([4], requiresGrad: true)
        }
        expectTrap("inPlace", message: message) { Tensor<Float>.ones([3]) /= Tensor<Float>.ones([4]) }
        expectTrap("mseLoss", message: message) { _ = mseLoss(Tensor<Float>.ones([3]), Tensor<Float>.ones([4])) }
        // In place, the right-hand side may not grow the left one (PyTorch's wording).
        expectTrap("inPlaceGrows", message: "output with shape [3] doesn't match the broadcast shape [2, 3]") {
            Tensor<Float>.ones([3]) += Tensor<Float>.ones([2, 3])
        }
    }

    func testMatmulInnerSizeMismatchTraps() throws {
        let message = try golden("matmulPrecondition")       // (2x3 and 4x2)
        expectTrap("mm", message: message) { _ = Tensor<Float>.ones([2, 3]).matmul(Tensor<Float>.ones([4, 2])) }
        expectTrap("mmRecorded", message: message) {
            _ = Tensor<Double>.ones([2, 3], requiresGrad: true).matmul(Tensor<Double>.ones([4, 2], requiresGrad: true))
        }
        expectTrap("linear", message: message) {
            _ = linear(Tensor<Float>.ones([2, 3]), weight: Tensor<Float>.ones([2, 4]), bias: nil)
        }
    }

    func testDimOutOfRangeTraps() throws {
        let message = try golden("dimPrecondition")          // [-2, 1], got 2
        let x = Tensor<Float>.ones([2, 3])
        expectTrap("sum", message: message) { _ = x.sum(dim: 2) }
        expectTrap("mean", message: message) { _ = x.mean(dim: 2, keepDim: true) }
        expectTrap("max", message: message) { _ = x.max(dim: 2) }
        expectTrap("softmax", message: message) { _ = x.softmax(dim: 2) }
        expectTrap("logSoftmax", message: message) { _ = x.logSoftmax(dim: 2) }
        expectTrap("transpose", message: message) { _ = x.transposed(0, 2) }
        expectTrap("negative", message: "Dimension out of range (expected to be in range of [-2, 1], but got -3)") {
            _ = x.sum(dim: -3)
        }
        expectTrap("unsqueeze", message: "Dimension out of range (expected to be in range of [-3, 2], but got 3)") {
            _ = x.unsqueezed(dim: 3)
        }
    }

    func testMaxOfAnEmptyTensorTraps() {
        expectTrap("max", message: "max(): Expected reduction dim to be specified for input.numel() == 0.") {
            _ = Tensor<Float>.zeros([0, 3]).max()
        }
        expectTrap("maxDim", message: "max(): Expected reduction dim 0 to have non-zero size.") {
            _ = Tensor<Float>.zeros([0, 3]).max(dim: 0)
        }
    }

    func testReshapeAndExpandMismatchTrap() {
        expectTrap("reshape", message: "shape '[4]' is invalid for input of size 6") {
            _ = Tensor<Float>.ones([2, 3]).reshaped([4])
        }
        expectTrap("expand", message: "The expanded size of the tensor (4) must match the existing size (3) at non-singleton dimension 1") {
            _ = Tensor<Float>.ones([2, 3]).expanded(to: [2, 4])
        }
    }

    // MARK: - The helper itself

    /// `expectTrap` must be able to fail: a body that returns is told apart from one that traps,
    /// and the trap's message reaches the parent.
    func testTheTrapHelperTellsTrapsFromReturns() {
        if TrapTest.currentCase != nil {
            expectTrap("returns", message: nil) {}
            expectTrap("traps", message: nil) { fatalError("the message of a deliberate trap") }
            return
        }
        let test = "AutogradTests.PreconditionTests/testTheTrapHelperTellsTrapsFromReturns"
        let returned = TrapTest.runChild(label: "returns", arguments: [test])
        XCTAssertFalse(returned.trapped, "\(returned)")
        XCTAssertEqual(returned.exitStatus, TrapTest.didNotTrapStatus)
        let trapped = TrapTest.runChild(label: "traps", arguments: [test])
        XCTAssertTrue(trapped.trapped, "\(trapped)")
        XCTAssertTrue(trapped.standardError.contains("the message of a deliberate trap"), "\(trapped)")
    }
}
