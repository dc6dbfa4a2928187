import Foundation
import XCTest
import Autograd
import _TestSupport

/// `AutogradFunction` and `FunctionContext`, each expectation read off torch 2.11.0 running the
/// same `torch.autograd.Function`.
final class CustomFunctionTests: XCTestCase {
    /// x·y + x, with a backward made of library ops (so it can be differentiated again).
    enum MulAdd: AutogradFunction {
        static func forward(_ ctx: FunctionContext<Double>, _ inputs: [Tensor<Double>]) -> [Tensor<Double>] {
            XCTAssertFalse(GradMode.isEnabled)
            ctx.saveForBackward(inputs)
            ctx.userInfo["calls"] = 1
            return [inputs[0] * inputs[1] + inputs[0]]
        }
        static func backward(_ ctx: FunctionContext<Double>, _ gradOutputs: [Tensor<Double>?]) -> [Tensor<Double>?] {
            let xs = try! ctx.savedTensors
            XCTAssertEqual(ctx.userInfo["calls"] as? Int, 1)
            let g = gradOutputs[0]!
            return [ctx.needsInputGrad[0] ? g * (xs[1] + 1) : nil, ctx.needsInputGrad[1] ? g * xs[0] : nil]
        }
    }

    /// eˣ saving its output.
    enum ExpOut: AutogradFunction {
        static func forward(_ ctx: FunctionContext<Double>, _ inputs: [Tensor<Double>]) -> [Tensor<Double>] {
            let e = inputs[0].exp()
            ctx.saveForBackward([e])
            return [e]
        }
        static func backward(_ ctx: FunctionContext<Double>, _ gradOutputs: [Tensor<Double>?]) -> [Tensor<Double>?] {
            [gradOutputs[0]! * (try! ctx.savedTensors)[0]]
        }
    }

    func testValuesNameGradientsAndDoubleBackward() throws {
        let x = try Tensor<Double>([1, 2, 3], shape: [3], requiresGrad: true)
        let y = try Tensor<Double>([4, 5, 6], shape: [3], requiresGrad: true)
        let z = MulAdd.apply(x, y)[0]
        XCTAssertEqual(z.scalars, [5, 12, 21])
        XCTAssertEqual(z.gradFn?.name, "MulAddBackward")
        XCTAssertEqual("\(z)", "tensor([ 5., 12., 21.], dtype=float64, grad_fn=<MulAddBackward>)")
        try z.sum().backward()
        XCTAssertEqual(x.grad?.scalars, [5, 6, 7])
        XCTAssertEqual(y.grad?.scalars, [1, 2, 3])
        XCTAssertEqual(currentGraphStats().nodeCount, 0, "the custom node went with its graph")
        // Checked like any op, to second order (its backward is recorded under createGraph).
        XCTAssertTrue(try gradcheck({ MulAdd.apply($0[0], $0[1])[0].tanh() }, inputs: [x, y]))
        XCTAssertTrue(try gradgradcheck({ MulAdd.apply($0[0], $0[1])[0].tanh() }, inputs: [x, y]))
        XCTAssertTrue(try gradgradcheck({ ExpOut.apply($0[0] * $0[0])[0] }, inputs: [x]))
        // d²/dx² of Σ e^(x²) through a saved output: (2 + 4x²)·e^(x²).
        let g = try grad(outputs: [ExpOut.apply(x * x)[0].sum()], inputs: [x], createGraph: true)[0]!
        let h = try grad(outputs: [g.sum()], inputs: [x])[0]!
        for (i, v) in [1.0, 2, 3].enumerated() {
            XCTAssertEqual(h.scalars[i], (2 + 4 * v * v) * Foundation.exp(v * v), accuracy: 1e-9 * Foundation.exp(v * v))
        }
    }

    func testNeedsInputGradAndNilGradients() throws {
        let x = try Tensor<Double>([1, 2], shape: [2], requiresGrad: true)
        let c = try Tensor<Double>([3, 4], shape: [2])
        enum Probe: AutogradFunction {
            nonisolated(unsafe) static var seen: [[Bool]] = []
            static func forward(_ ctx: FunctionContext<Double>, _ inputs: [Tensor<Double>]) -> [Tensor<Double>] {
                seen.append(ctx.needsInputGrad)
                return [inputs[0] * inputs[1]]
            }
            static func backward(_ ctx: FunctionContext<Double>, _ gradOutputs: [Tensor<Double>?]) -> [Tensor<Double>?] {
                seen.append(ctx.needsInputGrad)
                return [gradOutputs[0]!, nil]
            }
        }
        try Probe.apply(x, c)[0].sum().backward()
        XCTAssertEqual(Probe.seen, [[true, false], [true, false]])
        XCTAssertEqual(x.grad?.scalars, [1, 1])
        // Without anything requiring grad nothing is recorded.
        XCTAssertNil(Probe.apply(c, c)[0].gradFn)
    }

