import Foundation
import XCTest
@testable import Autograd

/// The DocC article "From PyTorch to Swift" is where a PyTorch user looks up an op: every node
/// name the op table can put on a tensor appears in it, so an op cannot land undocumented.
final class PyTorchToSwiftTableTests: XCTestCase {
    /// Names no forward op gives a user's tensor: made only by recorded derivatives, or replaced
    /// by the user's own name.
    static let notOnUserTensors: Set<String> = [
        "ThresholdBackwardBackward0",      // relu's recorded derivative (createGraph)
        "AvgPool2DBackwardBackward0",      // avgPool2d's recorded derivative
        "CustomFunctionBackward",          // shown as the user's type name plus "Backward"
    ]

    func testEveryNodeNameOfTheOpTableIsInTheTable() throws {
        let article = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/Autograd/Autograd.docc/PyTorchToSwift.md")
        let text = try String(contentsOf: article, encoding: .utf8)
        var checked = 0
        for kind in OpKind.allCases where !Self.notOnUserTensors.contains(kind.name) {
            XCTAssertTrue(text.contains("`\(kind.name)`"), "\(kind.name) is in the op table but not in PyTorchToSwift.md")
            checked += 1
        }
        XCTAssertGreaterThan(checked, 90)
    }
}
