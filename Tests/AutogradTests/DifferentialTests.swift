import Foundation
import XCTest
import Autograd
import _TestSupport

/// Randomized differential testing of autograd: thousands of random programs over the library's
/// op set (broadcasting shapes, values shared by several ops, `detached()` branches, `withNoGrad`
/// regions, in-place ops), each run with grad mode on and differentiated by `backward()`, then
/// checked against central finite differences in Double (`Gradcheck.check`).
///
/// The seed is printed. A failing program is printed in readable form with its seed; replay it
/// alone with `DIFFTEST_SEED=<seed> swift test --filter DifferentialTests`. Explore further with
/// `DIFFTEST_BASE=<seed>` (first program's seed) and `DIFFTEST_COUNT=<n>`.
final class DifferentialTests: XCTestCase {
    static let defaultBase: UInt64 = 20_251_126
    static var defaultCount: Int {
        #if DEBUG
        return 2_000
        #else
        return 10_000
        #endif
    }

    func testRandomProgramsAgainstFiniteDifferences() {
        let environment = ProcessInfo.processInfo.environment
        if let single = environment["DIFFTEST_SEED"].flatMap({ UInt64($0) }) {
            let program = RandomProgram(seed: single)
            print("DifferentialTests: program of seed \(single):\n\(program)")
            if let failure = program.check() { XCTFail("seed \(single): \(failure)\n\(program)") }
            return
        }
        let base = environment["DIFFTEST_BASE"].flatMap { UInt64($0) } ?? Self.defaultBase
        let count = environment["DIFFTEST_COUNT"].flatMap { Int($0) } ?? Self.defaultCount
        print("DifferentialTests: \(count) programs from seed \(base) (DIFFTEST_BASE / DIFFTEST_COUNT change them)")
        let start = Date()
        var stats = RandomProgram.Stats()
        var failures = 0
        for i in 0..<count {
            let seed = base &+ UInt64(i)
            let program = RandomProgram(seed: seed)
            stats.add(program)
            if let failure = program.check(worstError: &stats.worstError) {
                failures += 1
                XCTFail("""
                    program of seed \(seed) failed: \(failure)
                    replay: DIFFTEST_SEED=\(seed) swift test --filter DifferentialTests
                    \(program)
                    """)
                if failures >= 5 { break }
            }
        }
        print("DifferentialTests: \(stats), in \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        XCTAssertGreaterThan(stats.ops.count, 30, "the programs cover the op set: \(stats.ops.keys.sorted())")
    }

    /// The checker must be able to fail: a program whose derivative is wrong on purpose is caught.
    func testAWrongDerivativeIsCaught() {
        var generator = RandomGenerator(seed: 1)
        let input = Gradcheck.Input<Double>(values: [0.5, -1, 2], shape: [3])
        // x * stopgrad(x): the value of x², the derivative of a constant times x.
        let wrong: ([Tensor<Double>]) -> Tensor<Double>? = { xs in (xs[0] * xs[0].detached()).sum() }
        let report = Gradcheck.check(wrong, inputs: [input], unreachedInputsAllowed: true, using: &generator)
        XCTAssertEqual(report?.passed, false)
    }
}

/// A random straight-line program over the library's ops, with its concrete inputs.
struct RandomProgram: CustomStringConvertible {
    enum Binary: String, CaseIterable { case add = "+", sub = "-", mul = "*", div = "/" }
    enum Unary: String, CaseIterable { case neg, exp, log, sqrt, abs, relu, sigmoid, tanh }

    enum Op {
        case unary(Unary)
        case pow(Double)
        case scalar(Binary, Double, left: Bool)
        case binary(Binary)
        case sum, mean, max
        case sumDim(Int, Bool), meanDim(Int, Bool), maxDim(Int, Bool)
        case reshape([Int]), t, transpose(Int, Int), unsqueeze(Int), expand([Int])
        case matmul, softmax(Int), logSoftmax(Int), crossEntropy([Int]), mse, linear, detach

