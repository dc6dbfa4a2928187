import Autograd

/// Gradcheck cases over random shapes for every op of the golden op table: broadcasting pairs
/// (`[3,1]`x`[1,4]`, `[4]`x`[2,3,4]`, `[]`x`[2,3]`, ...), 0-d tensors, zero-size dims where the op
/// is defined on them, negative dims, `keepDim` both ways, inputs that do not require grad.
public enum RandomGradcheckCases {
    /// Every op name of Tests/Golden/SCHEMA.md's table and of `gradcheckOp`, which these cases cover.
    public static let ops = [
        "add", "sub", "mul", "div",
        "addScalar", "scalarAdd", "subScalar", "scalarSub", "mulScalar", "scalarMul", "divScalar", "scalarDiv",
        "neg", "pow", "exp", "log", "sqrt", "abs", "relu", "sigmoid", "tanh",
        "sum", "sumDim", "mean", "meanDim", "max", "maxDim",
        "reshaped", "transposed", "transposedDims", "unsqueezed", "expanded",
        "matmul", "softmax", "logSoftmax", "crossEntropy", "mseLoss",
        "linear", "matmulTransposedRight",
        "fill", "zero", "copy",
        "cat", "stack", "split", "splitSizes", "chunked", "unbind", "inPlaceThroughView",
        "permuted", "squeezed", "flattened", "select", "narrow", "contiguous", "cloned", "reshapedStrided",
        "subscript", "subscriptSet",
        "indexSelect", "gather", "scatterAdd", "maskedFill", "where", "subscriptTensor", "subscriptSetTensor",
    ] + elementwiseOps + ReductionsLossesGradcheck.ops + productsNormOps + convPoolOps + attentionOps

