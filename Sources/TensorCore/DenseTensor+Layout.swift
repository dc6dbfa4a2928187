import Arena
import CTensorCoreShims

/// Views: the same storage read through other strides (Note [Strided layout]). None of these
/// copies; ``contiguous()`` and ``copied()`` do.
///
/// The views of a chain (`transposed`, `selected`, `narrowed`, `unsqueezed`) write their sizes
/// and strides straight into the one array a view is (``view(rank:offset:_:)``, Note [A view's
/// layout in its shape's capacity]); the rarer ones build arrays of shape and strides and pack
/// them.
extension DenseTensor {
    /// The same elements under `newShape` (whose count must match), a view where the layout
    /// allows one (PyTorch's `view` rule, ``Shape/viewStrides(shape:strides:as:)``), else a copy.
    @inlinable
    public func reshaped(_ newShape: [Int]) -> DenseTensor {
        viewed(as: newShape) ?? contiguous().viewed(as: newShape)!
    }

    /// A view of the elements under `newShape`, or `nil` where the layout allows none.
    @inlinable
    public func viewed(as newShape: [Int]) -> DenseTensor? {
        if isContiguous { return DenseTensor(storage: storage, rowMajorShape: newShape, offset: offset) }
        return stridedView(as: newShape)
    }

    /// The view under `newShape` with PyTorch's strides (`computeStride`, also for a contiguous
    /// tensor, whose size-1 dimensions' strides it keeps), or `nil` where there is none: the
    /// layout written in place (``view(rank:offset:_:)``), one allocation.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func stridedView(as newShape: [Int]) -> DenseTensor? {
        var exists = true
        let result = view(rank: newShape.count, offset: offset) { shape, strides, oldShape, oldStrides in
            newShape.withUnsafeBufferPointer { sizes in
                for k in 0..<sizes.count { shape[k] = sizes[k] }
                exists = Shape.viewStrides(shape: oldShape, strides: oldStrides, as: sizes, into: strides)
            }
        }
        return exists ? result : nil
    }

    /// A view with dimensions `d0` and `d1` swapped.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func transposed(_ d0: Int, _ d1: Int) -> DenseTensor {
        let a0 = Shape.normalize(dim: d0, rank: rank), a1 = Shape.normalize(dim: d1, rank: rank)
        if a0 == a1 || rank < 2 { return self }
        return view(rank: rank, offset: offset) { shape, strides, oldShape, oldStrides in
            for k in 0..<oldShape.count {
                shape[k] = oldShape[k]
                strides[k] = oldStrides[k]
            }
            shape.swapAt(a0, a1)
            strides.swapAt(a0, a1)
        }
    }

    /// A view with its dimensions in the order `dims` (a permutation of `0..<rank`, negative
    /// dims counted from the end); traps with PyTorch's message otherwise.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func permuted(_ dims: [Int]) -> DenseTensor {
        trapUnless(dims.count == rank,
            "permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = \(rank) is not equal to len(dims) = \(dims.count)")
        withUnsafeTemporaryAllocation(of: Bool.self, capacity: rank) { seen in
            seen.initialize(repeating: false)
            for d in dims {
                let axis = Shape.normalize(dim: d, rank: rank)
                trapUnless(!seen[axis], "permute(): duplicate dims are not allowed.")
                seen[axis] = true
            }
        }
        return view(rank: rank, offset: offset) { shape, strides, oldShape, oldStrides in
            for (k, d) in dims.enumerated() {
                let axis = d < 0 ? d + oldShape.count : d
                shape[k] = oldShape[axis]
                strides[k] = oldStrides[axis]
            }
        }
    }

    /// The view that undoes ``permuted(_:)`` by `dims` (a permutation of `0..<rank`, normalized):
    /// dimension `dims[k]` of the result is dimension `k` of this tensor (PyTorch's
    /// `permute_backwards`, without the inverse permutation as an array).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func permuted(inverting dims: [Int]) -> DenseTensor {
        trapUnless(dims.count == rank, "permuted(inverting:): \(dims) is not a permutation of a rank-\(rank) tensor's dimensions")
        return view(rank: rank, offset: offset) { shape, strides, oldShape, oldStrides in
            for (k, axis) in dims.enumerated() {
                shape[axis] = oldShape[k]
                strides[axis] = oldStrides[k]
            }
        }
    }

    /// The view of this tensor's storage with `shape` and `strides` from `delta` positions past
    /// this tensor's first element (PyTorch's `as_strided`, relative to `offset`). The caller
    /// guarantees that every element lies inside the storage.
    @inlinable
    public func asStrided(_ shape: [Int], strides: [Int], offset delta: Int) -> DenseTensor {
        DenseTensor(storage: storage, shape: shape, strides: strides, offset: offset + delta)
    }

    /// A view broadcast to `target` (PyTorch's `expand`): broadcast dimensions get stride 0.
    /// The strides are PyTorch's (`inferExpandGeometry`) also where no element depends on them:
    /// a new leading dimension of size 1 gets the next dimension's size times its stride, and
    /// every dimension of an expanded 0-d tensor gets 0.
    @inlinable
    public func expanded(to target: [Int]) -> DenseTensor {
        Shape.checkExpand(shape, to: target)
        if target == shape { return self }
        let lead = target.count - rank
        return view(rank: target.count, offset: offset) { shape, strides, oldShape, oldStrides in
            for i in 0..<target.count {
                shape[i] = target[i]
                strides[i] = 0
            }
            for i in 0..<oldShape.count where oldShape[i] == target[lead + i] { strides[lead + i] = oldStrides[i] }
            if oldShape.count > 0 {
                for i in stride(from: lead - 1, through: 0, by: -1) where target[i] == 1 {
                    strides[i] = target[i + 1] &* strides[i + 1]
                }
            }
        }
    }

    /// `self` broadcast to `target` as a row-major tensor: itself when the shape is already
    /// `target`, else a copy (a fill for one value). For gradients, which the next derivative
    /// reads on its contiguous fast path; a stride-0 view costs more than it saves on small
    /// tensors (the training step's sums and means).
    @inlinable
    public func broadcasted(to target: [Int]) -> DenseTensor {
        Shape.checkExpand(shape, to: target)
        if target == shape { return self }
        if count == 1 { return DenseTensor(shape: target, repeating: start[0]) }
        return expanded(to: target).contiguous()
    }

    /// `dim` and `index` of a `select` as positions in `0..<rank` and `0..<shape[axis]`; traps
    /// with PyTorch's messages on a 0-d tensor or either out of range.
    public func selectPosition(dim: Int, index: Int) -> (axis: Int, index: Int) {
        trapUnless(rank > 0, "select() cannot be applied to a 0-dim tensor.")
        let axis = Shape.normalize(dim: dim, rank: rank)
        let size = shape[axis]
        trapUnless(index >= -size && index < size,
            "select(): index \(index) out of range for tensor of size \(shape) at dimension \(axis)")
        return (axis, index < 0 ? index + size : index)
    }

    /// The view at `index` along `dim`, which goes (PyTorch's `select`); traps on an index out of
    /// range with PyTorch's message.
    public func selected(dim: Int, index: Int) -> DenseTensor {
        let (axis, i) = selectPosition(dim: dim, index: index)
        return selected(axis: axis, index: i)
    }

    /// ``selected(dim:index:)`` at a position ``selectPosition(dim:index:)`` gave: the recorded
    /// `select` checks its arguments once, not twice.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    package func selected(axis: Int, index i: Int) -> DenseTensor {
        view(rank: rank - 1, offset: offset + i * dimensionStride(axis)) { shape, strides, oldShape, oldStrides in
            for k in 0..<axis {
                shape[k] = oldShape[k]
                strides[k] = oldStrides[k]
            }
            for k in axis..<shape.count {
                shape[k] = oldShape[k + 1]
                strides[k] = oldStrides[k + 1]
            }
        }
    }

    /// The view of elements `start ..< start + length` along `dim`, every `step`-th (PyTorch's
    /// `slice`/`narrow`); the range must lie inside the dimension.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func narrowed(dim: Int, start: Int, length: Int, step: Int = 1) -> DenseTensor {
        let axis = Shape.normalize(dim: dim, rank: rank)
        trapUnless(start >= 0 && length >= 0 && start + length <= shape[axis] && step > 0,
            "start (\(start)) + length (\(length)) exceeds dimension size (\(shape[axis])).")
        let size = length == 0 ? 0 : (length + step - 1) / step
        return view(rank: rank, offset: offset + start * dimensionStride(axis)) { shape, strides, oldShape, oldStrides in
            for k in 0..<oldShape.count {
                shape[k] = oldShape[k]
                strides[k] = oldStrides[k]
            }
            shape[axis] = size
            strides[axis] = oldStrides[axis] * step
        }
    }

    /// A view with a dimension of size 1 inserted at `dim` (in `-(rank+1)...rank`); its stride is
    /// PyTorch's (the next dimension's stride times its size, 1 at the end).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func unsqueezed(dim: Int) -> DenseTensor {
        let axis = Shape.normalize(dim: dim, rank: rank + 1)
        if !_isView && count > 0 {   // row-major in, row-major out (PyTorch's stride is 0 after a size 0)
            var newShape = shape
            newShape.insert(1, at: axis)
            return DenseTensor(storage: storage, shape: newShape)
        }
        return view(rank: rank + 1, offset: offset) { shape, strides, oldShape, oldStrides in
            for k in 0..<axis {
                shape[k] = oldShape[k]
                strides[k] = oldStrides[k]
            }
            shape[axis] = 1
            strides[axis] = axis < oldShape.count ? oldShape[axis] * oldStrides[axis] : 1
            for k in axis..<oldShape.count {
                shape[k + 1] = oldShape[k]
                strides[k + 1] = oldStrides[k]
            }
        }
    }

    /// A view without the size-1 dimensions among `dims` (every one when `nil`).
    public func squeezed(dims: [Int]? = nil) -> DenseTensor {
        // One more than the rank: a 0-d tensor's dimension 0 may be named (and is not there).
        withUnsafeTemporaryAllocation(of: Bool.self, capacity: rank + 1) { dropped in
            dropped.initialize(repeating: dims == nil)
            for d in dims ?? [] { dropped[Shape.normalize(dim: d, rank: rank)] = true }
            var newRank = 0
            for i in 0..<rank where !(shape[i] == 1 && dropped[i]) { newRank += 1 }
            // Removing size-1 dimensions keeps a row-major tensor row-major: `view` sees that.
            return view(rank: newRank, offset: offset) { shape, strides, oldShape, oldStrides in
                var k = 0
                for i in 0..<oldShape.count where !(oldShape[i] == 1 && dropped[i]) {
                    shape[k] = oldShape[i]
                    strides[k] = oldStrides[i]
                    k += 1
                }
            }
        }
    }

    /// Itself when contiguous, else a row-major copy.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    @inlinable
    public func contiguous() -> DenseTensor {
        if isContiguous { return self }
        let strides = self.strides   // once: the property makes an array
        if strides.allSatisfy({ $0 == 0 }) {   // one value expanded (a sum's gradient): a fill
            return DenseTensor(shape: shape, repeating: start[0])
        }
        if rank == 2 && strides[0] == 1 && strides[1] == shape[0] {   // a transposed matrix: the tiled transpose
            return DenseTensor(storage: storage, rowMajorShape: [shape[1], shape[0]], offset: offset).transposedMatrix()
        }
        return Self.gather(shape, strides, offset: offset, from: storage)
    }

    /// Whether no two elements share a storage position and they fill a span of exactly `count`
    /// positions from ``start`` (PyTorch's `is_non_overlapping_and_dense`): a transposed or
    /// permuted contiguous tensor. An elementwise kernel may then walk the span in memory order.
    @inlinable
    public var isNonOverlappingAndDense: Bool {
        // The contiguous test inline: it is on every elementwise op's path (the loop below,
        // called each time, cost a tenth of a tracked scalar op).
        isContiguous || isPermutedDense
    }

    /// `isNonOverlappingAndDense` for a tensor that is not contiguous.
    @usableFromInline
    var isPermutedDense: Bool {
        var order = Array(0..<rank).filter { shape[$0] != 1 }
        let s = strides
        order.sort { s[$0] < s[$1] }
        var expected = 1
        for axis in order {
            if s[axis] != expected { return false }
            expected &*= shape[axis]
        }
        return true
    }

    /// A tensor of this one's shape and strides, whose storage span the caller must all write
    /// (for a non-overlapping, dense layout: elementwise results keep their operands' layout).
    @inlinable @inline(__always)
    func uninitializedLikeLayout() -> DenseTensor {
        isContiguous ? uninitializedLike() : uninitializedPermutedLike()
    }

    @usableFromInline
    func uninitializedPermutedLike() -> DenseTensor {
        // Offsets relative to the span's lowest position, which is `offset` for non-negative strides.
        return DenseTensor(storage: TensorStorage(uninitializedCount: count), shape: shape, strides: strides, offset: 0)
    }
}

