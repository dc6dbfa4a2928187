import Arena

/// Minima, arg-extrema, products, cumulative sums, log-sum-exp and the statistics built on sums
/// (variance, standard deviation, vector norms), over everything or along dimensions.
///
/// Each kernel reads a contiguous tensor (a strided view is made contiguous first) and walks
/// the reduced dimension by rows: `(outer, size, inner)` around the axis, as the sums of
/// DenseTensor+Reduction.swift do. NaN propagates as in PyTorch: an extremum of a slice holding
/// a NaN is that NaN, at the first NaN's index.
extension DenseTensor where Scalar: TensorScalar {
    // MARK: - extrema

    /// Whether `x` replaces `best` as the running extremum (the first one wins ties; a NaN
    /// wins and stays).
    @inline(__always)
    static func beats(_ x: Scalar, _ best: Scalar, largest: Bool) -> Bool {
        !best.isNaN && (x.isNaN || (largest ? x > best : x < best))
    }

    /// The position (row-major) of the largest or smallest element: the first one on ties, the
    /// first NaN if there is one. `name` is the op's, for the message on an empty tensor.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func extremumPosition(largest: Bool, name: String) -> Int {
        // PyTorch's messages: argmax/argmin's end after the first sentence.
        trapUnless(count > 0, "\(name)(): Expected reduction dim to be specified for input.numel() == 0."
                   + (name.hasPrefix("arg") ? "" : " Specify the reduction dim with the 'dim' argument."))
        guard isContiguous else { return contiguous().extremumPosition(largest: largest, name: name) }
        return withElements { p in
            var at = 0
            for i in 1..<p.count where Self.beats(p[i], p[at], largest: largest) { at = i }
            return at
        }
    }

    /// The largest (`largest`) or smallest element, a 0-d tensor (NaN if any element is NaN, as
    /// PyTorch). Traps with PyTorch's message (naming `name`) on an empty tensor.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func extremum(largest: Bool, name: String) -> DenseTensor {
        let at = extremumPosition(largest: largest, name: name)
        return contiguous().withElements { DenseTensor($0[at]) }
    }

    /// The smallest element (NaN if any element is NaN, as PyTorch). Traps on an empty tensor.
    public func min() -> DenseTensor { extremum(largest: false, name: "min") }

    /// The largest (`largest`) or smallest elements along `dim` and the index of each: the
    /// first on ties, the first NaN where a slice holds one. `name` is the op's, for the message
    /// on an empty reduced dimension.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func extremum(dim: Int, keepDim: Bool, largest: Bool, name: String) -> (values: DenseTensor, indices: [Int]) {
        guard isContiguous else { return contiguous().extremum(dim: dim, keepDim: keepDim, largest: largest, name: name) }
        let axis = Shape.normalize(dim: dim, rank: rank)
        let resultShape = reducedShape(axis, keepDim: keepDim)
        trapUnless(rank == 0 || shape[axis] > 0 || resultShape.contains(0),
            "\(name)(): Expected reduction dim \(axis) to have non-zero size.")
        let values = DenseTensor(uninitializedShape: resultShape)
        // An empty result: return before `split`, whose products may overflow for an empty
        // shape ([0, 2^62, 38] along dim 1), and before looping over `outer`.
        guard values.count > 0 else { return (values, []) }
        let (outer, size, inner) = split(axis)
        var indices = [Int](repeating: 0, count: outer * inner)
        withElements { src in values.withMutableElements { dst in indices.withUnsafeMutableBufferPointer { at in
            for o in 0..<outer {
                let base = o &* size &* inner, out = o &* inner
                if inner == 1 {
                    // Along the last dimension: one contiguous run per result.
                    var best = src[base], position = 0
                    for k in 1..<size where Self.beats(src[base &+ k], best, largest: largest) {
                        best = src[base &+ k]
                        position = k
                    }
                    dst[out] = best
                    at[out] = position
                } else {
                    // Along another dimension: by rows, each compared with the running row.
                    for i in 0..<inner { dst[out &+ i] = src[base &+ i] }
                    for k in 1..<size {
                        let row = base &+ k &* inner
                        for i in 0..<inner where Self.beats(src[row &+ i], dst[out &+ i], largest: largest) {
                            dst[out &+ i] = src[row &+ i]
                            at[out &+ i] = k
                        }
                    }
                }
            }
        } } }
        return (values, indices)
    }

    /// The smallest elements along `dim` and the index of each (the first, on ties).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func min(dim: Int, keepDim: Bool) -> (values: DenseTensor, indices: [Int]) {
        extremum(dim: dim, keepDim: keepDim, largest: false, name: "min")
    }

    // MARK: - sums over several dimensions

    /// `dims` normalized (negative from the end) and sorted; an empty list means every
    /// dimension, as PyTorch's `dim=[]`. Traps with PyTorch's message on a repeated dimension.
    public static func reductionDims(_ dims: [Int], rank: Int) -> [Int] {
        if dims.isEmpty { return Array(0..<rank) }
        var seen = Set<Int>()
        for d in dims {
            let n = Shape.normalize(dim: d, rank: rank)
            trapUnless(seen.insert(n).inserted, "dim \(n) appears multiple times in the list of dims")
        }
        return seen.sorted()
    }

    /// The shape after reducing `dims` (normalized, sorted): each 1 with `keepDim`, else dropped.
    public static func reducedShape(_ shape: [Int], dims: [Int], keepDim: Bool) -> [Int] {
        if shape.isEmpty { return [] }
        var out: [Int] = []
        for (d, s) in shape.enumerated() {
            if !dims.contains(d) { out.append(s) } else if keepDim { out.append(1) }
        }
        return out
    }

    /// The number of elements `dims` (normalized) gather into each output element.
    public static func reducedCount(_ shape: [Int], dims: [Int]) -> Int {
        shape.isEmpty ? 1 : dims.reduce(1) { $0 * shape[$1] }
    }

    /// The sum over `dims` (negative from the end; empty: all of them).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func sum(dims: [Int], keepDim: Bool) -> DenseTensor {
        let axes = Self.reductionDims(dims, rank: rank)
        var out = self
        for d in axes { out = out.sum(dim: d, keepDim: true) }
        return out.reshaped(Self.reducedShape(shape, dims: axes, keepDim: keepDim))
    }

    /// The mean over `dims` (NaN where nothing is averaged, as PyTorch).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func mean(dims: [Int], keepDim: Bool) -> DenseTensor {
        let axes = Self.reductionDims(dims, rank: rank)
        return sum(dims: dims, keepDim: keepDim).binary(.div, scalar: Scalar(Self.reducedCount(shape, dims: axes)))
    }

    /// The variance over `dims` with `correction` (Bessel's is 1): the sum of squared deviations
    /// from the mean divided by `max(N − correction, 0)`, so `inf` or NaN where that is 0, as
    /// PyTorch.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func variance(dims: [Int], correction: Int, keepDim: Bool) -> DenseTensor {
        let axes = Self.reductionDims(dims, rank: rank)
        let n = Self.reducedCount(shape, dims: axes)
        let centered = binary(.sub, mean(dims: axes, keepDim: true))
        let squares = centered.binary(.mul, centered).sum(dims: axes, keepDim: keepDim)
        return squares.binary(.div, scalar: Scalar(Swift.max(n - correction, 0)))
    }

    // MARK: - products

    /// The product of all elements, a 0-d tensor (1 for an empty tensor).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func prod() -> DenseTensor {
        guard isContiguous else { return contiguous().prod() }
        return DenseTensor(withElements { p in
            var acc = SIMD16<Scalar>(repeating: 1)
            let blocks = p.count / 16
            guard let base = p.baseAddress else { return 1 }
            for j in 0..<blocks { acc *= loadVec(base, j) }
            var total: Scalar = 1
            for lane in 0..<16 { total *= acc[lane] }
            for i in (blocks &* 16)..<p.count { total *= p[i] }
            return total
        })
    }

    /// PyTorch's `prod_backward` for `prod()` of `self`: `grad · result / x` without zeros, the
    /// product of the others at the only zero, zeros where two or more elements are zero.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func prodBackward(grad g: Scalar) -> DenseTensor {
        guard isContiguous else { return contiguous().prodBackward(grad: g) }
        let out = DenseTensor(shape: shape, repeating: 0)
        withElements { x in out.withMutableElements { o in
            var zeros = 0, zeroAt = 0
            var others: Scalar = 1
            for i in 0..<x.count {
                if x[i] == 0 { zeros += 1; zeroAt = i } else { others *= x[i] }
            }
            if zeros == 1 {
                o[zeroAt] = g * others
            } else if zeros == 0 {
                let result = prod().scalar!
                for i in 0..<x.count { o[i] = g * (result / x[i]) }
            }
        } }
        return out
    }

    // MARK: - cumulative sums

    /// The running sums along `dim` (`reversed`: from the end of the dimension backwards).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func cumsum(dim: Int, reversed: Bool = false) -> DenseTensor {
        guard isContiguous else { return contiguous().cumsum(dim: dim, reversed: reversed) }
        let axis = Shape.normalize(dim: dim, rank: rank)
        let out = DenseTensor(uninitializedShape: shape)
        guard count > 0 else { return out }
        let (outer, size, inner) = split(axis)
        withElements { src in out.withMutableElements { dst in
            guard let s = src.baseAddress, let d = dst.baseAddress else { return }
            for o in 0..<outer {
                let base = o &* size &* inner
                if inner == 1 {
                    // Along the last dimension: one running sum over a contiguous run.
                    var total: Scalar = 0
                    for step in 0..<size {
                        let k = base &+ (reversed ? size &- 1 &- step : step)
                        total += s[k]
                        d[k] = total
                    }
                    continue
                }
                for step in 0..<size {
                    let k = reversed ? size - 1 - step : step
                    let row = base &+ k &* inner
                    if step == 0 {
                        (d + row).update(from: s + row, count: inner)
                    } else {
                        // The previous row's sums plus this row: one vectorizable pass per row.
                        let previous = row &+ (reversed ? inner : -inner)
                        zipLoop(Fn.Add.self, UnsafePointer(d + previous), s + row, d + row, inner)
                    }
                }
            }
        } }
        return out
    }

    // MARK: - log-sum-exp

    /// `log(Σ exp(x))` along `dim`, computed as PyTorch does: the slice's maximum `m` (0 where it
    /// is ±inf) taken out, `log(Σ exp(x − m)) + m`. A slice of −inf gives −inf, one holding +inf
    /// gives +inf, one holding NaN NaN.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func logSumExp(dim: Int, keepDim: Bool) -> DenseTensor {
        if count == 0 {
            // Sums of nothing: log(0) = −inf (PyTorch's too).
            return sum(dim: dim, keepDim: keepDim).unary(.log)
        }
        let m = extremum(dim: dim, keepDim: true, largest: true, name: "logsumexp").values.contiguous()
        m.withMutableElements { p in
            for i in 0..<p.count where p[i].isInfinite { p[i] = 0 }
        }
        let sums = binary(.sub, m).unary(.exp).sum(dim: dim, keepDim: true).unary(.log).binary(.add, m)
        if keepDim || rank == 0 { return sums }
        return sums.reshaped(reducedShape(Shape.normalize(dim: dim, rank: rank), keepDim: false))
    }
}