        var name: String {
            switch self {
            case .unary(let u): return u.rawValue
            case .pow: return "pow"
            case .scalar(let b, _, let left): return left ? "scalar\(b.rawValue)" : "\(b.rawValue)scalar"
            case .binary(let b): return b.rawValue
            case .sum: return "sum"
            case .mean: return "mean"
            case .max: return "max"
            case .sumDim: return "sum(dim:)"
            case .meanDim: return "mean(dim:)"
            case .maxDim: return "max(dim:)"
            case .reshape: return "reshaped"
            case .t: return "transposed()"
            case .transpose: return "transposed(_:_:)"
            case .unsqueeze: return "unsqueezed"
            case .expand: return "expanded"
            case .matmul: return "matmul"
            case .softmax: return "softmax"
            case .logSoftmax: return "logSoftmax"
            case .crossEntropy: return "crossEntropy"
            case .mse: return "mseLoss"
            case .linear: return "linear"
            case .detach: return "detached"
            }
        }

        /// Whether the op's node saves its result for its derivative: an in-place op on that result
        /// in grad mode makes backward throw (as PyTorch's raises), so none is proposed there.
        var savesOutput: Bool {
            switch self {
            case .unary(let u): return [.exp, .sqrt, .relu, .sigmoid, .tanh].contains(u)
            case .softmax, .logSoftmax: return true
            default: return false
            }
        }

        /// Whether the result may share its input's storage, or is a view in PyTorch (no in-place
        /// op on it then: in grad mode an in-place op on a view takes new storage, so its base
        /// would not see it (Note [In-place on views]), and on a view of a leaf that requires grad
        /// it traps, as PyTorch's does).
        var mayAlias: Bool {
            switch self {
            case .reshape, .unsqueeze, .detach, .t, .transpose, .expand: return true
            default: return false
            }
        }
    }

    enum InPlace {
        case tensor(Binary, Int)
        case scalar(Binary, Double)
        case fill(Double)
        case zero
        case copy(Int)
    }

    struct Step {
        var op: Op
        var args: [Int]
        var noGrad: Bool
        var inPlace: InPlace?
        var shape: [Int]
        /// Steps whose value takes no gradient: replayed from the grad-mode run's values when the
        /// finite differences perturb the inputs (a detached value or one computed under no-grad
        /// is a constant to autograd).
        var isFrozen: Bool {
            if noGrad { return true }
            if case .detach = op { return true }
            return false
        }
    }

    enum Value {
        case input(Int)
        case step(Step)
    }

    let seed: UInt64
    private(set) var inputs: [Gradcheck.Input<Double>] = []
    private(set) var values: [Value] = []
    private(set) var shapes: [[Int]] = []
    /// Values no step uses, each summed with a fixed weight into the result.
    private(set) var sinks: [(value: Int, weight: [Double])] = []
    /// Every value's scalars when the program was built (under no-grad).
    private(set) var expected: [[Double]] = []

    // MARK: - Building

    init(seed: UInt64) {
        self.seed = seed
        var g = RandomGenerator(seed: seed)
        var base: [Tensor<Double>] = []
        let universe = Self.shape(rank: Int(g.next() % 4), using: &g)
        for _ in 0..<(1 + Int(g.next() % 3)) {
            _ = addInput(Self.partnerShape(of: universe, using: &g), domain: "any", using: &g, base: &base)
        }
        let stepCount = 3 + Int(g.next() % 8)
        var used = Set<Int>()
        for _ in 0..<stepCount {
            for _ in 0..<40 {
                guard var step = propose(using: &g, base: &base) else { continue }
                if g.next() % 10 == 0 { step.noGrad = true }
                if g.next() % 4 == 0, !step.op.mayAlias, step.noGrad || !step.op.savesOutput {
                    step.inPlace = proposeInPlace(for: step.shape, index: values.count, using: &g, base: &base)
                }
                guard let value = Self.evaluate(step, index: values.count, base), Self.isTame(value) else { continue }
                used.formUnion(step.args)
                if case let .tensor(_, k)? = step.inPlace { used.insert(k) }
                if case let .copy(k)? = step.inPlace { used.insert(k) }
                values.append(.step(step))
                shapes.append(step.shape)
                base.append(value)
                break
            }
        }
        for (i, value) in values.enumerated() where !used.contains(i) {
            if case .step = value {
                sinks.append((i, Gradcheck.normals(count: Shape.count(shapes[i]), using: &g)))
            }
        }
        if sinks.isEmpty, let last = values.indices.last {
            sinks.append((last, Gradcheck.normals(count: Shape.count(shapes[last]), using: &g)))
        }
        expected = base.map(\.scalars)
    }

