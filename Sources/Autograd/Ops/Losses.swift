import Arena

// The losses of API.md "More operations" (PyTorch's torch.nn.functional defaults: mean
// reduction, ignore index -100), each one node with PyTorch's name, beside Loss.swift's
// crossEntropy and mseLoss. Their derivatives are PyTorch's (derivatives.yaml,
// FunctionsManual.cpp), written once over GradientValue.

/// The sum of `term(x[i], y[i])` over two tensors of one shape, read in row-major order.
private func sum<S: TensorScalar>(_ x: DenseTensor<S>, _ y: DenseTensor<S>, _ term: (S, S) -> S) -> S {
    x.contiguous().withElements { x in y.contiguous().withElements { y in
        var total: S = 0
        for i in 0..<x.count { total += term(x[i], y[i]) }
        return total
    } }
}

// MARK: - nll_loss

/// Keeps the row-major positions of the chosen log-probabilities in `indices` and `−1 / W` (W
/// the number of targets not ignored) in `scalar`.
enum NllLoss: OpDefinition {
    static let name = "NllLossBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    /// `−grad / W` at each chosen position, zeros elsewhere.
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (c.grad.binary(.mul, scalar: c.scalar).broadcasted(to: c.shape0).kept(atFlatPositions: c.indices), nil)
    }
}

/// Checks targets against log-probabilities or logits of shape `[N, C]` or `[C]` with
/// PyTorch's messages, and returns the targets as an array (`ignoreIndex` passes).
private func checkedTargets<S: TensorScalar>(_ input: Tensor<S>, _ targets: Tensor<Int>, ignoreIndex: Int?) -> [Int] {
    trapUnless(input.rank == 1 || input.rank == 2, "nll_loss: expected input of shape [N, C] or [C], got \(input.shape) (more dimensions are not supported yet)")
    // PyTorch compares the batch sizes first (a 0-d target's counts as 0), then the target's rank.
    let batch = input.rank == 2 ? input.shape[0] : 1
    let targetBatch = input.rank == 2 ? (targets.rank == 0 ? 0 : targets.shape[0]) : targets.count
    trapUnless(batch == targetBatch, "Expected input batch_size (\(batch)) to match target batch_size (\(targetBatch)).")
    trapUnless(targets.rank <= 1, "0D or 1D target tensor expected, multi-target not supported")
    let values = targets.scalars
    let classes = input.shape.last!
    for t in values where (t < 0 || t >= classes) && t != ignoreIndex { trap("Target \(t) is out of bounds.") }
    return values
}

/// The mean negative log-likelihood of the classes `targets` under `logProbabilities` (`[N, C]`,
/// or `[C]` with a 0-d target), PyTorch's `F.nll_loss` (NllLossBackward0): `−Σ lp[i, tᵢ] / W`
/// over the targets that are not `-100` (PyTorch's default `ignore_index`), `W` their number;
/// NaN when every target is ignored, as PyTorch.
///
/// Traps with PyTorch's message when a target is outside `0..<C` (and not -100) or the batch
/// sizes differ. Inputs of more than two dimensions are not supported yet.
@_specialize(exported: true, where Scalar == Float)
@_specialize(exported: true, where Scalar == Double)
public func nllLoss<Scalar: TensorScalar>(logProbabilities: Tensor<Scalar>, targets: Tensor<Int>) -> Tensor<Scalar> {
    let values = checkedTargets(logProbabilities, targets, ignoreIndex: -100)
    let classes = logProbabilities.shape.last!
    var positions: [Int] = []
    for (row, t) in values.enumerated() where t != -100 { positions.append(row * classes + t) }
    let total = logProbabilities.data.contiguous().withElements { lp in positions.reduce(Scalar(0)) { $0 - lp[$1] } }
    let weight = Scalar(positions.count)
    return Tensor.record(DenseTensor(total / weight), NllLoss.self, logProbabilities, nil,
                         Saved(shapes: (logProbabilities.shape, nil), indices: positions, scalar: Double(-1 / weight)))
}