/// Joining: one new tensor from several.
extension DenseTensor {
    /// `concatenated` of contiguous parts: the output written front to back, each of its rows
    /// (one index of the dimensions before `dim`) a run of one block per part; streamed above
    /// `streamingFillBytes` and split by rows across cores for large outputs. Walking part by
    /// part instead wrote the output in strides (`cat` along dim 1 of eight 1000×1000 inputs ran
    /// at 0.8× PyTorch's).
    @inlinable
    static func concatenatedRows(_ parts: [DenseTensor], dim: Int, into out: DenseTensor) -> DenseTensor {
        let outer = Shape.count(Array(out.shape[..<dim]))
        guard out.count > 0, outer > 0 else { return out }
        let streaming = out.count &* MemoryLayout<Scalar>.stride >= streamingFillBytes
        if outer == 1 {   // one block per part, each split across cores; streamed when the whole is large
            var at = 0
            for part in parts {
                let dst = out.start + at, src = UnsafePointer(part.start)
                if streaming && part.count >= Parallel.neverSplitBelow {
                    Parallel.forEachBlock(part.count) { r in
                        streamingCopy(dst + r.lowerBound, from: src + r.lowerBound, count: r.count)
                        _tensorcore_store_fence()
                    }
                } else {
                    copy(dst, from: src, count: part.count)
                }
                at += part.count
            }
            return out
        }
        let chunks = parts.map { $0.count / outer }
        rowPieces(outer: outer, chunks: chunks, whole: out.start, parts: parts.map(\.start), intoWhole: true)
        withExtendedLifetime(parts) {}
        return out
    }

