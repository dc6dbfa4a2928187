import Arena

// Dropout as PyTorch 2.11 computes it on the CPU (ATen's `_dropout_impl`): a mask of
// Bernoulli(1 − p) samples scaled by 1/(1 − p), multiplied in, so it records MulBackward0 and the
// backward multiplies by the same mask (the node keeps it as the product's other factor).

extension DenseTensor where Scalar: TensorScalar {
    /// `1/(1 − p)` with probability `1 − p`, else 0, for each element: dropout's scaled mask.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func dropoutMask(_ shape: [Int], p: Double, using generator: inout RandomGenerator) -> DenseTensor {
        let mask = DenseTensor(uninitializedShape: shape)
        let keep = 1 - p, scale = 1 / Scalar(keep)
        mask.withMutableElements { m in
            for i in 0..<m.count { m[i] = generator.nextUnit() < keep ? scale : 0 }
        }
        return mask
    }
}

/// Each element of `input` zeroed with probability `p` and the others scaled by `1/(1 − p)`
/// (MulBackward0: the gradient is masked and scaled the same way), PyTorch's
/// `torch.nn.functional.dropout`. The mask is drawn from this thread's default generator
/// (seeded by `Tensor.manualSeed(_:)`), so a seed gives the same mask again; the samples differ
/// from PyTorch's for the same seed.
///
/// With `p == 0`, `training: false` or an empty input, returns `input` itself (no copy, no
/// node); with `p == 1`, zeros.
///
/// ```swift
/// let h = dropout(x.relu(), p: 0.2, training: model.isTraining)
/// ```
///
/// Traps with PyTorch's message for `p` outside `[0, 1]`.
@_specialize(exported: true, where Scalar == Float)
@_specialize(exported: true, where Scalar == Double)
public func dropout<Scalar: TensorScalar>(_ input: Tensor<Scalar>, p: Double = 0.5, training: Bool = true) -> Tensor<Scalar> {
    trapUnless(p >= 0 && p <= 1, "dropout probability has to be between 0 and 1, but got \(p)")
    if p == 0 || !training || input.count == 0 { return input }
    if p == 1 { return input * Tensor(data: DenseTensor(0)) }
    let mask = DenseTensor<Scalar>.dropoutMask(input.shape, p: p, using: &ThreadContext.current.generator)
    return input * Tensor(data: mask)
}
