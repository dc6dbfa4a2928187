import Autograd

/// Applies a convolution or pooling of API.md Part two "More operations" (conv_pool.json's and
/// ``RandomGradcheckCases``'s names) with the Swift API a user would write. Returns nil for other
/// names.
///
/// - `conv1d`, `conv2d`: inputs `[input, weight]` or `[input, weight, bias]`; params `stride`,
///   `padding`, `dilation` (an `Int`, or a list: then the list overload, an `Int` among them a
///   one-element list) and `groups`; absent ones take the API's defaults.
/// - `maxPool2d`, `avgPool2d`: params `kernelSize`, `stride` (absent: the kernel size), `padding`.
/// - `conv2dGradients`: inputs `[input, weight, gradOutput]`; `conv2d` (params as above, no bias),
///   then its input's and weight's gradients for `gradOutput` with `createGraph`, flattened and
///   joined: the recorded derivatives (ConvolutionBackwardBackward0) as a function to check.
/// - `avgPool2dGradients`: inputs `[input, gradOutput]`; `avgPool2d`'s input gradient for
///   `gradOutput` with `createGraph` (AvgPool2DBackwardBackward0), times the input.
public func applyConvPoolOp<S: TensorScalar>(_ op: String, _ xs: [Tensor<S>], _ params: [String: Any]) -> Tensor<S>? {
    let groups = params["groups"] as? Int ?? 1
    let bias = xs.count > 2 && op != "conv2dGradients" ? xs[2] : nil
    let listed = ["stride", "padding", "dilation"].contains { params[$0] is [Int] }
    func list(_ key: String, _ fallback: Int) -> [Int] {
        if let l = params[key] as? [Int] { return l }
        return [params[key] as? Int ?? fallback]
    }
    func int(_ key: String, _ fallback: Int) -> Int { params[key] as? Int ?? fallback }
    switch op {
    case "conv2d", "conv2dGradients":
        let y = listed
            ? conv2d(xs[0], weight: xs[1], bias: bias, stride: list("stride", 1), padding: list("padding", 0),
                     dilation: list("dilation", 1), groups: groups)
            : conv2d(xs[0], weight: xs[1], bias: bias, stride: int("stride", 1), padding: int("padding", 0),
                     dilation: int("dilation", 1), groups: groups)
        guard op == "conv2dGradients" else { return y }
        guard y.requiresGrad else {
            // Evaluated with no graph (gradcheck's finite differences): the same function of
            // the values, from leaves that require grad in a scope that records.
            return withGradEnabled(true) {
                let leaves = xs.map { Tensor(data: $0.data, requiresGrad: true) }
                return applyConvPoolOp(op, leaves, params)!.detached()
            }
        }
        let g = try! grad(outputs: [y], inputs: [xs[0], xs[1]], gradOutputs: [xs[2]], createGraph: true)
        return Tensor.cat([g[0]!.reshaped([-1]), g[1]!.reshaped([-1])])
    case "conv1d":
        return listed
            ? conv1d(xs[0], weight: xs[1], bias: bias, stride: list("stride", 1), padding: list("padding", 0),
                     dilation: list("dilation", 1), groups: groups)
            : conv1d(xs[0], weight: xs[1], bias: bias, stride: int("stride", 1), padding: int("padding", 0),
                     dilation: int("dilation", 1), groups: groups)
    case "avgPool2dGradients":
        guard xs[0].requiresGrad || xs[1].requiresGrad else { return nil }
        guard GradMode.isEnabled else {
            return withGradEnabled(true) {
                applyConvPoolOp(op, xs.map { Tensor(data: $0.data, requiresGrad: true) }, params)!.detached()
            }
        }
        let x = xs[0].requiresGrad ? xs[0] : Tensor(data: xs[0].data, requiresGrad: true)
        let p = avgPool2d(x, kernelSize: int("kernelSize", 1), stride: params["stride"] as? Int, padding: int("padding", 0))
        let g = try! grad(outputs: [p], inputs: [x], gradOutputs: [xs[1]], createGraph: true)[0]!
        return g * xs[0]
    case "maxPool2d":
        return maxPool2d(xs[0], kernelSize: int("kernelSize", 1), stride: params["stride"] as? Int, padding: int("padding", 0))
    case "avgPool2d":
        return avgPool2d(xs[0], kernelSize: int("kernelSize", 1), stride: params["stride"] as? Int, padding: int("padding", 0))
    default: return nil
    }
}
