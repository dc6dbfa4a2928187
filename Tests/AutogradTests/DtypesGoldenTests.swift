import Autograd
import Foundation
import TensorCore
import XCTest
import _TestSupport

/// Replays dtypes.json (Tests/Fixtures/make_dtypes_fixture.py, torch 2.11.0): the element types
/// of API.md's "Element types": printing Int and Bool tensors, conversions between every pair of
/// types (and the gradient of Float ↔ Double), comparisons, logical ops, any/all, Int arithmetic,
/// and the traps of asking an Int or Bool tensor to require grad.
final class DtypesGoldenTests: XCTestCase {
    /// Cases whose PyTorch behaviour Swift can't have, by id, with the reason (README, "Differences").
    static let knownDifferences: [String: String] = [
        "convert.float64ToFloat64": "PyTorch returns the tensor itself; an initializer makes a new object, an alias of it (AliasBackward0)",
    ]

    /// A tensor of any element type, as the step language binds them.
    enum Value {
        case float(Tensor<Float>), double(Tensor<Double>), int(Tensor<Int>), bool(Tensor<Bool>)

        var dtype: String {
            switch self {
            case .float: "float32"
            case .double: "float64"
            case .int: "int64"
            case .bool: "bool"
            }
        }

        var object: AnyObject {
            switch self {
            case .float(let t): t
            case .double(let t): t
            case .int(let t): t
            case .bool(let t): t
            }
        }

        var description: String {
            switch self {
            case .float(let t): t.description
            case .double(let t): t.description
            case .int(let t): t.description
            case .bool(let t): t.description
            }
        }

        /// The elements as JSON would hold them: numbers as Double (floats) or Int, Bool as Bool.
        var values: [Any] {
            switch self {
            case .float(let t): t.scalars.map { Double($0) }
            case .double(let t): t.scalars
            case .int(let t): t.scalars
            case .bool(let t): t.scalars
            }
        }

        var shape: [Int] { withTensor { $0.shape } }
        var strides: [Int] { withTensor { $0.strides } }
        var requiresGrad: Bool { withTensor { $0.requiresGrad } }
        var isLeaf: Bool { withTensor { $0.isLeaf } }
        var version: Int { withTensor { $0.version } }
        var gradFn: String? {
            switch self {
            case .float(let t): t.gradFn?.name
            case .double(let t): t.gradFn?.name
            case .int, .bool: nil
            }
        }

        func withTensor<R>(_ body: (any TensorProperties) -> R) -> R {
            switch self {
            case .float(let t): body(t)
            case .double(let t): body(t)
            case .int(let t): body(t)
            case .bool(let t): body(t)
            }
        }

        /// `Tensor<Target>(self)` for the dtype named `to`.
        func converted(to dtype: String) -> Value {
            func to<S: TensorElement>(_ t: Tensor<S>) -> Value {
                switch dtype {
                case "float32": .float(Tensor<Float>(t))
                case "float64": .double(Tensor<Double>(t))
                case "int64": .int(Tensor<Int>(t))
                case "bool": .bool(Tensor<Bool>(t))
                default: fatalError("dtype \(dtype)")
                }
            }
            switch self {
            case .float(let t): return to(t)
            case .double(let t): return to(t)
            case .int(let t): return to(t)
            case .bool(let t): return to(t)
            }
        }
    }

    func testDtypesFixture() throws {
        let cases = try ViewsGoldenTests.cases("dtypes.json")
        var replayed = 0, trapped = 0
        for c in cases {
            let id = c["id"] as! String
            if Self.knownDifferences[id] != nil { continue }
            if let error = c["error"] as? [String: Any] {
                let step = error["step"] as! Int
                var message = error["message"] as! String
                // Swift has one setter where Python has `requires_grad_()` and `requires_grad =`,
                // whose messages differ in two words; API.md gives the setter `requires_grad_`'s.
                if Self.steps(c)[step]["python"] as? String == "requires_grad =" {
                    message = "only Tensors of floating point dtype can require gradients"
                }
                expectTrap(id, message: message) {
                    var env = Self.inputs(c)
                    for s in Self.steps(c)[...step] { Self.run(s, &env) }
                }
                trapped += 1
                continue
            }
            try replay(c)
            replayed += 1
        }
        print("dtypes.json: \(replayed) replayed, \(trapped) traps checked, \(Self.knownDifferences.count) known differences")
        XCTAssertEqual(replayed + trapped + Self.knownDifferences.count, cases.count)
    }

