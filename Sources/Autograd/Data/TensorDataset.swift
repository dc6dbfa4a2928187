import Arena
import TensorCore

/// Samples and their targets as two tensors with the same first dimension, in memory: what a
/// regression trains on (PyTorch's `TensorDataset(inputs, targets)` with a `DataLoader`).
///
/// ```swift
/// let data = try TensorDataset(inputs: x, targets: y)   // x: [N, 3], y: [N, 2]
/// var rng = RandomGenerator(seed: 0)
/// for epoch in 0..<10 {
///     for batch in data.batches(size: 32, shuffledWith: &rng) {
///         let loss = mseLoss(model(batch.inputs), batch.targets)
///         ...
///     }
/// }
/// ```
///
/// Any shapes `[N, ...]` work for either tensor (images `[N, C, H, W]`, targets `[N]` or
/// `[N, K]`): a batch takes whole samples along the first dimension. For class labels (`[Int]`,
/// as ``crossEntropy(logits:targets:)`` takes them) use ``LabeledDataset``.
public struct TensorDataset<Scalar: TensorScalar>: BatchedDataset {
    /// `[count, ...]`: one sample per index of the first dimension.
    public let inputs: DenseTensor<Scalar>
    /// `[count, ...]`: the target of each sample.
    public let targets: DenseTensor<Scalar>

    /// The number of samples.
    public var count: Int { inputs.shape[0] }

    /// A dataset of `inputs` and `targets`, both of at least one dimension and of the same size
    /// in the first.
    ///
    /// - Throws: ``DatasetError/noSampleDimension`` for a 0-d tensor,
    ///   ``DatasetError/sampleCountMismatch(inputs:targets:)`` for different first dimensions.
    public init(inputs: DenseTensor<Scalar>, targets: DenseTensor<Scalar>) throws(DatasetError) {
        guard inputs.rank >= 1, targets.rank >= 1 else { throw .noSampleDimension }
        guard inputs.shape[0] == targets.shape[0] else {
            throw .sampleCountMismatch(inputs: inputs.shape[0], targets: targets.shape[0])
        }
        self.inputs = inputs
        self.targets = targets
    }

    /// The samples at `indices`, in that order.
    public func subset(_ indices: some Collection<Int>) -> TensorDataset {
        let positions = Array(indices)
        return try! TensorDataset(inputs: inputs.indexSelected(dim: 0, positions: positions),
                                  targets: targets.indexSelected(dim: 0, positions: positions))
    }

    /// One batch per element of `sampler`, in its order (`batches(size:dropLast:shuffledWith:)`
    /// and `batches(size:dropLast:)` make the sampler: ``BatchedDataset``).
    public func batches(_ sampler: BatchSampler) -> [Batch] {
        checkCount(of: sampler)
        return sampler.map { indices in
            let positions = Array(indices)
            return Batch(inputs: Tensor(data: inputs.indexSelected(dim: 0, positions: positions)),
                         targets: Tensor(data: targets.indexSelected(dim: 0, positions: positions)))
        }
    }

    /// A mini-batch: the inputs and targets of the same samples, in the same order.
    public struct Batch {
        /// `[rows, ...]`: a leaf that does not require grad, ready to feed a model.
        public let inputs: Tensor<Scalar>
        /// `[rows, ...]`: the targets of ``inputs``' samples (a leaf that does not require grad).
        public let targets: Tensor<Scalar>
    }
}
