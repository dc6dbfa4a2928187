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

    /// sum → relu → ·3 → exp: the backward takes two buffers, the seed (a 0-d one) and the sum's
    /// gradient; the three derivatives after it and the leaf's `grad` reuse the latter (five
    /// buffers when each derivative takes its own).
    func testAChainOfElementwiseDerivativesTakesOneBuffer() throws {
        let x = Tensor<Float>(values, requiresGrad: true)
        let out = ((x.exp() * 3).relu()).sum()
        let before = BufferCache.statistics
        try out.backward()
        let after = BufferCache.statistics
        XCTAssertEqual((after.hits + after.misses) - (before.hits + before.misses), 2)
        XCTAssertEqual(x.grad!.scalars, values.map { 3 * Float(Foundation.exp(Double($0))) },
                       accuracy: 1e-6)
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
        try (x.exp() + x.relu()).sum().backward()
        let expected = values.map { Float(Foundation.exp(Double($0))) + ($0 > 0 ? 1 : 0) }
        XCTAssertEqual(x.grad!.scalars, expected, accuracy: 1e-6)
    }

    /// The caller's `gradient` tensor is read, never written.
    func testTheCallersGradientIsNotOverwritten() throws {
        let x = Tensor<Float>(values, requiresGrad: true)
        let g = Tensor<Float>([1, 2, 3, 4])
        try (x * 2).relu().backward(gradient: g)
        XCTAssertEqual(g.scalars, [1, 2, 3, 4])
        XCTAssertEqual(x.grad!.scalars, [0, 0, 6, 8])
    }
}

private func XCTAssertEqual(_ a: [Float], _ b: [Float], accuracy: Float, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy * Swift.max(1, abs(y)), file: file, line: line) }
}
