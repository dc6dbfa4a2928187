import Foundation
import XCTest
import Autograd
import _TestSupport

/// The reductions of API.md "More operations" replayed against PyTorch 2.11:
/// `Tests/Fixtures/reductions.json` (written by `make_reductions_fixture.py`), its `reductions`
/// cases: `min`/`max` (all and along a dim), `argmax`/`argmin`, `prod`, `sum`/`mean` over
/// several dims, `variance`/`std`, `norm`, `logSumExp` and `cumsum`, in Float and Double, on
/// random shapes (every dim, negative dims, `keepDim` both ways), strided inputs, 0-d inputs
/// and the edge values (ties, NaN, zeros of a product, corrections at or past N, the zero
/// vector's norm, ±inf rows of logsumexp): values, `grad_fn` names and gradients; the cases
/// where PyTorch raises trap here with its message.
final class ReductionsGoldenTests: XCTestCase, GoldenFixtureOps {
    static let expectedCounts = (replayed: 898, failing: 18)

    func testCases() throws {
        XCTAssertEqual(try GoldenFixture.replayAll("reductions", Self.self), Self.expectedCounts.replayed)
    }

    func testErrorsTrap() throws {
        XCTAssertEqual(try GoldenFixture.expectTraps("reductions", Self.self, in: self), Self.expectedCounts.failing)
    }

    /// The op of a case on its inputs.
    static func apply<S: TensorScalar>(_ op: String, _ xs: [Tensor<S>], _ ints: [Tensor<Int>?], _ p: [String: Any]) -> GoldenFixture.Output<S> {
        let x = xs[0]
        let dim = p["dim"] as? Int ?? 0
        let keepDim = p["keepDim"] as? Bool ?? false
        switch op {
        case "min": return .float(x.min())
        case "max": return .float(x.max())
        case "minDim": return .float(x.min(dim: dim, keepDim: keepDim))
        case "maxDim": return .float(x.max(dim: dim, keepDim: keepDim))
        case "argmax": return .int(x.argmax())
        case "argmin": return .int(x.argmin())
        case "argmaxDim": return .int(x.argmax(dim: dim, keepDim: keepDim))
        case "argminDim": return .int(x.argmin(dim: dim, keepDim: keepDim))
        case "prod": return .float(x.prod())
        case "sumDims": return .float(x.sum(dims: p["dims"] as! [Int], keepDim: keepDim))
        case "meanDims": return .float(x.mean(dims: p["dims"] as! [Int], keepDim: keepDim))
        case "variance": return .float(x.variance(dims: p["dims"] as? [Int], correction: p["correction"] as! Int, keepDim: keepDim))
        case "std": return .float(x.std(dims: p["dims"] as? [Int], correction: p["correction"] as! Int, keepDim: keepDim))
        case "norm": return .float(x.norm(p: S(GoldenFixture.number(p["p"]!))))
        case "logSumExp": return .float(x.logSumExp(dim: dim, keepDim: keepDim))
        case "cumsum": return .float(x.cumsum(dim: dim))
        default: preconditionFailure("reductions.json: unknown op \(op)")
        }
    }
}

/// The ops of a section of reductions.json, by the name the fixture gives them.
protocol GoldenFixtureOps {
    static func apply<S: TensorScalar>(_ op: String, _ xs: [Tensor<S>], _ ints: [Tensor<Int>?], _ p: [String: Any]) -> GoldenFixture.Output<S>
}

/// Reading and replaying `Tests/Fixtures/reductions.json` (its schema: the script's docstring
/// and Tests/Fixtures/README.md).
enum GoldenFixture {
    enum Output<S: TensorScalar> {
        case float(Tensor<S>)
        case int(Tensor<Int>)
    }

    nonisolated(unsafe) private static var loaded: [String: Any]?

    /// The cases of `section` ("reductions" or "losses").
    static func cases(_ section: String) throws -> [[String: Any]] {
        if loaded == nil {
            let data = try Data(contentsOf: Fixtures.url("reductions.json"))
            loaded = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        }
        return try XCTUnwrap(loaded?[section] as? [[String: Any]])
    }

    /// Replays every case of `section` that PyTorch ran (`replay`), in its dtype; returns how many.
    static func replayAll<Ops: GoldenFixtureOps>(_ section: String, _: Ops.Type) throws -> Int {
        var replayed = 0
        for c in try cases(section) where c["error"] == nil {
            if c["dtype"] as! String == "float32" {
                try replay(c, Float.self, apply: Ops.apply)
            } else {
                try replay(c, Double.self, apply: Ops.apply)
            }
            replayed += 1
        }
        return replayed
    }

    /// Expects each case of `section` where PyTorch raised to trap with its message (in a child
    /// process, `expectTrap`, which re-runs the test `function`); returns how many.
    static func expectTraps<Ops: GoldenFixtureOps>(_ section: String, _: Ops.Type, in test: XCTestCase,
                                                   function: String = #function) throws -> Int {
        var checked = 0
        for c in try cases(section) {
            guard let message = c["error"] as? String else { continue }
            test.expectTrap(c["id"] as! String, message: message, function: function) {
                _ = output(c, Double.self, apply: Ops.apply)
            }
            checked += 1
        }
        return checked
    }

