import XCTest
import Autograd
import _TestSupport

/// Every key of seed.json: PyTorch's autograd tutorial and the creation/reading facts, replayed
/// through the public API (printed text exact, values within the golden tolerance).
final class SeedGoldenTests: XCTestCase {
    private func seed(_ key: String) throws -> [String: Any] {
        try XCTUnwrap(try Golden.load("seed.json")[key] as? [String: Any], "seed.json has no \(key)")
    }

    func testTutorial() throws {
        let g = try seed("tutorial")
        let x = Tensor<Float>.ones([2, 2], requiresGrad: true)
        XCTAssertEqual(x.description, g["x"] as? String)
        XCTAssertEqual(x.isLeaf, g["xIsLeaf"] as? Bool)
        XCTAssertEqual(x.requiresGrad, g["xRequiresGrad"] as? Bool)
        XCTAssertNil(x.gradFn)
        XCTAssertTrue(g["xGradFn"] is NSNull)

        let y = x + 2
        XCTAssertEqual("\(y)", g["y"] as? String)
        XCTAssertEqual(y.gradFn?.name, g["yGradFn"] as? String)
        XCTAssertEqual(y.isLeaf, g["yIsLeaf"] as? Bool)
        XCTAssertEqual(y.requiresGrad, g["yRequiresGrad"] as? Bool)

        let z = y * y * 3
        XCTAssertEqual("\(z)", g["z"] as? String)
        XCTAssertEqual(z.gradFn?.name, g["zGradFn"] as? String)
        let out = z.mean()
        XCTAssertEqual("\(out)", g["out"] as? String)
        XCTAssertEqual(out.gradFn?.name, g["outGradFn"] as? String)
        XCTAssertEqual(out.shape, [])
        XCTAssertTrue(goldenClose(Double(try XCTUnwrap(out.scalar)), try XCTUnwrap(g["outValue"] as? Double)))

        try out.backward()
        let xGrad = try XCTUnwrap(x.grad)
        XCTAssertEqual("\(xGrad)", g["xGrad"] as? String)
        XCTAssertNil(firstMismatch(xGrad.scalars, try XCTUnwrap(g["xGradValues"] as? [Double])))
        XCTAssertEqual(y.grad == nil, g["yGradIsNil"] as? Bool)

        // The first backward freed the graph.
        XCTAssertEqual(try XCTUnwrap(g["secondBackwardRaises"] as? Bool), true)
        XCTAssertThrowsError(try out.backward()) { XCTAssertEqual($0 as? AutogradError, .graphFreed) }
        XCTAssertNil(firstMismatch(x.grad!.scalars, try XCTUnwrap(g["xGradValues"] as? [Double])),
                     "a failed backward must not touch x.grad")

        // A fresh graph seeded with gradient 2 (on a fresh x, so nothing is accumulated).
        let x2 = Tensor<Float>.ones([2, 2], requiresGrad: true)
        let out2 = ((x2 + 2) * (x2 + 2) * 3).mean()
        try out2.backward(gradient: Tensor<Float>(2))
        XCTAssertEqual("\(try XCTUnwrap(x2.grad))", g["gradientTwoXGrad"] as? String)
        XCTAssertNil(firstMismatch(x2.grad!.scalars, try XCTUnwrap(g["gradientTwoXGradValues"] as? [Double])))

        // A second program backwarded into the same x accumulates: 4.5 + 4.5.
        let y3 = x + 2
        try (y3 * y3 * 3).mean().backward()
        XCTAssertEqual("\(try XCTUnwrap(x.grad))", g["accumulatedXGrad"] as? String)
        XCTAssertNil(firstMismatch(x.grad!.scalars, try XCTUnwrap(g["accumulatedXGradValues"] as? [Double])))
    }

    func testRequiresGradToggle() throws {
        let g = try seed("requiresGradToggle")
        var a = try Tensor<Float>(try XCTUnwrap(g["a"] as? [[Double]]).map { $0.map(Float.init) })
        a = (a * 3) / (a - 1)
        XCTAssertEqual(a.requiresGrad, g["aRequiresGradBefore"] as? Bool)
        a.requiresGrad = true
        XCTAssertEqual(a.requiresGrad, g["aRequiresGradAfter"] as? Bool)
        XCTAssertEqual(a.isLeaf, g["aIsLeaf"] as? Bool)
        let b = (a * a).sum()
        XCTAssertEqual("\(b)", g["b"] as? String)
        XCTAssertEqual(b.gradFn?.name, g["bGradFn"] as? String)
        try b.backward()
        let expected = try XCTUnwrap(TensorRecord(g["aGrad"]))
        let grad = try XCTUnwrap(a.grad)
        XCTAssertEqual(grad.shape, expected.shape)
        XCTAssertNil(firstMismatch(grad.scalars, expected.values))
    }

