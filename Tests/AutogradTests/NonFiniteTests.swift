import XCTest
import Autograd
import _TestSupport

/// NaN and infinity go through every op, forward and backward, as they go through PyTorch's:
/// nothing traps on them, and each result below is what PyTorch 2.x gives (IEEE arithmetic and
/// C's libm special cases; the derivative formulas of PyTorch's derivatives.yaml).
final class NonFiniteTests: XCTestCase {
    let nan = Float.nan, inf = Float.infinity

    /// Equal element for element, NaN equal to NaN, infinities exact.
    private func assertSame(_ actual: [Float]?, _ expected: [Float], _ what: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        guard let actual else { return XCTFail("\(what): nil", file: file, line: line) }
        let same = actual.count == expected.count
            && zip(actual, expected).allSatisfy { a, e in e.isNaN ? a.isNaN : (e.isInfinite ? a == e : Swift.abs(a - e) <= 1e-6 * Swift.max(1, Swift.abs(e))) }
        XCTAssertTrue(same, "\(what): \(actual), expected \(expected)", file: file, line: line)
    }

    /// `f(x)`'s value and the gradient of `f(x).sum()` with respect to `x`.
    private func valueAndGrad(_ x: [Float], _ f: (Tensor<Float>) -> Tensor<Float>) -> ([Float], [Float]?) {
        let t = Tensor<Float>(x, requiresGrad: true)
        let y = f(t)
        do { try y.sum().backward() } catch { XCTFail("backward threw \(error)") }
        return (y.scalars, t.grad?.scalars)
    }

    private func check(_ what: String, _ x: [Float], value: [Float], grad: [Float],
                       file: StaticString = #filePath, line: UInt = #line, _ f: (Tensor<Float>) -> Tensor<Float>) {
        let (v, g) = valueAndGrad(x, f)
        assertSame(v, value, "\(what) value", file: file, line: line)
        assertSame(g, grad, "\(what) gradient", file: file, line: line)
    }

    // MARK: - Elementwise

    func testArithmetic() {
        check("nan + 1", [nan, 2], value: [nan, 3], grad: [1, 1]) { $0 + 1 }
        check("inf - inf", [inf, 1], value: [nan, 0], grad: [1, 1]) { $0 - Tensor<Float>([inf, 1]) }
        check("x * 0 at inf", [inf, 2], value: [nan, 0], grad: [0, 0]) { $0 * Tensor<Float>([0, 0]) }
        check("x * x at nan", [nan], value: [nan], grad: [nan]) { $0 * $0 }
        check("x / 0", [1, -1, 0], value: [inf, -inf, nan], grad: [inf, inf, inf]) { $0 / Tensor<Float>([0, 0, 0]) }
        check("1 / x", [0, -0.0, inf], value: [inf, -inf, 0], grad: [-inf, -inf, -0.0]) { 1 / $0 }
        check("x / inf", [1, inf], value: [0, nan], grad: [0, 0]) { $0 / inf }
        check("-x", [nan, inf], value: [nan, -inf], grad: [-1, -1]) { -$0 }
        check("x + nan", [1, 2], value: [nan, nan], grad: [1, 1]) { $0 + Float.nan }
        check("nan * x", [1], value: [nan], grad: [nan]) { Float.nan * $0 }
    }

    func testDivisionGradientWithRespectToTheDenominator() {
        // d(a/b)/db = -a/b² at b = 0: -inf for a = 1, nan for a = 0 (PyTorch: -g·((a/b)/b)).
        let b = Tensor<Float>([0, 0, 2], requiresGrad: true)
        let a = Tensor<Float>([1, 0, inf])
        try? (a / b).sum().backward()
        assertSame(b.grad?.scalars, [-inf, nan, -inf], "d(a/b)/db")
        // Tiny and huge denominators whose square under- or overflows Float while the gradient
        // does not: PyTorch's order gives -1e30 and -1e-20, not -inf and 0.
        let tiny = Tensor<Float>([1e-30, 1e20], requiresGrad: true)
        try? (Tensor<Float>([1e-30, 1e20]) / tiny).sum().backward()
        assertSame(tiny.grad?.scalars, [-1e30, -1e-20], "d(a/b)/db without b²")
        let d = Tensor<Double>([1e-200], requiresGrad: true)
        try? (Tensor<Double>([1e-200]) / d).sum().backward()
        XCTAssertEqual(d.grad?.scalar ?? 0, -1e200, accuracy: 1e186)
    }

