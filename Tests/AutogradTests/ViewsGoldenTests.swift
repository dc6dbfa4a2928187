import Foundation
import XCTest
import Autograd
import _TestSupport

/// The view ops of API.md "Views share storage", replayed against PyTorch 2.11.
///
/// `Tests/Fixtures/views.json` (written by `make_views_fixture.py`) holds small programs in the
/// step language of Tests/Fixtures/README.md and what PyTorch read after them: values, shape,
/// strides, storage offset, `_is_view()`, `is_contiguous()`, `grad_fn`, `_version`, which tensors
/// share storage or are the same object, and the inputs' gradients after a weighted-sum backward.
/// This test interprets the same steps with the Swift API and compares all of it.
/// `Tests/Fixtures/view_chains.json` (`make_view_chains_fixture.py`) holds random chains of the
/// same ops, compared the same way. `Tests/Fixtures/view_errors.json`
/// (`make_view_errors_fixture.py`) holds misuses of the ops and PyTorch's messages; ours trap
/// with the same text, checked in a child process (`expectTrap`).
///
/// A case is replayed only when every op it uses is in ``replayedOps``; the others are skipped
/// by op name (``skippedOps`` says why), and an op in neither list fails the test, so that a
/// case can't go unreplayed unnoticed. The interpreter (``run(_:_:_:)``, subscripts included,
/// and the gathering ops of indexing.json, whose `Int` and `Bool` inputs sit beside the `Double`
/// environment in an ``IndexInputs``) and the comparison (``replay(_:)``) serve
/// IndexingGoldenTests too.
final class ViewsGoldenTests: XCTestCase {
    typealias D = Tensor<Double>

    /// The ops of the step language this test replays.
    private static let replayedOps: Set<String> = [
        "transposed", "permuted", "expanded", "unsqueezed", "squeezed", "reshaped", "flattened", "select",
        "narrow", "split", "chunked", "unbind", "contiguous", "cloned", "detached", "*",
        "+=", "-=", "*=", "/=", "fill", "zero", "copy", "subscript", "subscriptSet",
    ]

    /// The ops of views.json whose cases are not replayed, and why (none left: in-place ops are
    /// replayed, writes through views rebase the base, CopySlices; so are subscripts, whose
    /// tensor-index cases are in indexing.json).
    private static let skippedOps: [String: String] = [:]

    /// Cases of what this library does not do like PyTorch yet (README, "Differences from
    /// PyTorch"; Note [In-place on views]), by id, with the reason. Each is checked to still exist.
    private static let knownDifferences: [String: String] = [
        "inplace.constantTakesHistory.mulThenRead": "a view without history taking history from the right-hand side gets new storage",
    ]

