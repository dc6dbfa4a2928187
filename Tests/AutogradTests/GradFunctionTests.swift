import Foundation
import XCTest
import Autograd
import _TestSupport

/// `grad(outputs:inputs:...)` and `backward(gradient:retainGraph:createGraph:inputs:)`: values
/// against closed forms, and what they write or leave, as PyTorch 2.11 (each expectation below
/// was read off torch 2.11.0 running the same program).
final class GradFunctionTests: XCTestCase {
    func testGradReturnsGradientsAndLeavesGradUntouchedButFillsRetainedOnes() throws {
        let x = try Tensor<Double>([1, 2], shape: [2], requiresGrad: true)
        let y = x * 2
        y.retainGrad()
        let z = (y * y).sum()
        let g = try grad(outputs: [z], inputs: [x], retainGraph: true)
        XCTAssertEqual(g[0]?.scalars, [8, 16])            // 8x
        XCTAssertNil(x.grad)
        XCTAssertEqual(y.grad?.scalars, [4, 8])           // PyTorch fills a retained grad here too
        XCTAssertNil(g[0]?.gradFn)
        // With respect to a result, and the output itself.
        let h = try grad(outputs: [z], inputs: [y, x, z], retainGraph: true)
        XCTAssertEqual(h.map { $0?.scalars }, [[4, 8], [8, 16], [1]])
        // Freed afterwards by default.
        _ = try grad(outputs: [z], inputs: [x])
        XCTAssertThrowsError(try grad(outputs: [z], inputs: [x])) { XCTAssertEqual($0 as? AutogradError, .graphFreed) }
    }

    func testErrorsAsPyTorch() throws {
        let x = try Tensor<Double>([1, 2], shape: [2], requiresGrad: true)
        let w = try Tensor<Double>([1], shape: [1], requiresGrad: true)
        let c = try Tensor<Double>([1], shape: [1])
        let y = x * 2
        let z = (y * y).sum()
        func message(_ body: () throws -> Void) -> String? {
            do { try body(); return nil } catch { return (error as? AutogradError)?.description }
        }
        XCTAssertEqual(message { _ = try grad(outputs: [z], inputs: [x, w], retainGraph: true) },
                       "One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior.")
        XCTAssertEqual(message { _ = try grad(outputs: [z], inputs: [c], retainGraph: true) },
                       "One of the differentiated Tensors does not require grad")
        XCTAssertEqual(message { _ = try grad(outputs: [y], inputs: [x], retainGraph: true) },
                       "grad can be implicitly created only for scalar outputs")
        XCTAssertEqual(message { _ = try grad(outputs: [c], inputs: [x]) },
                       "element 0 of tensors does not require grad and does not have a grad_fn")
        XCTAssertEqual(message { _ = try grad(outputs: [z], inputs: [x], gradOutputs: [Tensor<Double>.ones([2])], retainGraph: true) },
                       "Mismatch in shape: grad_output[0] has a shape of torch.Size([2]) and output[0] has a shape of torch.Size([]).")
        XCTAssertEqual(message { try z.backward(retainGraph: true, inputs: []) },
                       "`inputs` argument to `backward()` cannot be empty.")
        let unused = try grad(outputs: [z], inputs: [x, w], retainGraph: true, allowUnused: true)
        XCTAssertEqual(unused[0]?.scalars, [8, 16])
        XCTAssertNil(unused[1])
    }

    func testSeveralOutputsWithTheirGradients() throws {
        let x = try Tensor<Double>([1, 2, 3], shape: [3], requiresGrad: true)
        let a = x * x            // 2x
        let b = x.exp()          // eˣ
        let v = try Tensor<Double>([1, -1, 2], shape: [3])
        let g = try grad(outputs: [a, b.sum()], inputs: [x], gradOutputs: [v, nil])[0]!
        for i in 0..<3 {
            let xi = Double(i + 1)
            XCTAssertEqual(g.scalars[i], v.scalars[i] * 2 * xi + Foundation.exp(xi), accuracy: 1e-12)
        }
    }

    /// Outputs recorded in two segments, the first output's the older and deeper one: its sweep
    /// once started at the top index of the segment walked before, below the first output's node.
    func testSeveralOutputsInSegmentsOfDifferentDepths() throws {
        let x = try Tensor<Double>([1, 2], shape: [2], requiresGrad: true)
        let deep = ((x * 0.3).exp() * 0.2).tanh()  // four nodes in one segment
        let shallow = x * 5                        // a new segment (x has no history), one node
        let g = try grad(outputs: [deep.sum(), shallow.sum()], inputs: [x])[0]!
        for i in 0..<2 {
            let v = x.scalars[i]
            let t = Foundation.tanh(0.2 * Foundation.exp(0.3 * v))
            XCTAssertEqual(g.scalars[i], (1 - t * t) * 0.2 * Foundation.exp(0.3 * v) * 0.3 + 5, accuracy: 1e-12)
        }
    }

