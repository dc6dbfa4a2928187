/// A fully connected layer, `y = x · Wᵀ + b` (PyTorch's `nn.Linear`).
///
/// `weight` is `[outFeatures, inFeatures]` and `bias` `[outFeatures]`, PyTorch's layout, both
/// initialized as PyTorch does: uniform in `±1/√inFeatures` (kaiming-uniform with `a = √5`).
///
/// ```swift
/// let layer = Linear<Float>(inFeatures: 64, outFeatures: 10)
/// let y = layer(x)           // x: [batch, 64] → y: [batch, 10], grad_fn AddmmBackward0
/// ```
public final class Linear<Scalar: TensorScalar>: Module {
    public let weight: Tensor<Scalar>
    public let bias: Tensor<Scalar>?
    public var isTraining = true

    /// A layer with PyTorch's default initialization from this thread's default generator.
    public convenience init(inFeatures: Int, outFeatures: Int, bias: Bool = true) {
        var generator = ThreadContext.current.generator
        self.init(inFeatures: inFeatures, outFeatures: outFeatures, bias: bias, using: &generator)
        ThreadContext.current.generator = generator
    }

    /// A layer with PyTorch's default initialization from `generator`.
    public init(inFeatures: Int, outFeatures: Int, bias: Bool = true, using generator: inout RandomGenerator) {
        precondition(inFeatures >= 0 && outFeatures >= 0, "Linear: negative size \(inFeatures) → \(outFeatures)")
        let bound = inFeatures > 0 ? 1 / Scalar(inFeatures).squareRoot() : 0
        weight = Tensor(data: .rand([outFeatures, inFeatures], low: -bound, high: bound, using: &generator),
                        requiresGrad: true)
        self.bias = bias
            ? Tensor(data: .rand([outFeatures], low: -bound, high: bound, using: &generator), requiresGrad: true)
            : nil
    }

    /// A layer with the given parameters (`weight` `[out, in]`, `bias` `[out]`), which train.
    public init(weight: Tensor<Scalar>, bias: Tensor<Scalar>?) {
        precondition(weight.rank == 2, "Linear: weight must be 2-D, got \(weight.shape)")
        self.weight = weight
        self.bias = bias
        weight.requiresGrad = true
        bias?.requiresGrad = true
    }

    public var namedParameters: [(String, Tensor<Scalar>)] {
        if let bias { return [("weight", weight), ("bias", bias)] }
        return [("weight", weight)]
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        linear(input, weight: weight, bias: bias)
    }
}
