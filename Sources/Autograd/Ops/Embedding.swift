import Arena

// Embedding lookup: rows of a weight matrix picked by integer indices. The derivative adds each
// row of the gradient into the weight row it was read from (repeats add up), and leaves the
// padding row's gradient zero, as PyTorch's `embedding_backward`.

enum EmbeddingOp: OpDefinition {
    static let name = "EmbeddingBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    /// The node keeps the weight's shape (`shape0`), the flat indices and the padding index in
    /// `dim` (−1 for none).
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (c.grad.embeddingGradient(positions: c.indices, weightShape: c.shape0, padding: c.dim), nil)
    }
}

// The derivative's scatter in the two interpretations (Note [Two interpretations of a
// derivative]): one pass adding rows into the gradient's own zeros, or the recorded `indexAdded`
// into zeros (then the padding row zeroed).
extension DenseTensor where Scalar: TensorScalar {
    func embeddingGradient(positions: [Int], weightShape: [Int], padding: Int) -> DenseTensor {
        rowsScattered(into: weightShape, positions: positions, skipping: padding)
    }
}

extension Tensor where Scalar: TensorScalar {
    func embeddingGradient(positions: [Int], weightShape: [Int], padding: Int) -> Tensor {
        let rows = reshaped([positions.count, weightShape[1]])
        let summed = Tensor.zeros(shaped: weightShape).indexAdded(dim: 0, positions: positions, source: rows)
        return padding >= 0 ? summed.indexFilled(dim: 0, positions: [padding], value: 0) : summed
    }
}

extension Tensor where Scalar: TensorScalar {
    /// Not public: ``embedding(_:weight:paddingIdx:)`` is the spelling.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func embedding(_ indices: Tensor<Int>, weight: Tensor, paddingIdx: Int?) -> Tensor {
        trapUnless(weight.rank == 2, "'weight' must be 2-D")
        let count = weight.shape[0]
        var padding = -1
        if let paddingIdx {
            trapUnless(paddingIdx < count && paddingIdx >= -count, "Padding_idx must be within num_embeddings")
            padding = paddingIdx < 0 ? paddingIdx + count : paddingIdx
        }
        let positions = indices.scalars
        for p in positions { trapUnless(p >= 0 && p < count, "index out of range in self") }
        // The rows copied straight into the output's shape, `indices.shape + [embeddingDim]`.
        var shape = indices.shape
        shape.append(weight.shape[1])
        let value = weight.data.rows(positions, shape: shape)
        return Tensor.record(value, EmbeddingOp.self, weight, nil,
                             Saved(shapes: (weight.shape, nil), indices: positions, dim: padding))
    }
}

/// The rows of `weight` (`[numEmbeddings, embeddingDim]`) at `indices`, a tensor of shape
/// `indices.shape + [embeddingDim]` (EmbeddingBackward0), PyTorch's
/// `torch.nn.functional.embedding`. The gradient of a row read several times is the sum of its
/// rows' gradients; the row `paddingIdx` (negative counts from the end) gets no gradient.
///
/// ```swift
/// let w = Tensor<Float>.randn([10, 4], requiresGrad: true)
/// let e = embedding(try Tensor<Int>([[1, 2], [2, 9]]), weight: w)   // [2, 2, 4]
/// ```
///
/// Traps with PyTorch's message for an index outside `0..<numEmbeddings` (`index out of range
/// in self`) or a `paddingIdx` outside `-numEmbeddings..<numEmbeddings`.
@_specialize(exported: true, where Scalar == Float)
@_specialize(exported: true, where Scalar == Double)
public func embedding<Scalar: TensorScalar>(_ indices: Tensor<Int>, weight: Tensor<Scalar>, paddingIdx: Int? = nil) -> Tensor<Scalar> {
    Tensor.embedding(indices, weight: weight, paddingIdx: paddingIdx)
}
