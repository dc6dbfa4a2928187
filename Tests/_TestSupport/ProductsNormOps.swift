import Autograd
import TensorCore

/// Applies an op of issue 18's products and normalizations (``RandomGradcheckCases``'s and
/// products_norm.json's names) with the Swift API a user would write; nil for other names.
///
/// - `matmulND`: `xs[0].matmul(xs[1])` for any ranks (`transposedRight`: of `xs[1]` with its
///   last two dimensions swapped, a strided operand); `bmm`, `dot`.
/// - `embedding`: the rows of `xs[0]` at `indices` (flat) of `indexShape`, `paddingIdx`.
/// - `layerNorm`: `xs[0]` over `normalizedShape`, `xs[1]`/`xs[2]` the weight and bias as
///   `affine` says (`"weight"`, `"bias"`, `"both"`, absent: none); `eps`.
/// - `batchNorm`: `xs[0]`, weight and bias as for `layerNorm`; `training`; running statistics
///   (fresh each call, so that a call doesn't change the next) from `runningMean`/`runningVar`
///   where given; `momentum`, `eps`.
public func applyProductsNormOp<S: TensorScalar>(_ op: String, _ xs: [Tensor<S>], _ params: [String: Any]) -> Tensor<S>? {
    func affine() -> (Tensor<S>?, Tensor<S>?) {
        switch params["affine"] as? String {
        case "weight": (xs[1], nil)
        case "bias": (nil, xs[1])
        case "both": (xs[1], xs[2])
        default: (nil, nil)
        }
    }
    func constant(_ key: String) -> Tensor<S>? {
        (params[key] as? [Double]).map { Tensor<S>(data: try! DenseTensor(scalars: $0.map { S($0) }, shape: [$0.count])) }
    }
    let eps = params["eps"] as? Double ?? 1e-5
    switch op {
    case "matmulND":
        let right = params["transposedRight"] as? Bool == true ? xs[1].transposed(-1, -2) : xs[1]
        return xs[0].matmul(right)
    case "bmm": return xs[0].bmm(xs[1])
    case "dot": return xs[0].dot(xs[1])
    case "embedding":
        let indices = Tensor<Int>(data: try! DenseTensor(scalars: params["indices"] as! [Int], shape: params["indexShape"] as! [Int]))
        return embedding(indices, weight: xs[0], paddingIdx: params["paddingIdx"] as? Int)
    case "layerNorm":
        let (w, b) = affine()
        return layerNorm(xs[0], normalizedShape: params["normalizedShape"] as! [Int], weight: w, bias: b, eps: eps)
    case "batchNorm":
        let (w, b) = affine()
        return batchNorm(xs[0], runningMean: constant("runningMean"), runningVar: constant("runningVar"), weight: w, bias: b,
                         training: params["training"] as! Bool, momentum: params["momentum"] as? Double ?? 0.1, eps: eps)
    default: return nil
    }
}
