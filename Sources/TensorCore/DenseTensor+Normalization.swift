import Arena

/// The forward kernels of layer and batch normalization: per-group moments in one pass over
/// contiguous rows (accumulated in `Double`), then one affine pass `(x − μ)·σ⁻¹·w + b`.
extension DenseTensor where Scalar: TensorScalar {
    /// The mean and the biased variance of each group of a contiguous tensor read as
    /// `[outer, groups, inner]`, over its `outer` and `inner` positions: `outer == 1` gives the
    /// rows of a layer norm (`groups` rows of `inner` elements), `inner` the spatial size and
    /// `groups` the channels of a batch norm.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func groupMoments(outer: Int, groups: Int, inner: Int) -> (mean: [Double], variance: [Double]) {
        let x = contiguous()
        var mean = [Double](repeating: 0, count: groups), variance = [Double](repeating: 0, count: groups)
        let n = Double(outer * inner)
        guard outer * inner > 0 else {
            return ([Double](repeating: .nan, count: groups), [Double](repeating: .nan, count: groups))
        }
        x.withElements { p in
            for g in 0..<groups {
                var total = 0.0
                for o in 0..<outer {
                    let row = p.baseAddress! + (o * groups + g) * inner
                    for i in 0..<inner { total += Double(row[i]) }
                }
                let mu = total / n
                var squares = 0.0
                for o in 0..<outer {
                    let row = p.baseAddress! + (o * groups + g) * inner
                    for i in 0..<inner {
                        let d = Double(row[i]) - mu
                        squares += d * d
                    }
                }
                mean[g] = mu
                variance[g] = squares / n
            }
        }
        return (mean, variance)
    }

    /// `(x − mean[g]) · invstd[g] · weight[g] + bias[g]` for each element of group `g` of this
    /// tensor read as `[outer, groups, inner]`, where `weight` and `bias` are either per group
    /// (`perGroup`) or per position within a row of `inner` elements (a layer norm's, of the
    /// normalized shape).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func affineNormalized(outer: Int, groups: Int, inner: Int, mean: [Double], invstd: [Double],
                                 weight: DenseTensor?, bias: DenseTensor?, perGroup: Bool) -> DenseTensor {
        let x = contiguous()
        let out = DenseTensor(uninitializedShape: shape)
        guard count > 0 else { return out }
        let w = weight?.contiguous(), b = bias?.contiguous()
        x.withElements { p in out.withMutableElements { q in
            let wp = w.map { UnsafePointer($0.start) }, bp = b.map { UnsafePointer($0.start) }
            for o in 0..<outer {
                for g in 0..<groups {
                    let base = (o * groups + g) * inner
                    let src = p.baseAddress! + base, dst = q.baseAddress! + base
                    let mu = Scalar(mean[g]), s = Scalar(invstd[g])
                    if perGroup {
                        let scale = s * (wp?[g] ?? 1), shift = bp?[g] ?? 0
                        for i in 0..<inner { dst[i] = (src[i] - mu) * scale + shift }
                    } else {
                        for i in 0..<inner { dst[i] = (src[i] - mu) * s }
                        if let wp { for i in 0..<inner { dst[i] *= wp[i] } }
                        if let bp { for i in 0..<inner { dst[i] += bp[i] } }
                    }
                }
            }
        } }
        withExtendedLifetime((w, b)) {}
        return out
    }
}
