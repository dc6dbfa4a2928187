import XCTest
import Autograd
import _TestSupport

/// Tensor hooks and post-accumulate-grad hooks: order, replacement, removal and messages, each
/// expectation read off torch 2.11.0 running the same program.
final class HookTests: XCTestCase {
    func testOrderAndReplacementAsPyTorch() throws {
        let x = try Tensor<Double>([1, 2], shape: [2], requiresGrad: true)
        var order: [(String, [Double])] = []
        x.registerHook { g in order.append(("h1", g.scalars)); return g * 2 }
        x.registerHook { g in order.append(("h2", g.scalars)); return nil }
        x.registerPostAccumulateGradHook { t in order.append(("post", t.grad!.scalars)) }
        let y = x * 3
        y.retainGrad()
        y.registerHook { g in order.append(("y", g.scalars)); return g + 1 }
        try (y * y).sum().backward()
        // torch: [('y', [6, 12]), ('h1', [21, 39]), ('h2', [42, 78]), ('post', [42, 78])]
        XCTAssertEqual(order.map(\.0), ["y", "h1", "h2", "post"])
        XCTAssertEqual(order.map(\.1), [[6, 12], [21, 39], [42, 78], [42, 78]])
        XCTAssertEqual(x.grad?.scalars, [42, 78])
        XCTAssertEqual(y.grad?.scalars, [7, 13])          // the retained grad is the hooked one
    }

    func testGradAppliesTensorHooksButNotPostAccumulateHooks() throws {
        let x = try Tensor<Double>([1, 2], shape: [2], requiresGrad: true)
        var posts = 0
        x.registerHook { $0 * 10 }
        x.registerPostAccumulateGradHook { _ in posts += 1 }
        XCTAssertEqual(try grad(outputs: [(x * x).sum()], inputs: [x])[0]?.scalars, [20, 40])
        XCTAssertEqual(posts, 0)
        XCTAssertNil(x.grad)
        // And with createGraph, in the recorded sweep.
        let g = try grad(outputs: [(x * x * x).sum()], inputs: [x], createGraph: true)[0]!
        XCTAssertEqual(g.scalars, [30, 120])
    }

    func testRemoveAndHooksOnAnIntermediate() throws {
        let x = try Tensor<Double>([1, -2, 3], shape: [3], requiresGrad: true)
        let h = x.exp()
        var seen: [Double] = []
        let handle = h.registerHook { g in seen = g.scalars; return g * 0 }
        try h.sum().backward(retainGraph: true)
        XCTAssertEqual(seen, [1, 1, 1])
        XCTAssertEqual(x.grad?.scalars, [0, 0, 0])         // zeroed before exp's derivative
        handle.remove()
        handle.remove()                                    // a no-op
        x.grad = nil
        try h.sum().backward()
        XCTAssertEqual(x.grad!.scalars[0], Foundation.exp(1), accuracy: 1e-12)
    }

    func testAHookMayRunOpsAndAPostHookMayStepTheLeaf() throws {
        // A hook that runs library ops (norm clipping) and a fused SGD step in a post hook.
        let w = try Tensor<Double>([3, 4], shape: [2], requiresGrad: true)
        w.registerHook { g in
            let norm = (g * g).sum().sqrt()
            return g / norm.scalar!
        }
        w.registerPostAccumulateGradHook { p in
            p -= p.grad! * 0.5
            p.grad = nil
        }
        try (w * w).sum().backward()                      // g = 2w = [6, 8], clipped to [0.6, 0.8]
        XCTAssertEqual(w.scalars[0], 2.7, accuracy: 1e-12)
        XCTAssertEqual(w.scalars[1], 3.6, accuracy: 1e-12)
        XCTAssertNil(w.grad)
    }

    func testHookOnAnOutputOfSplitAndOnMultipleUses() throws {
        let x = try Tensor<Double>([1, 2, 3, 4], shape: [4], requiresGrad: true)
        let parts = x.split(size: 2, dim: 0)
        parts[1].registerHook { $0 * 3 }
        try (parts[0].sum() + parts[1].sum() * 2).backward()
        XCTAssertEqual(x.grad?.scalars, [1, 1, 6, 6])
    }

    func testMessagesAsPyTorch() throws {
        let c = try Tensor<Double>([1, 2], shape: [2])
        expectTrap("hook on a constant", message: "cannot register a hook on a tensor that doesn't require gradient") {
            c.registerHook { $0 }
        }
        let x = try Tensor<Double>([1, 2], shape: [2], requiresGrad: true)
        let y = x * 2
        expectTrap("post hook on a result", message: "post accumulate grad hooks cannot be registered on non-leaf tensors") {
            y.registerPostAccumulateGradHook { _ in }
        }
        y.registerHook { $0[0..<1] }
        expectTrap("a hook changing the shape", message: "hook '<closure>' has changed the size of value") {
            try? (y * y).sum().backward()
        }
    }
}