    /// The cases for `op`, drawn from `generator`.
    public static func cases(for op: String, using g: inout RandomGenerator) -> [GradcheckCase] {
        if let cases = ReductionsLossesGradcheck.cases(for: op, using: &g) { return cases }
        switch op {
        case "add", "sub", "mul", "div":
            let second = op == "div" ? "nonzero" : "any"
            let fixed: [([Int], [Int])] = [
                ([3, 1], [1, 4]), ([4], [2, 3, 4]), ([], [2, 3]), ([2, 3], []), ([5, 1, 3], [1, 4, 1]),
                ([2, 3, 4], [3, 1]), ([1], [2, 2]), ([3], [3]), ([0, 3], [1, 3]), ([2, 0], [2, 1]), ([0], []),
            ]
            var out = fixed.map { GradcheckCase(op, [$0.0, $0.1], domains: ["any", second]) }
            for _ in 0..<4 {
                let (a, b) = broadcastPair(using: &g)
                var flags = [true, true]
                if g.next() % 3 == 0 { flags[Int(g.next() % 2)] = false }
                out.append(GradcheckCase(op, [a, b], domains: ["any", second], requiresGrad: flags))
            }
            return out

        case "addScalar", "scalarAdd", "subScalar", "scalarSub", "mulScalar", "scalarMul", "divScalar", "scalarDiv":
            return unaryShapes(using: &g).map {
                GradcheckCase(op, [$0], params: ["scalar": signedMagnitude(using: &g)],
                              domains: [op == "scalarDiv" ? "nonzero" : "any"])
            }

        case "neg", "exp", "sigmoid", "tanh":
            return unaryShapes(using: &g).map { GradcheckCase(op, [$0]) }
        case "log", "sqrt":
            return unaryShapes(using: &g).map { GradcheckCase(op, [$0], domains: ["positive"]) }
        case "abs", "relu":
            return unaryShapes(using: &g).map { GradcheckCase(op, [$0], domains: ["awayFromZero"]) }
        case "pow":
            let exponents: [(Double, String)] = [
                (2, "any"), (3, "any"), (1, "any"), (0, "any"), (0.5, "positive"), (1.5, "positive"),
                (-0.5, "positive"), (-2, "nonzero"), (-1, "nonzero"),
            ]
            return exponents.map { p, domain in
                GradcheckCase(op, [randomShape(maxRank: 3, allowZero: true, using: &g)], params: ["scalar": p],
                              domains: [domain])
            }

        case "sum", "mean":
            return ([[], [0, 3]] + (0..<3).map { _ in randomShape(maxRank: 3, using: &g) }).map { GradcheckCase(op, [$0]) }
        case "max":
            return ([[], [1]] + (0..<3).map { _ in randomShape(maxRank: 3, using: &g) }).map {
                GradcheckCase(op, [$0], domains: ["distinct"])
            }
        case "sumDim", "meanDim", "maxDim":
            let isMax = op == "maxDim"
            return (0..<6).map { i in
                let shape = i == 0 ? [] : randomShape(maxRank: 3, allowZero: !isMax && i == 5, using: &g)
                let rank = Swift.max(shape.count, 1)
                let dim = Int(g.next() % UInt64(2 * rank)) - rank
                return GradcheckCase(op, [shape], params: ["dim": dim, "keepDim": g.next() % 2 == 0],
                                     domains: [isMax ? "distinct" : "any"])
            }

        case "reshaped":
            return (0..<5).map { i in
                let shape = i == 0 ? [0, 3] : randomShape(maxRank: 3, using: &g)
                return GradcheckCase(op, [shape], params: ["shape": reshapeTarget(of: shape, using: &g)])
            }
        case "transposed":
            return [[], [4], [2, 3], [1, 4], [3, 1], [0, 2]].map { GradcheckCase(op, [$0]) }
        case "transposedDims":
            return (0..<5).map { i in
                let shape = i == 0 ? [] : randomShape(maxRank: 3, allowZero: i == 4, using: &g)
                let rank = Swift.max(shape.count, 1)
                let dims = (0..<2).map { _ in Int(g.next() % UInt64(2 * rank)) - rank }
                return GradcheckCase(op, [shape], params: ["dims": dims])
            }
        case "unsqueezed":
            return (0..<5).map { i in
                let shape = i == 0 ? [] : randomShape(maxRank: 3, allowZero: i == 4, using: &g)
                let dim = Int(g.next() % UInt64(2 * (shape.count + 1))) - (shape.count + 1)
                return GradcheckCase(op, [shape], params: ["dim": dim])
            }
        case "expanded":
            var out = [GradcheckCase(op, [[]], params: ["shape": [2, 3]]),
                       GradcheckCase(op, [[0]], params: ["shape": [2, 0]])]
            for _ in 0..<4 {
                let shape = randomShape(maxRank: 3, using: &g).map { g.next() % 2 == 0 ? 1 : $0 }
                out.append(GradcheckCase(op, [shape], params: ["shape": expandTarget(of: shape, using: &g)]))
            }
            return out

        case "matmul":
            return (0..<4).map { i in
                let (n, k, m) = (size(using: &g), size(using: &g), size(using: &g))
                return GradcheckCase(op, i % 2 == 0 ? [[n, k], [k, m]] : [[n, k], [k]])
            }
        case "softmax", "logSoftmax":
            return (0..<4).map { _ in
                var shape = randomShape(maxRank: 3, using: &g)
                if shape.isEmpty { shape = [size(using: &g)] }
                let dim = Int(g.next() % UInt64(2 * shape.count)) - shape.count
                return GradcheckCase(op, [shape], params: ["dim": dim])
            }
        case "crossEntropy":
            return (0..<3).map { _ in
                let (n, c) = (size(using: &g), size(using: &g) + 1)
                return GradcheckCase(op, [[n, c]], params: ["targets": (0..<n).map { _ in Int(g.next() % UInt64(c)) }])
            }
        case "mseLoss":
            return (0..<3).map { i in
                let shape = randomShape(maxRank: 3, using: &g)
                return GradcheckCase(op, [shape, shape], requiresGrad: i == 2 ? [true, false] : [true, true])
            }
        case "linear":
            return (0..<4).map { i in
                let (n, input, output) = (size(using: &g), size(using: &g), size(using: &g))
                let shapes = i == 1 ? [[n, input], [output, input]] : [[n, input], [output, input], [output]]
                return GradcheckCase(op, shapes, requiresGrad: i == 2 ? [true, true, false] : (i == 3 ? [false, true, true] : nil))
            } + [
                // Other ranks (issue 18): 1-D, 3-D with and without a bias, a non-contiguous 3-D input.
                GradcheckCase(op, [[3], [2, 3], [2]]), GradcheckCase(op, [[3], [2, 3]]),
                GradcheckCase(op, [[2, 2, 3], [2, 3], [2]]), GradcheckCase(op, [[2, 2, 3], [2, 3]]),
                GradcheckCase(op, [[2, 2, 3], [2, 3], [2]], params: ["transposedInput": true]),
            ]
        case "matmulTransposedRight":
            return (0..<4).map { i in
                let (n, k, m) = (size(using: &g), size(using: &g), size(using: &g))
                return GradcheckCase(op, [[n, k], [m, k]], requiresGrad: i == 2 ? [false, true] : (i == 3 ? [true, false] : nil))
            }
        case "fill", "zero":
            return unaryShapes(using: &g).map { GradcheckCase(op, [$0], params: ["scalar": signedMagnitude(using: &g)]) }
        case "copy":
            let pairs: [([Int], [Int])] = [([2, 3], [3]), ([2, 3], [1, 3]), ([3], []), ([2, 2], [2, 2]), ([0, 2], [2])]
            return pairs.enumerated().map { i, pair in
                GradcheckCase(op, [pair.0, pair.1], requiresGrad: i == 1 ? [true, false] : (i == 2 ? [false, true] : nil))
            }
        case "inPlaceThroughView":
            let shapes: [[[Int]]] = [[[2, 3], [3, 2]], [[3, 2], [3]], [[4], [4]], [[2, 2], []]]
            return shapes.enumerated().map { i, s in
                GradcheckCase(op, i == 3 ? [s[0]] : s, params: i == 3 ? ["fill": 0.5] : [:],
                              requiresGrad: i == 1 ? [true, false] : nil)
            }
        case "cat", "stack":
            return (0..<5).map { i in
                var shape = randomShape(maxRank: 3, using: &g)
                if shape.isEmpty && op == "cat" { shape = [size(using: &g)] }
                let rank = shape.count + (op == "stack" ? 1 : 0)
                let dim = Int(g.next() % UInt64(2 * rank)) - rank
                let count = [1, 2, 3, 5, 8][i]
                let shapes = (0..<count).map { k -> [Int] in
                    var s = shape
                    if op == "cat" { s[(dim + rank) % rank] = k % 3 == 2 ? 0 : size(using: &g) }   // sizes differ along dim
                    return s
                }
                return GradcheckCase(op, shapes, params: ["dim": dim],
                                     requiresGrad: (0..<count).map { k in count == 1 || k % 3 != 1 })
            }
        case "split", "splitSizes", "chunked", "unbind":
            return (0..<5).map { _ in
                var shape = randomShape(maxRank: 3, using: &g)
                if shape.isEmpty { shape = [size(using: &g)] }
                let rank = shape.count
                let dim = Int(g.next() % UInt64(2 * rank)) - rank
                let length = shape[(dim + rank) % rank]
                var params: [String: Any] = ["dim": dim]
                switch op {
                case "split": params["size"] = Int(g.next() % UInt64(length)) + 1
                case "chunked": params["chunks"] = Int(g.next() % 4) + 1
                case "splitSizes":
                    var sizes: [Int] = [], left = length
                    while left > 0 { let s = Int(g.next() % UInt64(left + 1)); sizes.append(s); left -= s }
                    params["sizes"] = sizes.isEmpty ? [0] : sizes
                default: break
                }
                return GradcheckCase(op, [shape], params: params)
            }
        case "permuted":
            return ([[], [0, 2, 3]] + (0..<4).map { _ in randomShape(maxRank: 4, using: &g) }).map { shape in
                let dims = permutation(shape.count, using: &g).map { d in g.next() % 2 == 0 ? d - shape.count : d }
                return GradcheckCase(op, [shape], params: ["dims": dims])
            }
        case "squeezed":
            var out = [GradcheckCase(op, [[]]), GradcheckCase(op, [[]], params: ["dim": -1]),
                       GradcheckCase(op, [[1, 1]]), GradcheckCase(op, [[1, 0, 1]], params: ["dim": 0])]
            for i in 0..<5 {
                var shape = randomShape(maxRank: 3, using: &g)
                shape.insert(1, at: Int(g.next() % UInt64(shape.count + 1)))
                var params: [String: Any] = i % 2 == 0 ? [:] : ["dim": Int(g.next() % UInt64(2 * shape.count)) - shape.count]
                if i == 4 && shape.count > 1 { params["permutedFirst"] = permutation(shape.count, using: &g) }
                out.append(GradcheckCase(op, [shape], params: params))
            }
            return out
        case "flattened":
            var out = [GradcheckCase(op, [[]], params: ["startDim": 0, "endDim": -1]),
                       GradcheckCase(op, [[2, 0, 3]], params: ["startDim": 0, "endDim": 1])]
            for i in 0..<6 {
                let shape = (0..<(2 + Int(g.next() % 3))).map { _ in size(using: &g) + 1 }
                let start = Int(g.next() % UInt64(shape.count - 1))
                let end = start + 1 + Int(g.next() % UInt64(shape.count - 1 - start))
                var params: [String: Any] = ["startDim": start, "endDim": end - (i % 2 == 0 ? shape.count : 0)]
                if i >= 3 { params["permutedFirst"] = permutation(shape.count, using: &g) }   // a view or a copy
                out.append(GradcheckCase(op, [shape], params: params))
            }
            return out
        case "select", "narrow":
            var out = op == "narrow" ? [GradcheckCase(op, [[3, 4]], params: ["dim": 1, "start": 4, "length": 0])] : []
            for i in 0..<6 {
                var shape = randomShape(maxRank: 3, using: &g)
                if shape.isEmpty { shape = [size(using: &g)] }
                var params: [String: Any] = [:]
                var seen = shape   // the shape the op reads
                if i >= 4 && shape.count > 1 {
                    let p = permutation(shape.count, using: &g)
                    params["permutedFirst"] = p
                    seen = p.map { shape[$0] }
                }
                let dim = Int(g.next() % UInt64(2 * seen.count)) - seen.count
                let n = seen[dim < 0 ? dim + seen.count : dim]
                params["dim"] = dim
                if op == "select" {
                    params["index"] = Int(g.next() % UInt64(2 * n)) - n
                } else {
                    let begin = Int(g.next() % UInt64(n))
                    params["start"] = g.next() % 2 == 0 ? begin : begin - n
                    params["length"] = 1 + Int(g.next() % UInt64(n - begin))
                }
                out.append(GradcheckCase(op, [shape], params: params))
            }
            return out
        case "contiguous":
            // Strided inputs (a contiguous one is returned itself, with no node to check).
            return [[2, 3], [3, 1, 4], [2, 3, 4]].map { shape in
                GradcheckCase(op, [shape], params: ["permutedFirst": Array((0..<shape.count).reversed())])
            }
        case "cloned":
            return [GradcheckCase(op, [[]]), GradcheckCase(op, [[0, 3]]), GradcheckCase(op, [[2, 3]])]
                + [[2, 3], [2, 3, 4]].map { GradcheckCase(op, [$0], params: ["permutedFirst": permutation($0.count, using: &g)]) }
        case "reshapedStrided":
            // `x.permuted(p).reshaped(s)`: ReshapeAliasBackward0 where `s` only splits or merges
            // dims lying contiguously in memory, else a copy (UnsafeViewBackward0).
            let fixed: [([Int], [Int], [Int])] = [
                ([2, 3, 4], [1, 0, 2], [3, 8]), ([2, 3, 4], [1, 0, 2], [3, 2, 2, 2]), ([2, 3, 4], [2, 0, 1], [-1]),
                ([2, 3], [1, 0], [3, 2, 1]), ([2, 3], [1, 0], [6]), ([4, 3, 2], [1, 2, 0], [6, 4]),
            ]
            return fixed.map { GradcheckCase(op, [$0.0], params: ["permutedFirst": $0.1, "shape": $0.2]) }
        case "subscript":
            // Index items as the step language writes them (Tests/Fixtures/README.md).
            func stride(_ a: Int, _ b: Int, _ s: Int) -> [String: Any] { ["stride": [a, b], "by": s] }
            let fixed: [([Int], [Any])] = [
                ([8], [stride(0, 8, 2)]), ([8, 2], [stride(1, 8, 3)]), ([3, 5], ["all", stride(0, 5, 2)]),
                ([4, 3], ["ellipsis"]), ([4, 3], [["range": [1, 3]], stride(0, 3, 2)]),
                ([2, 3, 4], [0, "ellipsis", stride(1, 4, 2)]), ([5], [stride(-4, 5, 3)]), ([6, 2], [stride(2, 100, 2)]),
                ([4, 3], ["newAxis", ["from": 1], ["upTo": 2]]), ([3], [stride(0, 3, 5)]),
                ([3, 0], [["range": [0, 2]], stride(0, 0, 2)]), ([4, 3], [["closedRange": [-3, -1]], -1]),
                ([], ["newAxis"]), ([], ["ellipsis"]), ([4, 3], [["through": -2], "all"]), ([2, 3], [["range": [0, 2]], 1]),
            ]
            var out = fixed.map { GradcheckCase(op, [$0.0], params: ["indices": $0.1]) }
            out.append(GradcheckCase(op, [[2, 3, 4]], params: ["permutedFirst": [2, 0, 1], "indices": [stride(0, 4, 3), 1]]))
            for _ in 0..<6 {   // an index per dimension: an Int, a range, a stride or `.all`
                let shape = (0..<(1 + Int(g.next() % 3))).map { _ in size(using: &g) + 1 }
                let indices: [Any] = shape.map { n -> Any in
                    let a = Int(g.next() % UInt64(n))
                    switch g.next() % 4 {
                    case 0: return g.next() % 2 == 0 ? a : a - n
                    case 1: return ["range": [a, a + 1 + Int(g.next() % UInt64(n))]]
                    case 2: return stride(a - (g.next() % 2 == 0 ? 0 : n), n + 1, 1 + Int(g.next() % 3))
                    default: return "all"
                    }
                }
                out.append(GradcheckCase(op, [shape], params: ["indices": indices]))
            }
            return out
        case "subscriptSet":
            let stride3: [String: Any] = ["stride": [1, 8], "by": 3]
            return [
                GradcheckCase(op, [[4, 3]], params: ["indices": [1], "scalar": 5.0]),
                GradcheckCase(op, [[4, 3]], params: ["indices": ["ellipsis"], "scalar": 2.0]),   // FillBackward3
                GradcheckCase(op, [[4, 3], []], params: ["indices": ["ellipsis"]]),              // FillBackward3 of a 0-d tensor
                GradcheckCase(op, [[4, 3], [4, 3]], params: ["indices": ["ellipsis"]]),          // CopyBackwards
                GradcheckCase(op, [[8], [3]], params: ["indices": [stride3]]),
                GradcheckCase(op, [[4, 3], [4, 1]], params: ["indices": ["all", ["stride": [0, 3], "by": 2]]]),
                GradcheckCase(op, [[4, 3], [1, 1, 3]], params: ["indices": [["range": [0, 2]]]]),
                GradcheckCase(op, [[4, 3], []], params: ["indices": [2, -1]]),
                GradcheckCase(op, [[4, 3], [4]], params: ["indices": [0], "throughTransposed": true]),
                GradcheckCase(op, [[4, 3]], params: ["indices": ["all", ["range": [1, 3]]], "scalar": -1.5,
                                                     "throughTransposed": true]),
                GradcheckCase(op, [[4, 3], [4]], params: ["indices": ["all", 1]], requiresGrad: [true, false]),
                GradcheckCase(op, [[1, 4], [2]], params: ["indices": [0, ["upTo": 2]], "throughExpanded": [3, 4]]),
                GradcheckCase(op, [[2, 1, 3]], params: ["indices": [1, 0], "scalar": 4.0, "throughExpanded": [2, 5, 3]]),
            ]
        case "indexSelect", "gather", "scatterAdd", "maskedFill", "where", "subscriptTensor", "subscriptSetTensor":
            return gatheringCases(op)
        default:
            if let cases = elementwiseCases(for: op, using: &g) { return cases }
            if let cases = productsNormCases(for: op) { return cases }
            if let cases = convPoolCases(for: op, using: &g) { return cases }
            if let cases = attentionCases(for: op) { return cases }
            preconditionFailure("RandomGradcheckCases: no generator for op \(op)")
        }
    }

