import RealModule

/// Softmax and log-softmax along a dimension, computed stably: each slice is shifted by its
/// maximum first, so logits of ±1e4 neither overflow nor lose the result to `inf - inf`.
extension DenseTensor where Scalar: TensorScalar {
    /// `exp(x - max) / Σ exp(x - max)` along `dim`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func softmax(dim: Int) -> DenseTensor {
        normalized(dim: dim, log: false)
    }

    /// `x - max - log Σ exp(x - max)` along `dim`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func logSoftmax(dim: Int) -> DenseTensor {
        normalized(dim: dim, log: true)
    }

    @inlinable
    func normalized(dim: Int, log: Bool) -> DenseTensor {
        guard isContiguous else { return contiguous().normalized(dim: dim, log: log) }
        let axis = Shape.normalize(dim: dim, rank: rank)
        let out = DenseTensor(uninitializedShape: shape)
        // Before `split`: an empty shape's other sizes may overflow when multiplied ([0, 2^62, 38]).
        guard count > 0 else { return out }
        let (outer, size, inner) = split(axis)
        // Float slices along the last dimension: all their exps in one call of the vectorized
        // kernel (Note [Vectorized exp]), over `x - max` written first. Slice by slice, a softmax
        // over 10 classes ran only the kernel's scalar tail.
        let allAtOnce = inner == 1 && Scalar.self == Float.self
        withElements { src in out.withMutableElements { dst in
            @inline(__always) func maximum(_ base: Int) -> Scalar {
                var m = -Scalar.infinity
                for k in 0..<size { m = Swift.max(m, src[base &+ k &* inner]) }
                return m == -.infinity ? 0 : m   // an all -inf slice gives NaN below, as PyTorch
            }
            if allAtOnce {
                for o in 0..<outer {
                    let base = o &* size, m = maximum(base)
                    for k in 0..<size { dst[base &+ k] = src[base &+ k] - m }
                }
                let p = UnsafeMutableRawPointer(dst.baseAddress!).assumingMemoryBound(to: Float.self)
                ExpKernel.apply(p, p, outer &* size)
            }
            for o in 0..<outer {
                for i in 0..<inner {
                    let base = o &* size &* inner &+ i, m = maximum(base)
                    var total: Scalar = 0
                    if allAtOnce {
                        for k in 0..<size { total += dst[base &+ k] }
                    } else {
                        for k in 0..<size {
                            let e = Scalar.exp(src[base &+ k &* inner] - m)
                            total += e
                            if !log { dst[base &+ k &* inner] = e }
                        }
                    }
                    if log {
                        let shift = m + Scalar.log(total)
                        for k in 0..<size { dst[base &+ k &* inner] = src[base &+ k &* inner] - shift }
                    } else {
                        let scale = 1 / total
                        for k in 0..<size { dst[base &+ k &* inner] *= scale }
                    }
                }
            }
        } }
        return out
    }
}
