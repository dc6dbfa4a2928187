import Autograd

/// The gradcheck ops and cases of the reductions and losses of API.md "More operations"
/// (Reductions+Statistics.swift, Losses.swift): hooked into ``gradcheckOp(_:_:_:)`` and
/// ``RandomGradcheckCases`` by one line each, so that this list grows apart from theirs.
///
/// Params: `dim`, `dims`, `keepDim`, `correction`, `p`, `delta`, `beta` as the ops take them;
/// `permutedFirst` reads the input through `permuted(_:)` (a strided view); `targets` (with
/// `targetsShape`, else 1-d) the class indices of `nllLoss` (of `logSoftmax(dim: -1)` of the
/// input) and `crossEntropyTensor` (`crossEntropy` with `Tensor<Int>` targets). The binary
/// cross-entropy reads `sigmoid` of both inputs (probabilities); `l1Loss` reads `-xs[1]` of a
/// positive `xs[1]`, away from its kink.
public enum ReductionsLossesGradcheck {
    public static let ops = [
        "min", "minDim", "sumDims", "meanDims", "prod", "variance", "std", "norm", "logSumExp", "cumsum",
        "nllLoss", "crossEntropyTensor", "binaryCrossEntropy", "binaryCrossEntropyWithLogits", "l1Loss", "huberLoss",
        "smoothL1Loss",
    ]

    /// The op applied to `xs`, `nil` for an op not listed here.
    public static func apply<S: TensorScalar>(_ op: String, _ xs: [Tensor<S>], _ p: [String: Any]) -> Tensor<S>? {
        guard ops.contains(op) else { return nil }
        let x = (p["permutedFirst"] as? [Int]).map { xs[0].permuted($0) } ?? xs[0]
        let dim = p["dim"] as? Int ?? 0
        let keepDim = p["keepDim"] as? Bool ?? false
        switch op {
        case "min": return x.min()
        case "minDim": return x.min(dim: dim, keepDim: keepDim)
        case "sumDims": return x.sum(dims: p["dims"] as! [Int], keepDim: keepDim)
        case "meanDims": return x.mean(dims: p["dims"] as! [Int], keepDim: keepDim)
        case "prod": return x.prod()
        case "variance": return x.variance(dims: p["dims"] as? [Int], correction: p["correction"] as? Int ?? 1, keepDim: keepDim)
        case "std": return x.std(dims: p["dims"] as? [Int], correction: p["correction"] as? Int ?? 1, keepDim: keepDim)
        case "norm": return x.norm(p: S(p["p"] as! Double))
        case "logSumExp": return x.logSumExp(dim: dim, keepDim: keepDim)
        case "cumsum": return x.cumsum(dim: dim)
        case "nllLoss", "crossEntropyTensor":
            let values = p["targets"] as! [Int]
            let targets = try! Tensor<Int>(values, shape: p["targetsShape"] as? [Int] ?? [values.count])
            return op == "nllLoss" ? nllLoss(logProbabilities: x.logSoftmax(dim: -1), targets: targets)
                                   : crossEntropy(logits: x, targets: targets)
        case "binaryCrossEntropy": return binaryCrossEntropy(x.sigmoid(), xs[1].sigmoid())
        case "binaryCrossEntropyWithLogits": return binaryCrossEntropyWithLogits(x, xs[1])
        case "l1Loss": return l1Loss(x, -xs[1])
        case "huberLoss": return huberLoss(x, xs[1], delta: S(p["delta"] as? Double ?? 1))
        case "smoothL1Loss": return smoothL1Loss(x, xs[1], beta: S(p["beta"] as? Double ?? 1))
        default: return nil
        }
    }

