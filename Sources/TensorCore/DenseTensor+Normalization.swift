import Arena

/// The forward kernels of layer and batch normalization: per-group moments over contiguous rows,
/// then one affine pass `(x − μ)·σ⁻¹·w + b`, vectorized, over the rows.
extension DenseTensor where Scalar: TensorScalar {
    /// The mean and the biased variance of each group of a contiguous tensor read as
    /// `[outer, groups, inner]`, over its `outer` and `inner` positions: `outer == 1` gives the
    /// rows of a layer norm (`groups` rows of `inner` elements), `inner` the spatial size and
    /// `groups` the channels of a batch norm. Two passes over each row (the sum, then the squared
    /// deviations from the mean, which doesn't cancel as `E[x²] − E[x]²` does), each on SIMD16
    /// accumulators (``sumKernel(_:_:)``). NaN for a group without elements. Written into
    /// `mean` and `variance` (`groups` elements each): the caller's buffers, not arrays of their
    /// own, so that a batch norm allocates nothing for its statistics.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func groupMoments(outer: Int, groups: Int, inner: Int, mean: UnsafeMutableBufferPointer<Double>,
                             variance: UnsafeMutableBufferPointer<Double>) {
        guard outer * inner > 0 else {
            mean.update(repeating: .nan)
            variance.update(repeating: .nan)
            return
        }
        let x = contiguous()
        let n = Scalar(outer * inner)
        x.withElements { p in
            let base = p.baseAddress!
            for g in 0..<groups {
                var total: Scalar = 0
                for o in 0..<outer { total += Self.sumKernel(base + (o &* groups &+ g) &* inner, inner) }
                let mu = total / n
                var squares: Scalar = 0
                for o in 0..<outer { squares += Self.squaredDeviationSum(base + (o &* groups &+ g) &* inner, inner, mean: mu) }
                mean[g] = Double(mu)
                variance[g] = Double(squares / n)
            }
        }
    }

    /// `Σ (p[i] − mean)²` over `n` elements, on two SIMD16 accumulators, their lanes added in
    /// order or (`tree`, for rows) as a tree (``laneSum(_:)``).
    @inlinable
    static func squaredDeviationSum(_ p: UnsafePointer<Scalar>, _ n: Int, mean: Scalar, tree: Bool = false) -> Scalar {
        var acc0 = SIMD16<Scalar>(), acc1 = SIMD16<Scalar>()
        let m = SIMD16<Scalar>(repeating: mean)
        var i = 0
        while i &+ 32 <= n {
            let d0 = loadVec(p + i, 0) - m, d1 = loadVec(p + i, 1) - m
            acc0 += d0 * d0
            acc1 += d1 * d1
            i &+= 32
        }
        if i &+ 16 <= n {
            let d = loadVec(p + i, 0) - m
            acc0 += d * d
            i &+= 16
        }
        var total = tree ? laneSum(acc0 + acc1) : (acc0 + acc1).sum()
        while i < n {
            let d = p[i] - mean
            total += d * d
            i &+= 1
        }
        return total
    }

    /// `(x − mean[g]) · invstd[g] · weight[g] + bias[g]` for each element of group `g` of this
    /// tensor read as `[outer, groups, inner]` (a batch norm's channels; a layer norm's rows have
    /// their own kernels, Note [Layer norm rows]).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func affineNormalized(outer: Int, groups: Int, inner: Int, mean: UnsafeBufferPointer<Double>,
                                 invstd: UnsafeBufferPointer<Double>,
                                 weight: DenseTensor?, bias: DenseTensor?) -> DenseTensor {
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
                    let scale = s * (wp?[g] ?? 1), shift = bp?[g] ?? 0
                    for i in 0..<inner { dst[i] = (src[i] - mu) * scale + shift }
                }
            }
        } }
        withExtendedLifetime((w, b)) {}
        return out
    }
}