/// The mean cross-entropy between `logits` (`[N, C]`, or `[C]` with a 0-d target) and the class
/// indices `targets` (PyTorch's `F.cross_entropy`; NllLossBackward0): `nllLoss` of
/// `logSoftmax(dim: -1)`. Targets of -100 are ignored, as PyTorch's default `ignore_index`
/// (then the graph is PyTorch's two nodes, NllLossBackward0 after LogSoftmaxBackward0; else
/// the fused node of the `[Int]` overload).
///
/// Traps with PyTorch's message when a target is out of range or the batch sizes differ.
@_specialize(exported: true, where Scalar == Float)
@_specialize(exported: true, where Scalar == Double)
public func crossEntropy<Scalar: TensorScalar>(logits: Tensor<Scalar>, targets: Tensor<Int>) -> Tensor<Scalar> {
    let values = checkedTargets(logits, targets, ignoreIndex: -100)
    if values.contains(-100) { return nllLoss(logProbabilities: logits.logSoftmax(dim: -1), targets: targets) }
    return crossEntropy(logits: logits, targets: values)
}

// MARK: - binary cross-entropy

/// Keeps the input and the target (`saved0`, `saved1`).
enum BinaryCrossEntropy: OpDefinition {
    static let name = "BinaryCrossEntropyBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    /// PyTorch's: input `grad · (x − t) / max((1 − x) · x, ε) / n` (ε = Float(1e-12)); target
    /// `grad · (log(1 − x) − log(x)) / n`.
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        let (x, g) = (c.saved0, c.grad)
        let n = V.Scalar(Swift.max(Shape.count(x.shape), 1))
        let oneMinusX = x.unary(.neg).binary(.add, scalar: 1)
        // PyTorch's EPSILON is a float's 1e-12 in either type (9.99999996e-13).
        let epsilon = V.Scalar(Float(1e-12))
        return (c.first {
                    x.binary(.sub, c.saved1).binary(.div, oneMinusX.binary(.mul, x).lossClamped(min: epsilon, max: .infinity))
                        .multiplied(byZeroDim: g, times: 1, dividedBy: n)
                },
                c.second { oneMinusX.unary(.log).binary(.sub, x.unary(.log)).multiplied(byZeroDim: g, times: 1, dividedBy: n) })
    }
}

/// The mean binary cross-entropy between probabilities `input` and `target` of the same shape,
/// `−mean(t · log(x) + (1 − t) · log(1 − x))`, each log clamped at −100 as PyTorch's
/// `F.binary_cross_entropy` (BinaryCrossEntropyBackward0; the target gets a gradient too).
///
/// Traps with PyTorch's message when the shapes differ or an input is outside [0, 1].
@_specialize(exported: true, where Scalar == Float)
@_specialize(exported: true, where Scalar == Double)
public func binaryCrossEntropy<Scalar: TensorScalar>(_ input: Tensor<Scalar>, _ target: Tensor<Scalar>) -> Tensor<Scalar> {
    trapUnless(input.shape == target.shape,
               "Using a target size (\(torchSize(target.shape))) that is different to the input size (\(torchSize(input.shape))) is deprecated. Please ensure they have the same size.")
    let total = sum(input.data, target.data) { x, t in
        trapUnless(x >= 0 && x <= 1, "all elements of input should be between 0 and 1")
        return (t - 1) * Swift.max(Scalar.log(onePlus: -x), -100) - t * Swift.max(Scalar.log(x), -100)
    }
    return Tensor.record(DenseTensor(total / Scalar(input.count)), BinaryCrossEntropy.self, input, target,
                         Saved(tensors: (input.data, target.data)))
}

/// Keeps the input and the target (`saved0`, `saved1`).
enum BinaryCrossEntropyWithLogits: OpDefinition {
    static let name = "BinaryCrossEntropyWithLogitsBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    /// PyTorch's: input `grad · (σ(x) − t) / n`, target `−grad · x / n`.
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        let (x, g) = (c.saved0, c.grad)
        let n = V.Scalar(Swift.max(Shape.count(x.shape), 1))
        return (c.first { x.unary(.sigmoid).binary(.sub, c.saved1).multiplied(byZeroDim: g, times: 1, dividedBy: n) },
                c.second { x.multiplied(byZeroDim: g, times: -1, dividedBy: n) })
    }
}

