import Arena

// The optimizers' parameter updates as single fused passes: one read of each buffer, one write,
// and no temporary tensor, so that a training step's update allocates nothing. The arithmetic
// follows torch.optim's single-tensor code path operation by operation.

extension DenseTensor where Scalar: TensorScalar {
    /// One SGD update of `self` (a parameter) from `grad`, in place; `momentumBuffer` (same shape)
    /// is read and written when `momentum != 0`, and initialized from the gradient when `isFirstStep`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func sgdUpdate(
        grad: DenseTensor, momentumBuffer: DenseTensor?, isFirstStep: Bool,
        lr: Scalar, momentum: Scalar, dampening: Scalar, weightDecay: Scalar, nesterov: Bool
    ) {
        trapUnless(grad.shape == shape, "SGD: gradient of shape \(grad.shape) for a parameter of shape \(shape)")
        trapUnless(isContiguous, "SGD: the parameter of shape \(shape) is a strided view; optimizers update contiguous parameters")
        let grad = grad.contiguous()
        storage.version += 1
        let n = count
        withMutableElements { p in grad.withElements { g in
            if let buffer = momentumBuffer, momentum != 0 {
                buffer.withMutableElements { b in
                    for i in 0..<n {
                        var d = g[i]
                        if weightDecay != 0 { d += weightDecay * p[i] }
                        b[i] = isFirstStep ? d : momentum * b[i] + (1 - dampening) * d
                        d = nesterov ? d + momentum * b[i] : b[i]
                        p[i] -= lr * d
                    }
                }
            } else {
                for i in 0..<n {
                    var d = g[i]
                    if weightDecay != 0 { d += weightDecay * p[i] }
                    p[i] -= lr * d
                }
            }
        } }
    }

    /// One Adam update of `self` (a parameter), in place, with its moment buffers `m` and `v`.
    /// `weight1 = 1 − β₁`, `weight2 = 1 − β₂`, `stepSize = lr / (1 − β₁ᵗ)` and
    /// `correction2Sqrt = √(1 − β₂ᵗ)` come from the caller, computed in Double as torch.optim
    /// computes them (Python floats) and rounded once.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func adamUpdate(
        grad: DenseTensor, m: DenseTensor, v: DenseTensor,
        weight1: Scalar, beta2: Scalar, weight2: Scalar, eps: Scalar, weightDecay: Scalar,
        stepSize: Scalar, correction2Sqrt: Scalar
    ) {
        trapUnless(grad.shape == shape, "Adam: gradient of shape \(grad.shape) for a parameter of shape \(shape)")
        trapUnless(isContiguous, "Adam: the parameter of shape \(shape) is a strided view; optimizers update contiguous parameters")
        let grad = grad.contiguous()
        storage.version += 1
        let n = count
        withMutableElements { p in grad.withElements { g in m.withMutableElements { m in v.withMutableElements { v in
            let weight = weight1
            for i in 0..<n {
                var d = g[i]
                if weightDecay != 0 { d += weightDecay * p[i] }
                // torch.lerp(m, d, w) as ATen computes it for w < 0.5 and w ≥ 0.5
                m[i] = weight < 0.5 ? m[i] + weight * (d - m[i]) : d - (d - m[i]) * (1 - weight)
                v[i] = v[i] * beta2 + weight2 * d * d
                let denominator = v[i].squareRoot() / correction2Sqrt + eps
                p[i] += (-stepSize * m[i]) / denominator   // addcdiv: (value · m) / denom
            }
        } } } }
    }
}
