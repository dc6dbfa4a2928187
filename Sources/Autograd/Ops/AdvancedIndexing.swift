import Arena
import TensorCore

// Subscripts with a `Tensor<Int>` or a `Tensor<Bool>` mask (PyTorch's advanced indexing, as
// `THPVariable_getitem`/`setitem` hand a lone tensor index to `index` and `index_put_`). Both
// come down to positions among the leading dimensions: an `Int` tensor's values along dimension
// 0, a mask's `true` elements among as many dimensions as it has. Reading copies those slices
// (IndexBackward0); writing is `index_put_` in place (IndexPutBackward0, or CopySlices of the
// base where the tensor written is a view). Mixed with other indices they are not supported.

extension TensorIndex {
    /// Whether this is a `Tensor<Int>` or `Tensor<Bool>` index.
    var isTensor: Bool {
        switch kind {
        case .positions, .mask: true
        default: false
        }
    }

    static let onlyIndexMessage =
        "a Tensor<Int> index or Tensor<Bool> mask must be the only index: mixed with other indices it is not supported"
}

/// What a lone tensor index picks in a tensor: positions, row-major over its `dims` leading
/// dimensions, and the shape that replaces those dimensions in the result.
struct AdvancedIndex {
    var positions: [Int]
    var dims: Int
    var shape: [Int]

    /// The lone tensor index among `indices` resolved for a tensor of `shape`, trapping with
    /// PyTorch's messages; `nil` when there is none.
    init?(_ indices: [TensorIndex], shape: [Int]) {
        guard indices.contains(where: \.isTensor) else { return nil }
        trapUnless(indices.count == 1, TensorIndex.onlyIndexMessage)
        switch indices[0].kind {
        case .positions(let values, let indexShape):
            trapUnless(!shape.isEmpty, "too many indices for tensor of dimension 0")
            let size = shape[0]
            positions = values.map { p in
                trapUnless(p >= -size && p < size, "index \(p) is out of bounds for dimension 0 with size \(size)")
                return p < 0 ? p + size : p
            }
            (dims, self.shape) = (1, indexShape)
        case .mask(let values, let maskShape):
            trapUnless(maskShape.count <= shape.count, "too many indices for tensor of dimension \(shape.count)")
            for d in maskShape.indices where maskShape[d] != shape[d] {
                trap("The shape of the mask \(maskShape) at index \(d) does not match the shape of the indexed tensor \(shape) at index \(d)")
            }
            positions = values.indices.filter { values[$0] }
            (dims, self.shape) = (maskShape.count, [positions.count])
        default:
            return nil
        }
    }
}

/// `shape` without its leading sizes of 1, which a value written through a subscript drops.
private func withoutLeadingOnes(_ shape: [Int]) -> [Int] { Array(shape.drop { $0 == 1 }) }

extension DenseTensor {
    /// Read as `[leading elements, rest...]`: the tensor an advanced index covering its first
    /// `dims` dimensions selects slices of along dimension 0.
    func leadingFlattened(_ dims: Int) -> DenseTensor {
        reshaped([Shape.count(Array(shape[..<dims]))] + shape[dims...])
    }
}

// MARK: - Reading: index

enum IndexOp: OpDefinition {
    static let name = "IndexBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    /// `zeros(self).index_put_(indices, grad, accumulate=True)`: repeated positions add up.
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (c.first {
            let zeros = V.zeros(shaped: c.shape0).leadingFlattened(c.dim)
            let count = c.indices.count
            return zeros.indexAdded(dim: 0, positions: c.indices, source: c.grad.reshaped([count] + zeros.shape.dropFirst()))
                .reshaped(c.shape0)
        }, nil)
    }
}

extension Tensor where Scalar: TensorScalar {
    /// The slices `index` picks (IndexBackward0): `x[i]`, `x[m]`.
    func indexed(_ index: AdvancedIndex) -> Tensor {
        Tensor.record(data.indexed(index), IndexOp.self, self, nil,
                      Saved(shapes: (shape, nil), indices: index.positions, dim: index.dims))
    }
}

extension DenseTensor {
    /// The slices `index` picks, a row-major copy of shape `index.shape` + the dimensions it
    /// leaves.
    func indexed(_ index: AdvancedIndex) -> DenseTensor {
        leadingFlattened(index.dims).indexSelected(dim: 0, positions: index.positions)
            .reshaped(index.shape + shape[index.dims...])
    }
}

