import Arena

/// In-place writes. Each one bumps the storage's version, so that a value saved for a
/// derivative can tell it was overwritten (PyTorch's version counter).
extension DenseTensor {
    /// `self = op(self, other)` in place, `other` broadcast to `self`'s shape.
    ///
    /// Traps with PyTorch's message when `other` would broadcast `self` to a larger shape.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func formBinary(_ op: BinaryOp, _ other: DenseTensor) {
        let target = Shape.broadcast(shape, other.shape)
        trapUnless(target == shape,
            "output with shape \(shape) doesn't match the broadcast shape \(target)")
        let n = count
        storage.version += 1
        guard n > 0 else { return }
        // Read `other` first when it shares our storage, so the loop never reads what it wrote.
        let source = other.storage === storage ? other.copied() : other
        let rhs = source.count == n ? source : source.expanded(to: shape)
        storage.update { a in rhs.storage.read { b in
            let a = a.baseAddress!, b = b.baseAddress!
            switch op {
            case .add: zipLoop(Fn.Add.self, UnsafePointer(a), b, a, n)
            case .sub: zipLoop(Fn.Sub.self, UnsafePointer(a), b, a, n)
            case .mul: zipLoop(Fn.Mul.self, UnsafePointer(a), b, a, n)
            case .div: zipLoop(Fn.Div.self, UnsafePointer(a), b, a, n)
            default:
                let result = self.binary(op, rhs)
                result.storage.read { r in a.update(from: r.baseAddress!, count: n) }
            }
        } }
    }

    /// `self = op(self, scalar)` in place.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func formBinary(_ op: BinaryOp, scalar: Scalar) {
        let n = count
        storage.version += 1
        guard n > 0 else { return }
        storage.update { a in
            let a = a.baseAddress!
            switch op {
            case .add: zipLoop(Fn.Add.self, UnsafePointer(a), scalar: scalar, a, n)
            case .sub: zipLoop(Fn.Sub.self, UnsafePointer(a), scalar: scalar, a, n)
            case .mul: zipLoop(Fn.Mul.self, UnsafePointer(a), scalar: scalar, a, n)
            case .div: zipLoop(Fn.Div.self, UnsafePointer(a), scalar: scalar, a, n)
            default:
                let result = self.binary(op, scalar: scalar)
                result.storage.read { r in a.update(from: r.baseAddress!, count: n) }
            }
        }
    }

    /// `self += alpha · other` in place (BLAS's axpy, the optimizers' update).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func formAdd(_ other: DenseTensor, scaledBy alpha: Scalar) {
        trapUnless(other.shape == shape, "output with shape \(shape) doesn't match the shape \(other.shape)")
        let n = count
        storage.version += 1
        guard n > 0 else { return }
        let source = other.storage === storage ? other.copied() : other
        storage.update { a in source.storage.read { b in
            let a = a.baseAddress!, b = b.baseAddress!
            Parallel.forEachBlock(n) { r in for i in r { a[i] += alpha * b[i] } }
        } }
    }

    /// Sets every element to `value`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func fill(_ value: Scalar) {
        storage.version += 1
        storage.update { $0.update(repeating: value) }
    }

    /// Copies `source`'s elements (broadcast to `self`'s shape) into `self`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func copy(from source: DenseTensor) {
        let target = Shape.broadcast(shape, source.shape)
        trapUnless(target == shape, "output with shape \(shape) doesn't match the broadcast shape \(target)")
        let values = source.count == count ? source.copied() : source.expanded(to: shape)
        storage.version += 1
        storage.update { dst in values.storage.read { src in
            if count > 0 { dst.baseAddress!.update(from: src.baseAddress!, count: count) }
        } }
    }
}
