import Foundation
import XCTest
import Autograd
import _TestSupport

/// Second and third derivatives through `grad(createGraph:)`, and the functional forms
/// (`jacobian`, `hessian`, `vjp`, `jvp`, `hvp`), against torch 2.11.0 (higher_order.json,
/// make_higher_order_fixture.py), in Double to 1e-12 relative.
final class HigherOrderGoldenTests: XCTestCase {
    nonisolated(unsafe) static let w = try! Tensor<Double>([0.5, -1.0, 0.25, 1.5, 0.75, -0.5, -0.25, 2.0, 1.0, 1.0, -0.5, 0.5], shape: [4, 3])

    /// The script's functions, spelled with this library's ops.
    nonisolated(unsafe) static let scalarFunctions: [String: (Tensor<Double>) -> Tensor<Double>] = [
        "cubeSum": { x in (x * x * x).sum() },
        "expTimesX": { x in (x.exp() * x).sum() },
        "tanhMatmul": { x in x.reshaped([1, 4]).matmul(w).tanh().pow(2).sum() },
        "logSoftmax": { x in x.reshaped([2, 2]).logSoftmax(dim: 1).pow(2).mean() },
        "sigmoidDiv": { x in (x.sigmoid() / (x * x + 1)).sum() },
    ]
    nonisolated(unsafe) static let vectorFunctions: [String: (Tensor<Double>) -> Tensor<Double>] = [
        "square": { x in x * x },
        "tanhMatmul": { x in x.reshaped([1, 4]).matmul(w).tanh().reshaped([3]) },
        "softmax": { x in x.softmax(dim: 0) },
    ]

    func testAgainstPyTorch() throws {
        let data = try Data(contentsOf: Fixtures.url("higher_order.json"))
        let file = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try XCTUnwrap(file["cases"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 8)
        func values(_ c: [String: Any], _ key: String) -> [Double] { (c[key] as! [Any]).map(TensorRecord.number) }
        func assertClose(_ actual: Tensor<Double>, _ expected: [Double], shape: [Int]? = nil, _ what: String) {
            if let shape { XCTAssertEqual(actual.shape, shape, what) }
            XCTAssertEqual(actual.count, expected.count, what)
            for (a, e) in zip(actual.scalars, expected) {
                XCTAssertEqual(a, e, accuracy: 1e-12 * Swift.max(1, Swift.abs(e)), what)
            }
        }
        for c in cases {
            let name = c["function"] as! String
            let x = try Tensor<Double>(values(c, "x"), shape: [4])
            let v = try Tensor<Double>(values(c, "v"), shape: [4])
            if c["kind"] as! String == "scalar" {
                let f = try XCTUnwrap(Self.scalarFunctions[name], name)
                let leaf = try Tensor<Double>(values(c, "x"), shape: [4], requiresGrad: true)
                let y = f(leaf)
                XCTAssertEqual(y.scalar!, TensorRecord.number(c["value"]!), accuracy: 1e-12, name)
                let g1 = try grad(outputs: [y], inputs: [leaf], createGraph: true)[0]!
                let g2 = try grad(outputs: [g1.sum()], inputs: [leaf], createGraph: true)[0]!
                let g3 = try grad(outputs: [g2.sum()], inputs: [leaf])[0]!
                assertClose(g1, values(c, "grad"), "\(name) grad")
                assertClose(g2, values(c, "grad2OfSum"), "\(name) second derivative")
                assertClose(g3, values(c, "grad3OfSum"), "\(name) third derivative")
                assertClose(try hessian(f, at: x), values(c, "hessian"), shape: (c["hessianShape"] as! [Int]), "\(name) hessian")
                let (out, hv) = try hvp(f, at: x, v: v)
                XCTAssertEqual(out.scalar!, y.scalar!, name)
                XCTAssertNil(out.gradFn)
                assertClose(hv, values(c, "hvp"), "\(name) hvp")
            } else {
                let f = try XCTUnwrap(Self.vectorFunctions[name], name)
                let u = try Tensor<Double>(values(c, "u"), shape: [values(c, "u").count])
                assertClose(try jacobian(f, at: x), values(c, "jacobian"), shape: (c["jacobianShape"] as! [Int]), "\(name) jacobian")
                let (out, vj) = try vjp(f, at: x, v: u)
                assertClose(out, values(c, "output"), "\(name) output")
                assertClose(vj, values(c, "vjp"), "\(name) vjp")
                assertClose(try jvp(f, at: x, v: v).product, values(c, "jvp"), "\(name) jvp")
            }
        }
    }

    /// `createGraph: true` keeps history back to an input that requires grad, so that a Newton
    /// step's Hessian can itself be differentiated; without it, results are plain tensors.
    func testCreateGraphResultsHaveHistory() throws {
        let x = try Tensor<Double>([0.5, -1, 2], shape: [3], requiresGrad: true)
        let f: (Tensor<Double>) -> Tensor<Double> = { ($0 * $0 * $0).sum() }
        let h = try hessian(f, at: x, createGraph: true)
        XCTAssertNotNil(h.gradFn)
        try h.sum().backward()                 // d/dx Σ diag(6x) = 6
        XCTAssertEqual(x.grad?.scalars, [6, 6, 6])
        XCTAssertNil(try hessian(f, at: x).gradFn)
        // A function that does not depend on its input gives zeros, as PyTorch's strict=False.
        XCTAssertEqual(try jacobian({ _ in Tensor<Double>.ones([2]) }, at: x).scalars, [Double](repeating: 0, count: 6))
        XCTAssertEqual(try hvp({ $0.sum() }, at: x, v: x.detached()).product.scalars, [0, 0, 0])
    }
}
