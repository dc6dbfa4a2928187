/// `max(x, 0)` as a layer (PyTorch's `nn.ReLU`).
public final class ReLU<Scalar: TensorScalar>: Module {
    /// No effect: `ReLU` computes the same in training and evaluation; kept for ``Module``.
    public var isTraining = true
    /// A `ReLU` layer; it has no parameters.
    public init() {}
    /// Empty: `ReLU` has no parameters, so it adds nothing to a model's saved file.
    public var namedParameters: [(String, Tensor<Scalar>)] { [] }
    /// `input.relu()`, elementwise, for a tensor of any shape (PyTorch's `nn.ReLU` forward).
    ///
    /// NaN stays NaN (PyTorch's `clamp_min` keeps it too); the derivative at 0 is 0, as in PyTorch.
    /// Records ReluBackward0.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { input.relu() }
}

/// `1 / (1 + e⁻ˣ)` as a layer (PyTorch's `nn.Sigmoid`).
public final class Sigmoid<Scalar: TensorScalar>: Module {
    /// No effect: `Sigmoid` computes the same in training and evaluation; kept for ``Module``.
    public var isTraining = true
    /// A `Sigmoid` layer; it has no parameters.
    public init() {}
    /// Empty: `Sigmoid` has no parameters, so it adds nothing to a model's saved file.
    public var namedParameters: [(String, Tensor<Scalar>)] { [] }
    /// `input.sigmoid()`, elementwise, for a tensor of any shape (PyTorch's `nn.Sigmoid` forward).
    ///
    /// Never NaN for a non-NaN input: it saturates to exactly 0 below about −88.7 (`Float`;
    /// −709 for `Double`) and rounds to 1 above about 17 (`Float`; 37 for `Double`). Records
    /// SigmoidBackward0.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { input.sigmoid() }
}

/// The hyperbolic tangent as a layer (PyTorch's `nn.Tanh`).
public final class Tanh<Scalar: TensorScalar>: Module {
    /// No effect: `Tanh` computes the same in training and evaluation; kept for ``Module``.
    public var isTraining = true
    /// A `Tanh` layer; it has no parameters.
    public init() {}
    /// Empty: `Tanh` has no parameters, so it adds nothing to a model's saved file.
    public var namedParameters: [(String, Tensor<Scalar>)] { [] }
    /// `input.tanh()`, elementwise, for a tensor of any shape (PyTorch's `nn.Tanh` forward).
    ///
    /// Values in [−1, 1], `±inf` to `±1`, NaN to NaN. Records TanhBackward0.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { input.tanh() }
}