    /// Fixed cases of the gathering ops (GradcheckOps.swift): repeated positions (whose
    /// gradients add up), negative dims and positions, empty indices, broadcast masks and
    /// conditions, inputs that need no gradient.
    private static func gatheringCases(_ op: String) -> [GradcheckCase] {
        let (t, f) = (true, false)
        switch op {
        case "indexSelect":
            return [
                GradcheckCase(op, [[4, 3]], params: ["dim": 0, "index": [2, 0, 2]]),
                GradcheckCase(op, [[4, 3]], params: ["dim": -1, "index": [1, 1, 0, 2]]),
                GradcheckCase(op, [[2, 3, 4]], params: ["dim": 1, "index": [2, 2]]),
                GradcheckCase(op, [[5]], params: ["dim": 0, "index": [4, 4, 4]]),
                GradcheckCase(op, [[4, 3]], params: ["dim": 0, "index": [3], "indexShape": [Int]()]),
                GradcheckCase(op, [[4, 3]], params: ["dim": 1, "index": [Int]()]),
            ]
        case "gather":
            return [
                GradcheckCase(op, [[3, 4]], params: ["dim": 1, "index": [0, 0, 1, 3, 3, 3], "indexShape": [3, 2]]),
                GradcheckCase(op, [[3, 4]], params: ["dim": 0, "index": [2, 2, 1, 0, 0, 1, 2, 2], "indexShape": [2, 4]]),
                GradcheckCase(op, [[2, 3, 2]], params: ["dim": -2, "index": [2, 0, 1, 1], "indexShape": [2, 1, 2]]),
                GradcheckCase(op, [[5]], params: ["dim": 0, "index": [4, 4, 0]]),
            ]
        case "scatterAdd":
            return [
                GradcheckCase(op, [[3, 4], [3, 2]], params: ["dim": 1, "index": [0, 0, 1, 3, 2, 2], "indexShape": [3, 2]]),
                GradcheckCase(op, [[3, 4], [2, 4]], params: ["dim": 0, "index": [0, 1, 2, 0, 0, 1, 2, 2], "indexShape": [2, 4]]),
                GradcheckCase(op, [[4], [3]], params: ["dim": 0, "index": [1, 1, 3]], requiresGrad: [false, true]),
                GradcheckCase(op, [[4], [3]], params: ["dim": 0, "index": [1, 1, 3]], requiresGrad: [true, false]),
            ]
        case "maskedFill":
            return [
                GradcheckCase(op, [[2, 3]], params: ["mask": [t, f, f, f, t, t], "maskShape": [2, 3], "scalar": -1.0]),
                GradcheckCase(op, [[3, 4]], params: ["mask": [f, t, t, f], "scalar": 0.5]),
                GradcheckCase(op, [[3, 4]], params: ["mask": [t, f, t], "maskShape": [3, 1], "scalar": 2.0]),
                GradcheckCase(op, [[2, 3]], params: ["mask": [t, f, t, f, t, f, t, f, t, f, t, f], "maskShape": [2, 2, 3], "scalar": 0.0]),
                GradcheckCase(op, [[]], params: ["mask": [f], "maskShape": [Int](), "scalar": 3.0]),
            ]
        case "where":
            return [
                GradcheckCase(op, [[2, 3], [2, 3]], params: ["condition": [t, f, t, f, f, t], "conditionShape": [2, 3]]),
                GradcheckCase(op, [[1, 4], []], params: ["condition": [t, f, t], "conditionShape": [3, 1]]),
                GradcheckCase(op, [[2, 4], [2, 4]], params: ["condition": [f, t, t, f]], requiresGrad: [true, false]),
                GradcheckCase(op, [[3], [2, 1]], params: ["condition": [t, f, f]], requiresGrad: [false, true]),
            ]
        case "subscriptTensor":
            return [
                GradcheckCase(op, [[4, 3]], params: ["index": [2, 0, 2]]),
                GradcheckCase(op, [[4]], params: ["index": [-1, 0, -1]]),
                GradcheckCase(op, [[4, 3]], params: ["index": [0, 1, 3, 3], "indexShape": [2, 2]]),
                GradcheckCase(op, [[4, 3]], params: ["index": [Int]()]),
                GradcheckCase(op, [[3, 4]], params: ["mask": [t, f, f, t, f, t, t, f, f, f, t, t], "maskShape": [3, 4]]),
                GradcheckCase(op, [[3, 2]], params: ["mask": [t, f, t]]),
                GradcheckCase(op, [[2]], params: ["mask": [t], "maskShape": [Int]()]),
            ]
        default:   // subscriptSetTensor
            return [
                GradcheckCase(op, [[4, 3]], params: ["index": [3, 0], "scalar": 1.0]),
                GradcheckCase(op, [[4, 3], [3]], params: ["index": [-1, 1]]),
                GradcheckCase(op, [[4, 3], [2, 1]], params: ["index": [2, 0]]),
                GradcheckCase(op, [[3, 4], []], params: ["mask": [t, f, f, t, f, t, t, f, f, f, t, t], "maskShape": [3, 4]]),
                GradcheckCase(op, [[3, 2], [2]], params: ["mask": [t, f, t]], requiresGrad: [true, false]),
                GradcheckCase(op, [[3, 2], [2, 2]], params: ["mask": [t, f, t]], requiresGrad: [false, true]),
            ]
        }
    }

