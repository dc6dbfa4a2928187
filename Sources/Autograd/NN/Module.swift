/// What every module has besides its call: named parameters and buffers, training mode, and what
/// comes from them (``stateDict``, saving and loading, ``train(_:)``/``eval()``, zeroing
/// gradients).
///
/// ``Module`` refines it with the call on a tensor of the module's scalar type. A layer whose
/// input is something else, such as ``Embedding`` (a `Tensor<Int>` of indices), is a `ModuleBase`
/// only, and a model nests it like any module:
///
/// ```swift
/// final class Classifier: ModuleBase {
///     let embed = Embedding<Float>(numEmbeddings: 100, embeddingDim: 16)
///     let norm = LayerNorm<Float>(normalizedShape: [16])
///     let fc = Linear<Float>(inFeatures: 16, outFeatures: 4)
///     var isTraining = true
///     var namedParameters: [(String, Tensor<Float>)] {
///         embed.namedParameters(prefix: "embed") + norm.namedParameters(prefix: "norm")
///             + fc.namedParameters(prefix: "fc")
///     }
///     func callAsFunction(_ tokens: Tensor<Int>) -> Tensor<Float> { fc(norm(embed(tokens))) }
/// }
/// ```
public protocol ModuleBase<Scalar>: AnyObject {
    /// The element type of the module's parameters (`Float` or `Double`).
    associatedtype Scalar: TensorScalar
    /// Every trainable tensor with a stable dotted name (`"0.weight"`): PyTorch's
    /// `named_parameters()`, and the keys of saved files.
    var namedParameters: [(String, Tensor<Scalar>)] { get }
    /// Every tensor that is state but does not train, with a dotted name as ``namedParameters``
    /// (PyTorch's `named_buffers()`): a batch norm's `running_mean`, `running_var` and
    /// `num_batches_tracked`, this last a `Tensor<Int>`. Saved and loaded with the parameters.
    /// Empty unless the module implements it; a module holding a batch norm lists the batch
    /// norm's, as it lists its parameters (``namedBuffers(prefix:)``).
    var namedBuffers: [(String, any TensorProtocol)] { get }
    /// Training or evaluation mode (``Dropout`` and the batch norms behave differently); set it
    /// for a module and everything it holds with ``train(_:)`` and ``eval()``.
    var isTraining: Bool { get set }
}

/// A layer or model: a function of a tensor with parameters that train (PyTorch's `nn.Module`).
///
/// Conform a class by implementing ``callAsFunction(_:)`` and ``ModuleBase/namedParameters``, and
/// ``ModuleBase/namedBuffers`` when it holds a batch norm; the rest (``ModuleBase/parameters``,
/// ``ModuleBase/train(_:)``/``ModuleBase/eval()``, zeroing gradients, the state dict, saving and
/// loading) comes from the extension. Name the parts as the matching PyTorch module's attributes
/// and a file saved by either loads in the other.
///
/// ```swift
/// final class Net: Module {
///     let conv = Conv2d<Float>(inChannels: 3, outChannels: 8, kernelSize: 3, padding: 1)
///     let bn = BatchNorm2d<Float>(numFeatures: 8)
///     let fc = Linear<Float>(inFeatures: 8 * 16 * 16, outFeatures: 10)
///     var isTraining = true
///     var namedParameters: [(String, Tensor<Float>)] {
///         conv.namedParameters(prefix: "conv") + bn.namedParameters(prefix: "bn") + fc.namedParameters(prefix: "fc")
///     }
///     var namedBuffers: [(String, any TensorProtocol)] { bn.namedBuffers(prefix: "bn") }
///     func callAsFunction(_ x: Tensor<Float>) -> Tensor<Float> {
///         fc(maxPool2d(bn(conv(x)).relu(), kernelSize: 2).flattened(startDim: 1))
///     }
/// }
/// ```
public protocol Module<Scalar>: ModuleBase {
    /// The element type of the module's parameters and of its input and output (`Float` or
    /// `Double`).
    associatedtype Scalar
    /// Applies the module to `input`.
    func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar>
}

extension ModuleBase {
    /// None: a module without buffers (most of them) needs not implement ``namedBuffers``.
    public var namedBuffers: [(String, any TensorProtocol)] { [] }

    /// Every trainable tensor, in ``namedParameters`` order.
    // Closures, not key paths: `map(\.1)` builds its key path object on every call (3 mallocs).
    public var parameters: [Tensor<Scalar>] { namedParameters.map { $0.1 } }

    /// Every buffer, in ``namedBuffers`` order (PyTorch's `buffers()`).
    public var buffers: [any TensorProtocol] { namedBuffers.map { $0.1 } }

    /// ``namedParameters`` with `prefix.` in front of each name, for nesting modules.
    public func namedParameters(prefix: String) -> [(String, Tensor<Scalar>)] {
        namedParameters.map { ("\(prefix).\($0.0)", $0.1) }
    }

    /// ``namedBuffers`` with `prefix.` in front of each name, for nesting modules.
    public func namedBuffers(prefix: String) -> [(String, any TensorProtocol)] {
        namedBuffers.map { ("\(prefix).\($0.0)", $0.1) }
    }

    /// Sets training mode, here and in every module this one holds (PyTorch's
    /// `module.train(mode)`, which recurses into the submodules): ``Dropout`` drops and the batch
    /// norms use and update batch statistics only in training mode.
    ///
    /// The submodules are found by reflection: stored properties (of the class and its
    /// superclasses) holding a module, an optional one, or an array of them, each visited once.
    public func train(_ mode: Bool = true) {
        var visited = Set<ObjectIdentifier>()
        setTraining(mode, visited: &visited)
    }

    /// Sets evaluation mode, here and in every module this one holds (PyTorch's `module.eval()`).
    public func eval() { train(false) }

    private func setTraining(_ mode: Bool, visited: inout Set<ObjectIdentifier>) {
        guard visited.insert(ObjectIdentifier(self)).inserted else { return }
        isTraining = mode
        var mirror: Mirror? = Mirror(reflecting: self)
        while let m = mirror {
            for child in m.children {
                let modules: [any ModuleBase] = if let module = child.value as? any ModuleBase {
                    [module]
                } else if let list = child.value as? [any ModuleBase] {
                    list
                } else {
                    []
                }
                for module in modules { module.setTraining(mode, visited: &visited) }
            }
            mirror = m.superclassMirror
        }
    }

    /// Sets every parameter's gradient to `nil` (PyTorch's `module.zero_grad()`).
    public func zeroGrad() {
        for (_, p) in namedParameters { p.zeroGrad() }
    }

    /// The number of scalars in all parameters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }
}
