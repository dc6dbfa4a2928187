import Autograd

/// The attention ops gradcheck runs (`applyAttentionOp`):
///
/// - `sdpa`: `scaledDotProductAttention(query: xs[0], key: xs[1], value: xs[2])`, with `params`
///   `mask` (row-major `Bool`s of `maskShape`, `true` = may attend) or `isCausal`; with
///   `transposedQuery` the query is `xs[0].transposed(1, 2)` (a `[B, L, H, E]` leaf).
/// - `multiheadAttention`: a `MultiheadAttention` (`params["heads"]`, `batchFirst`) made of the
///   parameters `xs[1...4]` (`in_proj_weight`, `in_proj_bias`,
///   `out_proj.weight`, `out_proj.bias`), applied to `xs[0]` as self-attention; the output plus,
///   with `needWeights`, the weights summed into it (`isCausal`: the causal mask as `attnMask`).
public func applyAttentionOp<S: TensorScalar>(_ op: String, _ xs: [Tensor<S>], _ params: [String: Any]) -> Tensor<S>? {
    switch op {
    case "sdpa":
        let mask = (params["mask"] as? [Bool]).map { try! Tensor<Bool>($0, shape: params["maskShape"] as! [Int]) }
        let q = params["transposedQuery"] as? Bool == true ? xs[0].transposed(1, 2) : xs[0]
        return scaledDotProductAttention(query: q, key: xs[1], value: xs[2], mask: mask, isCausal: params["isCausal"] as? Bool ?? false)
    case "multiheadAttention":
        let batchFirst = params["batchFirst"] as? Bool ?? false, causal = params["isCausal"] as? Bool ?? false
        let needWeights = params["needWeights"] as? Bool ?? false
        let layer = MultiheadAttention<S>(inProjWeight: xs[1], inProjBias: xs[2], outProjWeight: xs[3], outProjBias: xs[4],
                                          numHeads: params["heads"] as! Int, batchFirst: batchFirst)
        let x = xs[0], length = batchFirst ? x.shape[1] : x.shape[0]
        var mask: Tensor<Bool>?
        if causal {
            mask = try! Tensor<Bool>((0..<(length * length)).map { $0 % length > $0 / length }, shape: [length, length])
        }
        let (out, weights) = layer(x, x, x, needWeights: needWeights, attnMask: mask, isCausal: causal)
        return weights.map { out.sum() + ($0 * $0).sum() } ?? out
    default: return nil
    }
}

extension RandomGradcheckCases {
    /// The ops of ``applyAttentionOp(_:_:_:)``.
    public static let attentionOps = ["sdpa", "multiheadAttention"]

    /// Fixed small cases (the first ones small enough for GradgradcheckTests): the fused shapes
    /// with a mask (a row that may attend nowhere included), causal with L ≠ S, a transposed
    /// query, inputs that need no gradient; the math path's 3-D and broadcast shapes; the layer
    /// batch first or not, with weights or causal.
    public static func attentionCases(for op: String) -> [GradcheckCase]? {
        let (t, f) = (true, false)
        switch op {
        case "sdpa":
            let mask = [true, false, true, false, false, false, true, true, true, true, false, true]
            return [
                GradcheckCase(op, [[1, 1, 2, 2], [1, 1, 2, 2], [1, 1, 2, 2]]),
                GradcheckCase(op, [[1, 1, 2, 2], [1, 1, 3, 2], [1, 1, 3, 2]], params: ["isCausal": true]),
                GradcheckCase(op, [[1, 2, 2], [1, 3, 2], [1, 3, 2]], params: ["isCausal": true]),
                GradcheckCase(op, [[2, 1, 3, 2], [2, 1, 2, 2], [2, 1, 2, 2]], params: ["isCausal": true]),
                GradcheckCase(op, [[1, 2, 3, 3], [1, 2, 4, 3], [1, 2, 4, 3]], params: ["mask": mask, "maskShape": [3, 4]]),
                GradcheckCase(op, [[2, 3, 2, 2], [2, 2, 3, 2], [2, 2, 3, 2]], params: ["transposedQuery": true, "isCausal": true]),
                GradcheckCase(op, [[1, 2, 3, 2], [1, 2, 3, 2], [1, 2, 3, 2]], requiresGrad: [t, f, t]),
                GradcheckCase(op, [[1, 2, 3, 2], [1, 2, 3, 2], [1, 2, 3, 2]], requiresGrad: [f, t, f]),
                GradcheckCase(op, [[2, 3, 2], [2, 4, 2], [2, 4, 3]], params: ["mask": mask, "maskShape": [3, 4]]),
                GradcheckCase(op, [[2, 1, 3, 2], [1, 2, 3, 2], [2, 2, 3, 2]], params: ["isCausal": true]),
            ]
        case "multiheadAttention":
            return [
                GradcheckCase(op, [[2, 1, 2], [6, 2], [6], [2, 2], [2]], params: ["heads": 1]),
                GradcheckCase(op, [[2, 3, 4], [12, 4], [12], [4, 4], [4]], params: ["heads": 2, "batchFirst": true, "isCausal": true]),
                GradcheckCase(op, [[3, 2, 4], [12, 4], [12], [4, 4], [4]], params: ["heads": 2, "needWeights": true]),
            ]
        default: return nil
        }
    }
}
