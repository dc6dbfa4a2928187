import XCTest
import Autograd
import _TestSupport

/// Every program of composite.json (each instance of each), replayed through the public API.
final class CompositeGoldenTests: XCTestCase {
    private func instances(_ key: String) throws -> [[String: Any]] {
        let list = try XCTUnwrap(try Golden.load("composite.json")[key] as? [[String: Any]], "composite.json has no \(key)")
        XCTAssertFalse(list.isEmpty, "\(key): no instances")
        return list
    }

    private func object(_ key: String) throws -> [String: Any] {
        try XCTUnwrap(try Golden.load("composite.json")[key] as? [String: Any], "composite.json has no \(key)")
    }

    private func leaf(_ any: Any?, requiresGrad: Bool = true) throws -> Tensor<Float> {
        try XCTUnwrap(TensorRecord(any), "not a tensor record").tensor(requiresGrad: requiresGrad)
    }

    /// `actual` has the record's shape and values (golden tolerance).
    private func assertMatches(_ actual: Tensor<Float>?, _ expected: Any?, _ what: String,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let record = try XCTUnwrap(TensorRecord(expected), "\(what): no golden record", file: file, line: line)
        let actual = try XCTUnwrap(actual, "\(what) is nil", file: file, line: line)
        XCTAssertEqual(actual.shape, record.shape, "\(what): shape", file: file, line: line)
        if let m = firstMismatch(actual.scalars, record.values) { XCTFail("\(what): \(m)", file: file, line: line) }
    }

    // MARK: - Programs

    func testMLP() throws {
        let probe = Tensor<Float>.ones([1, 1])
        try XCTSkipIf(applyGoldenOp("matmul", [probe, probe], [:]) == nil, "matmul is not in this build yet")
        for (n, g) in try instances("mlp").enumerated() {
            let X = try leaf(g["X"], requiresGrad: false)
            var params = try ["W1", "b1", "W2", "b2"].map { try leaf(g[$0]) }
            let targets = try XCTUnwrap(g["targets"] as? [Int])
            let lr = Float(try XCTUnwrap(g["lr"] as? Double))
            let steps = try XCTUnwrap(g["steps"] as? Int)
            let losses = try XCTUnwrap(g["losses"] as? [Double])
            XCTAssertEqual(losses.count, steps)
            let gradFns = try XCTUnwrap(g["gradFns"] as? [String: String])
            let expectedGrads = try XCTUnwrap(g["grads"] as? [String: Any])

            for step in 0..<steps {
                let mm1 = X.matmul(params[0])
                let pre = mm1 + params[1]
                let hidden = pre.relu()
                let mm2 = hidden.matmul(params[2])
                let logits = mm2 + params[3]
                let loss = crossEntropy(logits: logits, targets: targets)
                XCTAssertTrue(goldenClose(Double(try XCTUnwrap(loss.scalar)), losses[step]),
                              "mlp#\(n) step \(step): loss \(loss.scalars) vs \(losses[step])")
                if step == 0 {
                    let named = ["mm1": mm1, "pre": pre, "hidden": hidden, "mm2": mm2, "logits": logits, "loss": loss]
                    for (name, t) in named { XCTAssertEqual(t.gradFn?.name, gradFns[name], "mlp#\(n): \(name) gradFn") }
                    XCTAssertEqual(Set(named.keys), Set(gradFns.keys))
                    try assertMatches(logits, g["logits"], "mlp#\(n): logits")
                }
                try loss.backward()
                if step == 0 {
                    for (name, p) in zip(["W1", "b1", "W2", "b2"], params) {
                        try assertMatches(p.grad, expectedGrads[name], "mlp#\(n): grad of \(name)")
                    }
                }
                params = params.map { p in
                    let updated = withNoGrad { p - p.grad! * lr }
                    XCTAssertFalse(updated.requiresGrad)
                    updated.requiresGrad = true
                    return updated
                }
            }
            let final = try XCTUnwrap(g["final"] as? [String: Any])
            for (name, p) in zip(["W1", "b1", "W2", "b2"], params) {
                try assertMatches(p, final[name], "mlp#\(n): final \(name)")
            }
        }
    }

