import Arena
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
        if inner == 1 && size >= 16 {
            // Note [Softmax rows]: rows long enough for a vector each (attention scores of 64,
            // a character model's 65 logits) go row by row, each in cache: a vector maximum, the
            // exponentials shifted by it, a vector sum, then the scale (or, for log-softmax,
            // `x − max − log Σ`); Float rows in the C kernel of softmax_f32.c (the same passes
            // in Swift spent a third of the time in `SIMD16.sum()` and an out-of-line SIMD
            // maximum); split across cores by rows.
            withElements { src in out.withMutableElements { dst in
                let x = src.baseAddress!, y = dst.baseAddress!
                Self.forEachRowBlock(rows: outer, elements: count) { rows in
                    if Scalar.self == Float.self {
                        SoftmaxRowsKernel.apply(asFloat(y),
                                                asFloat(x), n: size, rows: rows, log: log)
                    } else {
                        for r in rows { Self.softmaxRow(x + r &* size, y + r &* size, size, log: log) }
                    }
                }
            } }
            return out
        }
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
                let p = asFloat(dst.baseAddress!)
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

// MARK: - Row kernels (Note [Softmax rows])

extension DenseTensor where Scalar: TensorScalar {
    /// Calls `body` with disjoint ranges of `0..<rows`, one per thread when the `elements`
    /// they cover are enough to split (Note [Parallel kernels]), else once with all of them.
    @inlinable @inline(__always)
    static func forEachRowBlock(rows: Int, elements: Int, _ body: (Range<Int>) -> Void) {
        let parts = elements >= Parallel.minimumElements ? Swift.min(Parallel.threads, rows) : 1
        guard parts > 1 else { return body(0..<rows) }
        let step = (rows + parts - 1) / parts
        Parallel.forEachPart(parts) { part in
            let lo = part * step, hi = Swift.min(rows, lo + step)
            if lo < hi { body(lo..<hi) }
        }
    }

    /// The sum of a vector's lanes as a tree (halves added, four steps). `SIMD16.sum()` adds
    /// the lanes in order, fifteen dependent additions: once per row of 64, that was a third of
    /// a softmax forward and backward.
    @inlinable @inline(__always)
    static func laneSum(_ v: SIMD16<Scalar>) -> Scalar {
        let v8 = v.lowHalf + v.highHalf, v4 = v8.lowHalf + v8.highHalf, v2 = v4.lowHalf + v4.highHalf
        return v2[0] + v2[1]
    }

    /// The largest lane of a vector.
    @inlinable @inline(__always)
    static func laneMaximum(_ v: SIMD16<Scalar>) -> Scalar {
        var m = v[0]
        for j in 1..<16 where v[j] > m { m = v[j] }
        return m
    }

    /// `Σ p[i]` over `n` elements, on SIMD16 accumulators reduced as a tree (for rows; the
    /// reductions keep ``sumKernel(_:_:)``'s order).
    @inlinable
    static func rowSum(_ p: UnsafePointer<Scalar>, _ n: Int) -> Scalar {
        var acc0 = SIMD16<Scalar>(), acc1 = SIMD16<Scalar>()
        var i = 0
        while i &+ 32 <= n {
            acc0 += loadVec(p + i, 0)
            acc1 += loadVec(p + i, 1)
            i &+= 32
        }
        if i &+ 16 <= n {
            acc0 += loadVec(p + i, 0)
            i &+= 16
        }
        var total = laneSum(acc0 + acc1)
        while i < n { total += p[i]; i &+= 1 }
        return total
    }

    /// The largest of `n` elements (vector lanes first; NaN in the row makes the row NaN below
    /// whichever way it compares).
    @inlinable
    static func rowMaximum(_ p: UnsafePointer<Scalar>, _ n: Int) -> Scalar {
        var m = -Scalar.infinity
        var i = 0
        if n >= 16 {
            var acc = loadVec(p, 0)
            i = 16
            while i &+ 16 <= n {
                let v = loadVec(p + i, 0)
                acc.replace(with: v, where: v .> acc)
                i &+= 16
            }
            m = laneMaximum(acc)
        }
        while i < n { m = Swift.max(m, p[i]); i &+= 1 }
        return m
    }

