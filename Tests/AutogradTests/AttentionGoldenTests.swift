import Foundation
import XCTest
import Autograd
import _TestSupport

/// Scaled dot-product attention, `MultiheadAttention` and `linear` of any rank (API.md Part two,
/// issue 18) replayed against PyTorch 2.11: `Tests/Fixtures/attention.json`, written by
/// `make_attention_fixture.py`, in float32 and float64: outputs, `grad_fn` names and the
/// gradients of a backward from a random `gradOutput`, and PyTorch's messages.
///
/// `sdpa`: shapes PyTorch runs on its fused CPU kernel (ScaledDotProductFlashAttentionForCpuBackward0)
/// and on its math path (3-D, 5-D, 2-D, broadcast batches, `Ev ≠ E`), masks, causal with
/// `L ≠ S`, rows that may attend nowhere (zeros), a transposed query, inputs that need no gradient.
/// `linear`: 1-D to 4-D inputs, contiguous or not, with and without a bias. `mha`: batch first or
/// not, self-attention or not, with weights (averaged or per head) or not, attention and
/// key-padding masks, the causal hint.
///
/// Tolerances: float32 `2e-5 · (1 + |expected|)` (PyTorch's kernels sum in other orders and its
/// exp differs in the last bit), float64 `1e-12`.
final class AttentionGoldenTests: XCTestCase {
    private static func root() throws -> [String: Any] {
        let data = try Data(contentsOf: Fixtures.url("attention.json"))
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(root["torch"] as? String, "2.11.0")
        return root
    }

    private static func cases(_ key: String, count: Int) throws -> [[String: Any]] {
        let cases = try XCTUnwrap(try root()[key] as? [[String: Any]])
        XCTAssertEqual(cases.count, count, key)
        return cases
    }

    private static func tolerance(_ c: [String: Any]) -> Double { c["dtype"] as! String == "float32" ? 2e-5 : 1e-12 }

    func testScaledDotProductAttentionMatchesPyTorch() throws {
        for c in try Self.cases("sdpa", count: 40) {
            if c["dtype"] as! String == "float32" { try replaySDPA(c, Float.self) } else { try replaySDPA(c, Double.self) }
        }
    }

    private func replaySDPA<S: TensorScalar>(_ c: [String: Any], _: S.Type) throws {
        let shapes = c["shapes"] as! [[Int]], flags = c["requiresGrad"] as! [Bool], raw = c["inputs"] as! [[Double]]
        let transposed = c["transposedQuery"] as! Bool
        let label = "sdpa \(c["dtype"]!) \(shapes) mask \(String(describing: c["maskShape"])) causal \(c["isCausal"]!)"
        let leaves = try (0..<3).map { k in
            let s = shapes[k]
            let shape = k == 0 && transposed ? [s[0], s[2], s[1], s[3]] : s
            return try Tensor<S>(raw[k].map { S($0) }, shape: shape, requiresGrad: flags[k])
        }
        let mask = try (c["mask"] as? [Bool]).map { try Tensor<Bool>($0, shape: c["maskShape"] as! [Int]) }
        let out = scaledDotProductAttention(query: transposed ? leaves[0].transposed(1, 2) : leaves[0], key: leaves[1],
                                            value: leaves[2], mask: mask, isCausal: c["isCausal"] as! Bool)
        try check(out, c, label)
        try out.backward(gradient: Tensor<S>((c["gradOutput"] as! [Double]).map { S($0) }, shape: out.shape))
        try XCTAssertFixtureGradients(leaves, c["grads"] as! [Any], Self.tolerance(c), label)
    }

    func testLinearOfAnyRankMatchesPyTorch() throws {
        for c in try Self.cases("linear", count: 20) {
            if c["dtype"] as! String == "float32" { try replayLinear(c, Float.self) } else { try replayLinear(c, Double.self) }
        }
    }

    private func replayLinear<S: TensorScalar>(_ c: [String: Any], _: S.Type) throws {
        let shape = c["shape"] as! [Int], transposed = c["transposedInput"] as! Bool
        let raw = c["inputs"] as! [Any]
        let label = "linear \(c["dtype"]!) \(shape) bias \(c["bias"]!) transposed \(transposed)"
        let leafShape = transposed ? [shape[1], shape[0]] + shape.dropFirst(2) : shape
        let x = try Tensor<S>((raw[0] as! [Double]).map { S($0) }, shape: leafShape, requiresGrad: c["requiresGrad"] as! Bool)
        let w = try Tensor<S>((raw[1] as! [Double]).map { S($0) }, shape: [5, shape.last!], requiresGrad: true)
        let b = try (raw[2] as? [Double]).map { try Tensor<S>($0.map { S($0) }, shape: [5], requiresGrad: true) }
        let out = linear(transposed ? x.transposed(0, 1) : x, weight: w, bias: b)
        try check(out, c, label)
        try out.backward(gradient: Tensor<S>((c["gradOutput"] as! [Double]).map { S($0) }, shape: out.shape))
        try XCTAssertFixtureGradients([x, w] + (b.map { [$0] } ?? []), c["grads"] as! [Any], Self.tolerance(c), label)
    }

