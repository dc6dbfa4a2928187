import Foundation
import XCTest
import Autograd
import _TestSupport

/// Analytic gradients from `backward()` against central differences, in Double: every case of
/// gradcheck.json, then random shapes for every op (seed printed; `GRADCHECK_SEED` overrides it).
final class GradcheckTests: XCTestCase {
    func testGoldenGradcheckCases() throws {
        let file = try Golden.load("gradcheck.json")
        let eps = try XCTUnwrap(file["eps"] as? Double)
        let tolerance = try XCTUnwrap(file["tolerance"] as? Double)
        let cases = try Golden.cases("gradcheck.json").map(GradcheckCase.init(golden:))
        var generator = RandomGenerator(seed: 2)
        let summary = run(cases, eps: eps, tolerance: tolerance, using: &generator)
        print("gradcheck.json: \(summary)")
        XCTAssertGreaterThan(summary.checked, 0)
    }

    func testRandomShapesForEveryOp() {
        let seed = ProcessInfo.processInfo.environment["GRADCHECK_SEED"].flatMap { UInt64($0) } ?? 20_240_611
        print("randomized gradcheck seed: \(seed) (set GRADCHECK_SEED to replay another)")
        var generator = RandomGenerator(seed: seed)
        var cases: [GradcheckCase] = []
        for op in RandomGradcheckCases.ops { cases += RandomGradcheckCases.cases(for: op, using: &generator) }
        cases = cases.filter { c in
            guard let bug = Self.knownTrap(c) else { return true }
            XCTFail("\(c): not run, its backward would trap the test process: \(bug)")
            return false
        }
        let summary = run(cases, eps: 1e-6, tolerance: 1e-6, using: &generator)
        print("randomized gradcheck (seed \(seed)): \(summary)")
        XCTAssertGreaterThan(summary.checked, cases.count / 2)
    }

    /// A randomly chained program (so that gradients meet and accumulate across nodes and
    /// broadcasts) against central differences.
    func testChainedProgram() throws {
        var generator = RandomGenerator(seed: 7)
        let program: ([Tensor<Double>]) -> Tensor<Double>? = { xs in
            let (a, b, c) = (xs[0], xs[1], xs[2])
            let h = (a * b + c).tanh()                        // [3,4] * [4] + [3,1]
            let d = (h.exp() / (h * h + 1)).sum(dim: 0, keepDim: true)
            let e = (h.transposed().max(dim: 0) - a.mean(dim: -1)).pow(2)  // [3]
            return d.reshaped([-1, 1]) * e.unsqueezed(dim: 0)                 // [4,1] * [1,3]
                + (2 - b.sigmoid()).unsqueezed(dim: 1) / a.abs().sqrt().sum()
        }
        let inputs = [[3, 4], [4], [3, 1]].map { shape in
            Gradcheck.Input<Double>(values: Gradcheck.sample("awayFromZero", count: Shape.count(shape),
                                                             using: &generator), shape: shape)
        }
        let report = try XCTUnwrap(Gradcheck.check(program, inputs: inputs, using: &generator))
        XCTAssertEqual(report.compared, 12 + 4 + 3)
        XCTAssertTrue(report.passed, report.failures.joined(separator: "\n"))
    }

    /// The check itself must be able to fail: a wrong derivative is caught.
    func testGradcheckCatchesAWrongDerivative() throws {
        var generator = RandomGenerator(seed: 3)
        let input = Gradcheck.Input<Double>(values: [0.5, -1, 2], shape: [3])
        // Forward is x * x, but the recorded derivative is that of x * 3 (the detached factor).
        let wrong: ([Tensor<Double>]) -> Tensor<Double>? = { xs in xs[0] * (xs[0].detached() + 3) - 3 * xs[0].detached() }
        let report = try XCTUnwrap(Gradcheck.check(wrong, inputs: [input], using: &generator))
        XCTAssertFalse(report.passed)
        XCTAssertEqual(report.failures.count, 3)
    }

    // MARK: -

    /// Library bugs found by this test that trap (a trap would end the whole test process, so the
    /// case is reported as a failure instead of run). Remove an entry once its bug is fixed.
    static func knownTrap(_ c: GradcheckCase) -> String? {
        nil   // none known; an op whose backward traps on some shape is listed here until fixed

    }

    struct Summary: CustomStringConvertible {
        var checked = 0, skipped = 0, elements = 0
        var skippedOps: Set<String> = []
        var worstError = 0.0
        var description: String {
            "\(checked) cases checked (\(elements) elements, worst relative error \(worstError)), "
                + "\(skipped) skipped" + (skippedOps.isEmpty ? "" : " (ops not in this build: \(skippedOps.sorted()))")
        }
    }

    /// Runs every case in Double, failing on each mismatch; skips (and counts) only ops that
    /// `applyGoldenOp` does not have.
    private func run(_ cases: [GradcheckCase], eps: Double, tolerance: Double,
                     using generator: inout RandomGenerator) -> Summary {
        var summary = Summary()
        for c in cases {
            guard let report = c.run(Double.self, eps: eps, tolerance: tolerance, using: &generator) else {
                summary.skipped += 1
                summary.skippedOps.insert(c.op)
                continue
            }
            summary.checked += 1
            summary.elements += report.compared
            summary.worstError = Swift.max(summary.worstError, report.worstError)
            for failure in report.failures { XCTFail("\(c): \(failure)") }
        }
        return summary
    }
}
