/// `max(x, 0)` as a layer (PyTorch's `nn.ReLU`).
public final class ReLU<Scalar: TensorScalar>: Module {
    public var isTraining = true
    public init() {}
    public var namedParameters: [(String, Tensor<Scalar>)] { [] }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { input.relu() }
}

/// `1 / (1 + e⁻ˣ)` as a layer (PyTorch's `nn.Sigmoid`).
public final class Sigmoid<Scalar: TensorScalar>: Module {
    public var isTraining = true
    public init() {}
    public var namedParameters: [(String, Tensor<Scalar>)] { [] }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { input.sigmoid() }
}

/// The hyperbolic tangent as a layer (PyTorch's `nn.Tanh`).
public final class Tanh<Scalar: TensorScalar>: Module {
    public var isTraining = true
    public init() {}
    public var namedParameters: [(String, Tensor<Scalar>)] { [] }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { input.tanh() }
}