extension DenseTensor where Scalar: TensorScalar {
    /// The gradients of a normalization of this tensor (its input, read as `[outer, groups,
    /// inner]`, contiguous or not) from the output's gradient `grad`, in one pass per group after
    /// the two sums the input's gradient needs, the plain sweep's fused form of
    /// `NativeBatchNormBackward0`'s derivative (a layer norm's rows have their own kernels):
    ///
    /// - input, with the batch's statistics (`batchStatistics`):
    ///   `σ⁻¹ · (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂))` per group, `ĝ = g · w`, `x̂ = (x − μ) · σ⁻¹`;
    ///   with fixed ones (an evaluation-mode batch norm): `σ⁻¹ · ĝ`;
    /// - weight: `Σ g · x̂`, bias: `Σ g`, per group (a batch norm's channels).
    ///
    /// `mean` and `invstd` are the forward's, per group.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func normalizationGradients(
        _ grad: DenseTensor, outer: Int, groups: Int, inner: Int, mean: UnsafeBufferPointer<Double>,
        invstd: UnsafeBufferPointer<Double>, weight: DenseTensor?,
        batchStatistics: Bool, needsInput: Bool, needsWeight: Bool, needsBias: Bool, parameterShape: [Int]? = nil
    ) -> (input: DenseTensor?, weight: DenseTensor?, bias: DenseTensor?) {
        let x = contiguous(), g = grad.contiguous(), w = weight?.contiguous()
        let dx = needsInput ? DenseTensor(uninitializedShape: shape) : nil
        let parameterShape = parameterShape ?? [groups]   // the weight's own array, where the caller has it
        let dw = needsWeight ? DenseTensor(shape: parameterShape, repeating: 0) : nil
        let db = needsBias ? DenseTensor(shape: parameterShape, repeating: 0) : nil
        guard count > 0 else { return (dx, dw, db) }
        let n = Scalar(outer * inner)
        x.withElements { xp in g.withElements { gp in
            let xb = xp.baseAddress!, gb = gp.baseAddress!
            let wp = w.map { UnsafePointer($0.start) }
            let dxp = dx?.start, dwp = dw?.start, dbp = db?.start
            for group in 0..<groups {
                let mu = Scalar(mean[group]), s = Scalar(invstd[group])
                let groupWeight: Scalar = wp?[group] ?? 1
                // Σ ĝ and Σ ĝ·x̂ over the group, with the parameters' sums along the way.
                var sumG: Scalar = 0, sumGX: Scalar = 0, sumRawG: Scalar = 0, sumRawGX: Scalar = 0
                for o in 0..<outer {
                    let base = (o &* groups &+ group) &* inner
                    let xr = xb + base, gr = gb + base
                    for i in 0..<inner {
                        let xhat = (xr[i] - mu) * s, gi = gr[i]
                        let gw = gi * groupWeight
                        sumG += gw
                        sumGX += gw * xhat
                        sumRawG += gi
                        sumRawGX += gi * xhat
                    }
                }
                dwp?[group] = sumRawGX
                dbp?[group] = sumRawG
                guard let dxp else { continue }
                let meanG = sumG / n, meanGX = sumGX / n
                for o in 0..<outer {
                    let base = (o &* groups &+ group) &* inner
                    let xr = xb + base, gr = gb + base, out = dxp + base
                    let scale = s * groupWeight
                    if batchStatistics {
                        let shift = s * meanGX
                        for i in 0..<inner { out[i] = scale * gr[i] - s * meanG - (xr[i] - mu) * s * shift }
                    } else {
                        for i in 0..<inner { out[i] = scale * gr[i] }
                    }
                }
            }
        } }
        withExtendedLifetime((x, g, w)) {}
        return (dx, dw, db)
    }
}

// MARK: - Layer norm, row by row

// Note [Layer norm rows]: a layer norm's rows (a token's 128 features) fit in L1, so the forward
// and the backward each take one row at a time through all their passes (moments, then the
// output; moments, the two sums, then the gradients), rows split across cores. The backward
// computes each row's mean and 1/σ again from the input, which costs a read of a row already
// in cache and saves keeping them: nothing is allocated but the results (and, on two threads,
// the second thread's weight and bias partials, on the stack).