// MARK: - Writing: index_put_

enum IndexPut: OpDefinition {
    static let name = "IndexPutBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    /// Inputs: the old value (the gradient, zero where written over) and the value written
    /// (the gradient at the positions written, summed to its shape). `shape0` is the shape of
    /// the indexed part, `shape1` the value's.
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        let grad = c.grad.leadingFlattened(c.dim)
        let rest = Array(c.grad.shape[c.dim...])
        return (c.first { grad.indexFilled(dim: 0, positions: c.indices, value: 0).reshaped(c.grad.shape) },
                c.second {
                    grad.indexSelected(dim: 0, positions: c.indices).reshaped(c.shape0 + rest)
                        .sum(toShape: withoutLeadingOnes(c.shape1)).reshaped(c.shape1)
                })
    }
}

extension Tensor where Scalar: TensorScalar {
    /// `self[index] = value` in place, PyTorch's `index_put_` (not accumulating: where a position
    /// repeats, the last write wins). `value` broadcasts to the indexed part's shape.
    func put(_ value: SubscriptValue<Scalar>, at index: AdvancedIndex) {
        let written = valuePut(value, at: index)
        let source: Tensor? = switch value {
        case .scalar: nil
        case .tensor(let t): t
        }
        checkInPlaceAllowed()
        if mustRecord(source) {
            adopt(Tensor.record(written, IndexPut.self, self, source,
                                Saved(shapes: (index.shape, source?.shape), indices: index.positions, dim: index.dims)))
        } else {
            data.copy(from: written)
        }
    }
}

extension Tensor {
    /// This tensor's value after `self[index] = value` (PyTorch's `index_put_`, where a repeated
    /// position takes the last write), a new row-major tensor; `value` broadcast to the indexed
    /// part, trapping with PyTorch's message where it can't be.
    func valuePut(_ value: SubscriptValue<Scalar>, at index: AdvancedIndex) -> DenseTensor<Scalar> {
        let rest = Array(shape[index.dims...])
        let target = index.shape + rest
        let flat = data.leadingFlattened(index.dims)
        switch value {
        case .scalar(let s):
            return flat.indexFilled(dim: 0, positions: index.positions, value: s).reshaped(shape)
        case .tensor(let t):
            let kept = withoutLeadingOnes(t.shape)   // PyTorch's `slicePrefix1sSize`
            let fits = kept.count <= target.count && zip(kept.reversed(), target.reversed()).allSatisfy { $0 == $1 || $0 == 1 }
            trapUnless(fits, "shape mismatch: value tensor of shape \(kept) cannot be broadcast to indexing result of shape \(target)")
            let values = t.data.reshaped(kept).expanded(to: target).reshaped([index.positions.count] + rest)
            return flat.indexCopied(dim: 0, positions: index.positions, source: values).reshaped(shape)
        }
    }
}

// MARK: - the derivatives' operations, recorded

extension Tensor where Scalar: TensorScalar {
    func leadingFlattened(_ dims: Int) -> Tensor { reshaped([Shape.count(Array(shape[..<dims]))] + shape[dims...]) }

    func indexSelected(dim: Int, positions: [Int]) -> Tensor {
        indexSelect(dim: dim, index: Tensor<Int>(data: try! DenseTensor(scalars: positions, shape: [positions.count])))
    }

    /// A `maskedFill` with a mask of the positions along `dim`, broadcast over the rest.
    func indexFilled(dim: Int, positions: [Int], value: Scalar) -> Tensor {
        var maskShape = [Int](repeating: 1, count: rank)
        maskShape[dim] = shape[dim]
        return maskedFill(.marking(positions, shape: maskShape), with: value)
    }

    /// A `scatterAdd` of `source` with the positions spread over its shape.
    func indexAdded(dim: Int, positions: [Int], source: Tensor) -> Tensor {
        let inner = source.shape[(dim + 1)...].reduce(1, *)
        let size = source.shape[dim]
        let index = (0..<source.count).map { i in positions[(i / inner) % size] }
        return scatterAdd(dim: dim, index: Tensor<Int>(data: try! DenseTensor(scalars: index, shape: source.shape)), source: source)
    }
}