    /// A shape of `rank` with sizes 1...3 (rarely 0).
    static func shape(rank: Int, using g: inout RandomGenerator) -> [Int] {
        (0..<rank).map { _ in g.next() % 25 == 0 ? 0 : 1 + Int(g.next() % 3) }
    }

    /// A shape that broadcasts with `shape`: itself, a suffix, some sizes set to 1, or a new
    /// leading size.
    static func partnerShape(of shape: [Int], using g: inout RandomGenerator) -> [Int] {
        var out = shape
        switch g.next() % 4 {
        case 0: break
        case 1: out = Array(shape.dropFirst(Int(g.next() % UInt64(shape.count + 1))))
        case 2: out = shape.map { g.next() % 2 == 0 ? 1 : $0 }
        default: if shape.count < 3 { out.insert(1 + Int(g.next() % 3), at: 0) }
        }
        return out
    }

    /// The shape `a` and `b` broadcast to, or `nil`.
    static func broadcast(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = Swift.max(a.count, b.count)
        var out: [Int] = []
        for i in 0..<rank {
            let x = i - (rank - a.count) >= 0 ? a[i - (rank - a.count)] : 1
            let y = i - (rank - b.count) >= 0 ? b[i - (rank - b.count)] : 1
            if x == y || y == 1 { out.append(x) } else if x == 1 { out.append(y) } else { return nil }
        }
        return out
    }

    private mutating func addInput(_ shape: [Int], domain: String, using g: inout RandomGenerator,
                                   base: inout [Tensor<Double>]) -> Int {
        let values = Gradcheck.sample(domain, count: Shape.count(shape), using: &g)
        let input = Gradcheck.Input(values: values, shape: shape, requiresGrad: g.next() % 4 != 0)
        inputs.append(input)
        self.values.append(.input(inputs.count - 1))
        shapes.append(shape)
        base.append(try! Tensor<Double>(values, shape: shape))
        return self.values.count - 1
    }

    /// A value index, the newest more often than the others.
    private func pick(using g: inout RandomGenerator, where accept: (Int) -> Bool = { _ in true }) -> Int? {
        let candidates = values.indices.filter(accept)
        guard !candidates.isEmpty else { return nil }
        if g.next() % 2 == 0 { return candidates.last }
        return candidates[Int(g.next() % UInt64(candidates.count))]
    }

    /// A partner for `a` whose shape broadcasts with it: an existing value or a new input.
    private mutating func partner(for a: Int, domain: String, toShapeOf target: Bool = false,
                                  using g: inout RandomGenerator, base: inout [Tensor<Double>]) -> Int {
        let shape = shapes[a], shapes = self.shapes
        let fits: (Int) -> Bool = { i in
            guard let b = Self.broadcast(shape, shapes[i]) else { return false }
            return !target || b == shape
        }
        if g.next() % 3 != 0, let existing = pick(using: &g, where: fits) { return existing }
        var candidate = Self.partnerShape(of: shape, using: &g)
        if target && Self.broadcast(shape, candidate) != shape { candidate = shape }
        return addInput(candidate, domain: domain, using: &g, base: &base)
    }

    private static func randomDim(rank: Int, using g: inout RandomGenerator) -> Int {
        let r = Swift.max(rank, 1)
        return Int(g.next() % UInt64(2 * r)) - r
    }

