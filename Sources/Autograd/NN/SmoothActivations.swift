/// The Gaussian error linear unit as a layer (PyTorch's `nn.GELU`).
public final class GELU<Scalar: TensorScalar>: Module {
    /// No effect: `GELU` computes the same in training and evaluation; kept for ``Module``.
    public var isTraining = true
    /// Whether the layer uses the tanh approximation (PyTorch's `approximate='tanh'`).
    public let approximate: Bool
    /// A `GELU` layer, exact (`erf`) unless `approximate`; it has no parameters.
    public init(approximate: Bool = false) { self.approximate = approximate }
    /// Empty: `GELU` has no parameters, so it adds nothing to a model's saved file.
    public var namedParameters: [(String, Tensor<Scalar>)] { [] }
    /// `input.gelu(approximate:)`, elementwise, for a tensor of any shape (PyTorch's `nn.GELU`
    /// forward). Records GeluBackward0.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { input.gelu(approximate: approximate) }
}

/// `x · σ(x)` as a layer (PyTorch's `nn.SiLU`).
public final class SiLU<Scalar: TensorScalar>: Module {
    /// No effect: `SiLU` computes the same in training and evaluation; kept for ``Module``.
    public var isTraining = true
    /// A `SiLU` layer; it has no parameters.
    public init() {}
    /// Empty: `SiLU` has no parameters, so it adds nothing to a model's saved file.
    public var namedParameters: [(String, Tensor<Scalar>)] { [] }
    /// `input.silu()`, elementwise, for a tensor of any shape (PyTorch's `nn.SiLU` forward).
    /// Records SiluBackward0.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { input.silu() }
}
