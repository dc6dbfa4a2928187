import Foundation
import XCTest
@testable import Autograd
import _TestSupport

/// Second derivatives for the whole op table: `gradgradcheck` in Double on random cases of every
/// op (RandomGradcheckCases, as GradcheckTests runs `gradcheck`), and a check that these cases
/// record every op of `OpTable.definitions` but those covered elsewhere. The recorded
/// interpretation of each derivative is what `createGraph` runs; this is its test against
/// central differences of the first derivatives.
final class GradgradcheckTests: XCTestCase {
    func testEveryOpOfTheTable() throws {
        let seed = ProcessInfo.processInfo.environment["GRADCHECK_SEED"].flatMap { UInt64($0) } ?? 20_261_204
        print("gradgradcheck seed: \(seed) (set GRADCHECK_SEED to replay another)")
        var generator = RandomGenerator(seed: seed)
        var covered = Set<OpKind>()
        var checked = 0
        for op in RandomGradcheckCases.ops {
            // The first few cases of each op (small shapes): a gradgradcheck costs a sweep per
            // element of every input and of the gradient.
            let cases = RandomGradcheckCases.cases(for: op, using: &generator)
                .filter { c in (1...24).contains(c.shapes.reduce(0) { $0 + Shape.count($1) }) }
                .prefix(3)
            for c in cases {
                let inputs = c.inputs(Double.self, using: &generator).map {
                    try! Tensor<Double>($0.values, shape: $0.shape, requiresGrad: $0.requiresGrad)
                }
                guard let out = c.apply(inputs) else { continue }
                covered.formUnion(recordedKinds(out))
                let passed = try gradgradcheck({ c.apply($0)! }, inputs: inputs, atol: 1e-5, rtol: 1e-4)
                XCTAssertTrue(passed, "gradgradcheck failed for \(c)")
                checked += 1
            }
        }
        // Ops no random case records.
        let x = try Tensor<Double>([0.5, -1, 2, 0.25, 1.5, -0.75], shape: [2, 3], requiresGrad: true)
        let extra: [(String, ([Tensor<Double>]) -> Tensor<Double>)] = [
            ("x[:, :] (AliasBackward0)", { x in x[0][.all, .all] * x[0] }),
        ]
        for (name, f) in extra {
            covered.formUnion(recordedKinds(f([x])))
            XCTAssertTrue(try gradgradcheck(f, inputs: [x]), "gradgradcheck failed for \(name)")
            checked += 1
        }
        print("gradgradcheck: \(checked) cases")
        for kind in OpKind.allCases where OpTableTests.coveredElsewhere[kind] == nil {
            XCTAssertTrue(covered.contains(kind), "no gradgradcheck case records \(kind) (\(kind.name))")
        }
    }

    func testTheChecksCanFail() throws {
        let x = try Tensor<Double>([0.5, -1, 2], shape: [3], requiresGrad: true)
        XCTAssertTrue(try gradcheck({ ($0[0] * $0[0]).tanh() }, inputs: [x]))
        XCTAssertTrue(try gradgradcheck({ ($0[0] * $0[0]).tanh() }, inputs: [x]))
        // A gradient cut in half: x · stop(x) has derivative x, not 2x.
        XCTAssertFalse(try gradcheck({ $0[0] * $0[0].detached() }, inputs: [x]))
        // The gradient of x·x·stop(x), 2x·stop(x), has history through one factor only: its
        // own derivative is half of what the differences of it give.
        XCTAssertFalse(try gradgradcheck({ ($0[0] * $0[0] * $0[0].detached()) }, inputs: [x]))
    }
}