    func testSeveralOutputsNonDifferentiableAndZerosForUnusedOutputs() throws {
        enum Two: AutogradFunction {
            nonisolated(unsafe) static var received: [[Double]] = []
            static func forward(_ ctx: FunctionContext<Double>, _ inputs: [Tensor<Double>]) -> [Tensor<Double>] {
                let x = inputs[0]
                let mask = x.detached().cloned()
                ctx.markNonDifferentiable([mask])
                return [x * 2, x * 3, mask]
            }
            static func backward(_ ctx: FunctionContext<Double>, _ gradOutputs: [Tensor<Double>?]) -> [Tensor<Double>?] {
                received = gradOutputs.map { $0!.scalars }
                return [gradOutputs[0]! * 2 + gradOutputs[1]! * 3]
            }
        }
        let x = try Tensor<Double>([1, 2, 3], shape: [3], requiresGrad: true)
        let outs = Two.apply(x)
        XCTAssertTrue(outs[0].requiresGrad)
        XCTAssertFalse(outs[2].requiresGrad)
        try outs[0].sum().backward()
        // torch: grads [1, 1, 1], [0, 0, 0], and zeros for the non-differentiable output.
        XCTAssertEqual(Two.received, [[1, 1, 1], [0, 0, 0], [0, 0, 0]])
        XCTAssertEqual(x.grad?.scalars, [2, 2, 2])
    }

    func testSavedTensorsChangedInPlaceThrowAsPyTorch() throws {
        let x = try Tensor<Double>([1, 2, 3], shape: [3], requiresGrad: true)
        let y = try Tensor<Double>([4, 5, 6], shape: [3], requiresGrad: true)
        let z = MulAdd.apply(x, y)[0]
        withNoGrad { y += 1 }
        XCTAssertThrowsError(try z.sum().backward()) { error in
            XCTAssertEqual("\(error)", "one of the variables needed for gradient computation has been modified by an inplace operation: [torch.DoubleTensor [3]] is at version 1; expected version 0 instead. Hint: enable anomaly detection to find the operation that failed to compute its gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).")
        }
        let o = ExpOut.apply(x)[0]
        withNoGrad { o *= 2 }
        XCTAssertThrowsError(try o.sum().backward()) { error in
            XCTAssertEqual("\(error)", "one of the variables needed for gradient computation has been modified by an inplace operation: [torch.DoubleTensor [3]], which is output 0 of ExpOutBackward, is at version 1; expected version 0 instead. Hint: enable anomaly detection to find the operation that failed to compute its gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).")
        }
    }

    func testMarkDirty() throws {
        enum Dirty: AutogradFunction {
            static func forward(_ ctx: FunctionContext<Double>, _ inputs: [Tensor<Double>]) -> [Tensor<Double>] {
                inputs[0] *= 2
                ctx.markDirty([inputs[0]])
                return [inputs[0]]
            }
            static func backward(_ ctx: FunctionContext<Double>, _ gradOutputs: [Tensor<Double>?]) -> [Tensor<Double>?] {
                [gradOutputs[0]! * 2]
            }
        }
        let x = try Tensor<Double>([1, 2, 3], shape: [3], requiresGrad: true)
        let a = x * 1
        let b = Dirty.apply(a)[0]
        XCTAssertTrue(b === a)                      // torch: `b is a`
        XCTAssertEqual(a.gradFn?.name, "DirtyBackward")
        XCTAssertEqual(a.scalars, [2, 4, 6])
        try (b * b).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [8, 16, 24])   // 2·b·2
        expectTrap("a dirty leaf", message: "a leaf Variable that requires grad has been used in an in-place operation.") {
            _ = Dirty.apply(x)
        }
    }

    func testWrongGradientsTrapWithPyTorchsMessages() throws {
        enum Wrong: AutogradFunction {
            static func forward(_ ctx: FunctionContext<Double>, _ inputs: [Tensor<Double>]) -> [Tensor<Double>] { [inputs[0] * inputs[1]] }
            static func backward(_ ctx: FunctionContext<Double>, _ gradOutputs: [Tensor<Double>?]) -> [Tensor<Double>?] { [gradOutputs[0]] }
        }
        enum WrongShape: AutogradFunction {
            static func forward(_ ctx: FunctionContext<Double>, _ inputs: [Tensor<Double>]) -> [Tensor<Double>] { [inputs[0] * 2] }
            static func backward(_ ctx: FunctionContext<Double>, _ gradOutputs: [Tensor<Double>?]) -> [Tensor<Double>?] { [gradOutputs[0]![0..<2]] }
        }
        let x = try Tensor<Double>([1, 2, 3], shape: [3], requiresGrad: true)
        expectTrap("count", message: "function WrongBackward returned an incorrect number of gradients (expected 2, got 1)") {
            try? Wrong.apply(x, x)[0].sum().backward()
        }
        expectTrap("shape", message: "Function WrongShapeBackward returned an invalid gradient at index 0 - got [2] but expected shape compatible with [3]") {
            try? WrongShape.apply(x)[0].sum().backward()
        }
        // A wrong derivative fails gradcheck.
        enum Half: AutogradFunction {
            static func forward(_ ctx: FunctionContext<Double>, _ inputs: [Tensor<Double>]) -> [Tensor<Double>] { [inputs[0] * inputs[0]] }
            static func backward(_ ctx: FunctionContext<Double>, _ gradOutputs: [Tensor<Double>?]) -> [Tensor<Double>?] { [gradOutputs[0]!] }
        }
        XCTAssertFalse(try gradcheck({ Half.apply($0[0])[0] }, inputs: [x]))
    }
}
