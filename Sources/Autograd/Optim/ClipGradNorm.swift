import Arena

/// Scales the gradients of `parameters` in place so that their total 2-norm is at most `maxNorm`,
/// and returns the total norm they had (PyTorch's `torch.nn.utils.clip_grad_norm_` with
/// `norm_type=2`, `error_if_nonfinite=False`).
///
/// ```swift
/// try loss.backward()
/// let norm = clipGradNorm(model.parameters, maxNorm: 1.0)
/// optimizer.step()
/// ```
///
/// The total norm is the 2-norm of the gradients' own 2-norms, each rounded to `Scalar` as
/// PyTorch's per-tensor norms are (the sums of squares are taken in `Double`). Every gradient is
/// then multiplied by `min(maxNorm / (total + 1e-6), 1)`: gradients under the limit are left as
/// they are, parameters whose `grad` is `nil` are skipped, and with no gradient at all the result
/// is `0`. A non-finite total is not an error, as with PyTorch's default: an infinite total
/// multiplies every gradient by `0` (so infinite entries become NaN), a NaN total makes every
/// gradient NaN.
///
/// - Parameters:
///   - parameters: The tensors whose `grad` to clip; normally `model.parameters`.
///   - maxNorm: The largest total norm to leave.
/// - Returns: The total norm of the gradients before clipping (PyTorch returns it as a 0-d
///   tensor).
@discardableResult
@_specialize(exported: true, where Scalar == Float)
@_specialize(exported: true, where Scalar == Double)
public func clipGradNorm<Scalar: TensorScalar>(_ parameters: [Tensor<Scalar>], maxNorm: Scalar) -> Scalar {
    let grads = parameters.compactMap(\.grad)
    guard !grads.isEmpty else { return 0 }
    var sumOfSquares = 0.0
    for grad in grads {
        let norm = Double(Scalar(grad.data.sumOfSquares().squareRoot()))
        sumOfSquares += norm * norm
    }
    let total = Scalar(sumOfSquares.squareRoot())
    let coefficient = maxNorm / (total + Scalar(1e-6))
    let clamped = coefficient > 1 ? 1 : coefficient   // torch.clamp(max=1): NaN stays NaN
    if clamped != 1 {
        withNoGrad {
            for grad in grads { grad *= clamped }
        }
    }
    return total
}