    static func cases(_ file: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: Fixtures.url(file))
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(root["torch"] as? String, "2.11.0")
        return try XCTUnwrap(root["cases"] as? [[String: Any]])
    }

    static func steps(_ c: [String: Any]) -> [[String: Any]] { c["steps"] as! [[String: Any]] }

    /// The ops of `c` that are not replayed (empty when the case is replayed); fails on an op in
    /// neither list.
    private func unreplayedOps(_ c: [String: Any], file: StaticString = #filePath, line: UInt = #line) -> Set<String> {
        var out = Set<String>()
        for step in Self.steps(c) {
            let op = step["op"] as! String
            if Self.replayedOps.contains(op) { continue }
            if Self.skippedOps[op] == nil { XCTFail("\(c["id"]!): op \(op) is neither replayed nor skipped", file: file, line: line) }
            out.insert(op)
        }
        return out
    }

    // MARK: - Replaying

    func testViewsFixture() throws {
        try replayAll("views.json")
    }

    /// Random chains of the same ops, where the corner cases of layouts meet (sizes 0 and 1,
    /// reshapes of strided views, clones of non-dense tensors).
    func testViewChainsFixture() throws {
        try replayAll("view_chains.json")
    }

    /// Replays every case of `file` whose ops are all replayed and that raises nowhere, and
    /// prints how many were skipped, and for which ops.
    private func replayAll(_ file: String) throws {
        var replayed = 0, failing = 0
        var skipped: [String: Int] = [:]   // op -> cases skipped for it
        var skippedCases = 0
        let all = try Self.cases(file)
        if file == "views.json" {
            for id in Self.knownDifferences.keys { XCTAssertTrue(all.contains { $0["id"] as! String == id }, "no case \(id)") }
        }
        for c in all where Self.knownDifferences[c["id"] as! String] == nil {
            let missing = unreplayedOps(c)
            if !missing.isEmpty {
                skippedCases += 1
                for op in missing { skipped[op, default: 0] += 1 }
                continue
            }
            if c["error"] is [String: Any] {
                failing += 1   // replayed by testViewsFixtureErrorsTrap
                continue
            }
            try Self.replay(c)
            replayed += 1
        }
        let reasons = skipped.keys.sorted().map { "\($0) (\(skipped[$0]!): \(Self.skippedOps[$0]!))" }
        print("\(file): \(replayed) cases replayed, \(failing) error cases left to testViewsFixtureErrorsTrap, "
              + "\(skippedCases) skipped for ops not replayed" + (reasons.isEmpty ? "" : ": " + reasons.joined(separator: "; ")))
        XCTAssertGreaterThan(replayed, 0)
    }

    /// The cases that raise in PyTorch (views.json's replayable ones and view_errors.json) trap
    /// here with PyTorch's message.
    func testViewsFixtureErrorsTrap() throws {
        var checked = 0
        for file in ["views.json", "view_chains.json", "view_errors.json"] {
            for c in try Self.cases(file) where Self.knownDifferences[c["id"] as! String] == nil {
                guard let error = c["error"] as? [String: Any], unreplayedOps(c).isEmpty else { continue }
                let id = c["id"] as! String
                let step = error["step"] as! Int
                let message = error["message"] as! String
                // `step == steps.count`: the steps run and the backward raises.
                let steps = Self.steps(c)
                expectTrap(id, message: message) {
                    var env = Self.inputs(c)
                    for s in steps[..<Swift.min(step + 1, steps.count)] { Self.run(s, &env) }
                    if step == steps.count { try? Self.runBackward(c, env) }
                }
                checked += 1
            }
        }
        print("error cases checked in child processes: \(checked)")
        XCTAssertGreaterThan(checked, 0)
    }

    /// Runs case `c` and compares what it reads, and the gradients of its backward, with PyTorch's
    /// (also for IndexingGoldenTests).
    static func replay(_ c: [String: Any]) throws {
        let id = c["id"] as! String
        let inputSpecs = c["inputs"] as! [String: [String: Any]]
        var env = Self.inputs(c)
        let indexInputs = Self.indexInputs(c)
        var bound = Array(inputSpecs.keys)   // binding order; the inputs' own order doesn't matter here
        for step in Self.steps(c) {
            Self.run(step, &env, indexInputs)
            bound += Self.names(step)
        }

        // Storage numbers: equal numbers are the same storage, different numbers different ones.
        var storageOf: [Int: ObjectIdentifier] = [:]
        var numberOf: [ObjectIdentifier: Int] = [:]
        func bindStorage(_ number: Int, _ t: D, _ what: String) {
            let ours = ObjectIdentifier(t.data.storage)
            if let known = storageOf[number] {
                XCTAssertEqual(known, ours, "\(id).\(what): storage \(number) should be shared")
            } else if let other = numberOf[ours] {
                XCTFail("\(id).\(what): shares storage \(other), PyTorch's is \(number) of its own")
            } else {
                storageOf[number] = ours
                numberOf[ours] = number
            }
        }

        let results = c["results"] as! [String: [String: Any]]
        for (name, r) in results {
            let t = try XCTUnwrap(env[name], "\(id): \(name) was not bound")
            let what = "\(id).\(name)"
            XCTAssertEqual(r["dtype"] as? String, "float64", what)
            XCTAssertEqual(t.shape, r["shape"] as! [Int], "\(what).shape")
            XCTAssertEqual(t.strides, r["strides"] as! [Int], "\(what).strides")
            XCTAssertEqual(t.data.offset, r["storageOffset"] as! Int, "\(what).storageOffset")
            XCTAssertEqual(t.isView, r["isView"] as! Bool, "\(what).isView")
            XCTAssertEqual(t.isContiguous, r["isContiguous"] as! Bool, "\(what).isContiguous")
            if let values = r["values"] as? [Any] { assertValues(t.scalars, values, "\(what).values") }   // null past 256 elements
            XCTAssertEqual(t.requiresGrad, r["requiresGrad"] as! Bool, "\(what).requiresGrad")
            XCTAssertEqual(t.isLeaf, r["isLeaf"] as! Bool, "\(what).isLeaf")
            XCTAssertEqual(t.gradFn?.name, r["gradFn"] as? String, "\(what).gradFn")
            XCTAssertEqual(t.version, r["version"] as! Int, "\(what).version")
            bindStorage(r["storage"] as! Int, t, name)
            let earlier = bound[..<bound.firstIndex(of: name)!].filter { env[$0] === t }
            if let same = r["sameAs"] as? String {
                XCTAssertTrue(env[same]! === t, "\(what) should be the same object as \(same)")
            } else {
                XCTAssertEqual(earlier, [], "\(what) should be a new object")
            }
        }
        // The inputs are numbered first: an input without a record shares no storage numbered
        // after the inputs (a record that aliases it has a number below `inputs.count`).
        for (name, t) in env where inputSpecs[name] != nil {
            if let number = numberOf[ObjectIdentifier(t.data.storage)] {
                XCTAssertLessThan(number, inputSpecs.count, "\(id).\(name): an input's storage")
            } else if inputSpecs.count == 1 {
                bindStorage(0, t, name)
            }
        }

        guard let backward = c["backward"] as? [String: Any] else { return }
        try Self.runBackward(c, env)
        let grads = backward["grads"] as! [String: Any]
        for (name, expected) in grads {
            let grad = env[name]!.grad
            if let expected = expected as? [Any] {
                guard let grad else { XCTFail("\(id): \(name).grad is nil"); continue }
                XCTAssertEqual(grad.shape, env[name]!.shape, "\(id): \(name).grad shape")
                assertValues(grad.scalars, expected, "\(id): \(name).grad")
            } else {
                XCTAssertNil(grad, "\(id): \(name).grad should stay unset")
            }
        }
    }

    /// The case's backward: `loss = Σ (n * w[n]).sum()` over the names of `backward.of`, then
    /// `loss.backward()` (README, "Backward").
    static func runBackward(_ c: [String: Any], _ env: [String: D]) throws {
        let backward = c["backward"] as! [String: Any]
        let weights = backward["w"] as! [String: [Any]]
        var loss: D?
        for name in backward["of"] as! [String] {
            let t = env[name]!
            let w = try D(Self.doubles(weights[name]!), shape: t.shape)
            let term = (t * w).sum()
            loss = loss.map { $0 + term } ?? term
        }
        try XCTUnwrap(loss, "\(c["id"]!): no loss").backward()
    }

    private static func assertValues(_ ours: [Double], _ theirs: [Any], _ what: String,
                                     file: StaticString = #filePath, line: UInt = #line) {
        let expected = Self.doubles(theirs)
        XCTAssertEqual(ours.count, expected.count, what, file: file, line: line)
        // The programs move values and add multiples of 1/4: exact in Double.
        for (a, b) in zip(ours, expected) where !(a == b || a.isNaN && b.isNaN) {
            XCTFail("\(what): \(ours), PyTorch \(expected)", file: file, line: line)
            return
        }
    }

    // MARK: - The step language

    private static func double(_ v: Any) -> Double {
        if let s = v as? String { return ["nan": .nan, "inf": .infinity, "-inf": -.infinity][s]! }
        return (v as! NSNumber).doubleValue
    }

    private static func doubles(_ values: [Any]) -> [Double] { values.map(double) }

    /// The case's float64 inputs: fresh, contiguous, non-view leaves (its int64 and bool ones are
    /// ``indexInputs(_:)``).
    static func inputs(_ c: [String: Any]) -> [String: D] {
        var env: [String: D] = [:]
        for (name, spec) in c["inputs"] as! [String: [String: Any]] where spec["dtype"] as? String != "int64" && spec["dtype"] as? String != "bool" {
            precondition(spec["dtype"] as? String == "float64", "only float64, int64 and bool inputs are replayed")
            env[name] = try! D(doubles(spec["values"] as! [Any]), shape: spec["shape"] as! [Int],
                               requiresGrad: spec["requiresGrad"] as! Bool)
        }
        return env
    }

    /// The `Tensor<Int>` and `Tensor<Bool>` inputs of a case (indices, masks, conditions), which
    /// the `Double` environment can't hold; steps only read them.
    struct IndexInputs {
        var ints: [String: Tensor<Int>] = [:]
        var bools: [String: Tensor<Bool>] = [:]

        /// Each by name, as a subscript index.
        var asIndices: [String: any TensorIndexExpression] {
            ints.mapValues { $0 as any TensorIndexExpression }.merging(bools.mapValues { $0 }) { a, _ in a }
        }
    }

    /// The case's int64 and bool inputs.
    static func indexInputs(_ c: [String: Any]) -> IndexInputs {
        var out = IndexInputs()
        for (name, spec) in c["inputs"] as! [String: [String: Any]] {
            let (values, shape) = (spec["values"] as! [Any], spec["shape"] as! [Int])
            switch spec["dtype"] as! String {
            case "int64": out.ints[name] = try! Tensor<Int>(values.map { $0 as! Int }, shape: shape)
            case "bool": out.bools[name] = try! Tensor<Bool>(values.map { $0 as! Bool }, shape: shape)
            default: continue
            }
        }
        return out
    }

    /// The names a step binds: its `out`, or its `outs` (split, chunked, unbind).
    private static func names(_ step: [String: Any]) -> [String] {
        (step["out"] as? String).map { [$0] } ?? step["outs"] as? [String] ?? []   // in place: none
    }

    /// Runs one step of ``replayedOps`` (or of IndexingGoldenTests's) with the Swift API and binds
    /// its result; `indexInputs` are the case's `Int` and `Bool` tensors.
    static func run(_ step: [String: Any], _ env: inout [String: D], _ indexInputs: IndexInputs = IndexInputs()) {
        let op = step["op"] as! String
        if op == "where" {   // static: no `self`
            let (a, b) = (env[step["a"] as! String]!, env[step["b"] as! String]!)
            env[step["out"] as! String] = D.where(indexInputs.bools[step["condition"] as! String]!, a, b)
            return
        }
        let s = env[step["self"] as! String]!
        func int(_ key: String) -> Int { step[key] as! Int }
        // In place: nothing to bind.
        let other = (step["other"] as? String).map { env[$0]! }
        switch op {
        case "+=": if let other { s += other } else { s += double(step["scalar"]!) }; return
        case "-=": if let other { s -= other } else { s -= double(step["scalar"]!) }; return
        case "*=": if let other { s *= other } else { s *= double(step["scalar"]!) }; return
        case "/=": if let other { s /= other } else { s /= double(step["scalar"]!) }; return
        case "fill": s.fill(double(step["value"]!)); return
        case "zero": s.zero(); return
        case "copy": s.copy(from: env[step["source"] as! String]!); return
        case "subscriptSet":
            let indices = tensorIndices(fromJSON: step["indices"] as! [Any], tensors: indexInputs.asIndices)!
            if let source = step["source"] as? String {
                s.setSubscript(indices, env[source]!)
            } else {
                s.setSubscript(indices, double(step["scalar"]!))
            }
            return
        default: break
        }
        let several: [D]
        switch op {
        case "split":
            several = (step["sizes"] as? [Int]).map { s.split(sizes: $0, dim: int("dim")) } ?? s.split(size: int("size"), dim: int("dim"))
        case "chunked": several = s.chunked(int("chunks"), dim: int("dim"))
        case "unbind": several = s.unbind(dim: int("dim"))
        default: several = [one(op, s, step, env, indexInputs)]
        }
        let names = Self.names(step)
        precondition(names.count == several.count, "\(op) returned \(several.count) tensors, PyTorch \(names.count)")
        for (name, t) in zip(names, several) { env[name] = t }
    }

    /// The result of a step that returns one tensor.
    private static func one(_ op: String, _ s: D, _ step: [String: Any], _ env: [String: D], _ indexInputs: IndexInputs) -> D {
        func int(_ key: String) -> Int { step[key] as! Int }
        func index() -> Tensor<Int> { indexInputs.ints[step["index"] as! String]! }
        let out: D
        switch op {
        case "transposed":
            if let dims = step["dims"] as? [Int] { out = s.transposed(dims[0], dims[1]) } else { out = s.transposed() }
        case "permuted": out = s.permuted(step["dims"] as! [Int])
        case "expanded": out = s.expanded(to: step["shape"] as! [Int])
        case "unsqueezed": out = s.unsqueezed(dim: int("dim"))
        case "squeezed": out = step["dim"] == nil ? s.squeezed() : s.squeezed(dim: int("dim"))
        case "reshaped": out = s.reshaped(step["shape"] as! [Int])
        case "flattened": out = s.flattened(startDim: int("startDim"), endDim: int("endDim"))
        case "select": out = s.select(dim: int("dim"), index: int("index"))
        case "narrow": out = s.narrow(dim: int("dim"), start: int("start"), length: int("length"))
        case "contiguous": out = s.contiguous()
        case "cloned": out = s.cloned()
        case "detached": out = s.detached()
        case "subscript": out = s.subscripted(tensorIndices(fromJSON: step["indices"] as! [Any], tensors: indexInputs.asIndices)!)
        case "indexSelect": out = s.indexSelect(dim: int("dim"), index: index())
        case "gather": out = s.gather(dim: int("dim"), index: index())
        case "scatterAdd": out = s.scatterAdd(dim: int("dim"), index: index(), source: env[step["source"] as! String]!)
        case "maskedFill": out = s.maskedFill(indexInputs.bools[step["mask"] as! String]!, with: double(step["value"]!))
        case "*":
            if let other = step["other"] as? String {
                out = s * env[other]!
            } else {
                let scalar = double(step["scalar"]!)
                out = step["reversed"] as? Bool == true ? scalar * s : s * scalar
            }
        default: preconditionFailure("op \(op) is not replayed")
        }
        return out
    }
}
