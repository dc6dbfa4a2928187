import Autograd

/// The ops gradcheck runs: every op of the golden table (`applyGoldenOp`), plus public
/// differentiable functions that have no golden file entry yet:
///
/// - `linear`: `linear(x, weight: w, bias: b)` (AddmmBackward0), inputs `[x, w]` or `[x, w, b]`.
/// - `matmulTransposedRight`: `a.matmul(w.transposed())` (MmBackward0 over a pending transpose,
///   Note [Lazy transpose]), inputs `[a, w]` with `w` `[m, k]` for `a` `[n, k]`.
///
/// - `fill`, `zero`: `y = x * 2`, then `y.fill(scalar)` / `y.zero()` in place, returning `y + x`
///   (FillBackward2, ZeroBackward0: no gradient reaches the overwritten product).
/// - `copy`: `y = x * 2`, then `y.copy(from: s)` with `s` broadcast to `x`'s shape, returning `y * x`
///   (CopyBackwards: `s` gets the gradient summed to its shape).
///
/// Returns nil for an op this build does not have.
public func gradcheckOp<S: TensorScalar>(_ op: String, _ xs: [Tensor<S>], _ params: [String: Any]) -> Tensor<S>? {
    switch op {
    case "linear": return linear(xs[0], weight: xs[1], bias: xs.count > 2 ? xs[2] : nil)
    case "matmulTransposedRight": return xs[0].matmul(xs[1].transposed())
    case "fill", "zero":
        let y = xs[0] * 2
        if op == "fill" { y.fill(S(params["scalar"] as! Double)) } else { y.zero() }
        return y + xs[0]
    case "copy":
        let y = xs[0] * 2
        y.copy(from: xs[1])
        return y * xs[0]
    default: return applyGoldenOp(op, xs, params)
    }
}
