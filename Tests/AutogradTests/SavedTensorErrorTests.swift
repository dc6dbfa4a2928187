import Foundation
import XCTest
import Autograd
import _TestSupport

/// A value saved for backward, then changed in place: replayed against PyTorch's own messages.
///
/// `Tests/Fixtures/errors.json`, written by `Tests/Fixtures/make_errors_fixture.py` with torch
/// 2.11, holds for each small program the text of the error `backward()` raised, or `null` where
/// PyTorch computed the gradient (a product keeps a factor only for the other factor's gradient).
/// The programs here are the script's, id for id.
final class SavedTensorErrorTests: XCTestCase {
    private static let fixtureURL = Fixtures.url("errors.json")

    private struct Fixture: Decodable {
        struct Case: Decodable {
            let id: String
            let message: String?
        }
        let cases: [Case]
    }

    private typealias F = Tensor<Float>

    private static func rows(_ values: [[Float]], requiresGrad: Bool = false) -> F {
        try! F(values, requiresGrad: requiresGrad)
    }

    private static func savedOutput(_ op: @escaping (F) -> F) -> () -> F {
        {
            let x = rows([[0.5, -1, 2], [1.5, 0.25, -0.75]], requiresGrad: true)
            let y = op(x)
            let loss = y.sum()
            y.detached() += 1
            return loss
        }
    }

    /// The loss of each program, after its in-place change; `backward()` is the caller's.
    private static var programs: [String: () -> AnyLoss] { [
        "savedConstant": {
            let (x, w) = (F([1, 2], requiresGrad: true), F([3, 4]))
            let loss = (x * w).sum()
            w += 1
            return AnyLoss(loss)
        },
        "savedOutputThroughDetachedAlias": {
            let x = Tensor<Double>([0, 1, 2], requiresGrad: true)
            let y = x.exp()
            let alias = y.detached()
            alias *= 2
            alias += 1
            return AnyLoss(y.sum())
        },
        "versionAtSaveTime": {
            let (x, c) = (F([1, 2, 3], requiresGrad: true), F([1, 1, 1]))
            c.fill(2)
            let loss = (x / c).sum()
            c.copy(from: F([3, 3, 3]))
            return AnyLoss(loss)
        },
        "writeThroughAView": {
            let (x, c) = (F([1, 2, 3, 4], requiresGrad: true), F([1, 2, 3, 4]))
            let loss = (x * c).sum()
            c.reshaped([2, 2]).fill(0)
            return AnyLoss(loss)
        },
        "nonLeafInputUnderNoGrad": {
            let y = F([1, 2, 3, 4], requiresGrad: true) * 2
            let loss = (y * y).sum()
            withNoGrad { y += 1 }
            return AnyLoss(loss)
        },
        "nonLeafInputOfLog": {
            let y = F([1, 2, 3, 4], requiresGrad: true) + 1
            let loss = y.log().sum()
            withNoGrad { y *= 2 }
            return AnyLoss(loss)
        },
        "viewOfANonLeaf": {
            let y = F([1, 2, 3, 4], requiresGrad: true) * 2
            let v = y.reshaped([2, 2])
            let loss = (v * v).sum()
            withNoGrad { y += 1 }
            return AnyLoss(loss)
        },
        "viewOfALeaf": {
            let x = F([1, 2, 3, 4], requiresGrad: true)
            let v = x.reshaped([2, 2])
            let loss = (v * v).sum()
            withNoGrad { x += 1 }
            return AnyLoss(loss)
        },
        "transposeChangedThroughAlias": {
            let v = rows([[1, 2], [3, 4]], requiresGrad: true).transposed()
            let loss = (v * v).sum()
            v.detached() += 1
            return AnyLoss(loss)
        },
        "unsqueezeChangedThroughAlias": {
            let v = F([1, 2], requiresGrad: true).unsqueezed(dim: 0)
            let loss = (v * v).sum()
            v.detached() += 1
            return AnyLoss(loss)
        },
        "savedOutputSqrt": { AnyLoss(savedOutput { $0.abs().sqrt() }()) },
        "savedOutputRelu": { AnyLoss(savedOutput { $0.relu() }()) },
        "savedOutputSigmoid": { AnyLoss(savedOutput { $0.sigmoid() }()) },
        "savedOutputTanh": { AnyLoss(savedOutput { $0.tanh() }()) },
        "savedOutputSoftmax": { AnyLoss(savedOutput { $0.softmax(dim: 1) }()) },
        "savedOutputLogSoftmax": { AnyLoss(savedOutput { $0.logSoftmax(dim: 1) }()) },
        "mvMatrixConstant": {
            let (a, v) = (rows([[1, 2, 3], [4, 5, 6]]), F([1, -1, 2], requiresGrad: true))
            let loss = a.matmul(v).sum()
            a += 1
            return AnyLoss(loss)
        },
        "linearInputChanged": {
            let x = rows(Array(repeating: [1, 2, 3], count: 4))
            x.requiresGrad = true
            let (w, b) = (rows([[1, 0, -1], [0.5, 0.5, 0.5]], requiresGrad: true), F([0, 1], requiresGrad: true))
            let loss = linear(x, weight: w, bias: b).sum()
            withNoGrad { x -= 0.1 }
            return AnyLoss(loss)
        },
        "meanOfAModifiedInput": {
            let y = F([1, 2, 3], requiresGrad: true) * 1
            let loss = y.mean()
            withNoGrad { y += 1 }
            return AnyLoss(loss)
        },
        "mmParameterUpdatedBeforeBackward": {
            let (x, w) = (rows(Array(repeating: [1, 2, 3], count: 4)), rows([[1, 0], [0, 1], [1, 1]], requiresGrad: true))
            let loss = x.matmul(w).sum()
            withNoGrad { w -= 0.1 }
            return AnyLoss(loss)
        },
        "mmSecondLayerUpdatedBeforeBackward": {
            let (x, w1) = (rows(Array(repeating: [1, 2, 3], count: 4)), rows([[1, 0], [0, 1], [1, 1]], requiresGrad: true))
            let w2 = rows([[1, -1, 0.5], [0, 2, 1]], requiresGrad: true)
            let loss = x.matmul(w1).matmul(w2).sum()
            withNoGrad { w2 -= 0.1 }
            return AnyLoss(loss)
        },
        "mulFactorNotNeeded": {
            let (x, w) = (F([1, 2]), F([3, 4], requiresGrad: true))
            let loss = (x * w).sum()
            withNoGrad { w += 1 }
            return AnyLoss(loss)
        },
        "divDenominatorChanged": {
            let (x, w) = (F([1, 2]), F([3, 4], requiresGrad: true))
            let loss = (x / w).sum()
            withNoGrad { w += 1 }
            return AnyLoss(loss)
        },
        "divNumeratorChangedWithoutDenominatorGrad": {
            let y = F([1, 2], requiresGrad: true) * 1
            let loss = (y / F([3, 4])).sum()
            withNoGrad { y += 1 }
            return AnyLoss(loss)
        },
        "mvVectorNotNeeded": {
            let (a, v) = (rows([[1, 2, 3], [4, 5, 6]], requiresGrad: true), F([1, -1, 2]))
            let loss = a.matmul(v).sum()
            withNoGrad { a += 1 }
            return AnyLoss(loss)
        },
        "transposedWeightUpdatedBeforeBackward": {
            let (a, w) = (rows(Array(repeating: [1, 2, 3, 4], count: 3), requiresGrad: true),
                          rows(Array(repeating: [1, 0, 0, 1], count: 5), requiresGrad: true))
            let loss = a.matmul(w.transposed()).sum()   // w.t() is not made: the product reads w
            withNoGrad { w += 1 }
            return AnyLoss(loss)
        },
        "linearWeightUpdatedBeforeBackward": {
            let x = rows(Array(repeating: [1, 2, 3], count: 4))
            let (w, b) = (rows([[1, 0, -1], [0.5, 0.5, 0.5]], requiresGrad: true), F([0, 1], requiresGrad: true))
            let loss = linear(x, weight: w, bias: b).sum()
            withNoGrad { w -= 0.1 }
            return AnyLoss(loss)
        },
    ] }