    private mutating func propose(using g: inout RandomGenerator, base: inout [Tensor<Double>]) -> Step? {
        guard let a = pick(using: &g) else { return nil }
        let shape = shapes[a]
        let rank = shape.count
        let x = base[a].scalars
        let nonzero = x.allSatisfy { Swift.abs($0) > 0.2 }, positive = x.allSatisfy { $0 > 0.2 }
        func step(_ op: Op, _ args: [Int], _ result: [Int]) -> Step {
            Step(op: op, args: args, noGrad: false, inPlace: nil, shape: result)
        }
        switch g.next() % 100 {
        case 0..<20:
            let u = Unary.allCases[Int(g.next() % UInt64(Unary.allCases.count))]
            switch u {
            case .log, .sqrt: guard positive else { return nil }
            case .abs, .relu: guard x.allSatisfy({ Swift.abs($0) > 0.01 }) else { return nil }
            case .exp: guard x.allSatisfy({ $0 < 5 }) else { return nil }
            default: break
            }
            return step(.unary(u), [a], shape)
        case 20..<25:
            let p = [2, 3, -1, -2, 0.5, 1.5, 0, 1][Int(g.next() % 8)]
            if p != p.rounded() { guard positive else { return nil } }
            if p < 0 { guard nonzero else { return nil } }
            return step(.pow(p), [a], shape)
        case 25..<35:
            let b = Binary.allCases[Int(g.next() % 4)]
            let left = g.next() % 2 == 0
            if b == .div && left { guard nonzero else { return nil } }
            return step(.scalar(b, RandomGradcheckCases.signedMagnitude(using: &g), left: left), [a], shape)
        case 35..<55:
            let b = Binary.allCases[Int(g.next() % 4)]
            let other = partner(for: a, domain: b == .div ? "nonzero" : "any", using: &g, base: &base)
            let (first, second) = g.next() % 2 == 0 ? (a, other) : (other, a)
            if b == .div { guard base[second].scalars.allSatisfy({ Swift.abs($0) > 0.2 }) else { return nil } }
            return step(.binary(b), [first, second], Self.broadcast(shapes[first], shapes[second])!)
        case 55..<60:
            return step([Op.sum, .mean][Int(g.next() % 2)], [a], [])
        case 60..<67:
            let dim = Self.randomDim(rank: rank, using: &g), keep = g.next() % 2 == 0
            var result = shape
            if rank > 0 {
                let axis = dim < 0 ? dim + rank : dim
                if keep { result[axis] = 1 } else { result.remove(at: axis) }
            }
            switch g.next() % 3 {
            case 0: return step(.sumDim(dim, keep), [a], result)
            case 1: return step(.meanDim(dim, keep), [a], result)
            default:
                guard Self.hasUniqueMaxima(x, shape: shape, dim: dim) else { return nil }
                return step(.maxDim(dim, keep), [a], result)
            }
        case 67..<70:
            guard !x.isEmpty, Self.hasUniqueMaxima(x, shape: [x.count], dim: 0) else { return nil }
            return step(.max, [a], [])
        case 70..<80:
            switch g.next() % 5 {
            case 0:
                let target = RandomGradcheckCases.reshapeTarget(of: shape, using: &g)
                guard let resolved = try? Shape.inferReshape(target, count: x.count) else { return nil }
                return step(.reshape(target), [a], resolved)
            case 1:
                guard rank <= 2 else { return nil }
                return step(.t, [a], Array(shape.reversed()))
            case 2:
                let d0 = Self.randomDim(rank: rank, using: &g), d1 = Self.randomDim(rank: rank, using: &g)
                var result = shape
                if rank > 0 { result.swapAt(d0 < 0 ? d0 + rank : d0, d1 < 0 ? d1 + rank : d1) }
                return step(.transpose(d0, d1), [a], result)
            case 3:
                let dim = Int(g.next() % UInt64(2 * (rank + 1))) - (rank + 1)
                var result = shape
                result.insert(1, at: dim < 0 ? dim + rank + 1 : dim)
                return step(.unsqueeze(dim), [a], result)
            default:
                let target = RandomGradcheckCases.expandTarget(of: shape, using: &g)
                let lead = target.count - rank
                let result = target.enumerated().map { i, s in s == -1 && i >= lead ? shape[i - lead] : s }
                return step(.expand(target), [a], result)
            }
        case 80..<85:
            let shapes = self.shapes
            guard let m = pick(using: &g, where: { shapes[$0].count == 2 }) else { return nil }
            let k = shapes[m][1]
            let vector = g.next() % 3 == 0
            let fits: (Int) -> Bool = { i in
                let s = shapes[i]
                return vector ? s == [k] : s.count == 2 && s[0] == k
            }
            let other = g.next() % 2 == 0 ? pick(using: &g, where: fits) : nil
            let b = other ?? addInput(vector ? [k] : [k, 1 + Int(g.next() % 3)], domain: "any", using: &g, base: &base)
            return step(.matmul, [m, b], vector ? [shapes[m][0]] : [shapes[m][0], self.shapes[b][1]])
        case 85..<90:
            let dim = Self.randomDim(rank: rank, using: &g)
            return step(g.next() % 2 == 0 ? .softmax(dim) : .logSoftmax(dim), [a], shape)
        case 90..<93:
            guard rank == 1 || rank == 2, let classes = shape.last, classes > 0 else { return nil }
            let n = rank == 2 ? shape[0] : 1
            let targets = (0..<n).map { _ in Int(g.next() % UInt64(classes)) }
            return step(.crossEntropy(targets), [a], [])
        case 93..<95:
            let other = partner(for: a, domain: "any", using: &g, base: &base)
            return step(.mse, [a, other], [])
        case 95..<97:
            guard rank == 2 else { return nil }
            let (n, features) = (shape[0], shape[1])
            let outputs = 1 + Int(g.next() % 3)
            let w = addInput([outputs, features], domain: "any", using: &g, base: &base)
            var args = [a, w]
            if g.next() % 3 != 0 { args.append(addInput([outputs], domain: "any", using: &g, base: &base)) }
            return step(.linear, args, [n, outputs])
        default:
            return step(.detach, [a], shape)
        }
    }

