import XCTest
import Autograd

/// `linear` and `conv2d` with a bias record two nodes, the product's and the bias's, with no
/// tensor for the product between them (`Tensor.recordProduct(_:_:_:_:filling:thenBias:_:filling:)`):
/// the gradients against the same computation written as separate ops, for every mix of what
/// needs a gradient, and for a bias that is itself computed.
final class BiasNodeTests: XCTestCase {
    private func values(_ n: Int, _ seed: Int) -> [Double] {
        (0..<n).map { Double(($0 * 7 + seed * 13) % 11) / 4 - 1.2 }
    }

    /// `linear(x, w, b)` against `x·wᵀ + b`, backward from a weighted sum.
    func testLinearGradientsAsSeparateOps() throws {
        for (needsX, needsW) in [(true, true), (false, true), (true, false), (false, false)] {
            func inputs() throws -> (Tensor<Double>, Tensor<Double>, Tensor<Double>) {
                (try Tensor(values(12, 1), shape: [4, 3], requiresGrad: needsX),
                 try Tensor(values(6, 2), shape: [2, 3], requiresGrad: needsW),
                 try Tensor(values(2, 3), shape: [2], requiresGrad: true))
            }
            let weights = try Tensor<Double>(values(8, 4), shape: [4, 2])
            let (x, w, b) = try inputs()
            let y = linear(x, weight: w, bias: b)
            XCTAssertEqual(y.gradFn?.name, "AddmmBackward0")
            XCTAssertEqual(y.gradFn?.nextFunctions.first?.0 == nil, !(needsX || needsW), "\(needsX) \(needsW)")
            try (y * weights).sum().backward()
            let (x2, w2, b2) = try inputs()
            try ((x2.matmul(w2.transposed(0, 1)) + b2) * weights).sum().backward()
            XCTAssertEqual(b.grad!.scalars, b2.grad!.scalars)
            if needsX { XCTAssertEqual(x.grad!.scalars, x2.grad!.scalars) } else { XCTAssertNil(x.grad) }
            if needsW { XCTAssertEqual(w.grad!.scalars, w2.grad!.scalars) } else { XCTAssertNil(w.grad) }
        }
    }

    /// A bias that is an op's result (it has a history) gets its gradient through that op.
    func testComputedBias() throws {
        let x = try Tensor<Double>(values(12, 1), shape: [4, 3], requiresGrad: true)
        let w = try Tensor<Double>(values(6, 2), shape: [2, 3], requiresGrad: true)
        let b0 = try Tensor<Double>([0.5, -1], shape: [2], requiresGrad: true)
        try linear(x, weight: w, bias: b0 * 3).sum().backward()
        XCTAssertEqual(b0.grad!.scalars, [12, 12])   // 4 rows, times 3

        let image = try Tensor<Double>(values(2 * 2 * 4 * 4, 5), shape: [2, 2, 4, 4])
        let kernel = try Tensor<Double>(values(3 * 2 * 3 * 3, 6), shape: [3, 2, 3, 3])
        let c0 = try Tensor<Double>([1, 2, 3], shape: [3], requiresGrad: true)
        try conv2d(image, weight: kernel, bias: c0 * 2, padding: 1).sum().backward()
        XCTAssertEqual(c0.grad!.scalars, [64, 64, 64])   // 2 images × 4×4 positions, times 2
    }

    /// `conv2d(x, w, b)` against the convolution without a bias plus `b` broadcast over the
    /// channels, for every mix of what needs a gradient.
    func testConvolutionGradientsAsSeparateOps() throws {
        for (needsX, needsW) in [(true, true), (false, true), (true, false), (false, false)] {
            func inputs() throws -> (Tensor<Double>, Tensor<Double>, Tensor<Double>) {
                (try Tensor(values(2 * 2 * 5 * 5, 1), shape: [2, 2, 5, 5], requiresGrad: needsX),
                 try Tensor(values(3 * 2 * 3 * 3, 2), shape: [3, 2, 3, 3], requiresGrad: needsW),
                 try Tensor(values(3, 3), shape: [3], requiresGrad: true))
            }
            let weights = try Tensor<Double>(values(2 * 3 * 5 * 5, 4), shape: [2, 3, 5, 5])
            let (x, w, b) = try inputs()
            let y = conv2d(x, weight: w, bias: b, padding: 1)
            XCTAssertEqual(y.gradFn?.name, "ConvolutionBackward0")
            try (y * weights).sum().backward()
            let (x2, w2, b2) = try inputs()
            try ((conv2d(x2, weight: w2, padding: 1) + b2.reshaped([3, 1, 1])) * weights).sum().backward()
            for (got, expected) in zip(b.grad!.scalars, b2.grad!.scalars) { XCTAssertEqual(got, expected, accuracy: 1e-12) }
            if needsX {
                for (got, expected) in zip(x.grad!.scalars, x2.grad!.scalars) { XCTAssertEqual(got, expected, accuracy: 1e-12) }
            } else { XCTAssertNil(x.grad) }
            if needsW {
                for (got, expected) in zip(w.grad!.scalars, w2.grad!.scalars) { XCTAssertEqual(got, expected, accuracy: 1e-12) }
            } else { XCTAssertNil(w.grad) }
        }
    }
}
