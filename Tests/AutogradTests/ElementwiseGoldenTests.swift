import Foundation
import XCTest
import Arena
import Autograd
import _TestSupport

/// The elementwise ops of API.md Part two "More operations" (issue 18) replayed against PyTorch
/// 2.11: `Tests/Fixtures/elementwise.json`, written by `make_elementwise_fixture.py`, holds for
/// each op, in float32 and float64, random shapes (0-d, empty, a transposed view), a vector of
/// edge values (0, −0, the kinks, clamp's bounds, large values, ±inf, NaN), and for the binary
/// ops broadcasting pairs, ties and NaN: the output, its `grad_fn` name, and the gradients of a
/// backward from a random `gradOutput`.
///
/// Tolerances: a NaN must be NaN and an infinity the same infinity; other values agree within
/// `atol + rtol·|expected|`, float32 `rtol = 1e-5, atol = 1e-6` (PyTorch's vectorized sin, exp,
/// erf, log1p are Sleef's, ours libm's, each within an ulp or two; a derivative compounds a few
/// of them), float64 `rtol = 1e-12, atol = 1e-14`.
final class ElementwiseGoldenTests: XCTestCase {
    /// 15 unary ops with their parameter sets (22 in all) × 2 dtypes × 7 cases, and 3 binary ops
    /// × 2 dtypes × 7 cases.
    private static let expectedCaseCount = 350

    private static func cases() throws -> [[String: Any]] {
        let data = try Data(contentsOf: Fixtures.url("elementwise.json"))
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(root["torch"] as? String, "2.11.0")
        return try XCTUnwrap(root["cases"] as? [[String: Any]])
    }

    func testCasesMatchPyTorch() throws {
        let cases = try Self.cases()
        XCTAssertEqual(cases.count, Self.expectedCaseCount)
        let replayed = try EncodedTensor.replayByDtype(
            cases, float: { try replay($0, Float.self, rtol: 1e-5, atol: 1e-6) },
            double: { try replay($0, Double.self, rtol: 1e-12, atol: 1e-14) })
        XCTAssertEqual(Set(replayed.keys), Set(RandomGradcheckCases.elementwiseOps), "an op without golden cases")
        print("elementwise.json: \(cases.count) cases replayed, \(replayed.count) ops")
    }

    /// A derivative that writes over a gradient the sweep owns (`(f(x) * w).sum()`: the
    /// product's derivative hands `f` a fresh buffer) gives the bits of one that writes a new
    /// buffer (`f(x).backward(gradient: w)`: the caller keeps `w`), for every unary op, on a
    /// contiguous and on a transposed input.
    func testDerivativeOverAnOwnedGradientEqualsTheOtherPath() throws {
        var generator = RandomGenerator(seed: 18)
        for op in RandomGradcheckCases.elementwiseOps where !["powTensor", "maximum", "minimum"].contains(op) {
            for transposed in [false, true] {
                let values = Tensor<Float>.randn([5, 7], using: &generator).data
                let w = Tensor<Float>.randn(transposed ? [7, 5] : [5, 7], using: &generator)
                var params: [String: Any] = ["transposed": transposed]
                if op == "clamped" { (params["min"], params["max"]) = (-0.5, 0.7) }
                let a = Tensor(data: values.copied(), requiresGrad: true)
                try applyElementwiseOp(op, [a], params)!.backward(gradient: w)
                let b = Tensor(data: values.copied(), requiresGrad: true)
                try (applyElementwiseOp(op, [b], params)! * w).sum().backward()
                XCTAssertEqual(a.grad?.scalars.map(\.bitPattern), b.grad?.scalars.map(\.bitPattern), "\(op), transposed: \(transposed)")
            }
        }
    }

    /// sum → gelu → silu → sin → expm1 (GradientBufferReuseTests's chain): the backward takes
    /// one buffer, the sum's gradient, and each derivative after it writes over it. A gradient
    /// two edges share (an addition's) is not written over by the first derivative that reads it.
    func testAChainOfPointwiseDerivativesTakesOneBuffer() throws {
        let warm = Tensor<Float>(1, requiresGrad: true)
        try (warm * 2).backward()   // the thread's graph makes its 0-d seed on its first backward
        let values: [Float] = [-1.5, -0.25, 0.5, 2]
        let x = try Tensor<Float>(values, shape: [4], requiresGrad: true)
        let out = x.expm1().sin().silu().gelu().sum()
        let before = BufferCache.statistics
        try out.backward()
        let after = BufferCache.statistics
        XCTAssertEqual((after.hits + after.misses) - (before.hits + before.misses), 1)

        let y = try Tensor<Float>(values, shape: [4], requiresGrad: true)
        try (y.sin() + y.cos()).sum().backward()
        let expected: [Float] = values.map { v in
            let d = Double(v)
            return Float(Foundation.cos(d) - Foundation.sin(d))
        }
        for (g, e) in zip(y.grad!.scalars, expected) { XCTAssertEqual(g, e, accuracy: 1e-6) }
    }