    /// An in-place op for the value about to be made at `index`, of `shape`.
    private mutating func proposeInPlace(for shape: [Int], index: Int, using g: inout RandomGenerator,
                                         base: inout [Tensor<Double>]) -> InPlace? {
        switch g.next() % 8 {
        case 0..<3:
            let b = Binary.allCases[Int(g.next() % 4)]
            // x op= x; not `x *= x` (nor `x /= x`), whose node saves the x it overwrites: PyTorch's
            // backward raises there, and so does ours.
            if g.next() % 5 == 0 && (b == .add || b == .sub) { return .tensor(b, index) }
            let shapes = self.shapes
            let fits: (Int) -> Bool = { i in Self.broadcast(shape, shapes[i]) == shape }
            let rhs: Int
            if g.next() % 2 == 0, let existing = pick(using: &g, where: fits) {
                rhs = existing
            } else {
                var candidate = Self.partnerShape(of: shape, using: &g)
                if Self.broadcast(shape, candidate) != shape { candidate = shape }
                rhs = addInput(candidate, domain: b == .div ? "nonzero" : "any", using: &g, base: &base)
            }
            if b == .div { guard base[rhs].scalars.allSatisfy({ Swift.abs($0) > 0.2 }) else { return nil } }
            return .tensor(b, rhs)
        case 3..<5:
            return .scalar(Binary.allCases[Int(g.next() % 4)], RandomGradcheckCases.signedMagnitude(using: &g))
        case 5: return .fill(RandomGradcheckCases.signedMagnitude(using: &g))
        case 6: return .zero
        default:
            let shapes = self.shapes
            let fits: (Int) -> Bool = { i in Self.broadcast(shape, shapes[i]) == shape }
            guard let source = pick(using: &g, where: fits) else { return nil }
            return .copy(source)
        }
    }

