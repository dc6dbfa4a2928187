// fill, zero and copy(from:) recorded on a tensor with history, or copying a value that requires
// grad. Their forwards are the in-place ops (Tensor+InPlace.swift); the node only carries the
// gradient: none reaches the overwritten value (zeros, as PyTorch sends, so that the sweep still
// checks the values the older nodes saved), and a copy's source gets the output's gradient.

// MARK: - fill, zero

enum Fill: OpDefinition {
    static let name = "FillBackward2"   // fill_ with a number (FillBackward3 takes a 0-d tensor)
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (c.first { c.grad.zerosLike() }, nil)
    }
}

enum Zero: OpDefinition {
    static let name = "ZeroBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    /// `fill(0)`'s: a zero gradient for the overwritten value.
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { Fill.backward(c) }
}

// MARK: - copy

enum Copy: OpDefinition {
    static let name = "CopyBackwards"   // PyTorch's spelling, without a number
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (c.first { c.grad.zerosLike() }, c.second { c.grad.sum(toShape: c.shape1) })
    }
}

extension Tensor where Scalar: TensorScalar {
    /// The value `fill(value)` (or `zero()`, `op` `Zero.self`) leaves, recorded as an op on `self`.
    func recordedFill<Op: OpDefinition>(_ value: Scalar, _ op: Op.Type) -> Tensor {
        Tensor.record(DenseTensor(shape: shape, repeating: value), op, self)
    }

    /// The value `copy(from: source)` leaves, recorded as an op on `self` and `source`.
    func recordedCopy(from source: Tensor) -> Tensor {
        let value = DenseTensor<Scalar>(uninitializedShape: shape)
        value.copy(from: source.data)   // traps with PyTorch's message unless `source` broadcasts to `shape`
        return Tensor.record(value, Copy.self, self, source, Saved(shapes: (nil, source.shape)))
    }
}
