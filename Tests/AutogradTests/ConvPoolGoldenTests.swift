import Foundation
import XCTest
import Autograd
import _TestSupport

/// Convolutions and pooling of API.md Part two "More operations" (issue 18) replayed against
/// PyTorch 2.11: `Tests/Fixtures/conv_pool.json`, written by `make_conv_pool_fixture.py`, holds
/// `conv1d`/`conv2d` cases (stride, padding, dilation, groups, bias or none, 1×1 kernels, the
/// list overloads, unbatched inputs, inputs that need no gradient) and `maxPool2d`/`avgPool2d`
/// cases (stride, padding, 3-D inputs, windows with tied maxima), in float32 and float64: the
/// output, its `grad_fn` name and the gradients of a backward from a random `gradOutput`; and the
/// messages of the shapes and parameters PyTorch refuses.
///
/// Tolerances: inputs are multiples of 1/8, so pooling is exact (max: bit for bit; average: one
/// rounding of a division); a convolution sums in another order than PyTorch's (oneDNN), float32
/// within `1e-5 + 1e-5·|expected|`, float64 `1e-12`.
final class ConvPoolGoldenTests: XCTestCase {
    /// 27 cases × 2 dtypes.
    private static let expectedCaseCount = 54
    private static let expectedErrorCount = 22

    private static func root() throws -> [String: Any] {
        let data = try Data(contentsOf: Fixtures.url("conv_pool.json"))
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(root["torch"] as? String, "2.11.0")
        return root
    }

    func testCasesMatchPyTorch() throws {
        let cases = try XCTUnwrap(try Self.root()["cases"] as? [[String: Any]])
        XCTAssertEqual(cases.count, Self.expectedCaseCount)
        var replayed: [String: Int] = [:]
        for c in cases {
            switch c["dtype"] as! String {
            case "float32": try replay(c, Float.self, tolerance: 1e-5)
            default: try replay(c, Double.self, tolerance: 1e-12)
            }
            replayed[c["op"] as! String, default: 0] += 1
        }
        XCTAssertEqual(Set(replayed.keys), ["conv1d", "conv2d", "maxPool2d", "avgPool2d"])
        print("conv_pool.json: \(cases.count) cases replayed")
    }

    private func replay<S: TensorScalar & BinaryFloatingPoint>(_ c: [String: Any], _: S.Type, tolerance: Double) throws {
        let op = c["op"] as! String
        let label = "\(op) \(c["dtype"]!) \(c["shapes"]!) \(c["params"]!)"
        let shapes = c["shapes"] as! [[Int]], flags = c["requiresGrad"] as! [Bool]
        let inputs = try zip(zip(c["inputs"] as! [[Double]], shapes), flags).map { pair, flag in
            try Tensor<S>(pair.0.map { S($0) }, shape: pair.1, requiresGrad: flag)
        }
        let out = try XCTUnwrap(applyConvPoolOp(op, inputs, c["params"] as! [String: Any]), label)
        XCTAssertEqual(out.shape, c["outputShape"] as! [Int], label)
        XCTAssertEqual(out.gradFn?.name, c["gradFn"] as? String, label)
        XCTAssertFixtureClose(out.scalars, c["output"] as! [Double], tolerance, "\(label): output")
        try out.backward(gradient: Tensor<S>((c["gradOutput"] as! [Double]).map { S($0) }, shape: out.shape))
        try XCTAssertFixtureGradients(inputs, c["grads"] as! [Any], tolerance, label)
    }

    /// Ties: the gradient of each window goes to its first maximum only (row-major order), as
    /// PyTorch's; with overlapping windows a position collects from every window it wins.
    /// Values checked with PyTorch 2.11.
    func testMaxPoolTiesGoToTheFirstMaximum() throws {
        let x = try Tensor<Float>([1, 2, 2, 2, 2, 2, 2, 2, 0], shape: [1, 1, 3, 3], requiresGrad: true)
        let y = maxPool2d(x, kernelSize: 2, stride: 1)
        XCTAssertEqual(y.scalars, [2, 2, 2, 2])
        try y.sum().backward()
        XCTAssertEqual(x.grad?.scalars, [0, 2, 0, 1, 1, 0, 0, 0, 0])   // PyTorch 2.11's

        // 2×2 windows 2 apart (their own loop): ties, and NaN, where the last NaN wins
        // (PyTorch's `val > maxval || isnan(val)`); the general loop agrees.
        let t = try Tensor<Float>([3, 3, 1, 5, 3, 3, 5, 5], shape: [1, 1, 2, 4], requiresGrad: true)
        try maxPool2d(t, kernelSize: 2).sum().backward()
        XCTAssertEqual(t.grad?.scalars, [1, 0, 0, 1, 0, 0, 0, 0])
        let n = try Tensor<Float>([.nan, 1, .nan, 2], shape: [1, 1, 2, 2], requiresGrad: true)
        let m = maxPool2d(n, kernelSize: 2)
        XCTAssertTrue(m.scalars[0].isNaN)
        try m.sum().backward()
        XCTAssertEqual(n.grad?.scalars, [0, 0, 1, 0])
        let general = try Tensor<Float>([.nan, 1, .nan, 2, 0, 0, 0, 0, 0], shape: [1, 1, 3, 3], requiresGrad: true)
        try maxPool2d(general, kernelSize: 2, stride: 1).sum().backward()
        XCTAssertEqual(general.grad?.scalars, [1, 0, 1, 1, 1, 0, 0, 0, 0])
    }

