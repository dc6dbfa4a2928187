import Foundation
import XCTest
import Autograd
import _TestSupport

/// `checkpoint(_:_:)`: the same gradients as without it, a quarter of the saved bytes or less
/// for a 16-layer MLP, the body run twice, and PyTorch's refusals.
final class ActivationCheckpointTests: XCTestCase {
    struct MLP {
        var weights: [Tensor<Double>] = []
        var biases: [Tensor<Double>] = []
        init(layers: Int, width: Int) {
            var generator = RandomGenerator(seed: 11)
            for _ in 0..<layers {
                weights.append(Tensor<Double>.randn([width, width], using: &generator) * (1 / Double(width).squareRoot()))
                biases.append(Tensor<Double>.randn([width], using: &generator) * 0.1)
            }
            weights = weights.map { Tensor(data: $0.data, requiresGrad: true) }
            biases = biases.map { Tensor(data: $0.data, requiresGrad: true) }
        }
        func layer(_ i: Int, _ x: Tensor<Double>) -> Tensor<Double> { linear(x, weight: weights[i], bias: biases[i]).tanh() }
        var parameters: [Tensor<Double>] { weights + biases }
    }

    func testSixteenLayersKeepAQuarterOfTheSavedBytesWithIdenticalGradients() throws {
        let mlp = MLP(layers: 16, width: 64)
        var generator = RandomGenerator(seed: 12)
        let data = Tensor<Double>.randn([32, 64], using: &generator)

        func run(checkpointed: Bool) throws -> (saved: Int, grads: [[Double]], loss: Double) {
            let x = Tensor(data: data.data.copied(), requiresGrad: true)
            var h = x
            var bodyRuns = 0
            for block in 0..<4 {
                let layers = (block * 4)..<(block * 4 + 4)
                if checkpointed {
                    h = checkpoint([h]) { xs in
                        bodyRuns += 1
                        return [layers.reduce(xs[0]) { mlp.layer($1, $0) }]
                    }[0]
                } else {
                    h = layers.reduce(h) { mlp.layer($1, $0) }
                }
            }
            let loss = (h * h).mean()
            let saved = currentGraphStats().savedBytes
            for p in mlp.parameters { p.grad = nil }
            try loss.backward()
            if checkpointed { XCTAssertEqual(bodyRuns, 8, "each body runs once forward, once backward") }
            XCTAssertEqual(currentGraphStats().nodeCount, 0)
            return (saved, (mlp.parameters + [x]).map { $0.grad!.scalars }, loss.scalar!)
        }
        let plain = try run(checkpointed: false)
        let checkpointed = try run(checkpointed: true)
        print("16-layer MLP saved bytes: plain \(plain.saved), checkpointed \(checkpointed.saved)")
        XCTAssertGreaterThan(plain.saved, 0)
        XCTAssertLessThanOrEqual(checkpointed.saved * 4, plain.saved)
        XCTAssertEqual(checkpointed.loss, plain.loss)
        XCTAssertEqual(checkpointed.grads, plain.grads, "the gradients differ")
    }

    func testNameSecondOutputsAndRefusals() throws {
        let x = try Tensor<Double>([1, 2, 3], shape: [3], requiresGrad: true)
        let w = try Tensor<Double>([0.5, -1, 2], shape: [3], requiresGrad: true)
        let outs = checkpoint([x]) { xs in [(xs[0] * w).tanh(), xs[0] * 2] }
        XCTAssertEqual(outs[0].gradFn?.name, "CheckpointFunctionBackward")
        try (outs[0].sum() + outs[1].sum()).backward()
        for i in 0..<3 {
            let (xi, wi) = (x.scalars[i], w.scalars[i])
            let d = 1 - Foundation.tanh(xi * wi) * Foundation.tanh(xi * wi)
            XCTAssertEqual(x.grad!.scalars[i], d * wi + 2, accuracy: 1e-12)
            XCTAssertEqual(w.grad!.scalars[i], d * xi, accuracy: 1e-12)
        }
        // No input requires grad: nothing is recorded (PyTorch warns "Gradients will be None").
        let d = try Tensor<Double>([1, 2, 3], shape: [3])
        XCTAssertFalse(checkpoint([d]) { [$0[0] * w] }[0].requiresGrad)
        let message = "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() or passing an `inputs` parameter to .backward(). To resolve this error, you can either set use_reentrant=False, or call .backward() without passing the `inputs` argument."
        expectTrap("grad()", message: message) {
            let y = checkpoint([x]) { [$0[0].exp()] }[0]
            _ = try? grad(outputs: [y.sum()], inputs: [x])
        }
    }
}