    func testMultiheadAttentionMatchesPyTorch() throws {
        for c in try Self.cases("mha", count: 18) {
            if c["dtype"] as! String == "float32" { try replayMHA(c, Float.self) } else { try replayMHA(c, Double.self) }
        }
    }

    private func replayMHA<S: TensorScalar>(_ c: [String: Any], _: S.Type) throws {
        let (n, l, s) = (c["N"] as! Int, c["L"] as! Int, c["S"] as! Int)
        let batchFirst = c["batchFirst"] as! Bool, selfAttention = c["selfAttention"] as! Bool
        let label = "mha \(c["dtype"]!) N \(n) L \(l) S \(s) batchFirst \(batchFirst) self \(selfAttention) weights \(c["needWeights"]!)"
        var generator = RandomGenerator(seed: 1)
        let layer = MultiheadAttention<S>(embedDim: 8, numHeads: 2, batchFirst: batchFirst, using: &generator)
        let parameters = layer.parameters
        XCTAssertEqual(layer.namedParameters.map(\.0), ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"])
        for (p, values) in zip(parameters, c["parameters"] as! [[Double]]) {
            let source = try Tensor<S>(values.map { S($0) }, shape: p.shape)
            withNoGrad { p.copy(from: source) }
        }
        let shape = { (length: Int) in batchFirst ? [n, length, 8] : [length, n, 8] }
        let inputs = try (c["inputs"] as! [[Double]]).enumerated().map { k, v in
            try Tensor<S>(v.map { S($0) }, shape: shape(k == 0 ? l : s), requiresGrad: true)
        }
        let (q, k, v) = selfAttention ? (inputs[0], inputs[0], inputs[0]) : (inputs[0], inputs[1], inputs[2])
        let attnMask = try (c["attnMask"] as? [Bool]).map { try Tensor<Bool>($0, shape: c["attnMaskShape"] as! [Int]) }
        let padding = try (c["keyPaddingMask"] as? [Bool]).map { try Tensor<Bool>($0, shape: [n, s]) }
        let (out, weights) = layer(q, k, v, keyPaddingMask: padding, needWeights: c["needWeights"] as! Bool, attnMask: attnMask,
                                   averageAttnWeights: c["averageAttnWeights"] as! Bool, isCausal: c["isCausal"] as! Bool)
        try check(out, c, label)
        var loss = try (out * Tensor<S>((c["gradOutput"] as! [Double]).map { S($0) }, shape: out.shape)).sum()
        if let expected = c["weights"] as? [Double] {
            let weights = try XCTUnwrap(weights, label)
            XCTAssertEqual(weights.shape, c["weightsShape"] as! [Int], label)
            XCTAssertEqual(weights.gradFn?.name, c["weightsGradFn"] as? String, label)
            XCTAssertFixtureClose(weights.scalars, expected, Self.tolerance(c), "\(label): weights")
            loss = try loss + (weights * Tensor<S>((c["gradWeights"] as! [Double]).map { S($0) }, shape: weights.shape)).sum()
        } else {
            XCTAssertNil(weights, label)
        }
        try loss.backward()
        try XCTAssertFixtureGradients(inputs, c["inputGrads"] as! [Any], Self.tolerance(c), "\(label) inputs")
        try XCTAssertFixtureGradients(parameters, c["parameterGrads"] as! [Any], Self.tolerance(c), "\(label) parameters")
    }

    private func check<S: TensorScalar>(_ out: Tensor<S>, _ c: [String: Any], _ label: String) throws {
        XCTAssertEqual(out.shape, c["outputShape"] as! [Int], label)
        XCTAssertEqual(out.gradFn?.name, c["gradFn"] as? String, label)
        XCTAssertFixtureClose(out.scalars, c["output"] as! [Double], Self.tolerance(c), "\(label): output")
    }

    /// Every refused input of the fixture traps with PyTorch's message.
    func testMisuseTrapsWithPyTorchsMessages() throws {
        let errors = try XCTUnwrap(try Self.root()["errors"] as? [[String: Any]])
        XCTAssertEqual(errors.count, 11)
        for (k, e) in errors.enumerated() {
            let shapes = e["shapes"] as! [[Int]], params = e["params"] as! [String: Any]
            let xs = shapes.map { Tensor<Float>.zeros($0) }
            let maskShape = params["maskShape"] as? [Int], isCausal = params["isCausal"] as? Bool ?? false
            expectTrap("error\(k)", message: e["message"] as? String) {
                switch e["op"] as! String {
                case "sdpa":
                    let mask = maskShape.map { try! Tensor<Bool>([Bool](repeating: true, count: $0.reduce(1, *)), shape: $0) }
                    _ = scaledDotProductAttention(query: xs[0], key: xs[1], value: xs[2], mask: mask, isCausal: isCausal)
                case "linear":
                    _ = linear(xs[0], weight: xs[1], bias: nil)
                default:
                    let mask = maskShape.map { try! Tensor<Bool>([Bool](repeating: false, count: $0.reduce(1, *)), shape: $0) }
                    _ = MultiheadAttention<Float>(embedDim: 8, numHeads: 2)(xs[0], xs[1], xs[2], needWeights: false,
                                                                          attnMask: mask, isCausal: isCausal)
                }
            }
        }
    }

    /// Both a mask and `isCausal` trap, also for 4-D inputs: PyTorch 2.11's fused CPU kernel
    /// accepts them and applies both, its math path refuses them; we refuse them everywhere.
    func testMaskAndCausalTogetherTrap() {
        let x = Tensor<Float>.zeros([2, 2, 3, 4])
        expectTrap("mask and causal", message: "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True") {
            _ = scaledDotProductAttention(query: x, key: x, value: x, mask: try! Tensor<Bool>([Bool](repeating: true, count: 9), shape: [3, 3]),
                                          isCausal: true)
        }
    }

    /// Causal problems of 64 rows or more run in row blocks whose products stop at each block's
    /// last key (Note [Fused attention]): equal to the math path (the same inputs read as 3-D),
    /// output and gradients, for L = S, L < S and L > S.
    func testBlockedCausalAttentionMatchesTheMathPath() throws {
        var generator = RandomGenerator(seed: 11)
        for (l, s) in [(64, 64), (70, 90), (96, 70)] {
            let q = Tensor<Double>.randn([1, 2, l, 8], using: &generator, requiresGrad: true)
            let k = Tensor<Double>.randn([1, 2, s, 8], using: &generator, requiresGrad: true)
            let v = Tensor<Double>.randn([1, 2, s, 8], using: &generator, requiresGrad: true)
            let g = Tensor<Double>.randn([1, 2, l, 8], using: &generator)
            let fused = scaledDotProductAttention(query: q, key: k, value: v, isCausal: true)
            XCTAssertEqual(fused.gradFn?.name, "ScaledDotProductFlashAttentionForCpuBackward0")
            let math = scaledDotProductAttention(query: q.reshaped([2, l, 8]), key: k.reshaped([2, s, 8]),
                                                 value: v.reshaped([2, s, 8]), isCausal: true)
            XCTAssertEqual(math.gradFn?.name, "UnsafeViewBackward0")
            XCTAssertAllClose(fused.scalars, math.scalars, atol: 1e-12, "output \(l)×\(s)")
            let a = try grad(outputs: [(fused * g).sum()], inputs: [q, k, v])
            let b = try grad(outputs: [(math * g.reshaped([2, l, 8])).sum()], inputs: [q, k, v])
            for (x, y) in zip(a, b) { XCTAssertAllClose(x!.scalars, y!.scalars, atol: 1e-12, "gradient \(l)×\(s)") }
        }
    }

    /// The fused node's gradients, formed with `createGraph`, differentiate again: the recorded
    /// derivative rebuilds the probabilities from query and key (mask and causal included).
    func testFusedAttentionHasSecondDerivatives() throws {
        var generator = RandomGenerator(seed: 7)
        let q = Tensor<Double>.randn([1, 2, 3, 4], using: &generator, requiresGrad: true)
        let k = Tensor<Double>.randn([1, 2, 5, 4], using: &generator, requiresGrad: true)
        let v = Tensor<Double>.randn([1, 2, 5, 4], using: &generator, requiresGrad: true)
        let mask = try Tensor<Bool>([true, false, true, true, false, false, false, false, false, false, true, true, true, true, true],
                                    shape: [3, 5])
        for (mask, causal) in [(mask as Tensor<Bool>?, false), (nil, true), (nil, false)] {
            let y = scaledDotProductAttention(query: q, key: k, value: v, mask: mask, isCausal: causal)
            XCTAssertEqual(y.gradFn?.name, "ScaledDotProductFlashAttentionForCpuBackward0")
            let plain = try grad(outputs: [(y * y).sum()], inputs: [q, k, v], retainGraph: true)
            let recorded = try grad(outputs: [(y * y).sum()], inputs: [q, k, v], createGraph: true)
            for (a, b) in zip(plain, recorded) {
                let (a, b) = (try XCTUnwrap(a), try XCTUnwrap(b))
                for (x, y) in zip(a.scalars, b.scalars) { XCTAssertEqual(x, y, accuracy: 1e-12) }
                XCTAssertNotNil(b.gradFn)
            }
        }
    }
}
