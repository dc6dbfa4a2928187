import Autograd

/// Applies an elementwise op of API.md Part two "More operations" (elementwise.json's and
/// ``RandomGradcheckCases``'s names) with the Swift API a user would write; with
/// `params["transposed"]`, to `xs[0].transposed()` (a strided view). Returns nil for other names.
///
/// Unary: `log1p`, `expm1`, `sin`, `cos`, `sign`, `rsqrt`, `reciprocal`, `square`, `erf`,
/// `clamped` (`min`, `max`, either absent), `leakyRelu` (`negativeSlope`), `gelu`
/// (`approximate`), `silu`, `softplus` (`beta`, `threshold`), `elu` (`alpha`); absent
/// parameters take the API's defaults. Binary, broadcasting: `powTensor` (`xs[0].pow(xs[1])`),
/// `maximum`, `minimum` (`Tensor.maximum(xs[0], xs[1])`).
public func applyElementwiseOp<S: TensorScalar>(_ op: String, _ xs: [Tensor<S>], _ params: [String: Any]) -> Tensor<S>? {
    func parameter(_ key: String) -> S? { (params[key] as? Double).map { S($0) } }
    let x = params["transposed"] as? Bool == true ? xs[0].transposed() : xs[0]
    switch op {
    case "log1p": return x.log1p()
    case "expm1": return x.expm1()
    case "sin": return x.sin()
    case "cos": return x.cos()
    case "sign": return x.sign()
    case "rsqrt": return x.rsqrt()
    case "reciprocal": return x.reciprocal()
    case "square": return x.square()
    case "erf": return x.erf()
    case "clamped": return x.clamped(min: parameter("min"), max: parameter("max"))
    case "leakyRelu": return parameter("negativeSlope").map { x.leakyRelu(negativeSlope: $0) } ?? x.leakyRelu()
    case "gelu": return x.gelu(approximate: params["approximate"] as? Bool ?? false)
    case "silu": return x.silu()
    case "softplus": return x.softplus(beta: parameter("beta") ?? 1, threshold: parameter("threshold") ?? 20)
    case "elu": return parameter("alpha").map { x.elu(alpha: $0) } ?? x.elu()
    case "powTensor": return x.pow(xs[1])
    case "maximum": return Tensor.maximum(x, xs[1])
    case "minimum": return Tensor.minimum(x, xs[1])
    default: return nil
    }
}
