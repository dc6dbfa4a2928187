import Arena

/// A fully connected layer, `y = x · Wᵀ + b` (PyTorch's `nn.Linear`).
///
/// `weight` is `[outFeatures, inFeatures]` and `bias` `[outFeatures]`, PyTorch's layout, both
/// initialized as PyTorch does: uniform in `±1/√inFeatures` (kaiming-uniform with `a = √5`).
///
/// ```swift
/// let layer = Linear<Float>(inFeatures: 64, outFeatures: 10)
/// let y = layer(x)           // x: [batch, 64] → y: [batch, 10], grad_fn AddmmBackward0
/// let z = layer(t)           // t: [batch, time, 64] → z: [batch, time, 10], grad_fn ViewBackward0
/// ```
public final class Linear<Scalar: TensorScalar>: Module {
    /// The `[outFeatures, inFeatures]` weight, which requires grad (PyTorch's `layer.weight`).
    public let weight: Tensor<Scalar>
    /// The `[outFeatures]` bias, which requires grad, or `nil` for a layer made with `bias: false`.
    public let bias: Tensor<Scalar>?
    /// No effect on the computation (a linear layer behaves the same in both modes); kept for
    /// ``Module``.
    public var isTraining = true

    /// A layer with PyTorch's default initialization from this thread's default generator.
    public convenience init(inFeatures: Int, outFeatures: Int, bias: Bool = true) {
        var generator = ThreadContext.current.generator
        self.init(inFeatures: inFeatures, outFeatures: outFeatures, bias: bias, using: &generator)
        ThreadContext.current.generator = generator
    }

    /// A layer with PyTorch's default initialization from `generator`.
    public init(inFeatures: Int, outFeatures: Int, bias: Bool = true, using generator: inout RandomGenerator) {
        trapUnless(inFeatures >= 0 && outFeatures >= 0, "Linear: negative size \(inFeatures) → \(outFeatures)")
        let bound = inFeatures > 0 ? 1 / Scalar(inFeatures).squareRoot() : 0
        weight = Tensor(data: .rand([outFeatures, inFeatures], low: -bound, high: bound, using: &generator),
                        requiresGrad: true)
        self.bias = bias
            ? Tensor(data: .rand([outFeatures], low: -bound, high: bound, using: &generator), requiresGrad: true)
            : nil
    }

    /// A layer with the given parameters (`weight` `[out, in]`, `bias` `[out]`), which train.
    public init(weight: Tensor<Scalar>, bias: Tensor<Scalar>?) {
        trapUnless(weight.rank == 2, "Linear: weight must be 2-D, got \(weight.shape)")
        self.weight = weight
        self.bias = bias
        weight.requiresGrad = true
        bias?.requiresGrad = true
    }

    /// `"weight"`, then `"bias"` if there is one: PyTorch's `state_dict` keys for `nn.Linear`.
    public var namedParameters: [(String, Tensor<Scalar>)] {
        if let bias { return [("weight", weight), ("bias", bias)] }
        return [("weight", weight)]
    }

    /// ``linear(_:weight:bias:)``: `input` `[..., inFeatures]` to `[..., outFeatures]`, any number
    /// of leading dimensions (a sequence of tokens `[batch, time, inFeatures]` is one GEMM), recorded
    /// as PyTorch records each rank. A feature count other than `inFeatures` traps.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        linear(input, weight: weight, bias: bias)
    }
}