    /// A value as the fixture writes it: a number, or "nan" / "inf" / "-inf".
    static func number(_ v: Any) -> Double {
        if let s = v as? String { return s == "nan" ? .nan : s == "inf" ? .infinity : -.infinity }
        return (v as! NSNumber).doubleValue
    }

    static func values(_ record: [String: Any]) -> [Double] { (record["values"] as! [Any]).map(number) }
    static func shape(_ record: [String: Any]) -> [Int] { record["shape"] as! [Int] }

    /// The case's leaves (floating inputs; `nil` at an integer input's place), the tensors the op
    /// reads (a permuted view of the leaf where the case says so) and the integer inputs.
    static func inputs<S: TensorScalar>(_ c: [String: Any], _: S.Type) -> (leaves: [Tensor<S>?], xs: [Tensor<S>], ints: [Tensor<Int>?]) {
        var leaves: [Tensor<S>?] = [], xs: [Tensor<S>] = [], ints: [Tensor<Int>?] = []
        for r in c["inputs"] as! [[String: Any]] {
            if r["dtype"] as! String == "int64" {
                ints.append(try! Tensor<Int>(values(r).map { Int($0) }, shape: shape(r)))
                leaves.append(nil)
                continue
            }
            let leaf = try! Tensor<S>(values(r).map { S($0) }, shape: shape(r), requiresGrad: r["requiresGrad"] as! Bool)
            leaves.append(leaf)
            xs.append((r["permute"] as? [Int]).map { leaf.permuted($0) } ?? leaf)
            ints.append(nil)
        }
        return (leaves, xs, ints)
    }

    typealias Apply<S: TensorScalar> = (String, [Tensor<S>], [Tensor<Int>?], [String: Any]) -> Output<S>

    /// The op of case `c` run on its inputs.
    static func output<S: TensorScalar>(_ c: [String: Any], _: S.Type, apply: Apply<S>) -> Output<S> {
        let (_, xs, ints) = inputs(c, S.self)
        return apply(c["op"] as! String, xs, ints, c["params"] as? [String: Any] ?? [:])
    }

    /// Runs case `c` and compares its output (values, shape, `grad_fn`) and the gradients of
    /// its leaves after `backward(gradient: gradOutput)` with PyTorch's.
    static func replay<S: TensorScalar>(_ c: [String: Any], _: S.Type, apply: Apply<S>,
                                        file: StaticString = #filePath, line: UInt = #line) throws {
        let id = c["id"] as! String
        let (leaves, xs, ints) = inputs(c, S.self)
        let expected = c["output"] as! [String: Any]
        let out = apply(c["op"] as! String, xs, ints, c["params"] as? [String: Any] ?? [:])
        let tolerance: Double = S.self == Float.self ? 2e-5 : 1e-10
        switch out {
        case .int(let t):
            XCTAssertEqual(t.shape, shape(expected), "\(id): shape", file: file, line: line)
            XCTAssertEqual(t.scalars.map(Double.init), values(expected), "\(id): values", file: file, line: line)
            XCTAssertNil(c["gradFn"] as? String, "\(id): PyTorch recorded a gradFn", file: file, line: line)
        case .float(let t):
            XCTAssertEqual(t.shape, shape(expected), "\(id): shape", file: file, line: line)
            assertClose(t.scalars.map { Double($0) }, values(expected), tolerance, "\(id): values", file: file, line: line)
            XCTAssertEqual(t.gradFn?.name, c["gradFn"] as? String, "\(id): gradFn", file: file, line: line)
            guard let g = c["gradOutput"] as? [String: Any] else { return }
            try t.backward(gradient: try Tensor<S>(values(g).map { S($0) }, shape: shape(g)))
            for (k, grad) in (c["grads"] as! [Any]).enumerated() {
                guard let grad = grad as? [String: Any] else {
                    if let leaf = leaves[k] { XCTAssertNil(leaf.grad, "\(id): input \(k) has a gradient", file: file, line: line) }
                    continue
                }
                let actual = try XCTUnwrap(leaves[k]?.grad, "\(id): no gradient for input \(k)", file: file, line: line)
                XCTAssertEqual(actual.shape, shape(grad), "\(id): gradient shape of input \(k)", file: file, line: line)
                assertClose(actual.scalars.map { Double($0) }, values(grad), tolerance, "\(id): gradient of input \(k)",
                            file: file, line: line)
            }
        }
    }

    /// Equal where both are NaN or the same infinity; else within `tolerance`, relative to the
    /// larger magnitude above 1.
    static func assertClose(_ a: [Double], _ e: [Double], _ tolerance: Double, _ message: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        guard a.count == e.count else {
            XCTFail("\(message): \(a.count) values, PyTorch has \(e.count)", file: file, line: line)
            return
        }
        for (i, (x, y)) in zip(a, e).enumerated() {
            let ok = (x.isNaN && y.isNaN) || x == y || (x.isFinite && y.isFinite && Swift.abs(x - y) <= tolerance * Swift.max(1, Swift.abs(y)))
            if !ok {
                XCTFail("\(message): element \(i) is \(x), PyTorch's \(y)", file: file, line: line)
                return
            }
        }
    }
}
