import Arena

// Loss functions (mean reduction), each one node.

// MARK: - cross-entropy

/// Cross-entropy as PyTorch computes it, `nll_loss(log_softmax(logits))`, fused into one node:
/// the derivative with respect to the logits is `(softmax − onehot) / N`.
enum CrossEntropy: OpDefinition {
    static let name = "NllLossBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let savesInputValues = false   // it saves the log-probabilities
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func backward<S>(_ c: consuming BackwardContext<S>) -> InputGrads<S> {
        let logProbabilities = c.saved0
        let targets = c.indices
        let classes = logProbabilities.shape.last ?? 1
        let scale = c.grad.scalar! / S(Swift.max(targets.count, 1))
        let grad = logProbabilities.unary(.exp).binary(.mul, scalar: scale)
        grad.withMutableElements { g in
            for (row, t) in targets.enumerated() { g[row * classes + t] -= scale }
        }
        return (grad, nil)
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
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
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
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func backward<S>(_ c: consuming BackwardContext<S>) -> InputGrads<S> {
        // ∂/∂a = 2 (a − b) g / n, ∂/∂b its negation; summed back over broadcast dims.
        let diff = c.saved0
        let scale = 2 * c.grad.scalar! / S(Swift.max(diff.count, 1))
        let g = diff.binary(.mul, scalar: scale)
        return (c.first { g.sum(toShape: c.shape0) }, c.second { g.unary(.neg).sum(toShape: c.shape1) })
    }
}

/// The mean of `(input − target)²` over all elements (PyTorch's `F.mse_loss`; MseLossBackward0).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func mseLoss<Scalar: TensorScalar>(_ input: Tensor<Scalar>, _ target: Tensor<Scalar>) -> Tensor<Scalar> {
    let diff = Tensor.withData(input, target) { $0.binary(.sub, $1) }
    let loss = diff.pow(2).mean()
    return Tensor.record(loss, MseLoss.self, input, target,
                         Saved(tensors: (diff, nil), shapes: (input.shape, target.shape)))
}