    /// A relu's gradient under createGraph is PyTorch's ThresholdBackwardBackward0 node (torch
    /// 2.11: `grad(x.relu().sum(), x, create_graph=True)[0].grad_fn`), itself differentiable.
    func testReluDerivativeRecordsThresholdBackward() throws {
        let x = try Tensor<Double>([1, -2, 3, -0.5], shape: [4], requiresGrad: true)
        let g = try grad(outputs: [x.relu().sum()], inputs: [x], createGraph: true)[0]!
        XCTAssertEqual(g.gradFn?.name, "ThresholdBackwardBackward0")
        XCTAssertEqual(g.scalars, [1, 0, 1, 0])
        let gradient: ([Tensor<Double>]) -> Tensor<Double> = { xs in
            try! grad(outputs: [(xs[0].relu() * xs[0] * xs[1]).sum()], inputs: [xs[0]], createGraph: true)[0]!
        }
        let w = try Tensor<Double>([0.5, 2, -1, 1.5], shape: [4], requiresGrad: true)
        XCTAssertTrue(try gradcheck(gradient, inputs: [x, w]))
        XCTAssertTrue(try gradgradcheck(gradient, inputs: [x, w]))
    }

    /// createGraph through conversions (ToCopyBackward0): the recorded sweep follows the
    /// gradient into the other element type's graph and back, Double → Float → Double.
    func testCreateGraphAcrossConversions() throws {
        let x = try Tensor<Double>([1, 2], shape: [2], requiresGrad: true)
        let out = Tensor<Double>(Tensor<Float>(x).pow(3).sum()) + (x * x).sum()      // Σ x³ + x²
        let g = try grad(outputs: [out], inputs: [x], createGraph: true)[0]!
        XCTAssertEqual(g.scalars, [5, 16])                                            // 3x² + 2x
        let h = try grad(outputs: [g.sum()], inputs: [x], createGraph: true)[0]!
        XCTAssertEqual(h.scalars, [8, 14])                                            // 6x + 2
        try h.sum().backward()
        XCTAssertEqual(x.grad?.scalars, [6, 6])
        // backward(createGraph:) into leaves of both types.
        let f = try Tensor<Float>([3], shape: [1], requiresGrad: true)
        let d = try Tensor<Double>([0.5], shape: [1], requiresGrad: true)
        let mixed = (Tensor<Double>(f * f) * d).sum()                                 // f²·d
        try mixed.backward(createGraph: true)
        XCTAssertEqual(d.grad?.scalars, [9])
        XCTAssertEqual(f.grad?.scalars, [3])                                          // 2f·d
        XCTAssertNotNil(f.grad?.gradFn)
        let fg = f.grad!, dg = d.grad!
        f.grad = nil
        d.grad = nil
        try (Tensor<Double>(fg) * dg).sum().backward()                                // (2fd)·f²
        XCTAssertEqual(f.grad?.scalars, [27])                                        // d/df 2f³d = 6f²d
        XCTAssertEqual(d.grad?.scalars, [54])                                        // 2f³
    }

    /// grad() and backward(inputs:) follow a gradient through conversions too, writing no leaf of
    /// the other type.
    func testGradAndInputsAcrossConversions() throws {
        let x = try Tensor<Double>([1, 2], shape: [2], requiresGrad: true)
        let f = try Tensor<Float>([3], shape: [1], requiresGrad: true)
        func output() -> Tensor<Double> {
            Tensor<Double>((Tensor<Float>(x) * f).pow(3).sum()) + (x * x).sum()    // Σ (x·f)³ + x²
        }
        let g = try grad(outputs: [output()], inputs: [x])[0]!
        XCTAssertEqual(g.scalars, [83, 328])                                        // 3x²f³ + 2x
        XCTAssertNil(f.grad)
        XCTAssertNil(x.grad)
        try output().backward(inputs: [x])
        XCTAssertEqual(x.grad?.scalars, [83, 328])
        XCTAssertNil(f.grad)
        // A result of the other side as the input asked about.
        let y = Tensor<Float>(x) * 2
        let z = Tensor<Double>(y * y).sum()
        XCTAssertThrowsError(try grad(outputs: [z], inputs: [x * 1]))   // not reached: unused
    }

    func testHigherDerivativesOfACube() throws {
        let x = try Tensor<Double>([1, 2, -3], shape: [3], requiresGrad: true)
        let y = (x * x * x).sum()
        let d1 = try grad(outputs: [y], inputs: [x], createGraph: true)[0]!
        XCTAssertEqual(d1.scalars, [3, 12, 27])          // 3x²
        XCTAssertNotNil(d1.gradFn)
        let d2 = try grad(outputs: [d1.sum()], inputs: [x], createGraph: true)[0]!
        XCTAssertEqual(d2.scalars, [6, 12, -18])         // 6x
        let d3 = try grad(outputs: [d2.sum()], inputs: [x])[0]!
        XCTAssertEqual(d3.scalars, [6, 6, 6])
        XCTAssertNil(x.grad)
    }

