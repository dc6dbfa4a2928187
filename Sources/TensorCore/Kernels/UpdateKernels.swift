import Arena
import CTensorCoreShims

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
    /// computes them (Python floats) and rounded once. `weightDecay` is the L2 penalty added to the
    /// gradient (Adam's); `decay` multiplies the parameter first (AdamW's decoupled `1 − lr·λ`;
    /// `1` for none). With `maxV` (AMSGrad), the denominator uses the running maximum of `v`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func adamUpdate(
        grad: DenseTensor, m: DenseTensor, v: DenseTensor, maxV: DenseTensor? = nil,
        weight1: Scalar, beta2: Scalar, weight2: Scalar, eps: Scalar, weightDecay: Scalar,
        decay: Scalar = 1, stepSize: Scalar, correction2Sqrt: Scalar
    ) {
        trapUnless(grad.shape == shape, "Adam: gradient of shape \(grad.shape) for a parameter of shape \(shape)")
        trapUnless(isContiguous, "Adam: the parameter of shape \(shape) is a strided view; optimizers update contiguous parameters")
        let grad = grad.contiguous()
        storage.version += 1
        let n = count
        let amsgrad = maxV != nil
        withMutableElements { p in grad.withElements { g in m.withMutableElements { m in v.withMutableElements { v in
        Self.withMutableElements(of: maxV) { maxV in
            // Single precision 16 at a time without AMSGrad (lane by lane the same operations as
            // the loop below, so the same bits): the scalar loop's square root and division were
            // 5 % of the digits CNN's step.
            let vectorized = amsgrad || Scalar.self != Float.self ? 0 : n / 16 * 16
            func f(_ x: Scalar) -> Float { unsafeBitCast(x, to: Float.self) }
            for i in stride(from: 0, to: vectorized, by: 16) {
                adamStep16(asFloat(p.baseAddress! + i), asFloat(g.baseAddress! + i), asFloat(m.baseAddress! + i), asFloat(v.baseAddress! + i),
                           weight1: f(weight1), beta2: f(beta2), weight2: f(weight2), eps: f(eps),
                           weightDecay: f(weightDecay), decay: f(decay), stepSize: f(stepSize),
                           correction2Sqrt: f(correction2Sqrt))
            }
            for i in vectorized..<n {
                if decay != 1 { p[i] *= decay }
                var d = g[i]
                if weightDecay != 0 { d += weightDecay * p[i] }
                m[i] = lerp(m[i], d, weight1)
                v[i] = v[i] * beta2 + weight2 * d * d
                var second = v[i]
                if amsgrad {
                    maxV[i] = Swift.max(maxV[i], second)
                    second = maxV[i]
                }
                let denominator = second.squareRoot() / correction2Sqrt + eps
                p[i] += (-stepSize * m[i]) / denominator   // addcdiv: (value · m) / denom
            }
        } } } } }
    }

    /// One RMSprop update of `self` (a parameter), in place, with its running mean of squared
    /// gradients `squareAvg`, and, when given, the running mean of gradients `gradAvg` (centered)
    /// and the momentum buffer `momentumBuffer`. `weight = 1 − α` comes from the caller, computed
    /// in Double as torch.optim computes it and rounded once. Follows torch.optim's single-tensor
    /// path operation by operation:
    ///
    ///     d = g + λ·p
    ///     s = s·α + (1 − α)·d·d          a = lerp(a, d, 1 − α)   (centered)
    ///     r = √(s − a·a) + ε  (centered)  r = √s + ε             (otherwise)
    ///     b = b·μ + d / r,  p = p − lr·b  (momentum)              p = p + (−lr·d) / r  (otherwise)
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func rmspropUpdate(
        grad: DenseTensor, squareAvg: DenseTensor, gradAvg: DenseTensor?, momentumBuffer: DenseTensor?,
        lr: Scalar, alpha: Scalar, weight: Scalar, eps: Scalar, weightDecay: Scalar, momentum: Scalar
    ) {
        trapUnless(grad.shape == shape, "RMSprop: gradient of shape \(grad.shape) for a parameter of shape \(shape)")
        trapUnless(isContiguous, "RMSprop: the parameter of shape \(shape) is a strided view; optimizers update contiguous parameters")
        let grad = grad.contiguous()
        storage.version += 1
        let n = count
        let centered = gradAvg != nil, useMomentum = momentumBuffer != nil && momentum > 0
        withMutableElements { p in grad.withElements { g in squareAvg.withMutableElements { s in
        Self.withMutableElements(of: gradAvg) { a in Self.withMutableElements(of: momentumBuffer) { b in
            for i in 0..<n {
                var d = g[i]
                if weightDecay != 0 { d += weightDecay * p[i] }
                s[i] = s[i] * alpha + weight * d * d
                var r: Scalar
                if centered {
                    a[i] = lerp(a[i], d, weight)
                    r = (s[i] + -1 * a[i] * a[i]).squareRoot()   // addcmul(a, a, value=-1)
                } else {
                    r = s[i].squareRoot()
                }
                r += eps
                if useMomentum {
                    b[i] = b[i] * momentum + d / r
                    p[i] += -lr * b[i]
                } else {
                    p[i] += (-lr * d) / r   // addcdiv: (value · d) / r
                }
            }
        } } } } }
    }

    /// The elements of `buffer`, or an empty buffer (no allocation) when it is `nil`: an optional
    /// state buffer enters the same loop as the others, read only where its option is on.
    @inline(__always)
    private static func withMutableElements<R>(
        of buffer: DenseTensor?, _ body: (UnsafeMutableBufferPointer<Scalar>) -> R
    ) -> R {
        guard let buffer else { return body(UnsafeMutableBufferPointer(start: nil, count: 0)) }
        return buffer.withMutableElements(body)
    }

    /// Σ xᵢ², accumulated in Double in index order (the square of the 2-norm, for gradient
    /// clipping).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func sumOfSquares() -> Double {
        let values = contiguous()
        return values.withElements { x in
            var sum = 0.0
            for v in x {
                let d = Double(v)
                sum += d * d
            }
            return sum
        }
    }
}