    // MARK: - Shapes

    /// A size in 1...4.
    public static func size(using g: inout RandomGenerator) -> Int { Int(g.next() % 4) + 1 }

    /// A shape of rank 0...maxRank with sizes 1...4 (one of them 0 when `allowZero`).
    public static func randomShape(maxRank: Int, allowZero: Bool = false, using g: inout RandomGenerator) -> [Int] {
        let rank = Int(g.next() % UInt64(maxRank + 1))
        var shape = (0..<rank).map { _ in size(using: &g) }
        if allowZero && rank > 0 && g.next() % 3 == 0 { shape[Int(g.next() % UInt64(rank))] = 0 }
        return shape
    }

    /// Shapes for unary ops: 0-d, zero-size and two random ones.
    public static func unaryShapes(using g: inout RandomGenerator) -> [[Int]] {
        [[], [0], [2, 0], randomShape(maxRank: 3, using: &g), randomShape(maxRank: 3, using: &g)]
    }

    /// Two shapes that broadcast: a random result shape, each operand dropping some leading dims
    /// and setting some sizes to 1.
    public static func broadcastPair(using g: inout RandomGenerator) -> ([Int], [Int]) {
        let out = randomShape(maxRank: 3, using: &g)
        func operand(_ g: inout RandomGenerator) -> [Int] {
            let drop = Int(g.next() % UInt64(out.count + 1))
            return out.dropFirst(drop).map { g.next() % 3 == 0 ? 1 : $0 }
        }
        return (operand(&g), operand(&g))
    }