    /// `y = softmax(x)` (or `logSoftmax(x)`) over one row of `n` elements (`Double`; `Float`
    /// rows go to ``SoftmaxRowsKernel``).
    @inlinable
    static func softmaxRow(_ x: UnsafePointer<Scalar>, _ y: UnsafeMutablePointer<Scalar>, _ n: Int, log: Bool) {
        var m = rowMaximum(x, n)
        if m == -.infinity { m = 0 }   // an all -inf row gives NaN below, as PyTorch
        for k in 0..<n { y[k] = Scalar.exp(x[k] - m) }
        if log {
            let shift = m + Scalar.log(rowSum(y, n))
            for k in 0..<n { y[k] = x[k] - shift }
        } else {
            let scale = 1 / rowSum(y, n)
            for k in 0..<n { y[k] *= scale }
        }
    }

    /// `Σ a[i]·b[i]` over `n` elements, on SIMD16 accumulators.
    @inlinable
    static func productSum(_ a: UnsafePointer<Scalar>, _ b: UnsafePointer<Scalar>, _ n: Int) -> Scalar {
        var acc0 = SIMD16<Scalar>(), acc1 = SIMD16<Scalar>()
        var i = 0
        while i &+ 32 <= n {
            acc0 += loadVec(a + i, 0) * loadVec(b + i, 0)
            acc1 += loadVec(a + i, 1) * loadVec(b + i, 1)
            i &+= 32
        }
        if i &+ 16 <= n {
            acc0 += loadVec(a + i, 0) * loadVec(b + i, 0)
            i &+= 16
        }
        var total = laneSum(acc0 + acc1)
        while i < n { total += a[i] * b[i]; i &+= 1 }
        return total
    }

    /// The gradient of a softmax's input from its output `self` and the output's gradient
    /// `grad`, `y ⊙ (g − Σ g ⊙ y)` along `dim`, in one pass per row (two reads of the row, in
    /// cache): PyTorch's `_softmax_backward_data`. Written over `grad`'s buffer when
    /// `overwriting` (the caller holds the only reference to it).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func softmaxBackward(grad: consuming DenseTensor, dim: Int, overwriting: Bool) -> DenseTensor {
        trapUnless(shape == grad.shape, "softmaxBackward needs one shape, got \(shape) and \(grad.shape)")
        let axis = Shape.normalize(dim: dim, rank: rank)
        let y = contiguous(), g = grad.contiguous()
        let out = overwriting && grad.isContiguous && g.storage !== y.storage ? g : DenseTensor(uninitializedShape: shape)
        guard count > 0 else { return out }
        let (outer, size, inner) = split(axis)
        let yp = UnsafePointer(y.start), gp = UnsafePointer(g.start), o = out.start
        if inner == 1 {
            Self.forEachRowBlock(rows: outer, elements: count) { rows in
                for r in rows {
                    let base = r &* size
                    let yr = yp + base, gr = gp + base, orow = o + base
                    let dot = Self.productSum(yr, gr, size)
                    if UnsafePointer(orow) == gr {   // Note [In-place loops]
                        for k in 0..<size { orow[k] = yr[k] * (orow[k] - dot) }
                    } else {
                        for k in 0..<size { orow[k] = yr[k] * (gr[k] - dot) }
                    }
                }
            }
        } else {
            for r in 0..<outer {
                for i in 0..<inner {
                    let base = r &* size &* inner &+ i
                    var dot: Scalar = 0
                    for k in 0..<size { dot += yp[base &+ k &* inner] * gp[base &+ k &* inner] }
                    for k in 0..<size {
                        let at = base &+ k &* inner
                        o[at] = yp[at] * (gp[at] - dot)
                    }
                }
            }
        }
        withExtendedLifetime((y, g)) {}
        return out
    }
}