    /// Every refused shape and parameter of the fixture traps with PyTorch's message.
    func testMisuseTrapsWithPyTorchsMessages() throws {
        let errors = try XCTUnwrap(try Self.root()["errors"] as? [[String: Any]])
        XCTAssertEqual(errors.count, Self.expectedErrorCount)
        for (k, e) in errors.enumerated() {
            let shapes = e["shapes"] as! [[Int]], message = e["message"] as! String
            expectTrap("error\(k)", message: message) {
                _ = applyConvPoolOp(e["op"] as! String, shapes.map { Tensor<Float>.zeros($0) }, e["params"] as! [String: Any])
            }
        }
    }

    /// The layers are their functions, with PyTorch's parameter shapes, names and initial bounds.
    func testLayers() throws {
        var generator = RandomGenerator(seed: 18)
        let conv = Conv2d<Float>(inChannels: 4, outChannels: 6, kernelSize: 3, padding: 1, groups: 2, using: &generator)
        XCTAssertEqual(conv.weight.shape, [6, 2, 3, 3])
        XCTAssertEqual(conv.bias?.shape, [6])
        XCTAssertEqual(conv.namedParameters.map(\.0), ["weight", "bias"])
        let bound = 1 / Float(18).squareRoot()   // fanIn = 4 / 2 · 3 · 3
        for p in conv.parameters { XCTAssertTrue(p.requiresGrad && p.scalars.allSatisfy { abs($0) <= bound }) }
        XCTAssertGreaterThan(conv.weight.scalars.map { abs($0) }.max()!, bound * 0.8)
        let x = Tensor<Float>.randn([2, 4, 5, 5], using: &generator)
        let y = conv(x)
        XCTAssertEqual(y.scalars, conv2d(x, weight: conv.weight, bias: conv.bias, padding: 1, groups: 2).scalars)
        XCTAssertEqual(y.gradFn?.name, "ConvolutionBackward0")

        let conv1 = Conv1d<Double>(inChannels: 3, outChannels: 2, kernelSize: 2, stride: 2, bias: false, using: &generator)
        XCTAssertEqual(conv1.weight.shape, [2, 3, 2])
        XCTAssertNil(conv1.bias)
        XCTAssertEqual(conv1.parameterCount, 12)
        let x1 = Tensor<Double>.randn([1, 3, 6], using: &generator)
        XCTAssertEqual(conv1(x1).scalars, conv1d(x1, weight: conv1.weight, stride: 2).scalars)

        let pooled = MaxPool2d<Float>(kernelSize: 2)(y)
        XCTAssertEqual(pooled.shape, [2, 6, 2, 2])
        XCTAssertEqual(pooled.gradFn?.name, "MaxPool2DWithIndicesBackward0")
        XCTAssertEqual(AvgPool2d<Float>(kernelSize: 3, stride: 1, padding: 1)(y).scalars,
                       avgPool2d(y, kernelSize: 3, stride: 1, padding: 1).scalars)
        XCTAssertTrue(MaxPool2d<Float>(kernelSize: 2).namedParameters.isEmpty)
    }

    /// The gradients a `createGraph` backward forms are PyTorch's ConvolutionBackwardBackward0,
    /// MaxPool2DWithIndicesBackwardBackward0's values through a scatter, AvgPool2DBackwardBackward0.
    func testGradientsOfGradientsHavePyTorchsNodes() throws {
        var generator = RandomGenerator(seed: 5)
        let x = Tensor<Double>.randn([2, 3, 5, 5], using: &generator, requiresGrad: true)
        let w = Tensor<Double>.randn([4, 3, 3, 3], using: &generator, requiresGrad: true)
        let g = try grad(outputs: [conv2d(x, weight: w, padding: 1).sum()], inputs: [x, w], createGraph: true)
        XCTAssertEqual(g[0]?.gradFn?.name, "ConvolutionBackwardBackward0")
        XCTAssertEqual(g[1]?.gradFn?.name, "ConvolutionBackwardBackward0")
        let p = avgPool2d(x, kernelSize: 2)
        let a = try grad(outputs: [(p * p).sum()], inputs: [x], createGraph: true)
        XCTAssertEqual(a[0]?.gradFn?.name, "AvgPool2DBackwardBackward0")
    }
}
