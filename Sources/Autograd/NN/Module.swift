/// A layer or model: a function of a tensor with parameters that train (PyTorch's `nn.Module`).
///
/// Conform a class by implementing ``callAsFunction(_:)`` and ``namedParameters``; the rest
/// (``parameters``, ``train(_:)``/``eval()``, zeroing gradients, saving and loading) comes from
/// the extension.
///
/// ```swift
/// final class MLP: Module {
///     let fc1 = Linear<Float>(inFeatures: 64, outFeatures: 128)
///     let fc2 = Linear<Float>(inFeatures: 128, outFeatures: 10)
///     var isTraining = true
///     var namedParameters: [(String, Tensor<Float>)] {
///         fc1.namedParameters(prefix: "fc1") + fc2.namedParameters(prefix: "fc2")
///     }
///     func callAsFunction(_ x: Tensor<Float>) -> Tensor<Float> { fc2(fc1(x).relu()) }
/// }
/// ```
public protocol Module<Scalar>: AnyObject {
    /// The element type of the module's parameters and of its input and output (`Float` or
    /// `Double`).
    associatedtype Scalar: TensorScalar
    /// Applies the module to `input`.
    func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar>
    /// Every trainable tensor with a stable dotted name (`"0.weight"`), the keys of saved files.
    var namedParameters: [(String, Tensor<Scalar>)] { get }
    /// Training or evaluation mode (``Dropout`` and the batch norms behave differently); set it
    /// for a module and everything it holds with ``train(_:)`` and ``eval()``.
    var isTraining: Bool { get set }
}

extension Module {
    /// Every trainable tensor, in ``namedParameters`` order.
    public var parameters: [Tensor<Scalar>] { namedParameters.map(\.1) }

    /// ``namedParameters`` with `prefix.` in front of each name, for nesting modules.
    public func namedParameters(prefix: String) -> [(String, Tensor<Scalar>)] {
        namedParameters.map { ("\(prefix).\($0.0)", $0.1) }
    }

    /// Sets training mode, here and in every module this one holds (PyTorch's
    /// `module.train(mode)`, which recurses into the submodules): ``Dropout`` drops and the batch
    /// norms use and update batch statistics only in training mode.
    ///
    /// The submodules are found by reflection: stored properties (of the class and its
    /// superclasses) holding a ``Module``, an optional one, or an array of them, each visited once.
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
                let modules: [any Module] = if let module = child.value as? any Module {
                    [module]
                } else if let list = child.value as? [any Module] {
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
        for p in parameters { p.zeroGrad() }
    }

    /// The number of scalars in all parameters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }
}