    func testVectorJacobianProduct() throws {
        let g = try seed("vectorJacobian")
        let x = Tensor<Float>(try XCTUnwrap(g["x"] as? [Double]).map(Float.init), requiresGrad: true)
        var y = x * 2
        var doublings = 0
        while withNoGrad({ (y * y).sum().sqrt().scalar! }) < 1000 {
            y = y * 2
            doublings += 1
        }
        XCTAssertEqual(doublings, g["doublings"] as? Int)
        let expectedY = try XCTUnwrap(TensorRecord(g["y"]))
        XCTAssertEqual(y.shape, expectedY.shape)
        XCTAssertNil(firstMismatch(y.scalars, expectedY.values))
        XCTAssertEqual(y.gradFn?.name, g["yGradFn"] as? String)
        XCTAssertEqual(y.description, g["yText"] as? String)

        let v = Tensor<Float>(try XCTUnwrap(g["v"] as? [Double]).map(Float.init))
        try y.backward(gradient: v)
        let expectedGrad = try XCTUnwrap(TensorRecord(g["xGrad"]))
        let grad = try XCTUnwrap(x.grad)
        XCTAssertEqual(grad.shape, expectedGrad.shape)
        XCTAssertNil(firstMismatch(grad.scalars, expectedGrad.values))
        XCTAssertEqual(grad.description, g["xGradText"] as? String)
        XCTAssertEqual(v.scalars, try XCTUnwrap(g["v"] as? [Double]).map(Float.init), "the seed gradient is not modified")
    }

    func testNoGradAndDetach() throws {
        let g = try seed("noGradDetach")
        let x = Tensor<Float>(try XCTUnwrap(g["x"] as? [Double]).map(Float.init), requiresGrad: true)
        XCTAssertEqual(x.pow(2).requiresGrad, g["powRequiresGrad"] as? Bool)
        XCTAssertEqual(withNoGrad { x.pow(2).requiresGrad }, g["powUnderNoGradRequiresGrad"] as? Bool)
        let d = x.detached()
        XCTAssertEqual(d.requiresGrad, g["detachedRequiresGrad"] as? Bool)
        XCTAssertEqual(d.scalars == x.scalars, g["detachedEqual"] as? Bool)
        XCTAssertEqual(d.description, g["detachedText"] as? String)
        XCTAssertEqual(x.description, g["xText"] as? String)
        XCTAssertTrue(d.isLeaf)
        XCTAssertTrue(x.requiresGrad, "detached() must not change the original")
    }

    func testCreation() throws {
        let g = try seed("creation")
        XCTAssertEqual(Tensor<Float>(2).description, g["scalarTwo"] as? String)
        XCTAssertEqual(Tensor<Float>(2, requiresGrad: true).description, g["scalarTwoRequiresGrad"] as? String)
        XCTAssertEqual(try Tensor<Float>([[1, 2], [3, 4]]).description, g["rows"] as? String)
        XCTAssertEqual(Tensor<Float>.zeros([2, 3]).description, g["zeros23"] as? String)
        XCTAssertEqual(Tensor<Float>.ones([2]).description, g["ones2"] as? String)
        XCTAssertEqual(Tensor<Float>.full([2, 2], value: 7).description, g["full22"] as? String)
        XCTAssertEqual(Tensor<Float>.arange(5).description, g["arange5"] as? String)
        XCTAssertEqual(Tensor<Float>.ones([2, 2], requiresGrad: true).description, g["onesRequiresGrad"] as? String)
        XCTAssertEqual(try Tensor<Double>([[1, 2], [3, 4]]).description, g["float64Rows"] as? String)

        let rows = try Tensor<Float>([[1, 2, 3], [4, 5, 6]])
        XCTAssertEqual(rows.shape, [2, 3])
        XCTAssertEqual(rows.rank, 2)
        XCTAssertEqual(rows.count, 6)
        XCTAssertEqual(rows.scalars.map(Double.init), try XCTUnwrap(g["scalarsRowMajor"] as? [Double]))
        XCTAssertNil(rows.scalar)
        XCTAssertEqual(Tensor<Float>(2).scalar, 2)
        XCTAssertEqual(Tensor<Float>(2).shape, [])
    }
}
