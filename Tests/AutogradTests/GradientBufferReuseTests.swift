import XCTest
import Autograd
import Arena
import Foundation

/// Elementwise derivatives write over the incoming gradient when the sweep holds the only
/// reference to it (`BackwardContext.ownsGrad`). These tests pin both halves: a chain reuses one
/// buffer, and a gradient that anything else can see (a retained `grad`, a second edge, the
/// caller's `gradient`) is never written over.
final class GradientBufferReuseTests: XCTestCase {
    private let values: [Float] = [-1.5, -0.25, 0.5, 2]

    /// sum → sigmoid → ·3 → exp: the backward takes one buffer, the sum's gradient; the three
    /// derivatives after it and the leaf's `grad` reuse it (four buffers when each derivative
    /// takes its own; one more when the 0-d seed was made for each call, not kept by the graph).
    func testAChainOfElementwiseDerivativesTakesOneBuffer() throws {
        let warm = Tensor<Float>(1, requiresGrad: true)
        try (warm * 2).backward()   // the thread's graph makes its seed on its first 0-d backward
        let x = Tensor<Float>(values, requiresGrad: true)
        let out = ((x.exp() * 3).sigmoid()).sum()
        let before = BufferCache.statistics
        try out.backward()
        let after = BufferCache.statistics
        XCTAssertEqual((after.hits + after.misses) - (before.hits + before.misses), 1)
        let expected = values.map { v -> Float in
            let e = Foundation.exp(Double(v)), s = 1 / (1 + Foundation.exp(-3 * e))
            return Float(s * (1 - s) * 3 * e)
        }
        XCTAssertEqual(x.grad!.scalars, expected, accuracy: 1e-5)
    }

    /// A retained gradient is also handed to the node's derivative: that derivative must not
    /// write its result over it.
    func testARetainedGradIsNotOverwritten() throws {
        let x = Tensor<Float>(values, requiresGrad: true)
        let y = x.exp()
        y.retainGrad()
        try (y * 3).sum().backward()
        XCTAssertEqual(y.grad!.scalars, [3, 3, 3, 3])
        XCTAssertEqual(x.grad!.scalars, values.map { 3 * Float(Foundation.exp(Double($0))) }, accuracy: 1e-6)
    }

    /// An addition passes one gradient buffer to both its inputs; the first derivative to run
    /// must leave it for the second.
    func testAGradientSharedByTwoEdgesIsNotOverwritten() throws {
        let x = Tensor<Float>(values, requiresGrad: true)
        try (x.exp() + x.sigmoid()).sum().backward()
        let expected = values.map { v -> Float in
            let s = 1 / (1 + Foundation.exp(-Double(v)))
            return Float(Foundation.exp(Double(v)) + s * (1 - s))
        }
        XCTAssertEqual(x.grad!.scalars, expected, accuracy: 1e-6)
    }

    /// The caller's `gradient` tensor is read, never written.
    func testTheCallersGradientIsNotOverwritten() throws {
        let x = Tensor<Float>(values, requiresGrad: true)
        let g = Tensor<Float>([1, 2, 3, 4])
        try (x * 2).sigmoid().backward(gradient: g)
        XCTAssertEqual(g.scalars, [1, 2, 3, 4])
        let expected = zip(values, [1, 2, 3, 4] as [Double]).map { v, gi -> Float in
            let s = 1 / (1 + Foundation.exp(-2 * Double(v)))
            return Float(2 * gi * s * (1 - s))
        }
        XCTAssertEqual(x.grad!.scalars, expected, accuracy: 1e-6)
    }

    /// The implicit seed of a 0-d output is one `1` the thread's graph keeps (`Graph.unitSeed`):
    /// a `grad` it reaches unchanged (through additions, or at a retained root) must be a copy,
    /// and no derivative may write over it, or the next backward would start from whatever the
    /// user or the derivative wrote there.
    func testTheSharedSeedIsNeverWrittenOver() throws {
        for _ in 0..<3 {
            let x = Tensor<Float>(3, requiresGrad: true)
            let out = x + 2                  // AddBackward0 hands the seed on unchanged
            out.retainGrad()
            try out.backward()
            XCTAssertEqual(x.grad!.scalars, [1])
            XCTAssertEqual(out.grad!.scalars, [1])
            x.grad! *= 5                     // in place on the leaf's grad and the retained one
            out.grad! += 7
            XCTAssertEqual(x.grad!.scalars, [5])
            // Derivatives that would write over a gradient they own (·3, sigmoid's), in a chain
            // that starts at the seed.
            let y = Tensor<Float>(0.5, requiresGrad: true)
            try ((y * 3).sigmoid() * 2).backward()
            let s = 1 / (1 + Foundation.exp(-1.5))
            XCTAssertEqual(y.grad!.scalars, [Float(2 * 3 * s * (1 - s))], accuracy: 1e-6)
        }
    }
}

private func XCTAssertEqual(_ a: [Float], _ b: [Float], accuracy: Float, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy * Swift.max(1, abs(y)), file: file, line: line) }
}