    /// Copies between a contiguous whole of `outer` rows and contiguous parts side by side in
    /// each of them (part k holds `chunks[k]` elements of every row; a `nil` part is skipped):
    /// into the whole (cat's forward) or out of it into the parts (cat's derivative into leaves).
    /// Row by row, so that the whole is walked front to back once; the parts are written or read
    /// as many streams in step. Streamed above `streamingFillBytes`, split by rows across cores
    /// for large wholes.
    @inlinable
    static func rowPieces(
        outer: Int, chunks: [Int], whole: UnsafeMutablePointer<Scalar>, parts: [UnsafeMutablePointer<Scalar>?],
        intoWhole: Bool
    ) {
        let row = chunks.reduce(0, +), count = outer &* row
        guard count > 0 else { return }
        let streaming = count &* MemoryLayout<Scalar>.stride >= streamingFillBytes
        let threads = count >= Parallel.minimumStreamElements ? Swift.min(Parallel.threads, outer) : 1
        Parallel.forEachPart(threads) { part in
            let lo = outer * part / threads, hi = outer * (part + 1) / threads
            for r in lo..<hi {
                var w = whole + r &* row
                for k in 0..<parts.count {
                    let c = chunks[k]
                    defer { w += c }
                    guard let p = parts[k] else { continue }
                    let (dst, src) = intoWhole ? (w, p + r &* c) : (p + r &* c, w)
                    if streaming { streamingCopy(dst, from: src, count: c) } else { dst.update(from: src, count: c) }
                }
            }
            if streaming { _tensorcore_store_fence() }
        }
    }

