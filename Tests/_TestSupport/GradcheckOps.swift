import Autograd

/// The ops gradcheck runs: every op of the golden table (`applyGoldenOp`), plus public
/// differentiable functions that have no golden file entry yet:
///
/// - `linear`: `linear(x, weight: w, bias: b)` (AddmmBackward0 for a 2-D `x`), inputs `[x, w]` or
///   `[x, w, b]`; with `transposedInput`, `x` is `xs[0].transposed(0, 1)`.
/// - `matmulTransposedRight`: `a.matmul(w.transposed())` (MmBackward0 of a transposed view,
///   whose gradient is formed in the view's layout), inputs `[a, w]` with `w` `[m, k]` for `a` `[n, k]`.
/// - `inPlaceThroughView`: `y = x * 2`, then `y.transposed() *= s` (`s` broadcast to the
///   transpose's shape) or, with `params["fill"]`, `y.transposed().fill(...)`, returning `y * x`
///   (CopySlices on `y`, AsStridedBackward0 on the view).
/// - `cat`, `stack`: `Tensor.cat(xs, dim:)`, `Tensor.stack(xs, dim:)` (CatBackward0, StackBackward0).
/// - `split`, `splitSizes`, `chunked`, `unbind`: the pieces of `xs[0]` (`params`: `dim`, and
///   `size`, `sizes` or `chunks`), each times its position plus one, joined again by `cat` along
///   `dim` (by `stack` for `unbind`): every piece's gradient tells.
///
/// - `fill`, `zero`: `y = x * 2`, then `y.fill(scalar)` / `y.zero()` in place, returning `y + x`
///   (FillBackward2, ZeroBackward0: no gradient reaches the overwritten product).
/// - `copy`: `y = x * 2`, then `y.copy(from: s)` with `s` broadcast to `x`'s shape, returning `y * x`
///   (CopyBackwards: `s` gets the gradient summed to its shape).
///
/// - The view ops of API.md "Views share storage" (params as the step language of
///   Tests/Fixtures/README.md names them): `permuted` (`dims`), `squeezed` (optional `dim`),
///   `flattened` (`startDim`, `endDim`), `select` (`dim`, `index`), `narrow` (`dim`, `start`,
///   `length`), `contiguous`, `cloned`, and `reshapedStrided` (`shape`: `reshaped` of a strided
///   input, so ReshapeAliasBackward0 or, where no view fits, CloneBackward0 + UnsafeViewBackward0).
///   With a `permutedFirst` permutation, the op reads `x.permuted(permutedFirst)` (a strided,
///   non-contiguous input) instead of `x`.
///
/// - `subscript`: `x[indices]` (`indices` as the step language writes them, Tests/Fixtures/README.md:
///   SelectBackward0, SliceBackward0 with a step, UnsqueezeBackward0, AliasBackward0), also after
///   `permutedFirst`.
/// - `subscriptSet`: `y = x * 2`, then `y[indices] = s` (`xs[1]`, broadcast) or `= scalar`,
///   returning `y * x` (CopySlices of `y`; a lone `.ellipsis` writes `y` itself: CopyBackwards,
///   or FillBackward3 with a 0-d `s` or a scalar). With `throughTransposed`, the write goes
///   through `v = y.transposed()` (`v[indices] = ...`, formed out of place and copied into `v`,
///   Note [Subscript setters]), returning `y * x + v.sum()`; with `throughExpanded: shape`, through
///   `e = y.expanded(to: shape)` (a row of it), returning `y * x + (e * e).sum()` (`e` made again as
///   AsStridedBackward0 of `y`, whose elements share positions).
///
/// - Gathering (API.md "Joining, gathering, selecting"), the `Int` and `Bool` tensors made from
///   `params` (`index`/`mask`/`condition` values, row-major, with `indexShape`/`maskShape`/
///   `conditionShape`; a 1-d shape of their count when absent): `indexSelect` (`dim`), `gather`
///   (`dim`), `scatterAdd` (`xs[0].scatterAdd(dim:index:source: xs[1])`), `maskedFill`
///   (`scalar`), `where` (`Tensor.where(condition, xs[0], xs[1])`).
/// - `subscriptTensor`: `x[index]` with a `Tensor<Int>` `index`, or `x[mask]` (IndexBackward0).
/// - `subscriptSetTensor`: `y = x * 2`, then `y[index or mask] = xs[1]` (broadcast) or `= scalar`,
///   returning `y * x` (IndexPutBackward0).
///
/// Returns nil for an op this build does not have.
public func gradcheckOp<S: TensorScalar>(_ op: String, _ xs: [Tensor<S>], _ params: [String: Any]) -> Tensor<S>? {
    switch op {
    case "linear":
        let x = params["transposedInput"] as? Bool == true ? xs[0].transposed(0, 1) : xs[0]
        return linear(x, weight: xs[1], bias: xs.count > 2 ? xs[2] : nil)
    case "matmulTransposedRight": return xs[0].matmul(xs[1].transposed())
    case "inPlaceThroughView":
        let y = xs[0] * 2
        let view = y.transposed()
        if let value = params["fill"] as? Double { view.fill(S(value)) } else { view *= xs[1] }
        return y * xs[0] + view.sum()
    case "cat": return Tensor.cat(xs, dim: params["dim"] as! Int)
    case "stack": return Tensor.stack(xs, dim: params["dim"] as! Int)
    case "split", "splitSizes", "chunked", "unbind":
        let dim = params["dim"] as! Int
        let pieces = switch op {
        case "split": xs[0].split(size: params["size"] as! Int, dim: dim)
        case "splitSizes": xs[0].split(sizes: params["sizes"] as! [Int], dim: dim)
        case "chunked": xs[0].chunked(params["chunks"] as! Int, dim: dim)
        default: xs[0].unbind(dim: dim)
        }
        let weighted = pieces.enumerated().map { k, piece in piece * S(k + 1) }
        return op == "unbind" ? Tensor.stack(weighted, dim: dim) : Tensor.cat(weighted, dim: dim)
    case "fill", "zero":
        let y = xs[0] * 2
        if op == "fill" { y.fill(S(params["scalar"] as! Double)) } else { y.zero() }
        return y + xs[0]
    case "copy":
        let y = xs[0] * 2
        y.copy(from: xs[1])
        return y * xs[0]
    case "permuted", "squeezed", "flattened", "select", "narrow", "contiguous", "cloned", "reshapedStrided":
        let x = (params["permutedFirst"] as? [Int]).map { xs[0].permuted($0) } ?? xs[0]
        switch op {
        case "permuted": return x.permuted(params["dims"] as! [Int])
        case "squeezed": return (params["dim"] as? Int).map { x.squeezed(dim: $0) } ?? x.squeezed()
        case "flattened": return x.flattened(startDim: params["startDim"] as! Int, endDim: params["endDim"] as! Int)
        case "select": return x.select(dim: params["dim"] as! Int, index: params["index"] as! Int)
        case "narrow": return x.narrow(dim: params["dim"] as! Int, start: params["start"] as! Int, length: params["length"] as! Int)
        case "contiguous": return x.contiguous()
        case "cloned": return x.cloned()
        default: return x.reshaped(params["shape"] as! [Int])
        }
    case "subscript":
        let x = (params["permutedFirst"] as? [Int]).map { xs[0].permuted($0) } ?? xs[0]
        return x.subscripted(tensorIndices(fromJSON: params["indices"] as! [Any])!)
    case "subscriptSet":
        let indices = tensorIndices(fromJSON: params["indices"] as! [Any])!
        let y = xs[0] * 2
        let target = if let shape = params["throughExpanded"] as? [Int] {
            y.expanded(to: shape)
        } else if params["throughTransposed"] as? Bool == true {
            y.transposed()
        } else {
            y
        }
        if let scalar = params["scalar"] as? Double {
            target.setSubscript(indices, S(scalar))
        } else {
            target.setSubscript(indices, xs[1])
        }
        if target === y { return y * xs[0] }
        return params["throughExpanded"] != nil ? y * xs[0] + (target * target).sum() : y * xs[0] + target.sum()
    case "indexSelect", "gather", "scatterAdd", "maskedFill", "where", "subscriptTensor", "subscriptSetTensor":
        return gatheringOp(op, xs, params)
    default: return ReductionsLossesGradcheck.apply(op, xs, params) ?? applyGoldenOp(op, xs, params) ?? applyElementwiseOp(op, xs, params) ?? applyProductsNormOp(op, xs, params) ?? applyConvPoolOp(op, xs, params) ?? applyAttentionOp(op, xs, params)
    }
}

