import Foundation
import XCTest
import Autograd
import _TestSupport

/// The products, normalizations and embedding of API.md Part two "More operations" (issue 18)
/// replayed against PyTorch 2.11: `Tests/Fixtures/products_norm.json`, written by
/// `make_products_norm_fixture.py`, holds for each case, in float32 and float64, the output, its
/// `grad_fn` name, the gradients of a backward from a random `gradOutput`, a batch norm's running
/// statistics after the call, and the messages PyTorch raises for shapes that don't fit.
///
/// Tolerances: float32 `rtol = 1e-4, atol = 1e-5` (PyTorch's float32 kernels sum in another order
/// and, for the normalizations, in float; ours accumulate the statistics in Double), float64
/// `rtol = 1e-10, atol = 1e-12`.
final class ProductsNormGoldenTests: XCTestCase {
    /// 38 cases × 2 dtypes.
    private static let expectedCaseCount = 76

    private static func root() throws -> [String: Any] {
        let data = try Data(contentsOf: Fixtures.url("products_norm.json"))
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(root["torch"] as? String, "2.11.0")
        return root
    }

    func testCasesMatchPyTorch() throws {
        let cases = try XCTUnwrap(try Self.root()["cases"] as? [[String: Any]])
        XCTAssertEqual(cases.count, Self.expectedCaseCount)
        let replayed = try EncodedTensor.replayByDtype(
            cases, float: { try replay($0, Float.self, rtol: 1e-4, atol: 1e-5) },
            double: { try replay($0, Double.self, rtol: 1e-10, atol: 1e-12) })
        XCTAssertEqual(Set(replayed.keys), Set(RandomGradcheckCases.productsNormOps), "an op without golden cases")
    }

    /// Each shape error traps with PyTorch's message (checked in a child process).
    func testShapeErrorsTrapWithPyTorchsMessages() throws {
        let errors = try XCTUnwrap(try Self.root()["errors"] as? [[String: Any]])
        XCTAssertEqual(errors.count, 24)
        for (k, e) in errors.enumerated() {
            let shapes = e["shapes"] as! [[Int]], message = e["message"] as! String
            expectTrap("error\(k)", message: message) {
                let xs = shapes.map { Tensor<Float>.ones($0) }
                _ = applyProductsNormOp(e["op"] as! String, xs, e["params"] as! [String: Any])
            }
        }
    }

    /// `matmul` records the nodes PyTorch 2.11 records (counted on its graphs): folding, the
    /// broadcast `bmm` and the transposed fold add no node of their own (the fold's layout check
    /// reads the operand's strides without a transpose node).
    func testMatmulRecordsAsManyNodesAsPyTorch() {
        let cases: [([Int], [Int], Bool, Int)] = [
            ([2, 3, 4], [4, 5], false, 3),   // UnsafeView ← Mm ← View
            ([2, 3], [5, 3, 4], true, 8),    // Clone ← Transpose ← UnsafeView ← Mm ← (UnsafeView ← Clone ← Transpose, T)
            ([2, 2, 3], [2, 3, 4], true, 6), // UnsafeView ← Bmm ← (View ← Expand) × 2
            ([3], [2, 3, 4], true, 5),       // UnsafeView ← Mv ← UnsafeView ← Clone ← Transpose
            ([3], [3, 4], true, 3),          // SqueezeBackward4 ← Mm ← Unsqueeze
        ]
        for (a, b, bRequiresGrad, expected) in cases {
            let x = Tensor<Float>.ones(a, requiresGrad: true), w = Tensor<Float>.ones(b, requiresGrad: bRequiresGrad)
            let before = currentGraphStats().nodeCount
            let y = x.matmul(w)
            XCTAssertEqual(currentGraphStats().nodeCount - before, expected, "\(a) · \(b)")
            withExtendedLifetime(y) {}
        }
    }

    private func replay<S: TensorScalar>(_ c: [String: Any], _: S.Type, rtol: Double, atol: Double) throws {
        let id = c["id"] as! String, op = c["op"] as! String
        let params = c["params"] as! [String: Any]
        let requires = c["requiresGrad"] as! [Bool]
        let inputs = zip(c["inputs"] as! [[String: Any]], requires).map { EncodedTensor.tensor($0.0, S.self, requiresGrad: $0.1) }
        let y: Tensor<S>
        var stats: (Tensor<S>, Tensor<S>)?
        if op == "batchNorm", let mean = params["runningMean"] as? [Double], let variance = params["runningVar"] as? [Double] {
            // Running statistics the test keeps, to read them after the call.
            let rm = try Tensor<S>(mean.map { S($0) }, shape: [mean.count]), rv = try Tensor<S>(variance.map { S($0) }, shape: [variance.count])
            let affine = params["affine"] as? String
            let weight = affine == "weight" || affine == "both" ? inputs[1] : nil
            let bias = affine == "bias" ? inputs[1] : affine == "both" ? inputs[2] : nil
            y = batchNorm(inputs[0], runningMean: rm, runningVar: rv, weight: weight, bias: bias, training: params["training"] as! Bool,
                          momentum: params["momentum"] as? Double ?? 0.1, eps: params["eps"] as? Double ?? 1e-5)
            stats = (rm, rv)
        } else {
            y = try XCTUnwrap(applyProductsNormOp(op, inputs, params), "\(id): unknown op")
        }
        EncodedTensor.assertMatches(y, c["output"] as! [String: Any], rtol: rtol, atol: atol, "\(id): output")
        XCTAssertEqual(y.gradFn?.name, c["gradFn"] as? String, "\(id): grad_fn")
        if let expected = c["nextFunctions"] as? [Any] {
            // PyTorch's next_functions names (nil where an operand needs no gradient).
            let listed = y.gradFn?.nextFunctions.map { $0.0?.name } ?? []
            // (The fixture has C++ names: `torch::autograd::AccumulateGrad` is Python's AccumulateGrad.)
            let names = expected.map { ($0 as? String)?.replacingOccurrences(of: "torch::autograd::", with: "") }
            XCTAssertEqual(listed, names, "\(id): next_functions")
        }
        if let (rm, rv) = stats {
            EncodedTensor.assertMatches(rm, c["runningMeanAfter"] as! [String: Any], rtol: rtol, atol: atol, "\(id): running mean")
            EncodedTensor.assertMatches(rv, c["runningVarAfter"] as! [String: Any], rtol: rtol, atol: atol, "\(id): running var")
        }
        try EncodedTensor.assertBackward(y, c, inputs: inputs, rtol: rtol, atol: atol)
    }
}
