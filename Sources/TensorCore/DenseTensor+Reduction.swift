import Arena

/// Sums, means and maxima, over everything or along one dimension.
///
/// Sums run on four SIMD16 accumulators: a scalar float sum is never vectorized (its order is
/// fixed), and four independent chains hide the add latency. The result differs from a strictly
/// sequential sum in the last bits, as PyTorch's own (cascaded) sum does.
extension DenseTensor where Scalar: TensorScalar {
    /// The sum of all elements, as a 0-d tensor.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    @inlinable
    public func sum() -> DenseTensor {
        guard isContiguous else { return contiguous().sum() }
        return DenseTensor(withElements { Self.parallelSum($0.baseAddress, count) })
    }

    /// The elements a sum adds up per block (Note [Sums in fixed blocks]).
    @inlinable static var sumBlockElements: Int { 1 << 14 }

    // Note [Sums in fixed blocks]: a sum's result must not depend on the thread count, and a
    // split across threads adds its partial sums in another order than one loop does. So a sum
    // of more than `sumBlockElements` elements always runs as blocks of that size, each summed by
    // `sumKernel` and the block sums added left to right: on one thread in one pass, on several
    // each thread summing a run of whole blocks into its own slots. 16K elements keep two
    // threads' shares within a block of each other from the split threshold on (256K: 16 blocks),
    // and cost one more fold of the accumulators per 64 KB, which does not show.

    /// `sumKernel` over fixed blocks, the block sums added in order, the blocks spread over the
    /// cores for large counts: the same bits on any number of threads.
    @inlinable
    static func parallelSum(_ p: UnsafePointer<Scalar>?, _ n: Int) -> Scalar {
        let block = sumBlockElements
        guard let p, n > block else { return sumKernel(p, n) }
        let blocks = (n + block - 1) / block
        @inline(__always) func blockSum(_ j: Int) -> Scalar { sumKernel(p + j &* block, Swift.min(block, n &- j &* block)) }
        let parts = n >= Parallel.minimumStreamElements ? Swift.min(Parallel.threads, blocks, 64) : 1
        var total: Scalar = 0
        guard parts > 1 else {
            for j in 0..<blocks { total += blockSum(j) }
            return total
        }
        var sums = [Scalar](repeating: 0, count: blocks)
        sums.withUnsafeMutableBufferPointer { out in
            let out = out.baseAddress!
            let perPart = (blocks + parts - 1) / parts
            Parallel.forEachPart(parts) { part in
                for j in part &* perPart ..< Swift.min(blocks, (part &+ 1) &* perPart) { out[j] = blockSum(j) }
            }
        }
        for value in sums { total += value }
        return total
    }

    /// The mean of all elements (NaN for an empty tensor, as PyTorch).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    @inlinable
    public func mean() -> DenseTensor {
        guard isContiguous else { return contiguous().mean() }
        return DenseTensor(withElements { Self.parallelSum($0.baseAddress, count) } / Scalar(count))
    }

    @inlinable
    static func sumKernel(_ p: UnsafePointer<Scalar>?, _ n: Int) -> Scalar {
        guard let p, n > 0 else { return 0 }
        // Fewer than one vector: the same sum the blocks below end with (their lanes add up to
        // +0, then the values are added in order), without 64 lanes of zeros folded together.
        if n < 16 {
            var total: Scalar = 0
            for i in 0..<n { total += p[i] }
            return total
        }
        var acc0 = SIMD16<Scalar>(), acc1 = SIMD16<Scalar>(), acc2 = SIMD16<Scalar>(), acc3 = SIMD16<Scalar>()
        let blocks = n / 64
        for j in 0..<blocks {
            acc0 += loadVec(p, j &* 4)
            acc1 += loadVec(p, j &* 4 &+ 1)
            acc2 += loadVec(p, j &* 4 &+ 2)
            acc3 += loadVec(p, j &* 4 &+ 3)
        }
        var i = blocks &* 64
        while i &+ 16 <= n {
            acc0 += loadVec(p + i, 0)
            i &+= 16
        }
        var total = ((acc0 + acc1) + (acc2 + acc3)).sum()
        while i < n { total += p[i]; i &+= 1 }
        return total
    }

    /// Splits `shape` around `axis` into (outer, size, inner) for reductions along it.
    ///
    /// Call it for a non-empty tensor (or result) only: for an empty shape such as
    /// [0, 2^62, 38] the products of the sizes around `axis` overflow (and trap).
    @inlinable
    func split(_ axis: Int) -> (outer: Int, size: Int, inner: Int) {
        if rank == 0 { return (1, 1, 1) }
        var outer = 1, inner = 1
        for i in 0..<axis { outer *= shape[i] }
        for i in (axis + 1)..<rank { inner *= shape[i] }
        return (outer, shape[axis], inner)
    }

    /// The shape left after reducing `axis`.
    @inlinable
    func reducedShape(_ axis: Int, keepDim: Bool) -> [Int] {
        if rank == 0 { return [] }
        var out = shape
        if keepDim { out[axis] = 1 } else { out.remove(at: axis) }
        return out
    }