    func testAccumulate() throws {
        for g in try instances("accumulate") {
            let x = try leaf(g["x"])
            try (x * x * 3).sum().backward()
            try assertMatches(x.grad, g["grad1"], "accumulate: grad1")
            try x.exp().mean().backward()
            try assertMatches(x.grad, g["grad2"], "accumulate: grad2 (accumulated)")
            x.zeroGrad()
            XCTAssertNil(x.grad)
            try x.sum().backward()
            try assertMatches(x.grad, g["grad3"], "accumulate: grad3 (after zeroGrad)")
        }
    }

    func testRetainGrad() throws {
        for g in try instances("retainGrad") {
            let x = try leaf(g["x"])
            let w = try leaf(g["w"], requiresGrad: false)
            let y = x * 2 + 1
            y.retainGrad()
            let z = y.tanh()
            try (z * w).sum().backward()
            try assertMatches(y.grad, g["yGrad"], "retainGrad: y.grad")
            try assertMatches(x.grad, g["xGrad"], "retainGrad: x.grad")
            XCTAssertEqual(y.gradFn?.name, g["yGradFn"] as? String)
            XCTAssertEqual(z.gradFn?.name, g["zGradFn"] as? String)
            XCTAssertEqual(y.isLeaf, g["yIsLeaf"] as? Bool)
            XCTAssertEqual(z.grad == nil, g["zGradIsNil"] as? Bool)
        }
    }

    func testDetach() throws {
        for g in try instances("detach") {
            let x = try leaf(g["x"])
            func check(_ t: Tensor<Float>, _ key: String) throws {
                let e = try XCTUnwrap(g[key] as? [String: Any], "detach: no \(key)")
                XCTAssertEqual(t.requiresGrad, e["requiresGrad"] as? Bool, "detach: \(key).requiresGrad")
                XCTAssertEqual(t.gradFn?.name, e["gradFn"] as? String, "detach: \(key).gradFn")
                XCTAssertEqual(t.isLeaf, e["isLeaf"] as? Bool, "detach: \(key).isLeaf")
                let values = try XCTUnwrap(e["values"] as? [Double])
                if let m = firstMismatch(t.scalars, values) { XCTFail("detach: \(key) values \(m)") }
            }
            try check(x.detached(), "detached")
            try check(withNoGrad { x * 2 }, "noGrad")
            let y = x * 3
            y.detach()
            try check(y, "detachInPlace")

            let product = (x * x.detached()).sum()
            XCTAssertEqual(product.gradFn?.name, g["productGradFn"] as? String)
            try product.backward()
            try assertMatches(x.grad, g["xGrad"], "detach: x.grad flows through one side only")
        }
    }

    func testVectorBackward() throws {
        for g in try instances("vectorBackward") {
            let x = try leaf(g["x"])
            let v = try leaf(g["v"], requiresGrad: false)
            let y = x.exp() * x
            try assertMatches(y, g["y"], "vectorBackward: y")
            XCTAssertEqual(y.gradFn?.name, g["yGradFn"] as? String)
            try y.backward(gradient: v)
            try assertMatches(x.grad, g["xGrad"], "vectorBackward: x.grad")
        }
    }

    func testDiamond() throws {
        for g in try instances("diamond") {
            let x = try leaf(g["x"])
            let a = x * 2
            let b = a.exp()
            let c = a * a
            let out = (b + c).mean()
            XCTAssertTrue(goldenClose(Double(try XCTUnwrap(out.scalar)), try XCTUnwrap(g["out"] as? Double)))
            XCTAssertEqual(out.gradFn?.name, g["outGradFn"] as? String)
            try out.backward()
            try assertMatches(x.grad, g["xGrad"], "diamond: x.grad")
        }
    }

    func testMixedRequiresGrad() throws {
        for g in try instances("mixedRequiresGrad") {
            let a = try leaf(g["a"], requiresGrad: false)
            let x = try leaf(g["x"])
            let y = x * a + a
            let out = y.sum()
            XCTAssertEqual(y.requiresGrad, g["yRequiresGrad"] as? Bool)
            XCTAssertEqual(y.gradFn?.name, g["yGradFn"] as? String)
            XCTAssertTrue(goldenClose(Double(try XCTUnwrap(out.scalar)), try XCTUnwrap(g["out"] as? Double)))
            try out.backward()
            try assertMatches(x.grad, g["xGrad"], "mixedRequiresGrad: x.grad")
            XCTAssertEqual(a.grad == nil, g["aGradIsNil"] as? Bool)
        }
    }