/// The mean binary cross-entropy of `sigmoid(input)` against `target` of the same shape,
/// computed stably as PyTorch's `F.binary_cross_entropy_with_logits`
/// (BinaryCrossEntropyWithLogitsBackward0): `mean((1 − t) · x − logσ(x))`, with
/// `logσ(x) = min(x, 0) − log1p(exp(−|x|))`.
///
/// Traps with PyTorch's message when the shapes differ.
@_specialize(exported: true, where Scalar == Float)
@_specialize(exported: true, where Scalar == Double)
public func binaryCrossEntropyWithLogits<Scalar: TensorScalar>(_ input: Tensor<Scalar>, _ target: Tensor<Scalar>) -> Tensor<Scalar> {
    trapUnless(input.shape == target.shape,
               "Target size (\(torchSize(target.shape))) must be the same as input size (\(torchSize(input.shape)))")
    let total = sum(input.data, target.data) { x, t in
        (1 - t) * x - (Swift.min(x, 0) - Scalar.log(onePlus: Scalar.exp(-Swift.abs(x))))   // (1 − t) · x − logσ(x)
    }
    return Tensor.record(DenseTensor(total / Scalar(input.count)), BinaryCrossEntropyWithLogits.self, input, target,
                         Saved(tensors: (input.data, target.data)))
}

// MARK: - l1, huber, smooth L1

/// The mean absolute difference (PyTorch's `F.l1_loss`), composed as PyTorch 2.11 composes it:
/// `(input − target).abs().mean()`, so its `gradFn` is MeanBackward0. Broadcasts; traps with
/// PyTorch's message for shapes that do not broadcast. The gradient at `input == target` is 0.
@_specialize(exported: true, where Scalar == Float)
@_specialize(exported: true, where Scalar == Double)
public func l1Loss<Scalar: TensorScalar>(_ input: Tensor<Scalar>, _ target: Tensor<Scalar>) -> Tensor<Scalar> {
    (input - target).abs().mean()
}

/// Huber's and smooth L1's derivative: `clamp(d · scale, −bound, bound) · grad / n` for the
/// difference `d` (`saved0`), summed back to each input's shape (its negation for the target).
private func clampedDifferenceBackward<V: GradientValue>(_ c: consuming BackwardContext<V>, scale: V.Scalar, bound: V.Scalar) -> Gradients<V> {
    let d = c.saved0
    let scaled = scale == 1 ? d : d.binary(.mul, scalar: scale)
    let g = scaled.lossClamped(min: -bound, max: bound)
        .multiplied(byZeroDim: c.grad, times: 1, dividedBy: V.Scalar(Swift.max(Shape.count(d.shape), 1)))
    return (c.first { g.sum(toShape: c.shape0) }, c.second { g.unary(.neg).sum(toShape: c.shape1) })
}

/// Keeps the difference `input − target` (rebuilt as that `Sub` node when recorded, as
/// MseLoss's) and `delta` in `scalar`.
enum HuberLoss: OpDefinition {
    static let name = "HuberLossBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        clampedDifferenceBackward(c, scale: 1, bound: c.scalar)
    }
    static func recordedSaved<S: TensorScalar>(_ value: DenseTensor<S>, input: Int, _ c: borrowing BackwardContext<Tensor<S>>) -> Tensor<S>? {
        MseLoss.recordedSaved(value, input: input, c)
    }
}

/// Keeps the difference, as HuberLoss, and `beta` in `scalar`.
enum SmoothL1Loss: OpDefinition {
    static let name = "SmoothL1LossBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        clampedDifferenceBackward(c, scale: 1 / c.scalar, bound: 1)
    }
    static func recordedSaved<S: TensorScalar>(_ value: DenseTensor<S>, input: Int, _ c: borrowing BackwardContext<Tensor<S>>) -> Tensor<S>? {
        MseLoss.recordedSaved(value, input: input, c)
    }
}

