import Foundation
import XCTest
import Autograd
import _TestSupport

/// `cat`, `stack`, `split`, `chunked`, `unbind`: nodes with several inputs or outputs, replayed
/// from the programs PyTorch 2.11 ran (Tests/Fixtures/indexing.json and views.json, "The step
/// language" in their README): values, shapes, strides, views and shared storage, `grad_fn`
/// names, input gradients, and the messages of misuse (in a child process).
final class JoiningGoldenTests: XCTestCase {
    static let ops: Set<String> = ["cat", "stack", "split", "chunked", "unbind"]

    private static func cases() throws -> [[String: Any]] {
        var all: [[String: Any]] = []
        for file in ["indexing.json", "views.json"] {
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url(file))) as! [String: Any]
            all += (json["cases"] as! [[String: Any]]).filter { c in
                let steps = c["steps"] as! [[String: Any]]
                let names = steps.map { $0["op"] as! String }
                let dtypes = (c["inputs"] as! [String: [String: Any]]).values.map { $0["dtype"] as! String }
                // Only programs of these ops (and the `x * 1` that gives a base history), in Double.
                return names.contains(where: ops.contains) && names.allSatisfy { ops.contains($0) || $0 == "*" }
                    && dtypes.allSatisfy { $0 == "float64" } && !(c["id"] as! String).hasPrefix("inplace.")
            }
        }
        return all
    }

    private static func doubles(_ any: Any?) -> [Double] {
        (any as! [Any]).map { v in
            if let s = v as? String { return s == "nan" ? .nan : (s == "inf" ? .infinity : -.infinity) }
            return (v as! NSNumber).doubleValue
        }
    }

    /// Runs the steps of `c`; returns the named tensors.
    private static func run(_ c: [String: Any]) -> [String: Tensor<Double>] {
        var env: [String: Tensor<Double>] = [:]
        for (name, spec) in c["inputs"] as! [String: [String: Any]] {
            env[name] = try! Tensor<Double>(doubles(spec["values"]), shape: spec["shape"] as! [Int],
                                            requiresGrad: spec["requiresGrad"] as! Bool)
        }
        for step in c["steps"] as! [[String: Any]] {
            let me = (step["self"] as? String).map { env[$0]! }
            let dim = step["dim"] as? Int ?? 0
            var outs: [Tensor<Double>]
            switch step["op"] as! String {
            case "cat": outs = [Tensor.cat((step["tensors"] as! [String]).map { env[$0]! }, dim: dim)]
            case "stack": outs = [Tensor.stack((step["tensors"] as! [String]).map { env[$0]! }, dim: dim)]
            case "split":
                if let size = step["size"] as? Int { outs = me!.split(size: size, dim: dim) }
                else { outs = me!.split(sizes: step["sizes"] as! [Int], dim: dim) }
            case "chunked": outs = me!.chunked(step["chunks"] as! Int, dim: dim)
            case "unbind": outs = me!.unbind(dim: dim)
            case "*": outs = [me! * (step["scalar"] as! NSNumber).doubleValue]
            case let op: fatalError("no replay for \(op)")
            }
            if let out = step["out"] as? String { env[out] = outs[0] }
            for (name, t) in zip(step["outs"] as? [String] ?? [], outs) { env[name] = t }
        }
        return env
    }

    func testPrograms() throws {
        let cases = try Self.cases()
        XCTAssertGreaterThan(cases.count, 40)
        var replayed = 0
        for c in cases where c["error"] is NSNull {
            let id = c["id"] as! String
            let env = Self.run(c)
            var storages: [Int: ObjectIdentifier] = [:]
            for (name, record) in c["results"] as! [String: [String: Any]] {
                let t = try XCTUnwrap(env[name], id)
                XCTAssertEqual(t.shape, record["shape"] as! [Int], "\(id) \(name) shape")
                XCTAssertEqual(t.strides, record["strides"] as! [Int], "\(id) \(name) strides")
                XCTAssertEqual(t.data.offset, record["storageOffset"] as! Int, "\(id) \(name) offset")
                XCTAssertEqual(t.isContiguous, record["isContiguous"] as! Bool, "\(id) \(name) contiguous")
                XCTAssertEqual(t.gradFn?.name, record["gradFn"] as? String, "\(id) \(name) grad_fn")
                XCTAssertAllClose(t.scalars, Self.doubles(record["values"]), atol: 1e-12, rtol: 1e-12, "\(id) \(name) values")
                // Equal numbers mean shared storage there; here too.
                let storage = record["storage"] as! Int, mine = ObjectIdentifier(t.data.storage)
                if let seen = storages[storage] { XCTAssertEqual(seen, mine, "\(id) \(name) shares storage") }
                storages[storage] = mine
            }
            XCTAssertEqual(Set(storages.values).count, storages.count, "\(id): storage shared only where PyTorch shares it")
            if let backward = c["backward"] as? [String: Any] {
                let w = backward["w"] as! [String: Any]
                var loss: Tensor<Double>?
                for name in backward["of"] as! [String] {
                    let t = env[name]!
                    let term = (t * (try Tensor<Double>(Self.doubles(w[name]), shape: t.shape))).sum()
                    loss = loss.map { $0 + term } ?? term
                }
                try loss!.backward()
                for (input, expected) in backward["grads"] as? [String: Any] ?? [:] {
                    if expected is NSNull {
                        XCTAssertNil(env[input]!.grad, "\(id) grad of \(input)")
                    } else {
                        XCTAssertAllClose(try XCTUnwrap(env[input]!.grad, "\(id) \(input)").scalars, Self.doubles(expected), atol: 1e-12, rtol: 1e-12,
                                          "\(id) grad of \(input)")
                    }
                }
            }
            replayed += 1
        }
        XCTAssertGreaterThan(replayed, 35)
    }

    /// Each misuse traps with PyTorch's message (the fixture's error cases), in a child process.
    func testMisuseMessages() throws {
        for c in try Self.cases() {
            guard let error = c["error"] as? [String: Any] else { continue }
            expectTrap(c["id"] as! String, message: error["message"] as? String) { _ = Self.run(c) }
        }
    }

    /// In-place on an output of a node with several outputs traps, as PyTorch raises; under
    /// no-grad it writes through to the input.
    func testOutputsOfASplitRefuseInPlace() throws {
        let x = try Tensor<Double>([1, 2, 3, 4], shape: [4], requiresGrad: true)
        expectTrap("split", message: "Output 1 of SplitBackward0 is a view and is being modified inplace. This view is the output of a function that returns multiple views.") {
            let parts = (x * 1).split(size: 2)
            parts[1] += 1
        }
        expectTrap("unbind", message: "Output 0 of UnbindBackward0 is a view") {
            (x * 1).unbind()[0].fill(0)
        }
        let y = try Tensor<Double>([1, 2, 3, 4], shape: [4])
        let parts = y.split(size: 2)
        parts[1] += 1
        XCTAssertEqual(y.scalars, [1, 2, 4, 5])
        XCTAssertEqual(y.version, 1)
    }

    /// Gradients reach only the outputs that were used; the others count as zeros; a retained
    /// gradient of one output is its own.
    func testUnusedOutputsAndRetainedGradients() throws {
        let x = try Tensor<Double>((0..<6).map(Double.init), shape: [3, 2], requiresGrad: true)
        let rows = x.unbind(dim: 0)
        rows[2].retainGrad()
        try (rows[2] * 3).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [0, 0, 0, 0, 3, 3])
        XCTAssertEqual(rows[2].grad?.scalars, [3, 3])
        // Backward from an output other than the last.
        let z = try Tensor<Double>([1, 2, 3], shape: [3], requiresGrad: true)
        let pieces = z.split(size: 1)
        try pieces[0].backward(gradient: try Tensor<Double>([5], shape: [1]))
        XCTAssertEqual(z.grad?.scalars, [5, 0, 0])
    }

    /// `cat` of eight inputs (six past the record's two edges), some needing no gradient, one used twice.
    func testCatOfManyInputs() throws {
        let parts = try (0..<8).map { k in try Tensor<Double>([Double(k), Double(k) + 0.5], shape: [1, 2], requiresGrad: k % 3 != 1) }
        let joined = Tensor.cat(parts + [parts[7]], dim: 0)
        XCTAssertEqual(joined.shape, [9, 2])
        let weights = try Tensor<Double>((0..<18).map { Double($0) }, shape: [9, 2])
        try (joined * weights).sum().backward()
        for (k, p) in parts.enumerated() {
            if k % 3 == 1 { XCTAssertNil(p.grad); continue }
            let own = [Double(2 * k), Double(2 * k + 1)]
            XCTAssertEqual(p.grad?.scalars, k == 7 ? [own[0] + 16, own[1] + 17] : own, "part \(k)")
        }
    }
    /// The slices of `cat`'s gradient along a later dimension, copied in one pass when every
    /// input is a leaf: each leaf's grad is its row-major slice, with a leaf used twice, one
    /// needing no gradient, a non-leaf input (views) and a strided gradient from the caller
    /// (slice by slice).
    func testCatGradientSlicesIntoLeavesAlongALaterDimension() throws {
        let sizes = [1, 2, 3]
        // weights[i, j, k] = 21i + 3j + k over cat(parts + [parts[0]], dim: 1), of shape [2, 7, 3].
        let weights = Tensor<Double>.arange(42).reshaped([2, 7, 3])
        func w(_ i: Int, _ j: Int, _ k: Int) -> Double { Double(21 * i + 3 * j + k) }
        func slice(_ start: Int, _ n: Int) -> [Double] {
            var out: [Double] = []
            for i in 0..<2 { for j in start..<(start + n) { for k in 0..<3 { out.append(w(i, j, k)) } } }
            return out
        }
        let expected = [zip(slice(0, 1), slice(6, 1)).map { $0 + $1 }, slice(1, 2)]
        for variant in ["leaves", "a non-leaf", "a strided gradient"] {
            let parts = try zip(sizes, [true, true, false]).map { n, g in
                try Tensor<Double>((0..<(6 * n)).map { Double($0) }, shape: [2, n, 3], requiresGrad: g)
            }
            var inputs = parts + [parts[0]]
            if variant == "a non-leaf" { inputs[1] = parts[1] * 1 }
            let joined = Tensor.cat(inputs, dim: 1)
            XCTAssertEqual(joined.shape, [2, 7, 3])
            if variant == "a strided gradient" {
                // g[i, j, k] = weights[i, j, k], stored as its transpose (dims 0 and 2).
                var stored: [Double] = []
                for k in 0..<3 { for j in 0..<7 { for i in 0..<2 { stored.append(w(i, j, k)) } } }
                let g = try Tensor<Double>(stored, shape: [3, 7, 2]).transposed(0, 2)
                XCTAssertFalse(g.isContiguous)
                try joined.backward(gradient: g)
            } else {
                try (joined * weights).sum().backward()
            }
            for k in 0..<2 {
                XCTAssertEqual(parts[k].grad?.scalars, expected[k], "\(variant), part \(k)")
                XCTAssertEqual(parts[k].grad?.strides, [3 * sizes[k], 3, 1], "\(variant), part \(k)")
            }
            XCTAssertNil(parts[2].grad, variant)
        }
    }

    /// `stack`'s gradient along a later dimension into leaves (copied in one pass), added to the
    /// grads already there by a second backward.
    func testStackGradientsIntoLeavesAddUp() throws {
        let parts = try (0..<3).map { _ in try Tensor<Double>(Array(repeating: 1, count: 6), shape: [2, 3], requiresGrad: true) }
        for dim in [1, 2] {
            for p in parts { p.zeroGrad() }
            let weights = Tensor<Double>.arange(18).reshaped([2, 3, 3])
            for _ in 0..<2 { try (Tensor.stack(parts, dim: dim) * weights).sum().backward() }
            for (n, p) in parts.enumerated() {
                // weights at [i, n, j] (dim 1) or [i, j, n] (dim 2), twice.
                var own: [Double] = []
                for i in 0..<2 { for j in 0..<3 { own.append(Double(2 * (dim == 1 ? 9 * i + 3 * n + j : 9 * i + 3 * j + n))) } }
                XCTAssertEqual(p.grad?.scalars, own, "dim \(dim), part \(n)")
                XCTAssertEqual(p.grad?.strides, [3, 1])
            }
        }
    }
}
