import XCTest
import Autograd

/// The tensors of the golden fixtures written as `{"shape": [...], "values": ["repr", ...]}`
/// (elementwise.json, products_norm.json): decoding, comparing, and replaying each case in its
/// dtype.
public enum EncodedTensor {
    /// The values, `"nan"`, `"inf"` and `"-0.0"` included.
    public static func values(_ encoded: [String: Any]) -> [Double] {
        (encoded["values"] as! [String]).map { Double($0)! }
    }

    public static func tensor<S: TensorScalar>(_ encoded: [String: Any], _: S.Type, requiresGrad: Bool) -> Tensor<S> {
        try! Tensor<S>(values(encoded).map { S($0) }, shape: encoded["shape"] as! [Int], requiresGrad: requiresGrad)
    }

    /// `t` has the encoded shape and values: a NaN where NaN is expected, the same infinity, else
    /// within `atol + rtol·|expected|`. Reports the first element that differs.
    public static func assertMatches<S: TensorScalar>(
        _ t: Tensor<S>, _ encoded: [String: Any], rtol: Double, atol: Double, _ message: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(t.shape, encoded["shape"] as! [Int], "\(message): shape", file: file, line: line)
        let expected = values(encoded)
        let actual = t.scalars.map(Double.init)
        guard actual.count == expected.count else { return }
        for (i, (a, e)) in zip(actual, expected).enumerated() {
            let ok = e.isNaN ? a.isNaN : (e.isInfinite ? a == e : Swift.abs(a - e) <= atol + rtol * Swift.abs(e))
            if !ok {
                XCTFail("\(message): element \(i): \(a), PyTorch \(e)", file: file, line: line)
                return
            }
        }
    }

    /// A backward of `y` from case `c`'s `gradOutput` gives each input the gradient in `c["grads"]`
    /// (none where it holds `null`).
    public static func assertBackward<S: TensorScalar>(
        _ y: Tensor<S>, _ c: [String: Any], inputs: [Tensor<S>], rtol: Double, atol: Double,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let id = c["id"] as! String
        try y.backward(gradient: tensor(c["gradOutput"] as! [String: Any], S.self, requiresGrad: false))
        for (k, expected) in (c["grads"] as! [Any]).enumerated() {
            guard let expected = expected as? [String: Any] else {
                XCTAssertNil(inputs[k].grad, "\(id): input \(k) should get no gradient", file: file, line: line)
                continue
            }
            guard let grad = inputs[k].grad else { XCTFail("\(id): no gradient for input \(k)", file: file, line: line); continue }
            assertMatches(grad, expected, rtol: rtol, atol: atol, "\(id): gradient of input \(k)", file: file, line: line)
        }
    }

    /// Runs `float` on the float32 cases and `double` on the others; returns how many cases each
    /// op had.
    public static func replayByDtype(
        _ cases: [[String: Any]], float: ([String: Any]) throws -> Void, double: ([String: Any]) throws -> Void
    ) rethrows -> [String: Int] {
        var replayed: [String: Int] = [:]
        for c in cases {
            if c["dtype"] as! String == "float32" { try float(c) } else { try double(c) }
            replayed[c["op"] as! String, default: 0] += 1
        }
        return replayed
    }
}
