import Arena
import TensorCore

/// Whether `f`'s gradients with respect to its inputs that require grad agree with central
/// differences (PyTorch's `torch.autograd.gradcheck` with `raise_exception=False`).
///
/// The analytic Jacobian comes from one backward per output element, the numeric one from
/// `(f(x + eps) − f(x − eps)) / 2eps` per input element; each pair must satisfy
/// `|analytic − numeric| <= atol + rtol · |numeric|`, PyTorch's test. Run it in Double: in Float
/// the differences lose most of their digits.
///
/// ```swift
/// let x = Tensor<Double>([0.5, -1, 2], shape: [3], requiresGrad: true)
/// try gradcheck({ ($0[0] * $0[0]).tanh() }, inputs: [x])   // true
/// ```
/// - Throws: what the backward passes throw (``AutogradError``).
public func gradcheck(
    _ f: ([Tensor<Double>]) -> Tensor<Double>, inputs: [Tensor<Double>],
    eps: Double = 1e-6, atol: Double = 1e-5, rtol: Double = 1e-3
) throws(AutogradError) -> Bool {
    try jacobiansAgree(f, inputs, eps: eps, atol: atol, rtol: rtol)
}

/// Whether the gradients of `f`'s gradients agree with central differences (PyTorch's
/// `torch.autograd.gradgradcheck`): ``gradcheck(_:inputs:eps:atol:rtol:)`` of the function
/// `(inputs, v) ↦ vᵀ·∂f/∂inputs`, formed with `createGraph`, for a fixed random `v` (seeded,
/// so a result repeats) that is itself checked as an input.
public func gradgradcheck(
    _ f: ([Tensor<Double>]) -> Tensor<Double>, inputs: [Tensor<Double>],
    eps: Double = 1e-6, atol: Double = 1e-5, rtol: Double = 1e-3
) throws(AutogradError) -> Bool {
    let output = f(inputs)
    guard output.requiresGrad else { return try gradcheck(f, inputs: inputs, eps: eps, atol: atol, rtol: rtol) }
    var generator = RandomGenerator(seed: 0)
    let v = Tensor<Double>.randn(output.shape, using: &generator, requiresGrad: true)
    let count = inputs.count
    let differentiated = inputs.indices.filter { inputs[$0].requiresGrad }
    let firstDerivatives: ([Tensor<Double>]) throws(AutogradError) -> Tensor<Double> = { xs throws(AutogradError) in
        let y = f(Array(xs[..<count]))
        let wrt = differentiated.map { xs[$0] }
        guard y.requiresGrad else { return Tensor.zeros([wrt.reduce(0) { $0 + $1.count }]) }
        let grads = try grad(outputs: [y], inputs: wrt, gradOutputs: [xs[count]], retainGraph: true,
                             createGraph: true, allowUnused: true)
        return Tensor.cat(zip(wrt, grads).map { ($1 ?? Tensor.zeros($0.shape)).reshaped([-1]) })
    }
    return try jacobiansAgree(firstDerivatives, inputs + [v], eps: eps, atol: atol, rtol: rtol)
}

/// The check behind both: analytic against numeric Jacobians of `f` at `inputs`.
private func jacobiansAgree(
    _ f: ([Tensor<Double>]) throws(AutogradError) -> Tensor<Double>, _ inputs: [Tensor<Double>],
    eps: Double, atol: Double, rtol: Double
) throws(AutogradError) -> Bool {
    let checked = inputs.indices.filter { inputs[$0].requiresGrad }
    guard !checked.isEmpty else { return true }
    let output = try f(inputs)
    let outputs = output.count
    // Rows of the analytic Jacobian: the gradient of each output element.
    var analytic: [[Double]] = Array(repeating: [], count: outputs)
    for i in 0..<outputs {
        var unit = [Double](repeating: 0, count: outputs)
        unit[i] = 1
        let seed = try! Tensor<Double>(unit, shape: output.shape)
        let grads: [Tensor<Double>?] = output.requiresGrad
            ? try grad(outputs: [output], inputs: checked.map { inputs[$0] }, gradOutputs: [seed],
                       retainGraph: true, allowUnused: true)
            : Array(repeating: nil, count: checked.count)
        analytic[i] = zip(checked, grads).flatMap { k, g in g?.scalars ?? [Double](repeating: 0, count: inputs[k].count) }
    }
    // Columns of the numeric one: each input element moved by ±eps. The moved inputs are new
    // leaves that require grad as the originals do (gradgradcheck's function differentiates).
    func evaluate(_ k: Int, _ j: Int, _ delta: Double) throws(AutogradError) -> [Double] {
        var values = inputs[k].scalars
        values[j] += delta
        var moved = inputs.map { Tensor(data: $0.data.copied(), requiresGrad: $0.requiresGrad) }
        moved[k] = try! Tensor<Double>(values, shape: inputs[k].shape, requiresGrad: true)
        return try f(moved).scalars
    }
    var column = 0
    for k in checked {
        for j in 0..<inputs[k].count {
            let plus = try evaluate(k, j, eps), minus = try evaluate(k, j, -eps)
            for i in 0..<outputs {
                let numeric = (plus[i] - minus[i]) / (2 * eps)
                let a = analytic[i][column]
                if !(Swift.abs(a - numeric) <= atol + rtol * Swift.abs(numeric)) { return false }
            }
            column += 1
        }
    }
    return true
}
