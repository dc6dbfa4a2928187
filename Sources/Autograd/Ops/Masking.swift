import Arena
import TensorCore

// Choosing elementwise by a `Bool` tensor: maskedFill and where. Both broadcast the mask with
// their operands; the node keeps the positions of its `true` elements in the output (the
// segment's `indices` table), which is all their derivatives need: the mask is never a graph
// input.

/// The shape `shapes` broadcast to, in order (TensorIterator's order, so that a mismatch is
/// reported as PyTorch reports it: the shape so far is "tensor a").
private func broadcast(_ shapes: [Int]...) -> [Int] {
    shapes.dropFirst().reduce(shapes[0]) { Shape.broadcast($0, $1) }
}

/// `t` expanded to `shape` and read row-major, as a flat run of elements.
private func flat<S>(_ t: DenseTensor<S>, _ shape: [Int]) -> DenseTensor<S> {
    t.expanded(to: shape).contiguous().reshaped([Shape.count(shape)])
}

// MARK: - maskedFill

enum MaskedFill: OpDefinition {
    static let name = "MaskedFillBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    /// `grad.masked_fill(mask, 0)`, summed to the input's shape (a mask larger than the input
    /// broadcast it).
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (c.first { c.grad.zeroed(atFlatPositions: c.indices).sum(toShape: c.shape0) }, nil)
    }
}

extension Tensor where Scalar: TensorScalar {
    /// This tensor with `value` where `mask` is `true` (MaskedFillBackward0), PyTorch's
    /// out-of-place `masked_fill`. The mask broadcasts with this tensor, and a mask larger than
    /// it broadcasts the result, as PyTorch's does; no gradient reaches the filled elements.
    ///
    /// ```swift
    /// let scores = try Tensor<Float>([[1, 2], [3, 4]], requiresGrad: true)
    /// let masked = scores.maskedFill(Tensor<Bool>([false, true]), with: -.infinity)   // [[1, -inf], [3, -inf]]
    /// ```
    ///
    /// Traps with PyTorch's message when the shapes don't broadcast.
    public func maskedFill(_ mask: Tensor<Bool>, with value: Scalar) -> Tensor {
        let (filled, positions) = data.maskFilled(mask.data, with: value)
        return Tensor.record(filled, MaskedFill.self, self, nil, Saved(shapes: (shape, nil), indices: positions))
    }
}

// MARK: - where

enum Where: OpDefinition {
    static let name = "WhereBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let operandCount = 2
    /// `a: where(condition, grad, 0)`, `b: where(condition, 0, grad)`, each summed to its shape.
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (c.first { c.grad.kept(atFlatPositions: c.indices).sum(toShape: c.shape0) },
         c.second { c.grad.zeroed(atFlatPositions: c.indices).sum(toShape: c.shape1) })
    }
}

extension Tensor where Scalar: TensorScalar {
    /// `a`'s element where `condition` is `true`, `b`'s elsewhere (WhereBackward0), PyTorch's
    /// `torch.where(condition, a, b)`. All three broadcast together; each of `a` and `b` gets the
    /// gradient of the elements it gave, summed to its shape.
    ///
    /// ```swift
    /// let x = try Tensor<Float>([-1, 2, -3], requiresGrad: true)
    /// let relu = Tensor.where(x .> 0, x, Tensor(0))   // [0, 2, 0]
    /// ```
    ///
    /// Traps with PyTorch's message when the shapes don't broadcast.
    public static func `where`(_ condition: Tensor<Bool>, _ a: Tensor, _ b: Tensor) -> Tensor {
        let (chosen, positions) = DenseTensor.chosen(condition.data, a.data, b.data)
        return record(chosen, Where.self, a, b, Saved(shapes: (a.shape, b.shape), indices: positions))
    }
}

// MARK: - The values, shared by every element type

extension DenseTensor {
    /// This tensor with `value` where `mask` is `true`, both broadcast (`masked_fill`), and the
    /// row-major positions filled in the result.
    func maskFilled(_ mask: DenseTensor<Bool>, with value: Scalar) -> (DenseTensor, positions: [Int]) {
        let outShape = broadcast(mask.shape, shape)
        let positions = flat(mask, outShape).truePositions()
        return (flat(self, outShape).indexFilled(dim: 0, positions: positions, value: value).reshaped(outShape), positions)
    }

    /// `a`'s element where `condition` is `true`, `b`'s elsewhere, all three broadcast
    /// (`torch.where`), and the row-major positions taken from `a`.
    static func chosen(_ condition: DenseTensor<Bool>, _ a: DenseTensor, _ b: DenseTensor) -> (DenseTensor, positions: [Int]) {
        let outShape = broadcast(condition.shape, a.shape, b.shape)
        let positions = flat(condition, outShape).truePositions()
        let chosen = flat(b, outShape)
            .indexCopied(dim: 0, positions: positions, source: flat(a, outShape).indexSelected(dim: 0, positions: positions))
            .reshaped(outShape)
        return (chosen, positions)
    }
}

// MARK: - the derivatives' operations, in both interpretations

extension DenseTensor where Scalar: TensorScalar {
    func zeroed(atFlatPositions positions: [Int]) -> DenseTensor {
        flat(self, shape).indexFilled(dim: 0, positions: positions, value: 0).reshaped(shape)
    }

    func kept(atFlatPositions positions: [Int]) -> DenseTensor {
        let elements = flat(self, shape)
        return DenseTensor(shape: [elements.count], repeating: 0)
            .indexCopied(dim: 0, positions: positions, source: elements.indexSelected(dim: 0, positions: positions))
            .reshaped(shape)
    }
}

extension Tensor where Scalar: TensorScalar {
    /// `maskedFill` with the mask the positions make.
    func zeroed(atFlatPositions positions: [Int]) -> Tensor { maskedFill(.marking(positions, shape: shape), with: 0) }

    func kept(atFlatPositions positions: [Int]) -> Tensor { maskedFill(.!Tensor<Bool>.marking(positions, shape: shape), with: 0) }
}

extension Tensor where Scalar == Bool {
    /// A mask of `shape`, `true` at the row-major `positions` (the recorded derivatives' masks).
    static func marking(_ positions: [Int], shape: [Int]) -> Tensor {
        var flags = [Bool](repeating: false, count: Shape.count(shape))
        for p in positions { flags[p] = true }
        return Tensor(data: try! DenseTensor(scalars: flags, shape: shape))
    }
}