    func testRetainGraph() throws {
        for g in try instances("retainGraph") {
            let x = try leaf(g["x"])
            let out = (x * x).sum()
            try out.backward(retainGraph: true)
            try assertMatches(x.grad, g["grad1"], "retainGraph: grad1")
            try out.backward()
            try assertMatches(x.grad, g["grad2"], "retainGraph: grad2")
            XCTAssertEqual(try XCTUnwrap(g["thirdBackwardRaises"] as? Bool), true)
            XCTAssertThrowsError(try out.backward()) { XCTAssertEqual($0 as? AutogradError, .graphFreed) }
            try assertMatches(x.grad, g["grad2"], "retainGraph: a thrown backward leaves grad as it was")
        }
    }

    func testGradMode() throws {
        let g = try object("gradMode")
        XCTAssertEqual(GradMode.isEnabled, g["enabledByDefault"] as? Bool)
        let x = Tensor<Float>.ones([2], requiresGrad: true)
        func check(_ t: Tensor<Float>, _ key: String) throws {
            let e = try XCTUnwrap(g[key] as? [String: Any], "gradMode: no \(key)")
            XCTAssertEqual(t.requiresGrad, e["requiresGrad"] as? Bool, "\(key).requiresGrad")
            XCTAssertEqual(t.gradFn?.name, e["gradFn"] as? String, "\(key).gradFn")
            XCTAssertEqual(t.isLeaf, e["isLeaf"] as? Bool, "\(key).isLeaf")
        }
        try withNoGrad {
            XCTAssertEqual(GradMode.isEnabled, g["enabledInsideNoGrad"] as? Bool)
            XCTAssertEqual(Tensor<Float>.ones([2], requiresGrad: true).requiresGrad,
                           g["factoryRequiresGradUnderNoGrad"] as? Bool)
            try check(x * 2, "opUnderNoGrad")
            try withGradEnabled(true) {
                XCTAssertEqual(GradMode.isEnabled, g["enabledInsideEnableGrad"] as? Bool)
                try check(x * 2, "opUnderEnableGradInsideNoGrad")
            }
            XCTAssertEqual(GradMode.isEnabled, g["enabledInsideNoGrad"] as? Bool, "withGradEnabled restores")
        }
        XCTAssertEqual(GradMode.isEnabled, g["enabledAfterNoGrad"] as? Bool)
        withGradEnabled(false) {
            XCTAssertEqual(GradMode.isEnabled, g["enabledInsideSetFalse"] as? Bool)
        }
        XCTAssertTrue(GradMode.isEnabled)
        // The mode is restored when the body throws, too.
        struct Thrown: Error {}
        XCTAssertThrowsError(try withNoGrad { throw Thrown() })
        XCTAssertTrue(GradMode.isEnabled)
    }

    func testErrors() throws {
        let g = try object("errors")
        XCTAssertEqual(AutogradError.graphFreed.description, g["graphFreed"] as? String)

        // Each message is the one the failing call actually throws.
        let freed = (Tensor<Float>.ones([2], requiresGrad: true) * 2).sum()
        try freed.backward()
        assertThrows(try freed.backward(), g["graphFreed"])
        assertThrows(try (Tensor<Float>.ones([2], requiresGrad: true) * 2).backward(), g["nonScalarOutput"])
        assertThrows(try Tensor<Float>.ones([2]).sum().backward(), g["doesNotRequireGrad"])
        let y = Tensor<Float>.ones([2, 2], requiresGrad: true) * 2
        assertThrows(try y.backward(gradient: Tensor<Float>.ones([3])), g["gradientShapeMismatch"])

        // broadcastPrecondition, matmulPrecondition and dimPrecondition are traps (API.md: they
        // stop the program, as PyTorch's operator errors would be bugs). A trap cannot be caught
        // in-process, so they are checked in a child process: PreconditionTests (expectTrap), and
        // scripts/check-client-package.sh from a separate package's release build.
        for key in ["broadcastPrecondition", "matmulPrecondition", "dimPrecondition"] {
            XCTAssertNotNil(g[key] as? String, "composite.json errors: no \(key)")
        }
    }

    private func assertThrows(_ body: @autoclosure () throws -> Void, _ expected: Any?,
                              file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertTrue(error is AutogradError, "\(error) is not an AutogradError", file: file, line: line)
            XCTAssertEqual("\(error)", expected as? String, file: file, line: line)
        }
    }
}