/// torch.lerp(start, end, weight) as ATen computes it, by different formulas for w < 0.5 and
/// w ≥ 0.5 (so that w = 1 gives `end` exactly).
@inline(__always)
private func lerp<Scalar: BinaryFloatingPoint>(_ start: Scalar, _ end: Scalar, _ weight: Scalar) -> Scalar {
    weight < 0.5 ? start + weight * (end - start) : end - (end - start) * (1 - weight)
}

/// ``DenseTensor/adamUpdate(grad:m:v:maxV:weight1:beta2:weight2:eps:weightDecay:decay:stepSize:correction2Sqrt:)``
/// without AMSGrad on the 16 elements at `p`, `g`, `m`, `v`: its loop's operations, in its order.
@inline(__always)
private func adamStep16(
    _ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>,
    _ v: UnsafeMutablePointer<Float>, weight1: Float, beta2: Float, weight2: Float, eps: Float,
    weightDecay: Float, decay: Float, stepSize: Float, correction2Sqrt: Float
) {
    typealias V = SIMD16<Float>
    func load(_ q: UnsafePointer<Float>) -> V { UnsafeRawPointer(q).loadUnaligned(as: V.self) }
    var (pv, mv, vv, d) = (load(p), load(m), load(v), load(g))
    if decay != 1 { pv *= decay }
    if weightDecay != 0 { d += weightDecay * pv }
    mv = weight1 < 0.5 ? mv + weight1 * (d - mv) : d - (d - mv) * (1 - weight1)   // lerp
    vv = vv * beta2 + weight2 * d * d
    let denominator = _tensorcore_sqrt16(vv) / correction2Sqrt + eps
    pv += (-stepSize * mv) / denominator
    UnsafeMutableRawPointer(p).storeBytes(of: pv, as: V.self)
    UnsafeMutableRawPointer(m).storeBytes(of: mv, as: V.self)
    UnsafeMutableRawPointer(v).storeBytes(of: vv, as: V.self)
}
