import XCTest
import Autograd
import _TestSupport

/// Every case of ops.json and broadcast.json: forward values and shape, `grad_fn` name, and the
/// gradients of `sum(out * w)`, against what PyTorch computed.
final class GoldenOpsTests: XCTestCase {
    func testOpsJSON() throws { try replay("ops.json") }
    func testBroadcastJSON() throws { try replay("broadcast.json") }

    private func replay(_ file: String) throws {
        var replayed = 0
        for c in try Golden.cases(file) {
            let id = c["id"] as! String
            let op = c["op"] as! String
            let flags = c["requiresGrad"] as! [Bool]
            let xs: [Tensor<Float>] = try zip(c["inputs"] as! [Any], flags).map {
                try TensorRecord($0.0)!.tensor(requiresGrad: $0.1)
            }
            guard let out = applyGoldenOp(op, xs, c["params"] as? [String: Any] ?? [:]) else {
                XCTFail("\(id): op \(op) is not implemented")
                continue
            }
            let expected = TensorRecord(c["out"])!
            XCTAssertEqual(out.shape, expected.shape, "\(id): shape")
            if let m = firstMismatch(out.scalars, expected.values) { XCTFail("\(id): forward \(m)") }
            XCTAssertEqual(out.gradFn?.name, c["gradFn"] as? String, "\(id): grad_fn")

            let w: Tensor<Float> = try TensorRecord(c["w"])!.tensor()
            try (out * w).sum().backward()
            for (i, g) in (c["grads"] as! [Any]).enumerated() {
                if let g = TensorRecord(g) {
                    guard let grad = xs[i].grad else { XCTFail("\(id): input \(i) got no grad"); continue }
                    XCTAssertEqual(grad.shape, g.shape, "\(id): grad \(i) shape")
                    if let m = firstMismatch(grad.scalars, g.values) { XCTFail("\(id): grad \(i) \(m)") }
                } else {
                    XCTAssertNil(xs[i].grad, "\(id): input \(i) must get no grad")
                }
            }
            replayed += 1
        }
        XCTAssertGreaterThan(replayed, 0)
    }
}
