import Arena

/// Layer normalization over the trailing `normalizedShape` dimensions, with a learned
/// elementwise scale and shift (PyTorch's `nn.LayerNorm`): ``layerNorm(_:normalizedShape:weight:bias:eps:)``.
///
/// `weight` starts at ones and `bias` at zeros, both of shape `normalizedShape`, as PyTorch.
///
/// ```swift
/// let norm = LayerNorm<Float>(normalizedShape: [64])
/// let y = norm(x)        // x: [batch, seq, 64], grad_fn NativeLayerNormBackward0
/// ```
public final class LayerNorm<Scalar: TensorScalar>: Module {
    /// The normalized trailing shape.
    public let normalizedShape: [Int]
    /// Added to the variance under the square root.
    public let eps: Double
    /// The scale, `normalizedShape`, or `nil` without `elementwiseAffine`.
    public let weight: Tensor<Scalar>?
    /// The shift, `normalizedShape`, or `nil` without `elementwiseAffine` or `bias`.
    public let bias: Tensor<Scalar>?
    /// No effect: a layer norm computes the same in training and evaluation.
    public var isTraining = true

    /// A layer norm over `normalizedShape`, with a weight (and a bias, unless `bias: false`)
    /// when `elementwiseAffine`.
    public init(normalizedShape: [Int], eps: Double = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true) {
        self.normalizedShape = normalizedShape
        self.eps = eps
        weight = elementwiseAffine ? Tensor.ones(normalizedShape, requiresGrad: true) : nil
        self.bias = elementwiseAffine && bias ? Tensor.zeros(normalizedShape, requiresGrad: true) : nil
    }

    /// `"weight"` and `"bias"` where present, PyTorch's `state_dict` keys.
    public var namedParameters: [(String, Tensor<Scalar>)] {
        [("weight", weight), ("bias", bias)].compactMap { name, t in t.map { (name, $0) } }
    }

    /// ``layerNorm(_:normalizedShape:weight:bias:eps:)`` with this layer's parameters.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        layerNorm(input, normalizedShape: normalizedShape, weight: weight, bias: bias, eps: eps)
    }
}

/// What `BatchNorm1d` and `BatchNorm2d` share: parameters, running statistics and the call.
public class BatchNormBase<Scalar: TensorScalar>: Module {
    /// The number of channels (dimension 1 of the input).
    public let numFeatures: Int
    /// Added to the variance under the square root.
    public let eps: Double
    /// The weight of the batch's statistics in the running ones.
    public let momentum: Double
    /// The scale, `[numFeatures]` starting at ones, or `nil` without `affine`.
    public let weight: Tensor<Scalar>?
    /// The shift, `[numFeatures]` starting at zeros, or `nil` without `affine`.
    public let bias: Tensor<Scalar>?
    /// The running mean, a buffer (no gradient), `[numFeatures]` starting at zeros; updated in
    /// place by every call in training mode. `nil` without `trackRunningStats`.
    public let runningMean: Tensor<Scalar>?
    /// The running (unbiased) variance, a buffer starting at ones. `nil` without
    /// `trackRunningStats`.
    public let runningVar: Tensor<Scalar>?
    /// How many training batches updated the running statistics (PyTorch's `num_batches_tracked`,
    /// a 0-d int64 buffer, saved and loaded as one: ``namedBuffers``); 0 without
    /// `trackRunningStats`.
    public var numBatchesTracked: Int { batchesTracked?.data.scalar ?? 0 }
    /// The 0-d `Tensor<Int>` behind ``numBatchesTracked``; `nil` without `trackRunningStats`.
    private let batchesTracked: Tensor<Int>?
    /// Training mode (the default): normalize with the batch's statistics and update the running
    /// ones; evaluation mode: normalize with the running ones.
    public var isTraining = true
    private let expectedRanks: [Int]
    private let rankMessage: String

