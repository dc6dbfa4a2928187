import Arena

/// An array of scalars with a shape, laid out over shared storage by strides and an offset: the
/// values a tensor holds.
///
/// `DenseTensor` is the numeric core under the autograd `Tensor`: it knows shapes, layouts,
/// kernels and printing, and nothing of gradients. Its storage is shared between copies of the
/// value and between views (`reshaped`, `transposed`, `narrowed`, …): a view is the same storage
/// read through other strides, and costs no copy. Operations return new, row-major tensors.
///
/// ```swift
/// let a = try DenseTensor<Float>(scalars: [1, 2, 3, 4], shape: [2, 2])
/// let b = a.binary(.add, scalar: 2)      // [[3, 4], [5, 6]]
/// print(b.sum().scalars)                 // [18.0]
/// print(a.transposed(0, 1).strides)      // [1, 2]: a view of a's storage
/// ```
///
/// Note [Strided layout]: element `[i₀, i₁, …]` sits at `storage[offset + Σ iₖ·strides[k]]`.
/// A row-major tensor over its whole storage, which nearly every kernel makes, stores no layout
/// (`_isView == false`): the value is three words, two references and a flag. A view keeps its
/// layout in its shape array (Note [A view's layout in its shape's capacity]). With the strides,
/// offset and count stored inline (six words) every gradient tuple of the backward sweep was
/// copied and destroyed through the runtime's generic value witnesses, and the tutorial step ran
/// twice as long (perf). `isContiguous` is PyTorch's: row-major, ignoring the
/// strides of size-1 dimensions; then element `i` in row-major order sits at `start + i`, and
/// every kernel's contiguous fast path applies. Kernels take strided operands too: a general
/// strided loop, with fast paths where it pays (same-layout operands, rows with unit stride, a
/// transposed matrix for BLAS).
public struct DenseTensor<Scalar: TensorElement> {
    /// The scalars. Shared between views.
    @inlinable public var storage: TensorStorage<Scalar> { _storage }
    // A `var` only so that `holdsUniqueStorage()` can ask `isKnownUniquelyReferenced`.
    @usableFromInline var _storage: TensorStorage<Scalar>
    /// The size of each dimension; `[]` for a 0-d tensor. A view's holds its layout past its
    /// last element (Note [A view's layout in its shape's capacity]).
    public let shape: [Int]
    /// Whether this is a view: not row-major over its whole storage (Note [Strided layout]).
    @usableFromInline let _isView: Bool

    /// The position of the first element in `storage`.
    @inlinable public var offset: Int { _isView ? ViewLayout.offset(shape) : 0 }
    /// The number of elements.
    @inlinable public var count: Int { _isView ? ViewLayout.count(shape) : storage.count }
    /// Whether the elements lie in row-major order from ``start`` (PyTorch's `is_contiguous()`).
    @inlinable public var isContiguous: Bool { _isView ? ViewLayout.isContiguous(shape) : true }

    /// Wraps `storage` (whose count must equal the shape's element count), row-major.
    @inlinable
    public init(storage: TensorStorage<Scalar>, shape: [Int]) {
        assert(storage.count == Shape.count(shape), "storage of \(storage.count) scalars for shape \(shape)")
        self._storage = storage
        self.shape = shape
        self._isView = false
    }

    /// A view of `storage`: `shape` laid out by `strides` from `offset`. The caller guarantees
    /// that every element lies inside the storage.
    @inlinable
    public init(storage: TensorStorage<Scalar>, shape: [Int], strides: [Int], offset: Int) {
        self = strides.withUnsafeBufferPointer { DenseTensor(storage: storage, shape: shape, strides: $0, offset: offset) }
    }

    /// A view of `storage` whose strides are read from `strides` (copied into the layout).
    @inlinable
    init(storage: TensorStorage<Scalar>, shape: [Int], strides: UnsafeBufferPointer<Int>, offset: Int) {
        self._storage = storage
        let (count, rowMajor, contiguous) = shape.withUnsafeBufferPointer { ViewLayout.measure(shape: $0, strides: strides) }
        if offset == 0 && count == storage.count && rowMajor {
            self.shape = shape
            self._isView = false
        } else {
            self.shape = ViewLayout.packed(shape: shape, strides: strides, offset: offset, count: count, contiguous: contiguous)
            self._isView = true
        }
    }

    /// A row-major view of `storage` from `offset` (a reshape of a contiguous tensor).
    @inlinable
    init(storage: TensorStorage<Scalar>, rowMajorShape shape: [Int], offset: Int) {
        if offset == 0 && Shape.count(shape) == storage.count {
            self.init(storage: storage, shape: shape)
        } else {
            self.init(storage: storage, shape: shape, strides: Shape.strides(shape), offset: offset)
        }
    }

