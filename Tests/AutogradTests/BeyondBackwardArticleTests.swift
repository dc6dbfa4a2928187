import Foundation
import XCTest
import Autograd

/// The worked examples of the DocC article "Beyond backward()" (BeyondBackward.md), run as
/// written: the article quotes this output, and the test asserts the numbers it quotes.
final class BeyondBackwardArticleTests: XCTestCase {
    /// Newton's method on Rosenbrock's function f(a, b) = (1 − a)² + 10·(b − a²)².
    func testNewtonsMethodWithHessian() throws {
        let f: (Tensor<Double>) -> Tensor<Double> = { p in
            let a = p[0], b = p[1]
            return (1 - a).pow(2) + 10 * (b - a * a).pow(2)
        }
        var x = try Tensor<Double>([-1.2, 1.0], shape: [2])
        var lines: [String] = []
        for step in 1...8 {
            let (value, g) = try vjp(f, at: x)                      // f(x) and ∇f(x)
            let h = try hessian(f, at: x).scalars                   // [[h00, h01], [h10, h11]]
            let det = h[0] * h[3] - h[1] * h[2]
            let (g0, g1) = (g.scalars[0], g.scalars[1])
            let d = [(h[3] * g0 - h[1] * g1) / det, (h[0] * g1 - h[2] * g0) / det]   // H⁻¹·∇f
            x = try Tensor<Double>([x.scalars[0] - d[0], x.scalars[1] - d[1]], shape: [2])
            lines.append(String(format: "step %d: f = %.6e, x = (%.6f, %.6f)", step, value.scalar!, x.scalars[0], x.scalars[1]))
        }
        print(lines.joined(separator: "\n"))
        XCTAssertEqual(x.scalars[0], 1, accuracy: 1e-7)
        XCTAssertEqual(x.scalars[1], 1, accuracy: 1e-7)
        // The article's output, which torch.autograd.functional (vjp, hessian, linalg.solve) prints too.
        XCTAssertEqual(lines, [
            "step 1: f = 6.776000e+00, x = (-0.975510, 0.901224)",
            "step 2: f = 3.928038e+00, x = (0.008352, -0.967915)",
            "step 3: f = 1.035331e+01, x = (0.057058, 0.000883)",
            "step 4: f = 8.891950e-01, x = (0.957287, 0.105987)",
            "step 5: f = 6.569504e+00, x = (0.959770, 0.921151)",
            "step 6: f = 1.618488e-03, x = (0.999995, 0.998372)",
            "step 7: f = 2.618214e-05, x = (1.000000, 1.000000)",
            "step 8: f = 2.414006e-14, x = (1.000000, 1.000000)",
        ])
    }
}