    init(numFeatures: Int, eps: Double, momentum: Double, affine: Bool, trackRunningStats: Bool,
         expectedRanks: [Int], rankMessage: String) {
        (self.numFeatures, self.eps, self.momentum) = (numFeatures, eps, momentum)
        weight = affine ? Tensor.ones([numFeatures], requiresGrad: true) : nil
        bias = affine ? Tensor.zeros([numFeatures], requiresGrad: true) : nil
        runningMean = trackRunningStats ? Tensor.zeros([numFeatures]) : nil
        runningVar = trackRunningStats ? Tensor.ones([numFeatures]) : nil
        batchesTracked = trackRunningStats ? Tensor<Int>(0) : nil
        (self.expectedRanks, self.rankMessage) = (expectedRanks, rankMessage)
    }

    /// `"weight"` and `"bias"` where present, PyTorch's `state_dict` keys.
    public var namedParameters: [(String, Tensor<Scalar>)] {
        [("weight", weight), ("bias", bias)].compactMap { name, t in t.map { (name, $0) } }
    }

    /// The running statistics and the count of batches that updated them, PyTorch's buffers:
    /// `"running_mean"`, `"running_var"` (`Tensor<Scalar>`) and `"num_batches_tracked"` (a 0-d
    /// `Tensor<Int>`); none without `trackRunningStats`.
    public var namedBuffers: [(String, any TensorProtocol)] {
        guard let runningMean, let runningVar, let batchesTracked else { return [] }
        return [("running_mean", runningMean), ("running_var", runningVar), ("num_batches_tracked", batchesTracked)]
    }

    /// ``batchNorm(_:runningMean:runningVar:weight:bias:training:momentum:eps:)`` with this
    /// layer's parameters and statistics: batch statistics in training mode (or without running
    /// statistics), the running ones in evaluation mode. Traps with PyTorch's message for an
    /// input of the wrong rank.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        trapUnless(expectedRanks.contains(input.rank), "\(rankMessage) (got \(input.rank)D input)")
        let useBatch = isTraining || runningMean == nil
        if isTraining, let batchesTracked { batchesTracked.data.fill(batchesTracked.data.scalar! + 1) }
        return batchNorm(input, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias,
                         training: useBatch, momentum: momentum, eps: eps)
    }
}

/// Batch normalization of `[N, C]` or `[N, C, L]` inputs over every dimension but the channels
/// (PyTorch's `nn.BatchNorm1d`), with running statistics kept as buffers.
///
/// ```swift
/// let bn = BatchNorm1d<Float>(numFeatures: 16)
/// let y = bn(x)          // training: batch statistics, running ones updated
/// bn.eval()
/// let z = bn(x)          // evaluation: running statistics
/// ```
public final class BatchNorm1d<Scalar: TensorScalar>: BatchNormBase<Scalar> {
    /// A batch norm over `numFeatures` channels, PyTorch's defaults.
    public init(numFeatures: Int, eps: Double = 1e-5, momentum: Double = 0.1, affine: Bool = true,
                trackRunningStats: Bool = true) {
        super.init(numFeatures: numFeatures, eps: eps, momentum: momentum, affine: affine,
                   trackRunningStats: trackRunningStats, expectedRanks: [2, 3], rankMessage: "expected 2D or 3D input")
    }
}

/// Batch normalization of `[N, C, H, W]` inputs per channel (PyTorch's `nn.BatchNorm2d`), with
/// running statistics kept as buffers.
public final class BatchNorm2d<Scalar: TensorScalar>: BatchNormBase<Scalar> {
    /// A batch norm over `numFeatures` channels, PyTorch's defaults.
    public init(numFeatures: Int, eps: Double = 1e-5, momentum: Double = 0.1, affine: Bool = true,
                trackRunningStats: Bool = true) {
        super.init(numFeatures: numFeatures, eps: eps, momentum: momentum, affine: affine,
                   trackRunningStats: trackRunningStats, expectedRanks: [4], rankMessage: "expected 4D input")
    }
}
