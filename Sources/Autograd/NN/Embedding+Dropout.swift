import Arena

/// A lookup table of `numEmbeddings` vectors of `embeddingDim` (PyTorch's `nn.Embedding`):
/// ``embedding(_:weight:paddingIdx:)`` with a learned weight.
///
/// The weight starts as standard normal samples from this thread's default generator, as
/// PyTorch's `normal_()`, with the `paddingIdx` row zero (that row also gets no gradient).
/// Its input is a tensor of indices, so it is not a ``Module`` of its scalar type but a
/// ``ModuleBase``: it has a state dict, saves and loads, and a model lists its weight under
/// PyTorch's key with ``ModuleBase/namedParameters(prefix:)`` (`"embed.weight"`).
///
/// ```swift
/// let table = Embedding<Float>(numEmbeddings: 100, embeddingDim: 16, paddingIdx: 0)
/// let vectors = table(try Tensor<Int>([[3, 0, 7]]))     // [1, 3, 16]
/// ```
public final class Embedding<Scalar: TensorScalar>: ModuleBase {
    /// The `[numEmbeddings, embeddingDim]` table, which requires grad.
    public let weight: Tensor<Scalar>
    /// The row that gets no gradient (normalized to `0..<numEmbeddings`), if any.
    public let paddingIdx: Int?
    /// No effect: an embedding looks up the same in training and evaluation.
    public var isTraining = true

    /// A table with PyTorch's initialization; `paddingIdx` may count from the end.
    public init(numEmbeddings: Int, embeddingDim: Int, paddingIdx: Int? = nil) {
        if let paddingIdx {
            trapUnless(paddingIdx < numEmbeddings && paddingIdx >= -numEmbeddings, "Padding_idx must be within num_embeddings")
        }
        let padding = paddingIdx.map { $0 < 0 ? $0 + numEmbeddings : $0 }
        let table = DenseTensor<Scalar>.randn([numEmbeddings, embeddingDim], using: &ThreadContext.current.generator)
        if let padding { table.selected(dim: 0, index: padding).assign(DenseTensor(shape: [embeddingDim], repeating: 0)) }
        weight = Tensor(data: table, requiresGrad: true)
        self.paddingIdx = padding
    }

    /// `"weight"`, PyTorch's `state_dict` key.
    public var namedParameters: [(String, Tensor<Scalar>)] { [("weight", weight)] }

    /// The rows at `indices` (EmbeddingBackward0).
    public func callAsFunction(_ indices: Tensor<Int>) -> Tensor<Scalar> {
        embedding(indices, weight: weight, paddingIdx: paddingIdx)
    }
}

/// ``dropout(_:p:training:)`` as a layer (PyTorch's `nn.Dropout`): active in training mode,
/// the identity (the input itself) in evaluation mode.
public final class Dropout<Scalar: TensorScalar>: Module {
    /// The probability of zeroing an element.
    public let p: Double
    /// Training mode drops; evaluation mode returns the input.
    public var isTraining = true
    /// A dropout layer; traps with PyTorch's message for `p` outside `[0, 1]`.
    public init(p: Double = 0.5) {
        trapUnless(p >= 0 && p <= 1, "dropout probability has to be between 0 and 1, but got \(p)")
        self.p = p
    }
    /// Empty: dropout has no parameters.
    public var namedParameters: [(String, Tensor<Scalar>)] { [] }
    /// `dropout(input, p: p, training: isTraining)`.
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { dropout(input, p: p, training: isTraining) }
}

/// ``Tensor/flattened(startDim:endDim:)`` as a layer (PyTorch's `nn.Flatten`, which keeps the
/// batch dimension by default: `startDim: 1`).
public final class Flatten<Scalar: TensorScalar>: Module {
    /// The first and last dimensions merged.
    public let startDim: Int, endDim: Int
    /// No effect: flattening is the same in training and evaluation.
    public var isTraining = true
    /// A layer merging dimensions `startDim...endDim`.
    public init(startDim: Int = 1, endDim: Int = -1) { (self.startDim, self.endDim) = (startDim, endDim) }
    /// Empty: flatten has no parameters.
    public var namedParameters: [(String, Tensor<Scalar>)] { [] }
    /// `input.flattened(startDim:endDim:)`.
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        input.flattened(startDim: startDim, endDim: endDim)
    }
}
