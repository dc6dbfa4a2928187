import Arena

// The functional forms of `torch.autograd.functional`, built on `grad(...)`: one input `x`, a
// function of it, and the products PyTorch defines. Each differentiates `f` at a fresh leaf
// holding `x`'s values (PyTorch's `_grad_preprocess`); with `createGraph` at `x` itself where
// `x` requires grad, so that the results have history back to it. An output `f` does not make
// from its input gives zeros, as PyTorch's `strict=False`.

/// The input `f` is differentiated at: `x` itself where the result must have history to it,
/// else a new leaf with its values.
private func point<Scalar: TensorScalar>(_ x: Tensor<Scalar>, createGraph: Bool) -> Tensor<Scalar> {
    createGraph && x.requiresGrad ? x : Tensor(data: x.data, requiresGrad: true)
}

/// `grad(outputs: [y], inputs: [x], ...)`, with zeros where `y` does not depend on `x`.
private func gradient<Scalar: TensorScalar>(
    of y: Tensor<Scalar>, at x: Tensor<Scalar>, seed: Tensor<Scalar>?, createGraph: Bool
) throws(AutogradError) -> Tensor<Scalar> {
    guard y.requiresGrad else { return Tensor.zeros(x.shape) }
    let g = try grad(outputs: [y], inputs: [x], gradOutputs: [seed], retainGraph: true,
                     createGraph: createGraph, allowUnused: true)[0]
    return g ?? Tensor.zeros(x.shape)
}

/// What a functional form returns: with history only under `createGraph`.
private func result<Scalar: TensorScalar>(_ t: Tensor<Scalar>, createGraph: Bool) -> Tensor<Scalar> {
    createGraph ? t : t.detached()
}

/// The Jacobian of `f` at `x`, of shape `f(x).shape + x.shape` (PyTorch's
/// `torch.autograd.functional.jacobian`), one backward per output element.
///
/// ```swift
/// let x = Tensor<Double>([1, 2], requiresGrad: false)
/// let j = try jacobian({ $0 * $0 }, at: x)   // [[2, 0], [0, 4]]
/// ```
public func jacobian<Scalar: TensorScalar>(
    _ f: (Tensor<Scalar>) -> Tensor<Scalar>, at x: Tensor<Scalar>, createGraph: Bool = false
) throws(AutogradError) -> Tensor<Scalar> {
    try jacobianRows(of: { x throws(AutogradError) in f(x) }, at: x, createGraph: createGraph)
}

private func jacobianRows<Scalar: TensorScalar>(
    of f: (Tensor<Scalar>) throws(AutogradError) -> Tensor<Scalar>, at x: Tensor<Scalar>, createGraph: Bool
) throws(AutogradError) -> Tensor<Scalar> {
    let input = point(x, createGraph: createGraph)
    let y = try f(input)
    var rows: [Tensor<Scalar>] = []
    for i in 0..<y.count {
        var unit = [Scalar](repeating: 0, count: y.count)
        unit[i] = 1
        let seed = Tensor(data: try! DenseTensor(scalars: unit, shape: y.shape))
        rows.append(try gradient(of: y, at: input, seed: seed, createGraph: createGraph))
    }
    let shape = y.shape + x.shape
    guard !rows.isEmpty else { return Tensor.zeros(shape) }
    return result(Tensor.stack(rows).reshaped(shape), createGraph: createGraph)
}

/// The Hessian of a scalar function `f` at `x`, of shape `x.shape + x.shape` (PyTorch's
/// `torch.autograd.functional.hessian`): the Jacobian of its gradient.
public func hessian<Scalar: TensorScalar>(
    _ f: (Tensor<Scalar>) -> Tensor<Scalar>, at x: Tensor<Scalar>, createGraph: Bool = false
) throws(AutogradError) -> Tensor<Scalar> {
    try jacobianRows(of: { x throws(AutogradError) in
        let y = f(x)
        guard y.count == 1 else { throw .nonScalarOutput }
        return try gradient(of: y, at: x, seed: nil, createGraph: true)
    }, at: x, createGraph: createGraph)
}

/// `f(x)` and the vector-Jacobian product `vᵀ·J` (PyTorch's `torch.autograd.functional.vjp`);
/// `v` may be omitted for a one-element output.
public func vjp<Scalar: TensorScalar>(
    _ f: (Tensor<Scalar>) -> Tensor<Scalar>, at x: Tensor<Scalar>, v: Tensor<Scalar>? = nil, createGraph: Bool = false
) throws(AutogradError) -> (output: Tensor<Scalar>, product: Tensor<Scalar>) {
    let input = point(x, createGraph: createGraph)
    let y = f(input)
    _ = try Tensor.seeds([Tensor(data: y.data, requiresGrad: true)], [v])   // PyTorch's checks of `v`
    let product = try gradient(of: y, at: input, seed: v, createGraph: createGraph)
    return (result(y, createGraph: createGraph), result(product, createGraph: createGraph))
}

/// `f(x)` and the Jacobian-vector product `J·v` (PyTorch's `torch.autograd.functional.jvp`), by
/// PyTorch's double-backward trick: `J·v` is the derivative of `uᵀJ` with respect to `u`, along `v`.
public func jvp<Scalar: TensorScalar>(
    _ f: (Tensor<Scalar>) -> Tensor<Scalar>, at x: Tensor<Scalar>, v: Tensor<Scalar>, createGraph: Bool = false
) throws(AutogradError) -> (output: Tensor<Scalar>, product: Tensor<Scalar>) {
    guard v.shape == x.shape else { throw .gradientShapeMismatch(gradient: v.shape, output: x.shape) }
    let input = point(x, createGraph: createGraph)
    let y = f(input)
    let u = Tensor<Scalar>.zeros(y.shape, requiresGrad: true)
    let uJ = try gradient(of: y, at: input, seed: u, createGraph: true)
    let product = uJ.requiresGrad ? try gradient(of: uJ, at: u, seed: v, createGraph: createGraph) : Tensor.zeros(y.shape)
    return (result(y, createGraph: createGraph), result(product, createGraph: createGraph))
}

/// `f(x)` and the Hessian-vector product `H·v` of a scalar function (PyTorch's
/// `torch.autograd.functional.hvp`), by differentiating `∇f · v` once more.
///
/// ```swift
/// let (y, hv) = try hvp({ ($0 * $0 * $0).sum() }, at: x, v: v)   // H = diag(6x)
/// ```
public func hvp<Scalar: TensorScalar>(
    _ f: (Tensor<Scalar>) -> Tensor<Scalar>, at x: Tensor<Scalar>, v: Tensor<Scalar>, createGraph: Bool = false
) throws(AutogradError) -> (output: Tensor<Scalar>, product: Tensor<Scalar>) {
    guard v.shape == x.shape else { throw .gradientShapeMismatch(gradient: v.shape, output: x.shape) }
    let input = point(x, createGraph: createGraph)
    let y = f(input)
    guard y.count == 1 else { throw .nonScalarOutput }
    let g = try gradient(of: y, at: input, seed: nil, createGraph: true)
    let product = g.requiresGrad ? try gradient(of: g, at: input, seed: v, createGraph: createGraph) : Tensor.zeros(x.shape)
    return (result(y, createGraph: createGraph), result(product, createGraph: createGraph))
}