    /// Whether every slice along `dim` has one maximum, clear of the others by 0.01 (so that
    /// neither the finite differences nor rounding change which element it is).
    static func hasUniqueMaxima(_ x: [Double], shape: [Int], dim: Int) -> Bool {
        let rank = shape.count
        let axis = rank == 0 ? 0 : (dim < 0 ? dim + rank : dim)
        let size = rank == 0 ? 1 : shape[axis]
        let inner = rank == 0 ? 1 : shape[(axis + 1)...].reduce(1, *)
        let outer = rank == 0 ? 1 : shape[..<axis].reduce(1, *)
        if size == 0 { return outer * inner == 0 }
        for o in 0..<outer {
            for i in 0..<inner {
                let slice = (0..<size).map { x[(o * size + $0) * inner + i] }.sorted(by: >)
                if slice.count > 1 && slice[0] - slice[1] < 0.01 { return false }
            }
        }
        return true
    }

    /// Finite and of moderate size, so that the finite differences stay accurate.
    static func isTame(_ t: Tensor<Double>) -> Bool {
        t.scalars.allSatisfy { $0.isFinite && Swift.abs($0) <= 1e3 }
    }

    // MARK: - Running

    static func apply(_ op: Op, _ a: [Tensor<Double>]) -> Tensor<Double> {
        switch op {
        case .unary(let u):
            switch u {
            case .neg: return -a[0]
            case .exp: return a[0].exp()
            case .log: return a[0].log()
            case .sqrt: return a[0].sqrt()
            case .abs: return a[0].abs()
            case .relu: return a[0].relu()
            case .sigmoid: return a[0].sigmoid()
            case .tanh: return a[0].tanh()
            }
        case .pow(let p): return a[0].pow(p)
        case let .scalar(b, s, left):
            switch (b, left) {
            case (.add, false): return a[0] + s
            case (.add, true): return s + a[0]
            case (.sub, false): return a[0] - s
            case (.sub, true): return s - a[0]
            case (.mul, false): return a[0] * s
            case (.mul, true): return s * a[0]
            case (.div, false): return a[0] / s
            case (.div, true): return s / a[0]
            }
        case .binary(let b):
            switch b {
            case .add: return a[0] + a[1]
            case .sub: return a[0] - a[1]
            case .mul: return a[0] * a[1]
            case .div: return a[0] / a[1]
            }
        case .sum: return a[0].sum()
        case .mean: return a[0].mean()
        case .max: return a[0].max()
        case let .sumDim(d, k): return a[0].sum(dim: d, keepDim: k)
        case let .meanDim(d, k): return a[0].mean(dim: d, keepDim: k)
        case let .maxDim(d, k): return a[0].max(dim: d, keepDim: k)
        case .reshape(let s): return a[0].reshaped(s)
        case .t: return a[0].transposed()
        case let .transpose(d0, d1): return a[0].transposed(d0, d1)
        case .unsqueeze(let d): return a[0].unsqueezed(dim: d)
        case .expand(let s): return a[0].expanded(to: s)
        case .matmul: return a[0].matmul(a[1])
        case .softmax(let d): return a[0].softmax(dim: d)
        case .logSoftmax(let d): return a[0].logSoftmax(dim: d)
        case .crossEntropy(let t): return crossEntropy(logits: a[0], targets: t)
        case .mse: return mseLoss(a[0], a[1])
        case .linear: return linear(a[0], weight: a[1], bias: a.count > 2 ? a[2] : nil)
        case .detach: return a[0].detached()
        }
    }