    /// A Float or Double loss, for one table of programs.
    private struct AnyLoss {
        let backward: () throws -> Void
        init<S: TensorScalar>(_ loss: Tensor<S>) { backward = { try loss.backward() } }
    }

    func testMessagesMatchPyTorchWordForWord() throws {
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: Self.fixtureURL))
        XCTAssertEqual(Set(fixture.cases.map(\.id)), Set(Self.programs.keys), "the script's programs and these differ")
        XCTAssertEqual(fixture.cases.filter { $0.message == nil }.count, 6)
        for c in fixture.cases {
            guard let program = Self.programs[c.id] else { continue }
            do {
                try program().backward()
                XCTAssertNil(c.message, "\(c.id): PyTorch raised, we did not")
            } catch {
                XCTAssertEqual("\(error)", c.message, c.id)
            }
        }
    }

    /// A gradient computed where PyTorch computes one (the changed factor was not needed) is
    /// the gradient at the values of the forward pass.
    func testAFactorChangedWhenItsPartnerNeedsNoGradientLeavesTheGradientRight() throws {
        let x = Self.rows([[1, 2, 3], [4, 5, 6]])
        let w = Self.rows([[1, 0], [0, 1], [1, 1]], requiresGrad: true)
        let loss = x.matmul(w).sum()
        withNoGrad { w -= 0.5 }
        try loss.backward()
        XCTAssertEqual(w.grad?.scalars, [5, 5, 7, 7, 9, 9])   // Xᵀ · ones
    }
}