    func testElementaryFunctions() {
        check("log", [0, -1, inf, nan], value: [-inf, nan, inf, nan], grad: [inf, -1, 0, nan]) { $0.log() }
        check("sqrt", [0, -1, inf], value: [0, nan, inf], grad: [inf, nan, 0]) { $0.sqrt() }
        check("exp", [inf, -inf, nan, 100], value: [inf, 0, nan, inf], grad: [inf, 0, nan, inf]) { $0.exp() }
        check("pow 0.5", [0, -1], value: [0, nan], grad: [inf, nan]) { $0.pow(0.5) }
        check("pow -1", [0, inf], value: [inf, 0], grad: [-inf, -0.0]) { $0.pow(-1) }
        check("pow 2", [nan, inf, -inf], value: [nan, inf, inf], grad: [nan, inf, -inf]) { $0.pow(2) }
        check("pow 0", [nan, inf, 0], value: [1, 1, 1], grad: [0, 0, 0]) { $0.pow(0) }   // C's pow(x, 0) = 1
        // PyTorch 2.11: abs's derivative is grad · sgn(x), and sgn(NaN) = 0 there (checked with torch).
        check("abs", [-inf, inf, nan, 0], value: [inf, inf, nan, 0], grad: [-1, 1, 0, 0]) { $0.abs() }
        check("relu", [nan, -inf, inf], value: [nan, 0, inf], grad: [1, 0, 1]) { $0.relu() }   // threshold_backward
        check("sigmoid", [nan, inf, -inf], value: [nan, 1, 0], grad: [nan, 0, 0]) { $0.sigmoid() }
        check("tanh", [nan, inf, -inf], value: [nan, 1, -1], grad: [nan, 0, 0]) { $0.tanh() }
    }

    // MARK: - Reductions

    func testReductions() {
        check("sum nan", [1, nan], value: [nan], grad: [1, 1]) { $0.sum() }
        check("sum inf - inf", [inf, -inf], value: [nan], grad: [1, 1]) { $0.sum() }
        check("sum inf", [inf, 1], value: [inf], grad: [1, 1]) { $0.sum() }
        check("mean nan", [nan, 1], value: [nan], grad: [0.5, 0.5]) { $0.mean() }
        check("max nan", [1, nan, 3], value: [nan], grad: [0, 1, 0]) { $0.max() }
        check("max inf", [inf, 1, inf], value: [inf], grad: [0.5, 0, 0.5]) { $0.max() }
        check("max -inf", [-inf, -inf], value: [-inf], grad: [0.5, 0.5]) { $0.max() }
        check("max(dim:) nan", [1, nan, 2, 3], value: [nan, 3], grad: [0, 1, 0, 1]) {
            $0.reshaped([2, 2]).max(dim: 1)
        }
        check("sum(dim:) inf", [inf, -inf, 1, 2], value: [nan, 3], grad: [1, 1, 1, 1]) {
            $0.reshaped([2, 2]).sum(dim: 1)
        }
        check("mean(dim:) nan", [nan, 1, 1, 2], value: [nan, 1.5], grad: [0.5, 0.5, 0.5, 0.5]) {
            $0.reshaped([2, 2]).mean(dim: -1)
        }
        XCTAssertTrue(Tensor<Float>.zeros([0]).mean().scalar!.isNaN, "the mean of nothing is nan")
    }

    // MARK: - Products, softmax, losses, shapes

