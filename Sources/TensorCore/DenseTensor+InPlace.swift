import Arena

/// In-place writes. Each one bumps the storage's version, so that a value saved for a
/// derivative can tell it was overwritten (PyTorch's version counter), and writes through a
/// view's strides, so that the base and every other view of the storage see it.
extension DenseTensor {
    /// `self = op(self, other)` in place, `other` broadcast to `self`'s shape.
    ///
    /// Traps with PyTorch's message when `other` would broadcast `self` to a larger shape, or
    /// when two elements of `self` share a storage position (an expanded view).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func formBinary(_ op: BinaryOp, _ other: DenseTensor) where Scalar: TensorScalar {
        let target = Shape.broadcast(shape, other.shape)
        trapUnless(target == shape,
            "output with shape \(shape) doesn't match the broadcast shape \(target)")
        checkNoInternalOverlap()
        let n = count
        storage.version += 1
        guard n > 0 else { return }
        guard isContiguous else { return assign(binary(op, other)) }
        // Read `other` first when it shares our storage, so the loop never reads what it wrote.
        let source = other.storage === storage ? other.copied() : other
        let rhs = source.count == n && source.isContiguous ? source : source.expanded(to: shape).contiguous()
        let a = start, b = UnsafePointer(rhs.start)
        switch op {
        case .add: zipLoop(Fn.Add.self, UnsafePointer(a), b, a, n)
        case .sub: zipLoop(Fn.Sub.self, UnsafePointer(a), b, a, n)
        case .mul: zipLoop(Fn.Mul.self, UnsafePointer(a), b, a, n)
        case .div: zipLoop(Fn.Div.self, UnsafePointer(a), b, a, n)
        default: assign(binary(op, rhs))
        }
    }

    /// `self = op(self, scalar)` in place.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func formBinary(_ op: BinaryOp, scalar: Scalar) where Scalar: TensorScalar {
        checkNoInternalOverlap()
        let n = count
        storage.version += 1
        guard n > 0 else { return }
        guard isContiguous else { return assign(binary(op, scalar: scalar)) }
        let a = start
        switch op {
        case .add: zipLoop(Fn.Add.self, UnsafePointer(a), scalar: scalar, a, n)
        case .sub: zipLoop(Fn.Sub.self, UnsafePointer(a), scalar: scalar, a, n)
        case .mul: zipLoop(Fn.Mul.self, UnsafePointer(a), scalar: scalar, a, n)
        case .div: zipLoop(Fn.Div.self, UnsafePointer(a), scalar: scalar, a, n)
        default: assign(binary(op, scalar: scalar))
        }
    }

    /// `self += alpha · other` in place (BLAS's axpy, the optimizers' update).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func formAdd(_ other: DenseTensor, scaledBy alpha: Scalar) where Scalar: TensorScalar {
        trapUnless(other.shape == shape, "output with shape \(shape) doesn't match the shape \(other.shape)")
        checkNoInternalOverlap()
        let n = count
        storage.version += 1
        guard n > 0 else { return }
        let source = other.storage === storage || !other.isContiguous ? other.copied() : other
        guard isContiguous else { return assign(source.binary(.mul, scalar: alpha).binary(.add, contiguous())) }
        let a = start, b = UnsafePointer(source.start)
        Parallel.forEachBlock(n) { r in for i in r { a[i] += alpha * b[i] } }
    }

    /// Sets every element to `value`, through an expanded view too.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func fill(_ value: Scalar) {
        // No overlap check: every element gets the one value, however many share a position
        // (PyTorch's `fill_` writes through an expanded view too).
        storage.version += 1
        guard count > 0 else { return }
        if isContiguous { return start.update(repeating: value, count: count) }
        let s = strides, inner = shape.last!, step = s.last!, base = start
        forEachRow(shape: shape, stridesA: s, stridesB: s) { off, _, _ in
            for k in 0..<inner { base[off &+ k &* step] = value }
        }
    }

    /// Copies `source`'s elements (broadcast to `self`'s shape) into `self`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func copy(from source: DenseTensor) {
        let target = Shape.broadcast(shape, source.shape)
        trapUnless(target == shape, "output with shape \(shape) doesn't match the broadcast shape \(target)")
        checkNoInternalOverlap()
        // A copy first: `source` may share our storage.
        let values = source.expanded(to: shape).copied()
        storage.version += 1
        assign(values)
    }

    /// Writes the elements of `values` (of `self`'s shape, not sharing the positions being
    /// written) through `self`'s strides. No version bump: for a tensor being made (a slice of a
    /// new result), or by a caller that counts the write itself.
    @inlinable
    public func assign(_ values: DenseTensor) {
        assign(values, zeroingBefore: false)
    }

    /// `assign`, and with `zeroingBefore` the rest of the storage zero: each stretch of storage
    /// before a row is zeroed just before the row is written, so that every line of a large
    /// result is written once while it is in the cache (a slice's derivative: zeros, then the
    /// gradient in every other column, took two passes over 8 MB). Only for a view whose rows
    /// ascend (``rowsAscend``) and whose storage is exactly its base's.
    @inlinable
    func assign(_ values: DenseTensor, zeroingBefore: Bool) {
        trapUnless(values.shape == shape, "assign: values of shape \(values.shape) for a tensor of shape \(shape)")
        let values = values.contiguous()
        let storageBase = storage.base, storageCount = storage.count
        let zeroValue = Scalar(elementFrom: 0)
        var zeroedTo = 0   // storage positions below this are written
        @inline(__always) func zero(upTo end: Int) {
            if zeroingBefore && end > zeroedTo { Self.initialize(storageBase + zeroedTo, repeating: zeroValue, count: end &- zeroedTo) }
            zeroedTo = Swift.max(zeroedTo, end)
        }
        defer { zero(upTo: storageCount) }
        guard count > 0 else { return }
        let src = UnsafePointer(values.start)
        if isContiguous {
            zero(upTo: offset)
            start.update(from: src, count: count)
            zeroedTo = offset &+ count
            return
        }
        let s = strides, inner = shape.last!, step = s.last!, base = start
        forEachRow(shape: shape, stridesA: s, stridesB: s) { off, _, offOut in
            zero(upTo: offset &+ off)
            let row = base + off, values = src + offOut
            if step == 1 {
                row.update(from: values, count: inner)
            } else if step == 2 && zeroingBefore {   // a `::2` slice's derivative: value, zero, value, …
                for k in 0..<(inner &- 1) {
                    row[2 &* k] = values[k]
                    row[2 &* k &+ 1] = zeroValue
                }
                row[2 &* (inner &- 1)] = values[inner &- 1]
            } else {
                for k in 0..<inner { row[k &* step] = values[k] }
                if zeroingBefore {   // the gaps inside the row, element by element (not a memset each)
                    for k in 0..<(inner &- 1) {
                        for j in 1..<step { row[k &* step &+ j] = zeroValue }
                    }
                }
            }
            zeroedTo = offset &+ off &+ (inner &- 1) &* step &+ 1
        }
    }

    /// Traps with PyTorch's message when two elements share a storage position (a dimension of
    /// size > 1 with stride 0: an expanded view), which an in-place write can't serve.
    @inlinable
    public func checkNoInternalOverlap() {
        if hasInternalOverlap { trap(Self.internalOverlapMessage) }
    }

    /// Whether two elements share a storage position (a dimension of size > 1 with stride 0).
    @inlinable
    public var hasInternalOverlap: Bool {
        guard _isView else { return false }
        return ViewLayout.withStrides(shape) { s in (0..<rank).contains { s[$0] == 0 && shape[$0] > 1 } }
    }

    /// PyTorch's message for a write that more than one element would make to one position.
    public static var internalOverlapMessage: String {
        "unsupported operation: more than one element of the written-to tensor refers to a single memory location. Please clone() the tensor before performing the operation."
    }
}