extension DenseTensor where Scalar: TensorScalar {
    /// The mean and `1/√(var + eps)` of `n` elements (the biased variance, two passes).
    @inlinable
    static func rowMoments(_ p: UnsafePointer<Scalar>, _ n: Int, eps: Scalar) -> (mean: Scalar, rstd: Scalar) {
        let mean = rowSum(p, n) / Scalar(n)
        let variance = squaredDeviationSum(p, n, mean: mean, tree: true) / Scalar(n)
        return (mean, 1 / (variance + eps).squareRoot())
    }

    /// Layer normalization of this tensor's `rows` rows of `inner` elements:
    /// `(x − μ)·σ⁻¹·w + b` per row, `weight` and `bias` (`inner` elements) where given.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func layerNormalized(rows: Int, inner: Int, weight: DenseTensor?, bias: DenseTensor?, eps: Double) -> DenseTensor {
        let x = contiguous(), w = weight?.contiguous(), b = bias?.contiguous()
        let out = DenseTensor(uninitializedShape: shape)
        guard count > 0 else { return out }
        let xp = UnsafePointer(x.start), o = out.start, e = Scalar(eps)
        let wp = w.map { UnsafePointer($0.start) }, bp = b.map { UnsafePointer($0.start) }
        Self.forEachRowBlock(rows: rows, elements: count) { block in
            if Scalar.self == Float.self {
                return LayerNormRowsKernel.apply(
                    asFloat(o), asFloat(xp), weight: wp.map { asFloat($0) }, bias: bp.map { asFloat($0) },
                    n: inner, rows: block, eps: Float(eps))
            }
            for r in block {
                let xr = xp + r &* inner, y = o + r &* inner
                let (mu, rstd) = Self.rowMoments(xr, inner, eps: e)
                switch (wp, bp) {
                case let (wp?, bp?): for i in 0..<inner { y[i] = (xr[i] - mu) * rstd * wp[i] + bp[i] }
                case let (wp?, nil): for i in 0..<inner { y[i] = (xr[i] - mu) * rstd * wp[i] }
                case let (nil, bp?): for i in 0..<inner { y[i] = (xr[i] - mu) * rstd + bp[i] }
                case (nil, nil): for i in 0..<inner { y[i] = (xr[i] - mu) * rstd }
                }
            }
        }
        withExtendedLifetime((x, w, b)) {}
        return out
    }

    /// The gradients of ``layerNormalized(rows:inner:weight:bias:eps:)`` of this tensor from the
    /// output's gradient `grad`, the plain sweep's NativeLayerNormBackward0: per row,
    /// `σ⁻¹ · (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂))`, `ĝ = g · w`, `x̂ = (x − μ) · σ⁻¹`; the weight's
    /// `Σ g · x̂` and the bias's `Σ g` down the rows.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func layerNormGradients(
        _ grad: DenseTensor, rows: Int, inner: Int, weight: DenseTensor?, eps: Double,
        needsInput: Bool, needsWeight: Bool, needsBias: Bool, parameterShape: [Int]? = nil
    ) -> (input: DenseTensor?, weight: DenseTensor?, bias: DenseTensor?) {
        let x = contiguous(), g = grad.contiguous(), w = weight?.contiguous()
        let dx = needsInput ? DenseTensor(uninitializedShape: shape) : nil
        let parameterShape = parameterShape ?? [inner]   // the weight's own array, where the caller has it
        let dw = needsWeight ? DenseTensor(shape: parameterShape, repeating: 0) : nil
        let db = needsBias ? DenseTensor(shape: parameterShape, repeating: 0) : nil
        guard count > 0 else { return (dx, dw, db) }
        let xp = UnsafePointer(x.start), gp = UnsafePointer(g.start), e = Scalar(eps)
        let wp = w.map { UnsafePointer($0.start) }
        let dxp = dx?.start, dwp = dw?.start, dbp = db?.start
        let parts = count >= Parallel.minimumElements ? Swift.min(Parallel.threads, rows, 2) : 1
        // The first block adds into dw and db; a second one into partials on its stack, added after.
        withUnsafeTemporaryAllocation(of: Scalar.self, capacity: parts > 1 ? 2 &* inner : 0) { partials in
            if parts > 1 { partials.initialize(repeating: 0) }
            let step = (rows + parts - 1) / parts
            Parallel.forEachPart(parts) { part in
                let lo = part &* step, hi = Swift.min(rows, lo &+ step)
                let sw = part == 0 ? dwp : dwp.map { _ in partials.baseAddress! }
                let sb = part == 0 ? dbp : dbp.map { _ in partials.baseAddress! + inner }
                if Scalar.self == Float.self {
                    return LayerNormRowsKernel.gradients(
                        dx: dxp.map { asFloat($0) }, dw: sw.map { asFloat($0) }, db: sb.map { asFloat($0) }, asFloat(xp),
                        grad: asFloat(gp), weight: wp.map { asFloat($0) }, n: inner, rows: lo..<Swift.max(lo, hi),
                        eps: Float(eps))
                }
                for r in lo..<Swift.max(lo, hi) {
                    Self.layerNormRowGradients(xp + r &* inner, gp + r &* inner, inner, eps: e, weight: wp,
                                               dx: dxp.map { $0 + r &* inner }, dw: sw, db: sb)
                }
            }
            if parts > 1 {
                if let dwp { for i in 0..<inner { dwp[i] += partials[i] } }
                if let dbp { for i in 0..<inner { dbp[i] += partials[inner &+ i] } }
            }
        }
        withExtendedLifetime((x, g, w)) {}
        return (dx, dw, db)
    }

    /// One row of ``layerNormGradients(_:rows:inner:weight:eps:needsInput:needsWeight:needsBias:)``:
    /// its input's gradient into `dx`, its terms of the weight's and bias's added to `dw`, `db`.
    @inlinable
    static func layerNormRowGradients(
        _ x: UnsafePointer<Scalar>, _ g: UnsafePointer<Scalar>, _ n: Int, eps: Scalar, weight w: UnsafePointer<Scalar>?,
        dx: UnsafeMutablePointer<Scalar>?, dw: UnsafeMutablePointer<Scalar>?, db: UnsafeMutablePointer<Scalar>?
    ) {
        let (mu, rstd) = rowMoments(x, n, eps: eps)
        if let dw { for i in 0..<n { dw[i] += g[i] * ((x[i] - mu) * rstd) } }
        if let db { for i in 0..<n { db[i] += g[i] } }
        guard let dx else { return }
        // Σ ĝ and Σ ĝ·x̂ on vector accumulators.
        let muV = SIMD16<Scalar>(repeating: mu), rV = SIMD16<Scalar>(repeating: rstd)
        var accG = SIMD16<Scalar>(), accGX = SIMD16<Scalar>()
        var i = 0
        while i &+ 16 <= n {
            let gv = w.map { loadVec(g + i, 0) * loadVec($0 + i, 0) } ?? loadVec(g + i, 0)
            accG += gv
            accGX += gv * ((loadVec(x + i, 0) - muV) * rV)
            i &+= 16
        }
        var sumG = laneSum(accG), sumGX = laneSum(accGX)
        while i < n {
            let gv = g[i] * (w?[i] ?? 1)
            sumG += gv
            sumGX += gv * ((x[i] - mu) * rstd)
            i &+= 1
        }
        let meanG = sumG / Scalar(n), meanGX = sumGX / Scalar(n)
        if let w {
            for i in 0..<n { dx[i] = rstd * (g[i] * w[i] - meanG - (x[i] - mu) * rstd * meanGX) }
        } else {
            for i in 0..<n { dx[i] = rstd * (g[i] - meanG - (x[i] - mu) * rstd * meanGX) }
        }
    }
}