    static func apply(_ p: InPlace, to t: Tensor<Double>, index: Int, _ values: [Tensor<Double>]) {
        func operand(_ k: Int) -> Tensor<Double> { k == index ? t : values[k] }
        switch p {
        case let .tensor(b, k):
            switch b {
            case .add: t += operand(k)
            case .sub: t -= operand(k)
            case .mul: t *= operand(k)
            case .div: t /= operand(k)
            }
        case let .scalar(b, s):
            switch b {
            case .add: t += s
            case .sub: t -= s
            case .mul: t *= s
            case .div: t /= s
            }
        case .fill(let v): t.fill(v)
        case .zero: t.zero()
        case .copy(let k): t.copy(from: operand(k))
        }
    }

    /// One step on the values so far, with its in-place op, under no-grad if the step says so.
    static func evaluate(_ step: Step, index: Int, _ values: [Tensor<Double>]) -> Tensor<Double>? {
        func body() -> Tensor<Double> {
            let t = apply(step.op, step.args.map { values[$0] })
            if let p = step.inPlace { apply(p, to: t, index: index, values) }
            return t
        }
        let t = step.noGrad ? withNoGrad(body) : body()
        guard t.shape == step.shape else { return nil }
        return t
    }

    /// Runs the program on `xs` (one tensor per input). With grad mode on (the run that is
    /// differentiated) it keeps the values of frozen steps in `frozen` and every value in
    /// `trace`; under no-grad (the finite differences) it replays frozen steps from `frozen`.
    func run(_ xs: [Tensor<Double>], frozen: inout [Int: [Double]], trace: inout [[Double]]) -> Tensor<Double> {
        let differentiated = GradMode.isEnabled
        var out: [Tensor<Double>] = []
        for (i, value) in values.enumerated() {
            switch value {
            case .input(let j):
                out.append(xs[j])
            case .step(let step):
                if !differentiated && step.isFrozen {
                    out.append(try! Tensor<Double>(frozen[i]!, shape: step.shape))
                    continue
                }
                let t = Self.evaluate(step, index: i, out)!
                if differentiated && step.isFrozen { frozen[i] = t.scalars }
                out.append(t)
            }
            if differentiated { trace.append(out[i].scalars) }
        }
        var loss = Tensor<Double>(0)
        for (i, weight) in sinks {
            loss = loss + (out[i] * (try! Tensor<Double>(weight, shape: shapes[i]))).sum()
        }
        return loss
    }

    /// Runs the checks; `nil` when all pass, else what failed.
    func check() -> String? {
        var worst = 0.0
        return check(worstError: &worst)
    }

    func check(worstError: inout Double) -> String? {
        var frozen: [Int: [Double]] = [:]
        var trace: [[Double]] = []
        var generator = RandomGenerator(seed: seed ^ 0x5eed)
        let report = Gradcheck.check({ xs in run(xs, frozen: &frozen, trace: &trace) }, inputs: inputs,
                                     eps: 1e-6, tolerance: 1e-5, unreachedInputsAllowed: true,
                                     using: &generator)!
        worstError = Swift.max(worstError, report.worstError)
        // Grad mode must compute the values no-grad computes (in-place ops included).
        for (i, (a, b)) in zip(trace, expected).enumerated() where a != b {
            return "v\(i) is \(a) with grad mode on but \(b) under no-grad"
        }
        guard report.passed else { return report.failures.prefix(5).joined(separator: "; ") }
        return nil
    }

    // MARK: - Reading

