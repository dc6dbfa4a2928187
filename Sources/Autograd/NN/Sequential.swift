/// Modules applied one after another (PyTorch's `nn.Sequential`); parameters are named by
/// position, `"0.weight"`, `"2.bias"`, as PyTorch names them.
///
/// ```swift
/// let model = Sequential<Float>(
///     Linear(inFeatures: 64, outFeatures: 128), ReLU(), Linear(inFeatures: 128, outFeatures: 10))
/// let logits = model(x)
/// ```
public final class Sequential<Scalar: TensorScalar>: Module {
    public let layers: [any Module<Scalar>]

    public init(_ layers: [any Module<Scalar>]) { self.layers = layers }
    public convenience init(_ layers: any Module<Scalar>...) { self.init(layers) }

    public var isTraining: Bool {
        get { layers.first?.isTraining ?? true }
        set { for layer in layers { layer.isTraining = newValue } }
    }

    public var namedParameters: [(String, Tensor<Scalar>)] {
        layers.enumerated().flatMap { i, layer in layer.namedParameters(prefix: "\(i)") }
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        layers.reduce(input) { x, layer in layer(x) }
    }
}
