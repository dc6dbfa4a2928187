import Arena

// Loss functions (mean reduction), each one node.

// MARK: - cross-entropy

/// Cross-entropy as PyTorch computes it, `nll_loss(log_softmax(logits))`, fused into one node:
/// the derivative with respect to the logits is `(softmax − onehot) / N`.
enum CrossEntropy: OpDefinition {
    static let name = "NllLossBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let savesInputValues = false   // it saves the log-probabilities
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (c.saved0.crossEntropyGradient(targets: c.indices, grad: c.grad), nil)
    }

    /// The log-probabilities as the node that made them, `logSoftmax` of the logits (saving its output).
    static func recordedSaved<S: TensorScalar>(_ value: DenseTensor<S>, input: Int, _ c: borrowing BackwardContext<Tensor<S>>) -> Tensor<S>? {
        Tensor.record(value, LogSoftmaxOp.self, c.input(0, value: value), nil, Saved(tensors: (value, nil), dim: value.rank - 1))
    }
}

/// The mean cross-entropy between `logits` (`[N, C]`, or `[C]` for one sample) and the class
/// indices `targets` (PyTorch's `F.cross_entropy`; NllLossBackward0).
///
/// Traps with PyTorch's message when a target is outside `0..<C` or the counts differ.
///
/// ```swift
/// let loss = crossEntropy(logits: model(x), targets: labels)
/// try loss.backward()
/// ```
@_specialize(exported: true, where Scalar == Float)
@_specialize(exported: true, where Scalar == Double)
public func crossEntropy<Scalar: TensorScalar>(logits: Tensor<Scalar>, targets: [Int]) -> Tensor<Scalar> {
    trapUnless(logits.rank == 1 || logits.rank == 2,
               "cross_entropy expects logits of shape [N, C] or [C], got \(logits.shape)")
    let batch = logits.rank == 2 ? logits.shape[0] : 1
    let classes = logits.shape.last!
    trapUnless(batch == targets.count,
               "Expected input batch_size (\(batch)) to match target batch_size (\(targets.count)).")
    for t in targets where t < 0 || t >= classes { trap("Target \(t) is out of bounds.") }
    let logProbabilities = logits.withData { $0.logSoftmax(dim: -1) }
    var total: Scalar = 0
    logProbabilities.withElements { p in
        for (row, t) in targets.enumerated() { total -= p[row * classes + t] }
    }
    let loss = DenseTensor(total / Scalar(batch))   // NaN for an empty batch, as PyTorch
    return Tensor.record(loss, CrossEntropy.self, logits, nil, Saved(tensors: (logProbabilities, nil), indices: targets))
}

// MARK: - mean squared error

/// It saves its input's difference to the target where PyTorch saves the input itself, and
/// keeps `savesInputValues`: a detached input then fails here where it fails in PyTorch.
enum MseLoss: OpDefinition {
    static let name = "MseLossBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let operandCount = 2
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        // ∂/∂a = 2 (a − b) g / n, ∂/∂b its negation; summed back over broadcast dims.
        let diff = c.saved0
        let g = diff.multiplied(byZeroDim: c.grad, times: 2, dividedBy: V.Scalar(Swift.max(Shape.count(diff.shape), 1)))
        return (c.first { g.sum(toShape: c.shape0) }, c.second { g.unary(.neg).sum(toShape: c.shape1) })
    }

    /// The difference as the node that made it, `input − target`.
    static func recordedSaved<S: TensorScalar>(_ value: DenseTensor<S>, input: Int, _ c: borrowing BackwardContext<Tensor<S>>) -> Tensor<S>? {
        let (shape0, shape1) = (c.shape0, c.shape1)
        return Tensor.record(value, Sub.self, c.input(0, value: DenseTensor(shape: shape0, repeating: 0)),
                             c.input(1, value: DenseTensor(shape: shape1, repeating: 0)), Saved(shapes: (shape0, shape1)))
    }
}

/// The mean of `(input − target)²` over all elements (PyTorch's `F.mse_loss`; MseLossBackward0).
@_specialize(exported: true, where Scalar == Float)
@_specialize(exported: true, where Scalar == Double)
public func mseLoss<Scalar: TensorScalar>(_ input: Tensor<Scalar>, _ target: Tensor<Scalar>) -> Tensor<Scalar> {
    let diff = Tensor.withData(input, target) { $0.binary(.sub, $1) }
    let loss = diff.pow(2).mean()
    return Tensor.record(loss, MseLoss.self, input, target,
                         Saved(tensors: (diff, nil), shapes: (input.shape, target.shape)))
}

// MARK: - the derivatives' operations, in both interpretations

extension DenseTensor where Scalar: TensorScalar {
    /// `self · (k · g / n)` for a 0-d `g`.
    func multiplied(byZeroDim g: DenseTensor, times k: Scalar, dividedBy n: Scalar) -> DenseTensor {
        binary(.mul, scalar: k * g.scalar! / n)
    }

    /// `(exp(self) − onehot(targets)) · g / N` for log-probabilities `self` (`[N, C]` or `[C]`):
    /// one pass over the probabilities, then the targets' elements.
    func crossEntropyGradient(targets: [Int], grad g: DenseTensor) -> DenseTensor {
        let classes = shape.last ?? 1
        let scale = g.scalar! / Scalar(Swift.max(targets.count, 1))
        let grad = unary(.exp).binary(.mul, scalar: scale, overwriting: true)
        grad.withMutableElements { g in
            for (row, t) in targets.enumerated() { g[row * classes + t] -= scale }
        }
        return grad
    }
}

extension Tensor where Scalar: TensorScalar {
    func multiplied(byZeroDim g: Tensor, times k: Scalar, dividedBy n: Scalar) -> Tensor { self * (k * g / n) }

    /// The same two steps, recorded: `exp(self) · s − onehot · s` with `s = g / N`.
    func crossEntropyGradient(targets: [Int], grad g: Tensor) -> Tensor {
        let classes = shape.last ?? 1
        var onehot = [Scalar](repeating: 0, count: count)
        for (row, t) in targets.enumerated() { onehot[row * classes + t] = 1 }
        let scale = g / Scalar(Swift.max(targets.count, 1))
        return exp() * scale - Tensor(data: try! DenseTensor(scalars: onehot, shape: shape)) * scale
    }
}
