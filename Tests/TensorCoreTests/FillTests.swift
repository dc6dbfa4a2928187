import XCTest
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
}