    func testMatmul() {
        check("matmul nan", [nan, 0, 1, 1], value: [nan, 2], grad: [1, 1, 1, 1]) {
            $0.reshaped([2, 2]).matmul(Tensor<Float>.ones([2, 1])).reshaped([2])
        }
        let w = Tensor<Float>([0, 1], requiresGrad: true)
        let x = try! Tensor<Float>([[inf, 1]])
        let y = x.matmul(w)                        // inf·0 + 1·1
        assertSame(y.scalars, [nan], "inf · 0 in a product")
        try? y.sum().backward()
        assertSame(w.grad?.scalars, [inf, 1], "d/dw of [inf, 1]·w")
    }

    func testSoftmaxAndLogSoftmax() {
        check("softmax inf", [inf, 1], value: [nan, nan], grad: [nan, nan]) { $0.softmax(dim: 0) }
        check("softmax nan", [nan, 1], value: [nan, nan], grad: [nan, nan]) { $0.softmax(dim: 0) }
        check("softmax -inf", [-inf, 0], value: [0, 1], grad: [0, 0]) { $0.softmax(dim: 0) }
        check("softmax all -inf", [-inf, -inf], value: [nan, nan], grad: [nan, nan]) { $0.softmax(dim: 0) }
        check("logSoftmax -inf", [-inf, 0], value: [-inf, 0], grad: [1, -1]) { $0.logSoftmax(dim: 0) }
        check("logSoftmax nan", [nan, 1], value: [nan, nan], grad: [nan, nan]) { $0.logSoftmax(dim: 0) }
    }

    func testLosses() {
        check("crossEntropy nan", [nan, 1], value: [nan], grad: [nan, nan]) {
            crossEntropy(logits: $0.reshaped([1, 2]), targets: [1])
        }
        check("crossEntropy -inf, right class", [-inf, 0], value: [0], grad: [0, 0]) {
            crossEntropy(logits: $0.reshaped([1, 2]), targets: [1])
        }
        check("crossEntropy -inf, wrong class", [-inf, 0], value: [inf], grad: [-1, 1]) {
            crossEntropy(logits: $0.reshaped([1, 2]), targets: [0])
        }
        check("mseLoss inf", [inf, 1], value: [inf], grad: [inf, 1]) { mseLoss($0, Tensor<Float>([0, 0])) }
        check("mseLoss inf - inf", [inf], value: [nan], grad: [nan]) { mseLoss($0, Tensor<Float>([inf])) }
    }

    func testShapeOpsCarryNonFiniteValues() {
        let values: [Float] = [nan, inf, -inf, -0.0, 1, 2]
        check("reshape", values, value: values, grad: [1, 1, 1, 1, 1, 1]) { $0.reshaped([2, 3]) }
        check("transpose", values, value: [nan, -0.0, inf, 1, -inf, 2], grad: [1, 1, 1, 1, 1, 1]) {
            $0.reshaped([2, 3]).transposed()
        }
        check("unsqueeze", values, value: values, grad: [1, 1, 1, 1, 1, 1]) { $0.unsqueezed(dim: 0) }
        check("expand", [nan, inf], value: [nan, inf, nan, inf], grad: [2, 2]) { $0.expanded(to: [2, 2]) }
    }

    // MARK: - Gradients that are themselves non-finite

    func testNonFiniteSeedGradientPropagates() throws {
        let x = Tensor<Float>([1, 2], requiresGrad: true)
        let y = (x * 3).exp()
        try y.backward(gradient: Tensor<Float>([nan, inf]))
        assertSame(x.grad?.scalars, [nan, inf], "a nan/inf seed")
        // Accumulating into an existing gradient keeps it.
        try (x * 2).sum().backward()
        assertSame(x.grad?.scalars, [nan, inf], "accumulated")
    }

