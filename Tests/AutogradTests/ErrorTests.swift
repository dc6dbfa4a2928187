import XCTest
import Autograd
import _TestSupport

/// The thrown errors: `TensorError` for outside data, `AutogradError` for backward, each with a
/// description a user can act on (PyTorch's wording where composite.json has it).
final class ErrorTests: XCTestCase {
    // MARK: - TensorError

    func testScalarCountMismatch() {
        XCTAssertThrowsError(try Tensor<Float>([1, 2, 3, 4, 5], shape: [2, 3])) { error in
            XCTAssertEqual(error as? TensorError, .scalarCountMismatch(count: 5, shape: [2, 3]))
            let text = "\(error)"
            XCTAssertTrue(text.contains("5") && text.contains("[2, 3]") && text.contains("6"),
                          "the message names the count, the shape and what it holds: \(text)")
        }
        XCTAssertThrowsError(try Tensor<Double>([], shape: [])) { error in
            XCTAssertEqual(error as? TensorError, .scalarCountMismatch(count: 0, shape: []))
        }
    }

    func testRaggedRows() {
        XCTAssertThrowsError(try Tensor<Float>([[1, 2], [3, 4], [5]])) { error in
            XCTAssertEqual(error as? TensorError, .raggedRows(row: 2, count: 1, expected: 2))
            let text = "\(error)"
            XCTAssertTrue(text.contains("ragged") && text.contains("row 2") && text.contains("1")
                          && text.contains("expected 2"), text)
        }
    }

    func testNegativeSize() {
        XCTAssertThrowsError(try Tensor<Float>([], shape: [2, -1])) { error in
            XCTAssertEqual(error as? TensorError, .negativeDimension(shape: [2, -1]))
            let text = "\(error)"
            XCTAssertTrue(text.contains("negative") && text.contains("[2, -1]"), text)
        }
    }

    func testValidCreationDoesNotThrow() throws {
        XCTAssertEqual(try Tensor<Float>([], shape: [0, 3]).shape, [0, 3])
        XCTAssertEqual(try Tensor<Float>([7], shape: []).scalar, 7)
        XCTAssertEqual(try Tensor<Float>([[1, 2, 3]]).shape, [1, 3])
    }

    // MARK: - AutogradError

    private func golden(_ key: String) throws -> String {
        let errors = try XCTUnwrap(try Golden.load("composite.json")["errors"] as? [String: Any])
        return try XCTUnwrap(errors[key] as? String, "composite.json errors has no \(key)")
    }

    func testNonScalarOutput() throws {
        let y = Tensor<Float>.ones([2, 2], requiresGrad: true) * 3
        XCTAssertThrowsError(try y.backward()) { error in
            XCTAssertEqual(error as? AutogradError, .nonScalarOutput)
        }
        XCTAssertEqual(AutogradError.nonScalarOutput.description, try golden("nonScalarOutput"))
        // A one-element tensor of any rank may be backwarded without a gradient.
        let x = Tensor<Float>.ones([1, 1], requiresGrad: true)
        XCTAssertNoThrow(try (x * 3).backward())
        XCTAssertEqual(x.grad?.scalars, [3])
    }

    func testDoesNotRequireGrad() throws {
        let leaf = Tensor<Float>.ones([2])
        XCTAssertThrowsError(try leaf.sum().backward()) { error in
            XCTAssertEqual(error as? AutogradError, .doesNotRequireGrad)
        }
        XCTAssertThrowsError(try withNoGrad { Tensor<Float>.ones([2], requiresGrad: true).sum() }.backward()) { error in
            XCTAssertEqual(error as? AutogradError, .doesNotRequireGrad)
        }
        XCTAssertEqual(AutogradError.doesNotRequireGrad.description, try golden("doesNotRequireGrad"))
    }

    func testGradientShapeMismatch() throws {
        let x = Tensor<Float>.ones([2, 2], requiresGrad: true)
        let y = x * 2
        XCTAssertThrowsError(try y.backward(gradient: Tensor<Float>.ones([3]))) { error in
            XCTAssertEqual(error as? AutogradError, .gradientShapeMismatch(gradient: [3], output: [2, 2]))
            XCTAssertEqual("\(error)", try? golden("gradientShapeMismatch"))
        }
        XCTAssertNil(x.grad, "a rejected gradient writes nothing")
        // The graph is intact: a correct gradient still works.
        try y.backward(gradient: Tensor<Float>.full([2, 2], value: 0.5))
        XCTAssertEqual(x.grad?.scalars, [1, 1, 1, 1])
    }

    func testGraphFreed() throws {
        let x = Tensor<Float>.ones([3], requiresGrad: true)
        let out = (x * x).sum()
        try out.backward()
        XCTAssertThrowsError(try out.backward()) { error in
            XCTAssertEqual(error as? AutogradError, .graphFreed)
            XCTAssertEqual("\(error)", try? golden("graphFreed"))
        }
        XCTAssertEqual(x.grad?.scalars, [2, 2, 2])
    }

    func testEveryDescriptionIsASentence() {
        let errors: [any Error & CustomStringConvertible] = [
            TensorError.scalarCountMismatch(count: 1, shape: [2]), TensorError.raggedRows(row: 1, count: 3, expected: 2),
            TensorError.negativeDimension(shape: [-2]), TensorError.shapeTooLarge(shape: [Int.max, 2]),
            TensorError.invalidReshape(shape: [5], count: 6),
            AutogradError.graphFreed, AutogradError.nonScalarOutput, AutogradError.doesNotRequireGrad,
            AutogradError.gradientShapeMismatch(gradient: [1], output: [2]),
        ]
        for error in errors {
            XCTAssertGreaterThan(error.description.count, 15, "\(error)")
            XCTAssertEqual("\(error)", error.description)
        }
    }
}
