import Autograd

/// Applies a golden file's `op` (names from Tests/Golden/SCHEMA.md) to its inputs with the
/// Swift API a user would write. Returns nil for ops this build does not have yet.
public func applyGoldenOp<S: TensorScalar>(_ op: String, _ xs: [Tensor<S>], _ params: [String: Any]) -> Tensor<S>? {
    let s = (params["scalar"] as? Double).map { S($0) } ?? 0
    let dim = params["dim"] as? Int ?? 0
    let keepDim = params["keepDim"] as? Bool ?? false
    switch op {
    case "add": return xs[0] + xs[1]
    case "sub": return xs[0] - xs[1]
    case "mul": return xs[0] * xs[1]
    case "div": return xs[0] / xs[1]
    case "addScalar": return xs[0] + s
    case "scalarAdd": return s + xs[0]
    case "subScalar": return xs[0] - s
    case "scalarSub": return s - xs[0]
    case "mulScalar": return xs[0] * s
    case "scalarMul": return s * xs[0]
    case "divScalar": return xs[0] / s
    case "scalarDiv": return s / xs[0]
    case "neg": return -xs[0]
    case "pow": return xs[0].pow(s)
    case "exp": return xs[0].exp()
    case "log": return xs[0].log()
    case "sqrt": return xs[0].sqrt()
    case "abs": return xs[0].abs()
    case "relu": return xs[0].relu()
    case "sigmoid": return xs[0].sigmoid()
    case "tanh": return xs[0].tanh()
    case "sum": return xs[0].sum()
    case "sumDim": return xs[0].sum(dim: dim, keepDim: keepDim)
    case "mean": return xs[0].mean()
    case "meanDim": return xs[0].mean(dim: dim, keepDim: keepDim)
    case "max": return xs[0].max()
    case "maxDim": return xs[0].max(dim: dim, keepDim: keepDim)
    case "reshaped": return xs[0].reshaped(params["shape"] as! [Int])
    case "transposed": return xs[0].transposed()
    case "transposedDims":
        let dims = params["dims"] as! [Int]
        return xs[0].transposed(dims[0], dims[1])
    case "unsqueezed": return xs[0].unsqueezed(dim: dim)
    case "expanded": return xs[0].expanded(to: params["shape"] as! [Int])
    case "matmul": return xs[0].matmul(xs[1])
    case "softmax": return xs[0].softmax(dim: dim)
    case "logSoftmax": return xs[0].logSoftmax(dim: dim)
    case "crossEntropy": return crossEntropy(logits: xs[0], targets: params["targets"] as! [Int])
    case "mseLoss": return mseLoss(xs[0], xs[1])
    default: return nil
    }
}
