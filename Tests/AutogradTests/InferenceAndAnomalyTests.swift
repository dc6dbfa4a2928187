import XCTest
import Autograd
import _TestSupport

/// `withInferenceMode` and `withAnomalyDetection`, with PyTorch 2.11's behaviour and messages.
final class InferenceAndAnomalyTests: XCTestCase {
    func testInferenceModeRecordsNothingAndMarksWhatItMakes() throws {
        let w = try Tensor<Double>([1, 2], shape: [2], requiresGrad: true)
        let before = currentGraphStats()
        let (t, y, enabled) = withInferenceMode { () -> (Tensor<Double>, Tensor<Double>, Bool) in
            (try! Tensor<Double>([3, 4], shape: [2]) * 2, w * 2, GradMode.isEnabled)
        }
        XCTAssertFalse(enabled)
        XCTAssertTrue(GradMode.isEnabled)
        XCTAssertTrue(t.isInference)
        XCTAssertTrue(t[0..<1].isInference)          // a view of one is one
        XCTAssertFalse(t.cloned().isInference)       // a copy made outside is not
        XCTAssertFalse(y.requiresGrad)
        XCTAssertFalse(w.isInference)
        XCTAssertEqual(currentGraphStats(), before)
        // Used where nothing saves it: fine (torch: w.grad == [1, 1]).
        try (w + t).sum().backward()
        XCTAssertEqual(w.grad?.scalars, [1, 1])
        // Saved for backward: PyTorch's RuntimeError, a trap here.
        expectTrap("saving an inference tensor", message: "Inference tensors cannot be saved for backward. Please do not use Tensors created in inference mode in computation tracked by autograd. To work around this, you can make a clone to get a normal tensor and use it in autograd, or use `torch.no_grad()` instead of `torch.inference_mode()`.") {
            _ = w * t
        }
        // The value and errors pass through.
        XCTAssertEqual(withInferenceMode { 7 }, 7)
        XCTAssertThrowsError(try withInferenceMode { throw AutogradError.graphFreed })
    }

    func testAnomalyDetectionNamesTheNodeThatMadeNaN() throws {
        let x = try Tensor<Double>([0, 1], shape: [2], requiresGrad: true)
        XCTAssertThrowsError(try withAnomalyDetection { try (x / x).sum().backward() }) { error in
            // torch: "Function 'DivBackward0' returned nan values in its 1th output."
            XCTAssertEqual("\(error)", "Function 'DivBackward0' returned nan values in its 1th output.")
        }
        XCTAssertNil(x.grad, "nothing is written when backward throws")
        // Outside the block, NaN passes through as in PyTorch.
        try (x / x).sum().backward()
        XCTAssertTrue(x.grad!.scalars[0].isNaN)
        // In the recorded sweep too, and a clean backward is untouched.
        x.grad = nil
        XCTAssertThrowsError(try withAnomalyDetection { _ = try grad(outputs: [(x.sqrt() * 0).sum()], inputs: [x], createGraph: true) }) { error in
            XCTAssertEqual("\(error)", "Function 'SqrtBackward0' returned nan values in its 0th output.")
        }
        XCTAssertEqual(try withAnomalyDetection { try grad(outputs: [(x * x).sum()], inputs: [x])[0]!.scalars }, [0, 2])
    }
}
