/// Modules applied one after another (PyTorch's `nn.Sequential`); parameters and buffers are
/// named by position, `"0.weight"`, `"2.bias"`, `"1.running_mean"`, as PyTorch names them.
///
/// ```swift
/// let model = Sequential<Float>(
///     Linear(inFeatures: 64, outFeatures: 128), ReLU(), Linear(inFeatures: 128, outFeatures: 10))
/// let logits = model(x)
/// ```
public final class Sequential<Scalar: TensorScalar>: Module {
    /// The modules, in the order they are applied.
    public let layers: [any Module<Scalar>]

    /// Applies `layers` in order. An empty list gives the identity, as an empty `nn.Sequential`
    /// does.
    public init(_ layers: [any Module<Scalar>]) { self.layers = layers }
    /// Applies `layers` in order, written as arguments: `Sequential(Linear(...), ReLU())`.
    public convenience init(_ layers: any Module<Scalar>...) { self.init(layers) }

    /// Setting it sets every layer's mode (PyTorch's `train()`/`eval()` recurse the same way);
    /// reading it gives the first layer's, or `true` when there are no layers.
    public var isTraining: Bool {
        get { layers.first?.isTraining ?? true }
        set { for layer in layers { layer.isTraining = newValue } }
    }

    /// Each layer's parameters prefixed with its index, `"0.weight"`, `"2.bias"`, the keys PyTorch's
    /// `state_dict` uses; layers without parameters (ReLU) take an index but add no names.
    public var namedParameters: [(String, Tensor<Scalar>)] {
        layers.enumerated().flatMap { i, layer in layer.namedParameters(prefix: "\(i)") }
    }

    /// Each layer's buffers prefixed with its index (`"1.running_mean"`), as ``namedParameters``.
    public var namedBuffers: [(String, any TensorProtocol)] {
        layers.enumerated().flatMap { i, layer in layer.namedBuffers(prefix: "\(i)") }
    }

    /// Feeds `input` through every layer in order; with no layers, returns `input` itself.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        layers.reduce(input) { x, layer in layer(x) }
    }
}