    /// The sum along `dim` (negative counts from the end).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func sum(dim: Int, keepDim: Bool) -> DenseTensor {
        guard isContiguous else { return contiguous().sum(dim: dim, keepDim: keepDim) }
        let axis = Shape.normalize(dim: dim, rank: rank)
        let out = DenseTensor(shape: reducedShape(axis, keepDim: keepDim), repeating: 0)
        // Nothing to add, or nowhere to put it: the loops below would still walk the reduced
        // dim, 2^62 times for a [2^62, 0] tensor summed along its first dim.
        guard count > 0, out.count > 0 else { return out }
        let (outer, size, inner) = split(axis)
        withElements { src in out.withMutableElements { dst in
            guard let s = src.baseAddress, let d = dst.baseAddress else { return }
            for o in 0..<outer {
                if inner == 1 {
                    d[o] = Self.sumKernel(s + o &* size, size)
                } else {
                    let row = d + o &* inner
                    for k in 0..<size {
                        let from = s + (o &* size &+ k) &* inner
                        zipLoop(Fn.Add.self, UnsafePointer(row), from, row, inner)
                    }
                }
            }
        } }
        return out
    }

    /// The mean along `dim`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func mean(dim: Int, keepDim: Bool) -> DenseTensor {
        let axis = Shape.normalize(dim: dim, rank: rank)
        let size = rank == 0 ? 1 : shape[axis]
        return sum(dim: dim, keepDim: keepDim).binary(.div, scalar: Scalar(size))
    }

    /// The largest element (NaN if any element is NaN, as PyTorch). Traps on an empty tensor.
    public func max() -> DenseTensor { extremum(largest: true, name: "max") }

    /// The largest elements along `dim` and the index of each (the first, on ties).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func max(dim: Int, keepDim: Bool) -> (values: DenseTensor, indices: [Int]) {
        extremum(dim: dim, keepDim: keepDim, largest: true, name: "max")
    }

    /// PyTorch's `max()` derivative: the gradient split evenly among the elements equal to `maximum`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func maxBackward(grad: Scalar, maximum: Scalar) -> DenseTensor {
        guard isContiguous else { return contiguous().maxBackward(grad: grad, maximum: maximum) }
        let out = DenseTensor(shape: shape, repeating: 0)
        withElements { x in out.withMutableElements { o in
            var ties = 0
            for v in x where v == maximum || (v.isNaN && maximum.isNaN) { ties += 1 }
            let share = grad / Scalar(Swift.max(ties, 1))
            for i in 0..<x.count where x[i] == maximum || (x[i].isNaN && maximum.isNaN) { o[i] = share }
        } }
        return out
    }

    /// The inverse of `max(dim:)`: a tensor of `inputShape` with `self`'s values at the chosen indices.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func scatter(indices: [Int], dim: Int, into inputShape: [Int]) -> DenseTensor {
        guard isContiguous else { return contiguous().scatter(indices: indices, dim: dim, into: inputShape) }
        let out = DenseTensor(shape: inputShape, repeating: 0)
        let axis = Shape.normalize(dim: dim, rank: inputShape.count)
        guard count > 0, out.count > 0 else { return out }
        let (outer, size, inner) = out.split(axis)
        withElements { g in out.withMutableElements { o in
            for r in 0..<outer {
                for i in 0..<inner {
                    o[(r * size + indices[r * inner + i]) * inner + i] = g[r * inner + i]
                }
            }
        } }
        return out
    }

    /// Sums `self` down to `target`, the inverse of broadcasting `target` up to `self.shape`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func sum(toShape target: [Int]) -> DenseTensor {
        if target == shape { return self }
        if Shape.count(target) == 1 {
            return sum().reshaped(target)
        }
        guard isContiguous else { return contiguous().sum(toShape: target) }
        let out = DenseTensor(shape: target, repeating: 0)
        if let inner = shape.last, inner > 1, count < Parallel.minimumElements,
           Shape.count(target) == inner, target.last == inner {
            // Down the rows into one row (a bias's gradient): one loop, not a `zipLoop` per row.
            withElements { g in out.withMutableElements { o in
                guard let g = g.baseAddress, let o = o.baseAddress else { return }
                sumRowsLoop(g, into: o, rows: count / inner, inner: inner)
            } }
            return out
        }
        let st = out.operandStrides(to: shape)
        let inner = shape.last ?? 1
        let innerStride = st.last ?? 0
        withElements { g in out.withMutableElements { o in
            guard let g = g.baseAddress, let o = o.baseAddress else { return }
            forEachRow(shape: shape, stridesA: st, stridesB: st) { offO, _, offG in
                if innerStride == 1 {
                    zipLoop(Fn.Add.self, UnsafePointer(o + offO), g + offG, o + offO, inner)
                } else {
                    o[offO] += Self.sumKernel(g + offG, inner)
                }
            }
        } }
        return out
    }
}
