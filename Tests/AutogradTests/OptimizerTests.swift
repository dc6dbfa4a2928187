import Foundation
import XCTest
import Autograd
import _TestSupport

/// SGD and Adam replayed against torch.optim: `Tests/Fixtures/optim.json`, written by
/// `Tests/Fixtures/make_optim_fixture.py`, holds two parameters (`w` [3, 4], `b` [4]), fixed
/// gradients set before every step, and the parameters torch.optim (single-tensor path) computed
/// after 1 and after 3 steps for each configuration.
final class OptimizerTests: XCTestCase {
    private static let fixtureURL = Fixtures.url("optim.json")

    private struct Fixture: Decodable {
        struct Record: Decodable {
            let shape: [Int]
            let values: [Float]
        }
        struct Case: Decodable {
            let id: String
            let optimizer: String
            let options: [String: Option]
            let after: [String: [[Float]]]
        }
        typealias Option = OptimizerOption
        let params: [String: Record]
        let grads: [String: Record]
        let cases: [Case]
    }

    private func fixture() throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: Self.fixtureURL))
    }

    /// torch's float32 tolerance for this suite: |a − e| ≤ 1e-6 + 1e-5·|e|.
    private func close(_ a: Float, _ e: Float) -> Bool { abs(a - e) <= 1e-6 + 1e-5 * abs(e) }

    private func number(_ c: Fixture.Case, _ key: String, file: StaticString = #filePath, line: UInt = #line) throws -> Float {
        guard case .number(let v)? = c.options[key] else {
            XCTFail("\(c.id): option \(key) missing", file: file, line: line)
            throw CocoaError(.coderValueNotFound)
        }
        return Float(v)
    }

    private func replay(_ kind: String) throws {
        let f = try fixture()
        let cases = f.cases.filter { $0.optimizer == kind }
        XCTAssertFalse(cases.isEmpty, "no \(kind) case in optim.json")
        var maxULP: UInt32 = 0
        for c in cases {
            let w = try Tensor<Float>(f.params["w"]!.values, shape: f.params["w"]!.shape, requiresGrad: true)
            let b = try Tensor<Float>(f.params["b"]!.values, shape: f.params["b"]!.shape, requiresGrad: true)
            let gw = try Tensor<Float>(f.grads["w"]!.values, shape: f.grads["w"]!.shape)
            let gb = try Tensor<Float>(f.grads["b"]!.values, shape: f.grads["b"]!.shape)
            let optimizer: any Optimizer<Float>
            switch kind {
            case "SGD":
                guard case .flag(let nesterov)? = c.options["nesterov"] else { XCTFail("\(c.id): nesterov"); continue }
                optimizer = SGD([w, b], lr: try number(c, "lr"), momentum: try number(c, "momentum"),
                                dampening: try number(c, "dampening"), weightDecay: try number(c, "weight_decay"),
                                nesterov: nesterov)
            default:
                guard case .pair(let betas)? = c.options["betas"], betas.count == 2 else { XCTFail("\(c.id): betas"); continue }
                guard case .flag(false)? = c.options["amsgrad"] else { XCTFail("\(c.id): amsgrad is not supported"); continue }
                optimizer = Adam([w, b], lr: try number(c, "lr"), betas: (Float(betas[0]), Float(betas[1])),
                                 eps: try number(c, "eps"), weightDecay: try number(c, "weight_decay"))
            }
            for step in 1...3 {
                w.grad = gw.detached()
                b.grad = gb.detached()
                optimizer.step()
                guard let expected = c.after[String(step)] else { continue }
                for (name, (p, e)) in zip(["w", "b"], zip([w, b], expected)) {
                    XCTAssertEqual(p.count, e.count, "\(c.id) step \(step) \(name): count")
                    for (i, (a, x)) in zip(p.scalars, e).enumerated() {
                        XCTAssertTrue(close(a, x), "\(c.id) after \(step) step(s): \(name)[\(i)] = \(a), torch \(x)")
                        let ulp = a.bitPattern > x.bitPattern ? a.bitPattern - x.bitPattern : x.bitPattern - a.bitPattern
                        maxULP = max(maxULP, a.sign == x.sign ? ulp : .max)
                    }
                }
            }
        }
        print("OptimizerTests: \(kind): \(cases.count) cases, largest difference from torch \(maxULP) ulp")
    }

    func testSGDMatchesTorch() throws { try replay("SGD") }
    func testAdamMatchesTorch() throws { try replay("Adam") }

    /// Parameters without a gradient are skipped, as torch.optim skips them.
    func testParametersWithoutGradientAreSkipped() throws {
        for make in [{ (p: [Tensor<Float>]) -> any Optimizer<Float> in SGD(p, lr: 0.1, momentum: 0.9) },
                     { (p: [Tensor<Float>]) -> any Optimizer<Float> in Adam(p, lr: 0.1) },
                     { (p: [Tensor<Float>]) -> any Optimizer<Float> in AdamW(p, amsgrad: true) },
                     { (p: [Tensor<Float>]) -> any Optimizer<Float> in RMSprop(p, momentum: 0.9, centered: true) }] {
            let p = try Tensor<Float>([1, 2, 3], shape: [3], requiresGrad: true)
            let q = try Tensor<Float>([4, 5], shape: [2], requiresGrad: true)
            q.grad = Tensor<Float>([1, 1])
            let optimizer = make([p, q])
            optimizer.step()
            XCTAssertEqual(p.scalars, [1, 2, 3])
            XCTAssertNotEqual(q.scalars, [4, 5])
        }
    }

    /// Adam's bias correction counts each parameter's own updates (torch.optim keeps `step` per
    /// parameter): a parameter first updated at the second call moves exactly as a fresh Adam's
    /// first step would move it.
    func testAdamCountsStepsPerParameter() throws {
        let p = try Tensor<Float>([1, 2, 3], shape: [3], requiresGrad: true)
        let late = try Tensor<Float>([4, 5], shape: [2], requiresGrad: true)
        let adam = Adam([p, late], lr: 0.1)
        p.grad = Tensor<Float>([1, 1, 1])
        adam.step()
        late.grad = Tensor<Float>([0.5, -2])
        adam.step()

        let fresh = try Tensor<Float>([4, 5], shape: [2], requiresGrad: true)
        fresh.grad = Tensor<Float>([0.5, -2])
        Adam([fresh], lr: 0.1).step()
        XCTAssertEqual(late.scalars, fresh.scalars)
        XCTAssertEqual(fresh.scalars, [3.9, 5.1], accuracy: 1e-6)  // first Adam step: ±lr
    }
}

private func XCTAssertEqual(_ a: [Float], _ b: [Float], accuracy: Float, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
