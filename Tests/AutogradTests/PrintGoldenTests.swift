import XCTest
import Autograd
import _TestSupport

/// Every case of print.json printed through the autograd `Tensor`: the leaf itself (with
/// `requires_grad=True` when it requires grad), or the op applied with the Tensor API so that
/// the real `grad_fn=<...>` suffix is printed. `Tensor<Double>` for float64.
final class PrintGoldenTests: XCTestCase {
    func testEveryCase() throws {
        let cases = try Golden.cases("print.json")
        XCTAssertFalse(cases.isEmpty)
        for c in cases {
            let id = c["id"] as? String ?? "?"
            switch c["dtype"] as? String {
            case "float32": try replay(c, id: id, as: Float.self)
            case "float64": try replay(c, id: id, as: Double.self)
            case let dtype: XCTFail("\(id): unknown dtype \(dtype ?? "nil")")
            }
        }
    }

    private func replay<S: TensorScalar>(_ c: [String: Any], id: String, as _: S.Type) throws {
        let leaf: Tensor<S> = try XCTUnwrap(TensorRecord(c["tensor"]), "\(id): tensor")
            .tensor(S.self, requiresGrad: try XCTUnwrap(c["requiresGrad"] as? Bool, "\(id): requiresGrad"))
        let expected = try XCTUnwrap(c["expected"] as? String, "\(id): expected")
        var printed = leaf
        if let op = c["op"] as? [String: Any] {
            let name = try XCTUnwrap(op["name"] as? String, "\(id): op name")
            guard let result = applyGoldenOp(name, [leaf], op["params"] as? [String: Any] ?? [:]) else {
                XCTFail("\(id): op \(name) is not implemented")
                return
            }
            printed = result
        }
        XCTAssertEqual(printed.gradFn?.name, c["expectedGradFn"] as? String, "\(id): grad_fn")
        XCTAssertEqual(printed.description, expected, "\(id)")
        XCTAssertEqual("\(printed)", expected, "\(id): string interpolation")
    }
}