    func testConversionRoundTripSendsGradientsAcrossBothGraphs() throws {
        // x (Double) → Float → ops → Double → loss: the gradient crosses twice.
        let x = Tensor<Double>([1, -2, 3], requiresGrad: true)
        let y = Tensor<Float>(x * 2) * 3
        let z = Tensor<Double>(y) + x
        XCTAssertEqual(z.gradFn?.name, "AddBackward0")
        try z.sum().backward()
        XCTAssertEqual(x.grad?.scalars, [7, 7, 7])
    }

    func testTwoConversionsOfOneTensorShareOneSweep() throws {
        // Both crossings reach `a`'s graph: one sweep from both, so the graph is freed once.
        let x = Tensor<Double>([0.5, 2], requiresGrad: true)
        let a = x * x
        let loss = (Tensor<Float>(a) * 2 + Tensor<Float>(a + 1)).sum()
        try loss.backward()
        XCTAssertEqual(x.grad?.scalars, [3, 12])   // 3 · 2x
    }

    func testConversionOfALeafGivesTheLeafItsGradient() throws {
        let x = Tensor<Float>([1.5, -2.5], requiresGrad: true)
        try (Tensor<Double>(x) * 4).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [4, 4])
        XCTAssertEqual(x.grad?.description, "tensor([4., 4.])")
    }

    func testConversionWithoutGradIsNotRecorded() {
        let x = Tensor<Float>([1.5, -2.5], requiresGrad: true)
        let y = withNoGrad { Tensor<Double>(x) }
        XCTAssertTrue(y.isLeaf)
        XCTAssertFalse(y.requiresGrad)
        XCTAssertFalse(Tensor<Int>(x).requiresGrad)
    }

    // MARK: - Replay

    private func replay(_ c: [String: Any]) throws {
        let id = c["id"] as! String
        var env = Self.inputs(c)
        for step in Self.steps(c) { Self.run(step, &env) }
        let results = c["results"] as? [String: [String: Any]] ?? [:]
        for (name, r) in results {
            let t = try XCTUnwrap(env[name], "\(id): \(name) was not bound")
            let what = "\(id).\(name)"
            XCTAssertEqual(t.dtype, r["dtype"] as? String, "\(what).dtype")
            XCTAssertEqual(t.shape, r["shape"] as! [Int], "\(what).shape")
            XCTAssertEqual(t.strides, r["strides"] as! [Int], "\(what).strides")
            if let values = r["values"] as? [Any] { Self.assertValues(t, values, "\(what).values") }
            XCTAssertEqual(t.requiresGrad, r["requiresGrad"] as! Bool, "\(what).requiresGrad")
            XCTAssertEqual(t.isLeaf, r["isLeaf"] as! Bool, "\(what).isLeaf")
            XCTAssertEqual(t.gradFn, r["gradFn"] as? String, "\(what).gradFn")
            XCTAssertEqual(t.version, r["version"] as! Int, "\(what).version")
            XCTAssertEqual(t.description, r["description"] as? String, "\(what).description")
        }
        guard let backward = c["backward"] as? [String: Any] else { return }
        let weights = backward["w"] as! [String: [Any]]
        for name in backward["of"] as! [String] {
            let w = Self.doubles(weights[name]!)
            switch env[name]! {
            case .float(let t): try t.backward(gradient: Tensor(w.map { Float($0) }, shape: t.shape), retainGraph: true)
            case .double(let t): try t.backward(gradient: Tensor(w, shape: t.shape), retainGraph: true)
            default: XCTFail("\(id): backward of a non-float tensor")
            }
        }
        for (name, expected) in backward["grads"] as? [String: Any] ?? [:] {
            let grad: Value? = switch env[name]! {
            case .float(let t): t.grad.map { .float($0) }
            case .double(let t): t.grad.map { .double($0) }
            default: nil
            }
            if let expected = expected as? [Any] {
                Self.assertValues(try XCTUnwrap(grad, "\(id): \(name).grad"), expected, "\(id): \(name).grad")
            } else {
                XCTAssertNil(grad, "\(id): \(name).grad should stay unset")
            }
        }
    }

    private static func assertValues(_ ours: Value, _ theirs: [Any], _ what: String) {
        let same: Bool
        switch ours {
        // Foundation's JSON parser misses a double's last bits: a Float is compared after rounding.
        case .float(let t): same = zip(t.scalars, theirs).allSatisfy { a, b in sameDouble(Double(a), Double(Float(double(b)))) }
        case .double(let t): same = zip(t.scalars, theirs).allSatisfy { a, b in sameDouble(a, double(b)) }
        case .int(let t): same = zip(t.scalars, theirs).allSatisfy { a, b in a == (b as! NSNumber).int64Value }
        case .bool(let t): same = zip(t.scalars, theirs).allSatisfy { a, b in a == (b as! NSNumber).boolValue }
        }
        XCTAssertEqual(ours.values.count, theirs.count, what)
        XCTAssertTrue(same, "\(what): \(ours.values), PyTorch \(theirs)")
    }

    /// Equal, both NaN, or a few ulps apart: Foundation's JSON parser reads 0.10000000149011612
    /// as 0.10000000149011616, three ulps off (the values are exact conversions here).
    private static func sameDouble(_ a: Double, _ b: Double) -> Bool {
        a == b || a.isNaN && b.isNaN || a.isFinite && abs(a - b) <= 8 * b.ulp
    }

    private static func double(_ v: Any) -> Double {
        if let s = v as? String { return ["nan": .nan, "inf": .infinity, "-inf": -.infinity][s]! }
        return (v as! NSNumber).doubleValue
    }

    private static func doubles(_ values: [Any]) -> [Double] { values.map(double) }

    static func steps(_ c: [String: Any]) -> [[String: Any]] { c["steps"] as! [[String: Any]] }

    static func make(dtype: String, values: [Any], shape: [Int], requiresGrad: Bool) -> Value {
        switch dtype {
        case "float32": .float(try! Tensor(doubles(values).map { Float($0) }, shape: shape, requiresGrad: requiresGrad))
        case "float64": .double(try! Tensor(doubles(values), shape: shape, requiresGrad: requiresGrad))
        case "int64": .int(try! Tensor(values.map { Int(($0 as! NSNumber).int64Value) }, shape: shape, requiresGrad: requiresGrad))
        case "bool": .bool(try! Tensor(values.map { ($0 as! NSNumber).boolValue }, shape: shape, requiresGrad: requiresGrad))
        default: fatalError("dtype \(dtype)")
        }
    }

    static func inputs(_ c: [String: Any]) -> [String: Value] {
        var env: [String: Value] = [:]
        for (name, spec) in c["inputs"] as! [String: [String: Any]] {
            env[name] = make(dtype: spec["dtype"] as! String, values: spec["values"] as! [Any],
                             shape: spec["shape"] as! [Int], requiresGrad: spec["requiresGrad"] as! Bool)
        }
        return env
    }

    static func run(_ step: [String: Any], _ env: inout [String: Value]) {
        let op = step["op"] as! String
        let out = step["out"] as? String
        let s = (step["self"] as? String).map { env[$0]! }
        let other = (step["other"] as? String).map { env[$0]! }
        let scalar = step["scalar"]
        func bind(_ v: Value) { env[out!] = v }
        switch op {
        case "init":
            bind(make(dtype: step["dtype"] as! String, values: step["values"] as! [Any], shape: step["shape"] as! [Int],
                      requiresGrad: step["requiresGrad"] as! Bool))
        case "ones", "zeros", "full":
            let shape = step["shape"] as! [Int], rg = step["requiresGrad"] as! Bool
            func made<S: TensorElement>(_: S.Type, _ value: S) -> Tensor<S> {
                op == "ones" ? .ones(shape, requiresGrad: rg) : op == "zeros" ? .zeros(shape, requiresGrad: rg)
                    : .full(shape, value: value, requiresGrad: rg)
            }
            let v = step["value"] as? NSNumber ?? 0
            switch step["dtype"] as! String {
            case "float32": bind(.float(made(Float.self, v.floatValue)))
            case "float64": bind(.double(made(Double.self, v.doubleValue)))
            case "int64": bind(.int(made(Int.self, v.intValue)))
            default: bind(.bool(made(Bool.self, v.boolValue)))
            }
        case "setRequiresGrad":
            let value = step["value"] as! Bool
            switch s! {
            case .float(let t): t.requiresGrad = value
            case .double(let t): t.requiresGrad = value
            case .int(let t): t.requiresGrad = value
            case .bool(let t): t.requiresGrad = value
            }
        case "convert": bind(s!.converted(to: step["to"] as! String))
        case ".<", ".<=", ".>", ".>=", ".==", ".!=": bind(.bool(compare(op, s!, other, scalar)))
        case ".&", ".|", ".^", ".!":
            guard case .bool(let p) = s! else { fatalError("\(op) of \(s!.dtype)") }
            var q: Tensor<Bool>? = nil
            if case .bool(let t)? = other { q = t }
            switch op {
            case ".&": bind(.bool(p .& q!))
            case ".|": bind(.bool(p .| q!))
            case ".^": bind(.bool(p .^ q!))
            default: bind(.bool(.!p))
            }
        case "any", "all":
            guard case .bool(let p) = s! else { fatalError("\(op) of \(s!.dtype)") }
            bind(.bool(op == "any" ? p.any() : p.all()))
        case "sum":
            switch s! {
            case .int(let t): bind(.int(t.sum()))
            case .double(let t): bind(.double(t.sum()))
            default: fatalError("sum of \(s!.dtype)")
            }
        case "+", "-", "*", "+=", "-=", "*=":
            switch s! {
            case .int(let t): integerArithmetic(op, t, other, scalar, reversed: step["reversed"] as? Bool ?? false, bind)
            case .double(let t) where op == "*": bind(.double(t * (scalar as! NSNumber).doubleValue))
            case .float(let t) where op == "*": bind(.float(t * (scalar as! NSNumber).floatValue))
            default: fatalError("\(op) on \(s!.dtype)")
            }
        default:
            fatalError("op \(op) is not replayed")
        }
    }

    private static func integerArithmetic(_ op: String, _ t: Tensor<Int>, _ other: Value?, _ scalar: Any?,
                                          reversed: Bool, _ bind: (Value) -> Void) {
        if case .int(let u)? = other {
            switch op {
            case "+": bind(.int(t + u))
            case "-": bind(.int(t - u))
            case "*": bind(.int(t * u))
            case "+=": t += u
            case "-=": t -= u
            default: t *= u
            }
            return
        }
        let k = (scalar as! NSNumber).intValue
        switch (op, reversed) {
        case ("+", false): bind(.int(t + k))
        case ("+", true): bind(.int(k + t))
        case ("-", false): bind(.int(t - k))
        case ("-", true): bind(.int(k - t))
        case ("*", false): bind(.int(t * k))
        case ("*", true): bind(.int(k * t))
        case ("+=", _): t += k
        case ("-=", _): t -= k
        default: t *= k
        }
    }

    private static func compare(_ op: String, _ a: Value, _ b: Value?, _ scalar: Any?) -> Tensor<Bool> {
        func ordered<S: TensorElement & Comparable>(_ x: Tensor<S>, _ y: Tensor<S>?, _ k: S?) -> Tensor<Bool> {
            switch op {
            case ".<": y.map { x .< $0 } ?? (x .< k!)
            case ".<=": y.map { x .<= $0 } ?? (x .<= k!)
            case ".>": y.map { x .> $0 } ?? (x .> k!)
            case ".>=": y.map { x .>= $0 } ?? (x .>= k!)
            case ".==": y.map { x .== $0 } ?? (x .== k!)
            default: y.map { x .!= $0 } ?? (x .!= k!)
            }
        }
        let number = scalar.map { v -> Double in double(v) }
        switch a {
        case .float(let x):
            if case .float(let y)? = b { return ordered(x, y, nil) }
            return ordered(x, nil, Float(number!))
        case .double(let x):
            if case .double(let y)? = b { return ordered(x, y, nil) }
            return ordered(x, nil, number!)
        case .int(let x):
            if case .int(let y)? = b { return ordered(x, y, nil) }
            return ordered(x, nil, Int((scalar as! NSNumber).int64Value))
        case .bool(let x):
            let y: Tensor<Bool>? = if case .bool(let t)? = b { t } else { nil }
            let k = (scalar as? NSNumber)?.boolValue
            return op == ".==" ? (y.map { x .== $0 } ?? (x .== k!)) : (y.map { x .!= $0 } ?? (x .!= k!))
        }
    }
}

/// What the replay reads of a tensor of any element type.
protocol TensorProperties {
    var shape: [Int] { get }
    var strides: [Int] { get }
    var requiresGrad: Bool { get }
    var isLeaf: Bool { get }
    var version: Int { get }
}

extension Tensor: TensorProperties {}