    /// The pieces of this tensor of `sizes` along `dim`, each copied into a new row-major tensor
    /// (`nil` where `wanted` is false), in one pass over this tensor when it is row-major: the
    /// gradients of `cat`'s inputs when leaves would copy their strided slices anyway. Copying
    /// slice by slice read the whole once per slice, in jumps (see `cat`'s derivative).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func splitCopies(sizes: [Int], dim: Int, wanted: [Bool]) -> [DenseTensor?] {
        let axis = Shape.normalize(dim: dim, rank: rank)
        trapUnless(sizes.reduce(0, +) == shape[axis] && wanted.count == sizes.count,
                   "splitCopies: sizes \(sizes) don't add up to dimension \(axis) of \(shape)")
        var at = 0
        let pieces = Swift.zip(sizes, wanted).map { size, want -> DenseTensor? in
            defer { at += size }
            guard want else { return nil }
            var pieceShape = shape
            pieceShape[axis] = size
            return isContiguous ? DenseTensor(uninitializedShape: pieceShape)
                                : narrowed(dim: axis, start: at, length: size).contiguous()
        }
        guard isContiguous else { return pieces }
        let outer = Shape.count(Array(shape[..<axis])), inner = Shape.count(Array(shape[(axis + 1)...]))
        Self.rowPieces(outer: outer, chunks: sizes.map { $0 * inner }, whole: self.start, parts: pieces.map { $0?.start },
                  intoWhole: false)
        return pieces
    }

    /// `parts` joined along `dim` (their shapes equal but along `dim`; checked by the caller): each
    /// part is copied into its slice of the result, one block copy per part for `dim == 0`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func concatenated(_ parts: [DenseTensor], dim: Int) -> DenseTensor {
        var shape = parts[0].shape
        shape[dim] = parts.reduce(0) { $0 + $1.shape[dim] }
        let out = DenseTensor(uninitializedShape: shape)
        if parts.allSatisfy({ $0.isContiguous }) { return concatenatedRows(parts, dim: dim, into: out) }
        var start = 0
        for part in parts {
            let size = part.shape[dim]
            if size > 0 { out.narrowed(dim: dim, start: start, length: size).assign(part) }
            start += size
        }
        return out
    }
}