    /// A tensor of `shape` whose scalars the caller must all write before reading.
    ///
    /// Traps when the element count does not fit in an `Int` (`Shape.count` would wrap it, and
    /// give a tensor whose storage is smaller than its shape). A shape with a zero size holds
    /// nothing, however large its other sizes.
    @inlinable
    public init(uninitializedShape shape: [Int]) {
        var count = shape.contains(0) ? 0 : 1
        if count != 0 {
            for size in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: size)
                trapUnless(size >= 0 && !overflow, "can't allocate memory: a tensor of shape \(shape) has too many elements")
                count = product
            }
        }
        self.init(storage: TensorStorage(uninitializedCount: count), shape: shape)
    }

    /// A tensor of this one's shape whose scalars the caller must all write before reading. The
    /// element count is known, so the checks of ``init(uninitializedShape:)`` don't run again:
    /// this is the result buffer of every elementwise op.
    @inlinable
    func uninitializedLike() -> DenseTensor {
        DenseTensor(storage: TensorStorage(uninitializedCount: count), shape: shape)
    }

    /// A tensor of `shape` with every element `value`.
    @inlinable
    public init(shape: [Int], repeating value: Scalar) {
        self.init(uninitializedShape: shape)
        Self.initialize(start, repeating: value, count: count)
    }

    /// A 0-d tensor holding `value`.
    @inlinable
    public init(_ value: Scalar) {
        self.init(shape: [], repeating: value)
    }

    /// A tensor of `shape` from row-major `scalars`; throws when the count does not fill the shape.
    public init(scalars: [Scalar], shape: [Int]) throws(TensorError) {
        let count = try Shape.checkedCount(shape)
        guard count == scalars.count else { throw .scalarCountMismatch(count: scalars.count, shape: shape) }
        self.init(uninitializedShape: shape)
        withMutableElements { dst in scalars.withUnsafeBufferPointer { src in
            if count > 0 { dst.baseAddress!.update(from: src.baseAddress!, count: count) }
        } }
    }

    /// Whether this value holds the only reference to its storage: no view, copy or tensor
    /// shares it, so that a kernel may write its result over it (`binary(_:_:overwriting:)`).
    @inlinable
    public mutating func holdsUniqueStorage() -> Bool {
        // A strided view can't take a row-major result, however unshared its storage.
        isKnownUniquelyReferenced(&_storage) && isContiguous
    }

    /// The distance in storage between neighbours along each dimension (PyTorch's `stride()`).
    @inlinable public var strides: [Int] { _isView ? ViewLayout.strides(shape) : Shape.strides(shape) }

    /// The stride of dimension `axis`, without making the array of ``strides``.
    @inlinable
    package func dimensionStride(_ axis: Int) -> Int {
        if _isView { return ViewLayout.stride(shape, axis) }
        var running = 1
        for k in stride(from: rank - 1, to: axis, by: -1) { running &*= Swift.max(shape[k], 1) }
        return running
    }

    /// A view of this tensor's storage of rank `newRank` from `newOffset`, whose sizes and
    /// strides `fill` writes given this tensor's: what the view ops of a chain build, as one
    /// array (Note [A view's layout in its shape's capacity]).
    @inlinable @inline(__always)
    func view(rank newRank: Int, offset newOffset: Int, _ fill: ViewLayout.Fill) -> DenseTensor {
        let (packed, isView) = ViewLayout.forView(of: shape, isView: _isView, storageCount: storage.count,
                                                  rank: newRank, offset: newOffset, fill)
        return DenseTensor(storage: storage, shape: packed, isView: isView)
    }

    @inlinable
    init(storage: TensorStorage<Scalar>, shape: [Int], isView: Bool) {
        self._storage = storage
        self.shape = shape
        self._isView = isView
    }

    /// Calls `body` with the elements of a contiguous tensor, row-major.
    @inlinable
    package func withElements<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        trapUnless(isContiguous, "withElements of a strided view: call contiguous() first")
        return try body(UnsafeBufferPointer(start: start, count: count))
    }

    /// Calls `body` with the elements of a contiguous tensor, row-major, to write them (no
    /// version bump: for a tensor being made, or by a caller that counts the write itself).
    @inlinable
    package func withMutableElements<R>(_ body: (UnsafeMutableBufferPointer<Scalar>) throws -> R) rethrows -> R {
        trapUnless(isContiguous, "withMutableElements of a strided view: call contiguous() first")
        return try body(UnsafeMutableBufferPointer(start: start, count: count))
    }

    /// The first element (at ``offset``). Walking it in row-major order reads the elements only
    /// when ``isContiguous``.
    @inlinable package var start: UnsafeMutablePointer<Scalar> { storage.base + offset }

    /// The number of dimensions.
    @inlinable public var rank: Int { shape.count }

    /// A row-major copy of the scalars.
    public var scalars: [Scalar] {
        let dense = contiguous()
        return Array(UnsafeBufferPointer(start: dense.start, count: dense.count))
    }

    /// The value of a one-element tensor, else `nil`.
    @inlinable public var scalar: Scalar? { count == 1 ? start[0] : nil }

    /// A copy with its own storage.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    @inlinable
    public func copied() -> DenseTensor {
        guard isContiguous else { return contiguous() }
        let out = uninitializedLike()
        Self.copy(out.start, from: start, count: count)
        return out
    }
}