    var description: String {
        var lines = ["// seed \(seed)"]
        func name(_ i: Int) -> String {
            if case .input(let j) = values[i] { return "x\(j)" }
            return "v\(i)"
        }
        func number(_ x: Double) -> String { String(format: "%.6g", x) }
        for (i, value) in values.enumerated() {
            switch value {
            case .input(let j):
                let input = inputs[j]
                let flag = input.requiresGrad ? ", requiresGrad: true" : ""
                lines.append("let x\(j) = try Tensor<Double>([\(input.values.map(number).joined(separator: ", "))], shape: \(input.shape)\(flag))")
            case .step(let s):
                let a = s.args.map(name)
                let expression: String
                switch s.op {
                case .unary(let u): expression = u == .neg ? "-\(a[0])" : "\(a[0]).\(u.rawValue)()"
                case .pow(let p): expression = "\(a[0]).pow(\(number(p)))"
                case let .scalar(b, v, left): expression = left ? "\(number(v)) \(b.rawValue) \(a[0])" : "\(a[0]) \(b.rawValue) \(number(v))"
                case .binary(let b): expression = "\(a[0]) \(b.rawValue) \(a[1])"
                case .sum: expression = "\(a[0]).sum()"
                case .mean: expression = "\(a[0]).mean()"
                case .max: expression = "\(a[0]).max()"
                case let .sumDim(d, k): expression = "\(a[0]).sum(dim: \(d), keepDim: \(k))"
                case let .meanDim(d, k): expression = "\(a[0]).mean(dim: \(d), keepDim: \(k))"
                case let .maxDim(d, k): expression = "\(a[0]).max(dim: \(d), keepDim: \(k))"
                case .reshape(let shape): expression = "\(a[0]).reshaped(\(shape))"
                case .t: expression = "\(a[0]).transposed()"
                case let .transpose(d0, d1): expression = "\(a[0]).transposed(\(d0), \(d1))"
                case .unsqueeze(let d): expression = "\(a[0]).unsqueezed(dim: \(d))"
                case .expand(let shape): expression = "\(a[0]).expanded(to: \(shape))"
                case .matmul: expression = "\(a[0]).matmul(\(a[1]))"
                case .softmax(let d): expression = "\(a[0]).softmax(dim: \(d))"
                case .logSoftmax(let d): expression = "\(a[0]).logSoftmax(dim: \(d))"
                case .crossEntropy(let t): expression = "crossEntropy(logits: \(a[0]), targets: \(t))"
                case .mse: expression = "mseLoss(\(a[0]), \(a[1]))"
                case .linear: expression = "linear(\(a[0]), weight: \(a[1]), bias: \(a.count > 2 ? a[2] : "nil"))"
                case .detach: expression = "\(a[0]).detached()"
                }
                let mode = s.noGrad ? "   // under withNoGrad" : ""
                lines.append("let v\(i) = \(expression)\(mode)   // \(s.shape)")
                if let p = s.inPlace {
                    let text: String
                    switch p {
                    case let .tensor(b, k): text = "v\(i) \(b.rawValue)= \(k == i ? "v\(i)" : name(k))"
                    case let .scalar(b, v): text = "v\(i) \(b.rawValue)= \(number(v))"
                    case .fill(let v): text = "v\(i).fill(\(number(v)))"
                    case .zero: text = "v\(i).zero()"
                    case .copy(let k): text = "v\(i).copy(from: \(name(k)))"
                    }
                    lines.append(text + mode)
                }
            }
        }
        let terms = sinks.map { "(\(name($0.value)) * w\($0.value)).sum()" }
        lines.append("let result = " + terms.joined(separator: " + ") + "   // w: fixed random weights")
        return lines.joined(separator: "\n")
    }

    /// What a run of many programs covered.
    struct Stats: CustomStringConvertible {
        var programs = 0, steps = 0, inPlace = 0, noGrad = 0, detached = 0, sharedValues = 0, inputs = 0
        var ops: [String: Int] = [:]
        var worstError = 0.0

        mutating func add(_ p: RandomProgram) {
            programs += 1
            inputs += p.inputs.count
            var uses: [Int: Int] = [:]
            for case .step(let s) in p.values {
                steps += 1
                ops[s.op.name, default: 0] += 1
                if s.inPlace != nil { inPlace += 1 }
                if s.noGrad { noGrad += 1 }
                if case .detach = s.op { detached += 1 }
                for a in s.args { uses[a, default: 0] += 1 }
            }
            sharedValues += uses.values.filter { $0 > 1 }.count
        }

        var description: String {
            "\(programs) programs, \(steps) ops (\(ops.count) kinds), \(inputs) inputs, \(sharedValues) values used twice or more, "
                + "\(inPlace) in-place, \(noGrad) under no-grad, \(detached) detached; worst relative error \(worstError)"
        }
    }
}