    /// A random reshape target for `shape`: its prime-ish factors regrouped, maybe with a `-1`.
    public static func reshapeTarget(of shape: [Int], using g: inout RandomGenerator) -> [Int] {
        var factors: [Int] = []
        for var s in shape where s > 1 {
            for p in [2, 3] { while s % p == 0 && s > p { factors.append(p); s /= p } }
            factors.append(s)
        }
        if shape.contains(0) { factors.append(0) }
        factors.shuffle(using: &g)
        var target: [Int] = []
        for f in factors {
            if let last = target.last, g.next() % 2 == 0 { target[target.count - 1] = last * f } else { target.append(f) }
        }
        if g.next() % 3 == 0 { target.insert(1, at: Int(g.next() % UInt64(target.count + 1))) }
        if !target.isEmpty && !target.contains(0) && g.next() % 2 == 0 {
            target[Int(g.next() % UInt64(target.count))] = -1
        }
        return target
    }

    /// A random `expanded(to:)` target: new leading dims, size-1 dims grown, some dims as `-1`.
    public static func expandTarget(of shape: [Int], using g: inout RandomGenerator) -> [Int] {
        let lead = (0..<Int(g.next() % 3)).map { _ in size(using: &g) }
        let rest = shape.map { s -> Int in
            if s == 1 && g.next() % 2 == 0 { return size(using: &g) }
            return g.next() % 4 == 0 ? -1 : s
        }
        return lead + rest
    }

    /// A random permutation of `0..<count`.
    public static func permutation(_ count: Int, using g: inout RandomGenerator) -> [Int] {
        var dims = Array(0..<count)
        dims.shuffle(using: &g)
        return dims
    }

    /// ±uniform [0.5, 2].
    public static func signedMagnitude(using g: inout RandomGenerator) -> Double {
        Gradcheck.sample("nonzero", count: 1, using: &g)[0]
    }
}