/// The gathering ops of ``gradcheckOp(_:_:_:)``, with their index and mask tensors made from `params`.
private func gatheringOp<S: TensorScalar>(_ op: String, _ xs: [Tensor<S>], _ params: [String: Any]) -> Tensor<S> {
    func tensor<T: TensorElement>(_ key: String, _: T.Type) -> Tensor<T>? {
        guard let values = params[key] as? [T] else { return nil }
        return try! Tensor<T>(values, shape: params[key + "Shape"] as? [Int] ?? [values.count])
    }
    let dim = params["dim"] as? Int ?? 0
    var index: any TensorIndexExpression { tensor("index", Int.self) ?? tensor("mask", Bool.self)! }
    switch op {
    case "indexSelect": return xs[0].indexSelect(dim: dim, index: tensor("index", Int.self)!)
    case "gather": return xs[0].gather(dim: dim, index: tensor("index", Int.self)!)
    case "scatterAdd": return xs[0].scatterAdd(dim: dim, index: tensor("index", Int.self)!, source: xs[1])
    case "maskedFill": return xs[0].maskedFill(tensor("mask", Bool.self)!, with: S(params["scalar"] as! Double))
    case "where": return Tensor.where(tensor("condition", Bool.self)!, xs[0], xs[1])
    case "subscriptTensor": return xs[0][index]
    default:
        let y = xs[0] * 2
        if let scalar = params["scalar"] as? Double { y[index] = S(scalar) } else { y[index] = xs[1] }
        return y * xs[0]
    }
}