    /// The layers are their functions: same values, same node.
    func testGELUAndSiLULayers() throws {
        let x = try Tensor<Float>([-2, -0.5, 0, 0.5, 3], shape: [5], requiresGrad: true)
        for (layer, function) in [(GELU<Float>().callAsFunction, x.gelu()), (GELU<Float>(approximate: true).callAsFunction, x.gelu(approximate: true)),
                                  (SiLU<Float>().callAsFunction, x.silu())] {
            let y = layer(x)
            XCTAssertEqual(y.scalars, function.scalars)
            XCTAssertEqual(y.gradFn?.name, function.gradFn?.name)
        }
        XCTAssertNotEqual(x.gelu().scalars, x.gelu(approximate: true).scalars)
        XCTAssertTrue(GELU<Float>().namedParameters.isEmpty)
        XCTAssertTrue(SiLU<Float>().namedParameters.isEmpty)
    }

    /// A value a derivative reads, changed in place before the backward, is refused with
    /// PyTorch's message (the input for sin and maximum, the output for expm1); sign's
    /// derivative reads nothing, so changing its input is no error (PyTorch 2.11's behaviour).
    func testSavedValuesChangedInPlace() throws {
        func message(_ producer: String) -> String {
            "one of the variables needed for gradient computation has been modified by an inplace operation: [torch.FloatTensor [3]], which is output 0 of \(producer), is at version 1; expected version 0 instead. Hint: enable anomaly detection to find the operation that failed to compute its gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False)."
        }
        let x = try Tensor<Float>([1, 2, 3], shape: [3], requiresGrad: true)
        let programs: [(String, (Tensor<Float>) -> Tensor<Float>, Bool, String?)] = [
            ("sin", { $0.sin() }, false, message("AddBackward0")),
            ("expm1", { $0.expm1() }, true, message("Expm1Backward0")),
            ("maximum", { Tensor.maximum($0, $0 * 2) }, false, message("AddBackward0")),
            ("sign", { $0.sign() }, false, nil),
        ]
        for (name, f, changeOutput, expected) in programs {
            let a = x * 1
            let y = f(a)
            if changeOutput { y += 1 } else { a += 1 }
            do {
                try y.sum().backward()
                XCTAssertNil(expected, "\(name): backward should have thrown")
            } catch {
                XCTAssertEqual("\(error)", expected, name)
            }
        }
    }

    /// `clamped()` with neither bound, and binary ops whose shapes don't broadcast, trap with
    /// PyTorch's messages.
    func testMisuseTraps() {
        expectTrap("clampedWithoutBounds", message: "torch.clamp: At least one of 'min' or 'max' must not be None") {
            _ = Tensor<Float>.ones([3]).clamped(min: nil, max: nil)
        }
        let broadcast = "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 0"
        expectTrap("powTensor", message: broadcast) { _ = Tensor<Float>.ones([3]).pow(Tensor<Float>.ones([4])) }
        expectTrap("maximum", message: broadcast) { _ = Tensor.maximum(Tensor<Double>.ones([3]), Tensor<Double>.ones([4])) }
        expectTrap("minimum", message: broadcast) { _ = Tensor.minimum(Tensor<Float>.ones([3]), Tensor<Float>.ones([4])) }
    }

    private func replay<S: TensorScalar>(_ c: [String: Any], _: S.Type, rtol: Double, atol: Double) throws {
        let id = c["id"] as! String
        var params = c["params"] as! [String: Any]
        params["transposed"] = c["transposed"] as? Bool ?? false
        let inputs = (c["inputs"] as! [[String: Any]]).map { EncodedTensor.tensor($0, S.self, requiresGrad: true) }
        let y = try XCTUnwrap(applyElementwiseOp(c["op"] as! String, inputs, params), "\(id): unknown op")
        EncodedTensor.assertMatches(y, c["output"] as! [String: Any], rtol: rtol, atol: atol, "\(id): output")
        XCTAssertEqual(y.gradFn?.name, c["gradFn"] as? String, "\(id): grad_fn")
        try EncodedTensor.assertBackward(y, c, inputs: inputs, rtol: rtol, atol: atol)
    }
}
