import Arena

/// A dense, row-major, contiguous array of scalars with a shape: the values a tensor holds.
///
/// `DenseTensor` is the numeric core under the autograd `Tensor`: it knows shapes, kernels and
/// printing, and nothing of gradients. Its storage is shared between copies of the value and
/// between views (`reshaped`, `unsqueezed`); operations return new tensors.
///
/// ```swift
/// let a = try DenseTensor<Float>(scalars: [1, 2, 3, 4], shape: [2, 2])
/// let b = a.binary(.add, scalar: 2)      // [[3, 4], [5, 6]]
/// print(b.sum().scalars)                 // [18.0]
/// ```
public struct DenseTensor<Scalar: TensorScalar> {
    /// The scalars, row-major. Shared between views.
    @inlinable public var storage: TensorStorage<Scalar> { _storage }
    // A `var` only so that `holdsUniqueStorage()` can ask `isKnownUniquelyReferenced`.
    @usableFromInline var _storage: TensorStorage<Scalar>
    /// The size of each dimension; `[]` for a 0-d tensor.
    public let shape: [Int]

    /// Wraps `storage` (whose count must equal the shape's element count).
    @inlinable
    public init(storage: TensorStorage<Scalar>, shape: [Int]) {
        assert(storage.count == Shape.count(shape), "storage of \(storage.count) scalars for shape \(shape)")
        self._storage = storage
        self.shape = shape
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
        Self.initialize(storage.base, repeating: value, count: count)
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
        storage.update { dst in scalars.withUnsafeBufferPointer { src in
            if count > 0 { dst.baseAddress!.update(from: src.baseAddress!, count: count) }
        } }
    }

    /// Whether this value holds the only reference to its storage: no view, copy or tensor
    /// shares it, so that a kernel may write its result over it (`binary(_:_:overwriting:)`).
    @inlinable
    public mutating func holdsUniqueStorage() -> Bool {
        isKnownUniquelyReferenced(&_storage)
    }

    /// The number of elements.
    @inlinable public var count: Int { storage.count }

    /// The number of dimensions.
    @inlinable public var rank: Int { shape.count }

    /// A row-major copy of the scalars.
    public var scalars: [Scalar] { storage.read { Array($0) } }

    /// The value of a one-element tensor, else `nil`.
    @inlinable public var scalar: Scalar? { count == 1 ? storage.base[0] : nil }

    /// A copy with its own storage.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    @inlinable
    public func copied() -> DenseTensor {
        let out = uninitializedLike()
        Self.copy(out.storage.base, from: storage.base, count: count)
        return out
    }
}
