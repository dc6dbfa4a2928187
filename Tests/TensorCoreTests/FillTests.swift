import XCTest
import _TestSupport
@testable import TensorCore

/// Fills above `streamingFillBytes` take the streaming-store path (C, vector blocks plus a
/// scalar tail); the rest take Swift's `initialize(repeating:)`. Both must write every element.
final class FillTests: XCTestCase {
    func testLargeFillsWriteEveryElementIncludingTheTail() {
        let floatThreshold = DenseTensor<Float>.streamingFillBytes / 4
        for n in [floatThreshold - 1, floatThreshold, floatThreshold + 7, 3 * floatThreshold + 5] {
            let t = DenseTensor<Float>(shape: [n], repeating: 1.5)
            t.storage.read { XCTAssertTrue($0.allSatisfy { $0 == 1.5 }, "Float, \(n) elements") }
        }
        let doubleThreshold = DenseTensor<Double>.streamingFillBytes / 8
        for n in [doubleThreshold, doubleThreshold + 3] {
            let t = DenseTensor<Double>(shape: [n], repeating: -0.25)
            t.storage.read { XCTAssertTrue($0.allSatisfy { $0 == -0.25 }, "Double, \(n) elements") }
        }
    }

    /// The gradient of a sum over a large tensor is such a fill.
    func testSumGradientOfALargeTensor() {
        let n = DenseTensor<Float>.streamingFillBytes / 4 + 1
        let g = DenseTensor<Float>(2).expanded(to: [n])
        XCTAssertEqual(g.count, n)
        g.storage.read { XCTAssertTrue($0.allSatisfy { $0 == 2 }) }
    }

    func testLargeCopiesCopyEveryElementIncludingTheTail() {
        let threshold = DenseTensor<Float>.streamingFillBytes / 4
        for n in [threshold - 1, threshold + 13] {
            let source = DenseTensor<Float>(uninitializedShape: [n])
            source.storage.update { for i in 0..<n { $0[i] = Float(i % 1000) - 0.5 } }
            let copy = source.copied()
            XCTAssertFalse(copy.storage === source.storage)
            XCTAssertTrue(copy.storage.read { c in source.storage.read { s in c.elementsEqual(s) } }, "\(n) elements")
        }
        let n = DenseTensor<Double>.streamingFillBytes / 8 + 3
        let source = DenseTensor<Double>(shape: [n], repeating: 0.125)
        source.storage.update { $0[n - 1] = 7 }
        let copy = source.copied()
        XCTAssertEqual(copy.storage.read { $0[n - 1] }, 7)
        XCTAssertEqual(copy.storage.read { $0[0] }, 0.125)
    }

    /// Elementwise kernels whose output is above `streamingFillBytes` compute it in 4 KB pieces
    /// and stream each piece out; split across 1, 2 and 3 threads (uneven blocks), every element,
    /// the last partial piece included, must hold what the plain loop gives.
    func testStreamedElementwiseOutputsMatchThePlainLoop() {
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        let n = DenseTensor<Float>.streamingFillBytes / 4 + 1029
        let a = DenseTensor<Float>(uninitializedShape: [n]), b = DenseTensor<Float>(uninitializedShape: [n])
        a.storage.update { for i in 0..<n { $0[i] = Float(i % 977) * 0.25 - 3 } }
        b.storage.update { for i in 0..<n { $0[i] = Float(i % 13) + 0.5 } }
        let (x, y) = (a.scalars, b.scalars)
        for threads in [1, 2, 3] {
            Parallel.threads = threads
            XCTAssertSameBits(a.binary(.add, b).scalars, zip(x, y).map { $0 + $1 }, "a + b, \(threads) threads")
            XCTAssertSameBits(a.binary(.mul, scalar: 3).scalars, x.map { $0 * 3 }, "a * 3, \(threads) threads")
            XCTAssertSameBits(a.binary(scalar: 1, .sub).scalars, x.map { 1 - $0 }, "1 - a, \(threads) threads")
            XCTAssertSameBits(a.unary(.neg).scalars, x.map { -$0 }, "-a, \(threads) threads")
        }
        let m = DenseTensor<Double>.streamingFillBytes / 8 + 5
        let d = DenseTensor<Double>(shape: [m], repeating: 0.5)
        d.storage.update { $0[m - 1] = 2 }
        let sum = d.binary(.add, d).scalars
        XCTAssertEqual(sum[0], 1)
        XCTAssertEqual(sum[m - 1], 4)
    }
}
