import XCTest
import Autograd
import _TestSupport

/// `gradFn?.nextFunctions` against what torch 2.11.0 lists for the same expressions.
final class NextFunctionsTests: XCTestCase {
    func testAsPyTorch() throws {
        let x = try Tensor<Float>([1, 2], shape: [2], requiresGrad: true)
        let c = try Tensor<Float>([3, 4], shape: [2])
        func listed(_ t: Tensor<Float>) -> [String] {
            t.gradFn!.nextFunctions.map { "\($0.0?.name ?? "None") \($0.1)" }
        }
        let cases: [(String, Tensor<Float>, [String])] = [
            ("x+2", x + 2, ["AccumulateGrad 0", "None 0"]),
            ("x*2", x * 2, ["AccumulateGrad 0", "None 0"]),
            ("x*c", x * c, ["AccumulateGrad 0", "None 0"]),
            ("x*x", x * x, ["AccumulateGrad 0", "AccumulateGrad 0"]),
            ("x.exp()", x.exp(), ["AccumulateGrad 0"]),
            ("x.pow(2)", x.pow(2), ["AccumulateGrad 0"]),
            ("2-x", 2 - x, ["AccumulateGrad 0"]),
            ("x/2", x / 2, ["AccumulateGrad 0", "None 0"]),
            ("-x", -x, ["AccumulateGrad 0"]),
            ("(x*2).sum()", (x * 2).sum(), ["MulBackward0 0"]),
            ("where", Tensor.where(c .> 3, x, c), ["AccumulateGrad 0", "None 0"]),
            ("cat", Tensor.cat([x, c]), ["AccumulateGrad 0", "None 0"]),
            ("relu", x.relu(), ["AccumulateGrad 0"]),
            ("x[0]", x[0], ["AccumulateGrad 0"]),
            ("mse", mseLoss(x, c), ["AccumulateGrad 0", "None 0"]),
        ]
        for (name, t, expected) in cases { XCTAssertEqual(listed(t), expected, name) }
        // Outputs of a node with several: the output number.
        let parts = (x * 1).split(size: 1, dim: 0)
        XCTAssertEqual(listed(parts[1] * 1), ["SplitBackward0 1", "None 0"])
        XCTAssertEqual(parts[0].gradFn!.nextFunctions.first?.0?.name, "MulBackward0")
        // A leaf's node lists nothing; a freed graph lists nothing.
        let y = (x * 2).sum()
        let fn = y.gradFn!
        XCTAssertEqual(fn.nextFunctions[0].0!.nextFunctions[0].0!.name, "AccumulateGrad")
        XCTAssertTrue(fn.nextFunctions[0].0!.nextFunctions[0].0!.nextFunctions.isEmpty)
        try y.backward()
        XCTAssertTrue(fn.nextFunctions.isEmpty)
    }
}
