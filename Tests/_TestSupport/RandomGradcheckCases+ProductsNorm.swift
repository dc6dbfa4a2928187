import Autograd

extension RandomGradcheckCases {
    /// The ops of ``applyProductsNormOp(_:_:_:)``.
    public static let productsNormOps = ["matmulND", "bmm", "dot", "embedding", "layerNorm", "batchNorm"]

    /// Fixed cases of those ops (nil for another op): every case of `matmul` (folded, broadcast,
    /// 1-D on either side, an operand that needs no gradient, a strided one), repeated rows of an
    /// embedding and a padding row not looked up (a looked-up one gets no gradient on purpose, no
    /// derivative: products_norm.json checks it), each combination of a normalization's weight and bias, a batch norm
    /// in training and evaluation mode.
    public static func productsNormCases(for op: String) -> [GradcheckCase]? {
        let (t, f) = (true, false)
        switch op {
        case "matmulND":
            let pairs: [([Int], [Int])] = [
                ([3], [3]), ([3], [3, 4]), ([2, 3], [3]), ([2, 2, 3], [2, 3, 4]), ([2, 2, 3], [3, 4]), ([2, 3], [5, 3, 4]),
                ([3], [2, 3, 4]), ([2, 2, 3], [3]), ([2, 1, 2, 3], [5, 3, 4]), ([1, 2, 3], [4, 3, 2]), ([4, 2, 3], [1, 3, 2]),
                ([2, 3, 2, 3], [2, 3, 3, 2]), ([0, 2, 3], [3, 2]),
            ]
            return pairs.map { GradcheckCase(op, [$0.0, $0.1]) } + [
                GradcheckCase(op, [[2, 2, 3], [3, 4]], requiresGrad: [t, f]),
                GradcheckCase(op, [[2, 3], [5, 3, 4]], requiresGrad: [f, t]),
                GradcheckCase(op, [[3, 2, 4], [4]], requiresGrad: [t, f]),
                GradcheckCase(op, [[2, 2, 3], [2, 4, 3]], params: ["transposedRight": true]),
            ]
        case "bmm":
            return [GradcheckCase(op, [[3, 2, 4], [3, 4, 5]]), GradcheckCase(op, [[2, 1, 3], [2, 3, 1]], requiresGrad: [f, t]),
                    GradcheckCase(op, [[0, 2, 3], [0, 3, 2]])]
        case "dot":
            return [GradcheckCase(op, [[5], [5]]), GradcheckCase(op, [[3], [3]], requiresGrad: [t, f]), GradcheckCase(op, [[0], [0]])]
        case "embedding":
            return [
                GradcheckCase(op, [[5, 3]], params: ["indices": [1, 4, 1, 0], "indexShape": [2, 2]]),
                GradcheckCase(op, [[5, 3]], params: ["indices": [1, 2, 1, 2, 3], "indexShape": [5], "paddingIdx": 0]),
                GradcheckCase(op, [[4, 2]], params: ["indices": [2], "indexShape": [], "paddingIdx": -1]),
            ]
        case "layerNorm":
            return [
                GradcheckCase(op, [[3, 4]], params: ["normalizedShape": [4]]),
                GradcheckCase(op, [[2, 3, 4], [3, 4], [3, 4]], params: ["normalizedShape": [3, 4], "affine": "both"]),
                GradcheckCase(op, [[2, 5], [5]], params: ["normalizedShape": [5], "affine": "weight", "eps": 0.1]),
                GradcheckCase(op, [[2, 5], [5]], params: ["normalizedShape": [5], "affine": "bias"]),
                GradcheckCase(op, [[3, 4], [4], [4]], params: ["normalizedShape": [4], "affine": "both"], requiresGrad: [f, t, t]),
            ]
        case "batchNorm":
            let stats: [String: Any] = ["runningMean": [0.1, -0.2, 0.3], "runningVar": [0.5, 1.5, 2.0]]
            return [
                GradcheckCase(op, [[4, 3]], params: ["training": true]),
                GradcheckCase(op, [[2, 3, 4], [3], [3]], params: ["training": true, "affine": "both"]),
                GradcheckCase(op, [[2, 3, 2, 2], [3]], params: stats.merging(["training": true, "affine": "weight"]) { a, _ in a }),
                GradcheckCase(op, [[4, 3], [3], [3]], params: stats.merging(["training": false, "affine": "both"]) { a, _ in a }),
                GradcheckCase(op, [[2, 3, 2], [3]], params: stats.merging(["training": false, "affine": "bias"]) { a, _ in a }),
                GradcheckCase(op, [[4, 3], [3], [3]], params: ["training": true, "affine": "both"], requiresGrad: [f, t, t]),
            ]
        default: return nil
        }
    }
}