    func testBackwardLimitedToInputs() throws {
        let x = try Tensor<Double>([1, 2], shape: [2], requiresGrad: true)
        let w = try Tensor<Double>([3], shape: [1], requiresGrad: true)
        let y = x * w
        y.retainGrad()
        let z = (y * y).sum()
        try z.backward(retainGraph: true, inputs: [x])
        XCTAssertEqual(x.grad?.scalars, [18, 36])        // 2·y·w
        XCTAssertNil(w.grad)
        XCTAssertEqual(y.grad?.scalars, [6, 12])         // retained grads fill anyway, as in PyTorch
        x.grad = nil
        let u = x * 2
        let q = (u * u).sum()
        try q.backward(inputs: [u])
        XCTAssertEqual(u.grad?.scalars, [4, 8])          // a non-leaf input gets its gradient
        XCTAssertNil(x.grad)
    }

    /// Each output of a wide node (unbind's three) retains its own gradient under createGraph, not
    /// only the first the sweep reaches (torch 2.11: a 2, b 12, c 2).
    func testRetainedGradsOfEveryOutputOfAWideNodeUnderCreateGraph() throws {
        let x = try Tensor<Double>([1, 2, 3], shape: [3], requiresGrad: true)
        let parts = (x * 1).unbind()
        for part in parts { part.retainGrad() }
        let (a, b, c) = (parts[0], parts[1], parts[2])
        let z = a * a + b * b * b + c * 2
        try z.backward(createGraph: true)
        XCTAssertEqual(a.grad?.scalars, [2])
        XCTAssertEqual(b.grad?.scalars, [12])
        XCTAssertEqual(c.grad?.scalars, [2])
        XCTAssertEqual(x.grad?.scalars, [2, 12, 2])
        // Gradients with history hold their graph (PyTorch's reference cycle): break it, so that
        // the graph-counting tests after this one start empty.
        for t in [x, a, b, c] { t.grad = nil }
    }

    func testBackwardWithCreateGraphGivesGradientsWithHistory() throws {
        let x = try Tensor<Double>([1, 2], shape: [2], requiresGrad: true)
        let y = (x * x * x).sum()
        try y.backward(createGraph: true)
        let g = try XCTUnwrap(x.grad)
        XCTAssertEqual(g.scalars, [3, 12])
        XCTAssertNotNil(g.gradFn)
        // The graph is kept (retainGraph defaults to createGraph): the gradient differentiates again.
        x.grad = nil
        try g.sum().backward()
        XCTAssertEqual(x.grad?.scalars, [6, 12])
        // A second backward(createGraph:) adds, as PyTorch's AccumulateGrad does.
        let x2 = try Tensor<Double>([1, 2], shape: [2], requiresGrad: true)
        try (x2 * x2).sum().backward(createGraph: true)
        try (x2 * x2 * x2).sum().backward(createGraph: true)
        XCTAssertEqual(x2.grad?.scalars, [5, 16])
        // As in PyTorch, a gradient with history held by its own leaf is a reference cycle
        // (leaf → grad → graph → leaf): the graph stays until `grad` is let go.
        XCTAssertGreaterThan(currentGraphStats().nodeCount, 0)
        x2.grad = nil
        XCTAssertEqual(currentGraphStats().nodeCount, 0)
    }

    /// A gradient penalty (WGAN-GP): the norm of the critic's input gradient, trained through.
    func testGradientPenaltyMatchesFiniteDifferences() throws {
        let w = try Tensor<Double>([0.5, -1, 2, 0.25, 1.5, -0.75], shape: [3, 2], requiresGrad: true)
        let x = try Tensor<Double>([0.1, -0.2, 0.3, 0.4, -0.5, 0.6], shape: [2, 3], requiresGrad: true)
        func penalty(_ w: Tensor<Double>) throws -> Tensor<Double> {
            let out = x.matmul(w).tanh().sum()
            let gx = try grad(outputs: [out], inputs: [x], createGraph: true)[0]!
            return ((gx * gx).sum(dim: 1).sqrt() - 1).pow(2).mean()
        }
        try penalty(w).backward()
        let analytic = try XCTUnwrap(w.grad).scalars
        let eps = 1e-6
        for i in 0..<6 {
            var plus = w.scalars, minus = w.scalars
            plus[i] += eps
            minus[i] -= eps
            let p = try penaltyValue(plus), m = try penaltyValue(minus)
            XCTAssertEqual(analytic[i], (p - m) / (2 * eps), accuracy: 1e-6, "w[\(i)]")
        }
        func penaltyValue(_ values: [Double]) throws -> Double {
            try penalty(Tensor<Double>(values, shape: [3, 2], requiresGrad: true)).scalar!
        }
    }
}