/// The mean of `piece(|input − target|)` over the broadcast shape, recorded as `op` keeping the
/// difference and `parameter`.
private func differenceLoss<Scalar: TensorScalar, Op: OpDefinition>(
    _ input: Tensor<Scalar>, _ target: Tensor<Scalar>, _ op: Op.Type, parameter: Scalar, piece: (Scalar) -> Scalar
) -> Tensor<Scalar> {
    let diff = Tensor.withData(input, target) { $0.binary(.sub, $1) }
    let total = sum(diff, diff) { d, _ in piece(Swift.abs(d)) }
    return Tensor.record(DenseTensor(total / Scalar(diff.count)), op, input, target,
                         Saved(tensors: (diff, nil), shapes: (input.shape, target.shape), scalar: Double(parameter)))
}

/// The mean Huber loss (PyTorch's `F.huber_loss`, HuberLossBackward0): for `d = input − target`,
/// `d² / 2` where `|d| < delta`, else `delta · (|d| − delta / 2)`. Broadcasts. The gradient is
/// `clamp(d, −delta, delta) / n`.
///
/// Traps with PyTorch's message for `delta ≤ 0` and for shapes that do not broadcast.
@_specialize(exported: true, where Scalar == Float)
@_specialize(exported: true, where Scalar == Double)
public func huberLoss<Scalar: TensorScalar>(_ input: Tensor<Scalar>, _ target: Tensor<Scalar>, delta: Scalar = 1) -> Tensor<Scalar> {
    trapUnless(delta > 0, "huber_loss does not support non-positive values for delta.")
    return differenceLoss(input, target, HuberLoss.self, parameter: delta) { a in
        a < delta ? a * a / 2 : delta * (a - delta / 2)
    }
}

/// The mean smooth L1 loss (PyTorch's `F.smooth_l1_loss`, SmoothL1LossBackward0): for
/// `d = input − target`, `d² / (2 beta)` where `|d| < beta`, else `|d| − beta / 2`. Broadcasts.
/// The gradient is `clamp(d / beta, −1, 1) / n`. `beta == 0` is ``l1Loss(_:_:)``, as PyTorch's
/// (MeanBackward0).
///
/// Traps with PyTorch's message for a negative `beta` and for shapes that do not broadcast.
@_specialize(exported: true, where Scalar == Float)
@_specialize(exported: true, where Scalar == Double)
public func smoothL1Loss<Scalar: TensorScalar>(_ input: Tensor<Scalar>, _ target: Tensor<Scalar>, beta: Scalar = 1) -> Tensor<Scalar> {
    trapUnless(beta >= 0, "smooth_l1_loss does not support negative values for beta.")
    if beta == 0 { return l1Loss(input, target) }
    return differenceLoss(input, target, SmoothL1Loss.self, parameter: beta) { a in
        a < beta ? a * a / (2 * beta) : a - beta / 2
    }
}

// MARK: - the derivatives' operations, in both interpretations

extension DenseTensor where Scalar: TensorScalar {
    /// Each element clamped to `[min, max]` (NaN stays NaN), for the losses' derivatives.
    func lossClamped(min low: Scalar, max high: Scalar) -> DenseTensor {
        let out = contiguous().binary(.add, scalar: 0)
        out.withMutableElements { p in
            for i in 0..<p.count { p[i] = p[i] < low ? low : p[i] > high ? high : p[i] }
        }
        return out
    }
}

extension Tensor where Scalar: TensorScalar {
    /// `lossClamped` recorded: `where` selections of the bounds, so that the gradient passes
    /// where the value is inside them.
    func lossClamped(min low: Scalar, max high: Scalar) -> Tensor {
        var clamped = self
        if low > -.infinity { clamped = Tensor.where(clamped .< low, Tensor(low), clamped) }
        if high < .infinity { clamped = Tensor.where(clamped .> high, Tensor(high), clamped) }
        return clamped
    }
}