    /// The cases of `op`, `nil` for an op not listed here.
    public static func cases(for op: String, using g: inout RandomGenerator) -> [GradcheckCase]? {
        guard ops.contains(op) else { return nil }
        func shape(_ maxRank: Int = 3) -> [Int] { RandomGradcheckCases.randomShape(maxRank: maxRank, using: &g) }
        func dimOf(_ s: [Int]) -> Int {
            let rank = Swift.max(s.count, 1)
            return Int(g.next() % UInt64(2 * rank)) - rank
        }
        var out: [GradcheckCase] = []
        switch op {
        case "min":
            out = [[], [1], [2, 3], shape()].map { GradcheckCase(op, [$0], domains: ["distinct"]) }
        case "prod":
            out = [[], [0, 2], [4], [2, 3], shape()].map { GradcheckCase(op, [$0], domains: ["nonzero"]) }
            out.append(GradcheckCase(op, [[2, 3]], params: ["permutedFirst": [1, 0]], domains: ["nonzero"]))
        case "minDim", "logSumExp", "cumsum":
            for i in 0..<6 {
                let s = i == 0 ? [] : shape()
                var params: [String: Any] = ["dim": dimOf(s), "keepDim": i % 2 == 0]
                if i == 5 && s.count >= 2 { params["permutedFirst"] = Array((0..<s.count).reversed()) }
                out.append(GradcheckCase(op, [s], params: params, domains: [op == "minDim" ? "distinct" : "any"]))
            }
        case "sumDims", "meanDims", "variance", "std":
            let fixed: [([Int], [Int]?)] = [([2, 3, 4], [0, 2]), ([2, 3, 4], [-1, 0]), ([3, 4], [1]), ([3, 4], []), ([3, 4], nil),
                                            ([4], [0]), ([2, 3], [0, 1])]
            for (i, (s, dims)) in fixed.enumerated() {
                if dims == nil && (op == "sumDims" || op == "meanDims") { continue }
                // PyTorch's gradient for `dim=[]` is not the derivative (ReductionsGoldenTests has it).
                if dims == [] && (op == "variance" || op == "std") { continue }
                var params: [String: Any] = ["keepDim": i % 2 == 1, "correction": i % 3 == 0 ? 0 : 1]
                if let dims { params["dims"] = dims }
                if i == 0 { params["permutedFirst"] = [2, 0, 1] }
                out.append(GradcheckCase(op, [s], params: params))
            }
            if op == "sumDims" || op == "meanDims" { out.append(GradcheckCase(op, [[]], params: ["dims": [0], "keepDim": false])) }
        case "norm":
            let ps: [(Double, String)] = [(2, "any"), (1, "nonzero"), (3, "any"), (1.5, "nonzero"), (0.5, "nonzero"),
                                          (.infinity, "nonzero"), (-.infinity, "nonzero")]
            out = ps.map { GradcheckCase(op, [shape().isEmpty ? [3] : [2, 3]], params: ["p": $0.0], domains: [$0.1]) }
            out.append(GradcheckCase(op, [[3, 2]], params: ["p": 2.0, "permutedFirst": [1, 0]]))
        case "nllLoss", "crossEntropyTensor":
            out = [
                GradcheckCase(op, [[3, 4]], params: ["targets": [1, 3, 0]]),
                GradcheckCase(op, [[3, 4]], params: ["targets": [2, -100, 2]]),
                GradcheckCase(op, [[5]], params: ["targets": [4], "targetsShape": [Int]()]),
                GradcheckCase(op, [[4, 2]], params: ["targets": [1, 3], "permutedFirst": [1, 0]]),
            ]
        case "binaryCrossEntropy", "binaryCrossEntropyWithLogits":
            out = [[4], [2, 3], []].map { GradcheckCase(op, [$0, $0]) }
            out.append(GradcheckCase(op, [[2, 3], [2, 3]], requiresGrad: [true, false]))
        case "l1Loss":
            out = [([4], [4]), ([2, 3], [3]), ([], [2])].map { GradcheckCase(op, [$0.0, $0.1], domains: ["positive", "positive"]) }
        case "huberLoss", "smoothL1Loss":
            let key = op == "huberLoss" ? "delta" : "beta"
            out = [([4], [4], 1.0), ([2, 3], [3], 0.5), ([3], [2, 3], 2.0), ([2, 2], [2, 2], 0.3)].map {
                GradcheckCase(op, [$0.0, $0.1], params: [key: $0.2])
            }
            out.append(GradcheckCase(op, [[3], [3]], params: [key: 0.7], requiresGrad: [false, true]))
        default: break
        }
        return out
    }
}