    func testTrainingStepWithNaNDoesNotTrap() throws {
        // A NaN in a batch turns the loss and the parameters into NaN, as in PyTorch: no trap.
        var generator = RandomGenerator(seed: 3)
        let model = Sequential<Float>(Linear(inFeatures: 2, outFeatures: 3, using: &generator), ReLU(),
                                      Linear(inFeatures: 3, outFeatures: 2, using: &generator))
        let optimizer = SGD(model.parameters, lr: 0.1)
        let x = try Tensor<Float>([[1, nan], [0, 1]])
        let loss = crossEntropy(logits: model(x), targets: [0, 1])
        XCTAssertTrue(loss.scalar!.isNaN)
        try loss.backward()
        optimizer.step()
        XCTAssertTrue(model.parameters.contains { $0.scalars.contains(where: \.isNaN) })
    }

    /// -3e-39, a subnormal Float, by its bits: a literal below `Float.leastNormalMagnitude` draws a
    /// compiler warning (and 7e-46, which these lists held before, silently rounded to zero).
    private let subnormal = Float(bitPattern: 0x8020_AAC8)

    /// `x * x` takes a one-pass derivative (`t + t`, `t = g·x`); it must give exactly the bits of
    /// the general path, which forms both products and adds them, as PyTorch does. The values
    /// sit where the shortcuts one might write instead (`2·g·x`) round differently: near the top
    /// of the range, where `2x` overflows, and where `g·x` is subnormal.
    func testSelfProductGradientMatchesTheTwoProductPathBitForBit() throws {
        let values: [Float] = [3e38, -2.5e38, 1e-30, subnormal, 1.5, 0, .infinity, .nan, .leastNonzeroMagnitude, 1.7e38]
        let upstream: [Float] = [0.75, 0.3, 1e-10, 0.7, -2, 1, 0.5, 1, 3, 1.999]
        let x = Tensor<Float>(values, requiresGrad: true)
        try (x * x).backward(gradient: Tensor(upstream))
        let y = Tensor<Float>(values, requiresGrad: true)
        try (y * y.reshaped([values.count])).backward(gradient: Tensor(upstream))   // two edges: general path
        XCTAssertSameBits(x.grad!.scalars, y.grad!.scalars)
        XCTAssertTrue(x.grad!.scalars[1].isFinite, "2·x overflows here, g·x + g·x does not")
    }

    /// A product whose factor already has a gradient (`a * b + a`) adds to it in one pass,
    /// `partial + g·b`; the bits must be those of the product then the sum (no fused
    /// multiply-add), including where the product overflows or is subnormal.
    func testProductAddingToAPartialGradientMatchesSeparateOperationsBitForBit() throws {
        // Element 6: g·b + g rounds differently when fused (found by search; see the last check).
        let av: [Float] = [3e38, -2.5e38, 1e-30, subnormal, 1.5, 0, 0.3, 0.3, .leastNonzeroMagnitude, 1.7e38]
        let bv: [Float] = [2, 0.3, 1e-10, 0.7, -2, 1, 0.7766830921173096, 0.1, 3, 1.999]
        let gv: [Float] = [0.75, 1.25, 1e-9, 0.7, -2, 1, 0.6234897375106812, 0.7, 3, 1.5]
        let a = Tensor<Float>(av, requiresGrad: true), b = Tensor<Float>(bv, requiresGrad: true)
        try (a * b + a).backward(gradient: Tensor(gv))
        let g = Tensor<Float>(gv).data, gb = g.binary(.mul, Tensor<Float>(bv).data)
        XCTAssertSameBits(a.grad!.scalars, g.binary(.add, gb).scalars)
        XCTAssertSameBits(b.grad!.scalars, g.binary(.mul, Tensor<Float>(av).data).scalars)
        // Here the partial is g itself: g + g·b, which one fused rounding would change.
        XCTAssertNotEqual(a.grad!.scalars[6], gv[6].addingProduct(gv[6], bv[6]), "fused multiply-add crept in")

        // A broadcast factor takes the unfused path and still adds the partial.
        let c = try Tensor<Float>([[1, 2], [3, 4]], requiresGrad: true), d = Tensor<Float>([10, 20], requiresGrad: true)
        try (c * d + c).sum().backward()
        XCTAssertEqual(c.grad!.scalars, [11, 21, 11, 21])
        XCTAssertEqual(d.grad!.scalars, [4, 6])
    }
}
