import Arena

// Layer and batch normalization, one node each with up to three inputs (input, weight, bias),
// as PyTorch's NativeLayerNormBackward0 / NativeBatchNormBackward0. Both normalize the input
// read as `[outer, groups, inner]` over its `outer` and `inner` positions, per group: a layer
// norm's groups are its rows (`outer == 1`, `inner` the normalized shape's size), a batch norm's
// its channels (`outer` the batch, `inner` the spatial size).
//
// The node keeps the input and the weight (both inputs' own values); the derivative computes the
// batch statistics again from the input: in the plain sweep in one fused kernel
// (`DenseTensor.normalizationGradients`), in the recorded one as the recorded ops of the same
// formula, so that it differentiates through them (Note [Two interpretations of a derivative]). An
// evaluation-mode batch norm keeps the running statistics it used, which are constants, in the
// node's indices (as the bit patterns of `Double`s: the node has no third tensor slot).

// MARK: - the derivatives

/// What a normalization node keeps besides its input and weight: which of the optional inputs
/// it has (`dim2` bits), its `eps` (`scalar`) and, for a layer norm, how many trailing
/// dimensions it normalizes (`dim`); for a batch norm, whether it used batch statistics
/// (`keepDim`).
private enum NormalizationFlags {
    static let weight = 1, bias = 2
}

extension WideBackwardContext {
    /// Saved value `k` (0: the input, 1: the weight): its value, or in the recorded sweep the
    /// input itself, with its history.
    func savedInput(_ k: Int) -> V {
        let value = segment.with { $0.saved[Int(k == 0 ? node.saved.0 : node.saved.1)] }
        if let dense = value as? V { return dense }
        return Tensor.rebuiltInput(k == 0 ? node.inputs.0 : node.inputs.1, of: segment.object, value: value) as! V
    }

    var hasWeight: Bool { node.dim2 & Int32(NormalizationFlags.weight) != 0 }
    var hasBias: Bool { node.dim2 & Int32(NormalizationFlags.bias) != 0 }
    var eps: Double { node.scalar }

    /// The gradients of (input, weight, bias) in the order of the node's inputs, the absent
    /// ones dropped.
    func inOrder(_ input: V?, _ weight: V?, _ bias: V?) -> [V?] {
        var out = gradientList(count: 3)
        out.append(input)
        if hasWeight { out.append(needs[1] ? weight : nil) }
        if hasBias { out.append(needs[out.count] ? bias : nil) }
        return out
    }

    /// Whether the weight (`1`) or the bias (`2`) needs a gradient.
    func needs(_ flag: Int) -> Bool {
        if flag == NormalizationFlags.weight { return hasWeight && needs[1] }
        return hasBias && needs[hasWeight ? 2 : 1]
    }
}

/// PyTorch lists (input, weight, bias) in a normalization's `next_functions` whichever are given.
private func normalizationSlots(_ node: Node) -> [Int?] {
    let hasWeight = node.dim2 & Int32(NormalizationFlags.weight) != 0
    let hasBias = node.dim2 & Int32(NormalizationFlags.bias) != 0
    return [0, hasWeight ? 1 : nil, hasBias ? (hasWeight ? 2 : 1) : nil]
}

// The formulas of the recorded sweep (the plain one runs `fused` below), specialized for it.
extension GradientValue {
    /// A constant of the interpretation (no history).
    @_specialize(where Self == Tensor<Float>)
    @_specialize(where Self == Tensor<Double>)
    static func constant(_ value: DenseTensor<Scalar>) -> Self {
        if let dense = value as? Self { return dense }
        return Tensor(data: value) as! Self
    }

    /// Summed over dimensions 0 and 2 of a `[outer, groups, inner]` value, keeping them.
    @_specialize(where Self == Tensor<Float>)
    @_specialize(where Self == Tensor<Double>)
    func groupSums() -> Self { sum(dim: 2, keepDim: true).sum(dim: 0, keepDim: true) }

    /// `x̂ = (x − μ) / σ` and `σ = √(var + eps)` per group of `self`, `[outer, groups, inner]`,
    /// the biased variance, as the forward computes them.
    @_specialize(where Self == Tensor<Float>)
    @_specialize(where Self == Tensor<Double>)
    func standardized(eps: Double) -> (xhat: Self, std: Self) {
        let n = Scalar(shape[0] * shape[2])
        let centered = binary(.sub, groupSums().binary(.div, scalar: n))
        let variance = centered.binary(.mul, centered).groupSums().binary(.div, scalar: n)
        let std = variance.binary(.add, scalar: Scalar(eps)).unary(.sqrt)
        return (centered.binary(.div, std), std)
    }

    /// The input's gradient of a normalization that used its batch statistics, from the
    /// gradient of `x̂` (`self`, the output's times the weight): PyTorch's
    /// `(g − mean(g) − x̂ · mean(g · x̂)) / σ` per group.
    @_specialize(where Self == Tensor<Float>)
    @_specialize(where Self == Tensor<Double>)
    func normalizedInputGradient(xhat: Self, std: Self) -> Self {
        let n = Scalar(shape[0] * shape[2])
        let meanG = groupSums().binary(.div, scalar: n)
        let meanGX = binary(.mul, xhat).groupSums().binary(.div, scalar: n)
        return binary(.sub, meanG).binary(.sub, xhat.binary(.mul, meanGX)).binary(.div, std)
    }
}

enum NativeLayerNorm: WideOpDefinition {
    static let name = "NativeLayerNormBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static func operandSlots(_ node: Node) -> [Int?]? { normalizationSlots(node) }
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(wide c: WideBackwardContext<V>) -> [V?] {
        guard let grad = c.grads[0] else { return c.needs.map { _ in nil } }
        if let dense = c as? WideBackwardContext<DenseTensor<V.Scalar>> {
            // V is DenseTensor here: the list is already of V (a map made a second list).
            return unsafeBitCast(fused(dense, grad: grad as! DenseTensor<V.Scalar>, layer: true), to: [V?].self)
        }
        let x = c.savedInput(0)
        let shape = x.shape
        let normalized = Array(shape.suffix(c.dim))
        let inner = normalized.reduce(1, *), rows = inner == 0 ? 0 : x.shape.reduce(1, *) / inner
        let (xhat, std) = x.reshaped([1, rows, inner]).standardized(eps: c.eps)
        let g = grad.reshaped([1, rows, inner])
        let input = c.needs[0] ? {
            let gw = c.hasWeight ? g.binary(.mul, c.savedInput(1).reshaped([1, 1, inner])) : g
            return gw.normalizedInputGradient(xhat: xhat, std: std).reshaped(shape)
        }() : nil
        let weight = c.needs(NormalizationFlags.weight)
            ? g.binary(.mul, xhat).sum(dim: 1, keepDim: false).sum(dim: 0, keepDim: false).reshaped(normalized) : nil
        let bias = c.needs(NormalizationFlags.bias)
            ? g.sum(dim: 1, keepDim: false).sum(dim: 0, keepDim: false).reshaped(normalized) : nil
        return c.inOrder(input, weight, bias)
    }
}

enum NativeBatchNorm: WideOpDefinition {
    static let name = "NativeBatchNormBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static func operandSlots(_ node: Node) -> [Int?]? { normalizationSlots(node) }
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(wide c: WideBackwardContext<V>) -> [V?] {
        guard let grad = c.grads[0] else { return c.needs.map { _ in nil } }
        if let dense = c as? WideBackwardContext<DenseTensor<V.Scalar>> {
            return unsafeBitCast(fused(dense, grad: grad as! DenseTensor<V.Scalar>, layer: false), to: [V?].self)
        }
        let x = c.savedInput(0)
        let shape = x.shape
        let (outer, groups) = (shape[0], shape[1])
        let inner = shape.dropFirst(2).reduce(1, *)
        let x3 = x.reshaped([outer, groups, inner]), g = grad.reshaped([outer, groups, inner])
        let weight3 = c.hasWeight ? c.savedInput(1).reshaped([1, groups, 1]) : nil
        let xhat: V, std: V
        if c.node.keepDim {
            (xhat, std) = x3.standardized(eps: c.eps)
        } else {
            // Evaluation: the running statistics are constants.
            let stats = c.runningStatistics
            let mean = DenseTensor<V.Scalar>(shape: [1, groups, 1], repeating: 0)
            let deviation = DenseTensor<V.Scalar>(shape: [1, groups, 1], repeating: 0)
            mean.withMutableElements { m in deviation.withMutableElements { d in
                for k in 0..<groups {
                    m[k] = V.Scalar(stats.mean[k])
                    d[k] = V.Scalar((stats.variance[k] + c.eps).squareRoot())
                }
            } }
            std = V.constant(deviation)
            xhat = x3.binary(.sub, V.constant(mean)).binary(.div, std)
        }
        let input = c.needs[0] ? {
            let gw = weight3.map { g.binary(.mul, $0) } ?? g
            let dx = c.node.keepDim ? gw.normalizedInputGradient(xhat: xhat, std: std) : gw.binary(.div, std)
            return dx.reshaped(shape)
        }() : nil
        let weight = c.needs(NormalizationFlags.weight) ? g.binary(.mul, xhat).groupSums().reshaped([groups]) : nil
        let bias = c.needs(NormalizationFlags.bias) ? g.groupSums().reshaped([groups]) : nil
        return c.inOrder(input, weight, bias)
    }
}

extension WideBackwardContext {
    /// An evaluation-mode batch norm's running statistics, as the forward kept them.
    var runningStatistics: (mean: [Double], variance: [Double]) {
        let stats = indices.map { Double(bitPattern: UInt64(bitPattern: Int64($0))) }
        return (Array(stats[..<(stats.count / 2)]), Array(stats[(stats.count / 2)...]))
    }

    /// The same, written into `buffer` (the means, then the variances) without arrays.
    func runningStatistics(into buffer: UnsafeMutableBufferPointer<Double>) {
        for k in 0..<Swift.min(buffer.count, indices.count) {
            buffer[k] = Double(bitPattern: UInt64(bitPattern: Int64(indices[k])))
        }
    }
}

/// The plain sweep's derivative of a layer norm (`layer`) or a batch norm: one fused kernel
/// (`DenseTensor.normalizationGradients`), the statistics computed again from the input (or,
/// in evaluation mode, the running ones the node kept).
@_specialize(where S == Float)
@_specialize(where S == Double)
private func fused<S: TensorScalar>(_ c: WideBackwardContext<DenseTensor<S>>, grad: DenseTensor<S>, layer: Bool) -> [DenseTensor<S>?] {
    let x = c.savedInput(0)
    let shape = x.shape
    if layer {
        // Note [Layer norm rows]: row by row, the statistics recomputed from each row in cache.
        // The parameters' gradients take the weight's shape array (`normalizedShape`), or one made.
        let weight = c.hasWeight ? c.savedInput(1) : nil
        let normalized = weight?.shape ?? Array(shape.suffix(c.dim))
        var inner = 1
        for size in normalized { inner &*= size }
        let (dx, dw, db) = x.layerNormGradients(
            grad, rows: inner == 0 ? 0 : x.count / inner, inner: inner, weight: weight,
            eps: c.eps, needsInput: c.needs[0], needsWeight: c.needs(NormalizationFlags.weight),
            needsBias: c.needs(NormalizationFlags.bias), parameterShape: normalized)
        return c.inOrder(dx, dw, db)
    }
    let (outer, groups, inner) = (shape[0], shape[1], shape.dropFirst(2).reduce(1, *))
    let batch = c.node.keepDim
    // The parameters' gradients are `[C]`: on the weight's own array when it is that shape.
    let weightValue = c.hasWeight ? c.savedInput(1) : nil
    let parameterShape = weightValue.flatMap { $0.rank == 1 ? $0.shape : nil }
    // Each channel's mean, then its variance made 1/σ in place: on the stack for small counts.
    let (input, weight, bias) = withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * groups) { statistics in
        let mean = UnsafeMutableBufferPointer(rebasing: statistics[..<groups])
        let invstd = UnsafeMutableBufferPointer(rebasing: statistics[groups...])
        if batch {
            x.groupMoments(outer: outer, groups: groups, inner: inner, mean: mean, variance: invstd)
        } else {
            c.runningStatistics(into: statistics)
        }
        for k in 0..<groups { invstd[k] = 1 / (invstd[k] + c.eps).squareRoot() }
        return x.normalizationGradients(
            grad, outer: outer, groups: groups, inner: inner, mean: UnsafeBufferPointer(mean), invstd: UnsafeBufferPointer(invstd),
            weight: weightValue, batchStatistics: batch, needsInput: c.needs[0],
            needsWeight: c.needs(NormalizationFlags.weight), needsBias: c.needs(NormalizationFlags.bias),
            parameterShape: parameterShape)
    }
    return c.inOrder(input, weight, bias)
}

// MARK: - the forwards

extension Tensor where Scalar: TensorScalar {
    /// The node's flags: which of the weight and the bias it has.
    static func normalizationFlags(_ weight: Tensor?, _ bias: Tensor?) -> Int {
        (weight == nil ? 0 : NormalizationFlags.weight) | (bias == nil ? 0 : NormalizationFlags.bias)
    }
}

/// Layer normalization over the trailing dimensions `normalizedShape` (NativeLayerNormBackward0),
/// PyTorch's `torch.nn.functional.layer_norm`: each slice of the input over those dimensions is
/// shifted to mean 0 and scaled to variance 1 (the biased variance, plus `eps` under the square
/// root), then multiplied by `weight` and shifted by `bias` (both of shape `normalizedShape`)
/// where given.
///
/// ```swift
/// let y = layerNorm(x, normalizedShape: [64], weight: gamma, bias: beta)   // x: [batch, seq, 64]
/// ```
///
/// Traps with PyTorch's message when the input's trailing sizes or the weight's or bias's shape
/// differ from `normalizedShape`.
@_specialize(exported: true, where Scalar == Float)
@_specialize(exported: true, where Scalar == Double)
public func layerNorm<Scalar: TensorScalar>(
    _ input: Tensor<Scalar>, normalizedShape: [Int], weight: Tensor<Scalar>? = nil, bias: Tensor<Scalar>? = nil,
    eps: Double = 1e-5
) -> Tensor<Scalar> {
    let shape = input.shape
    trapUnless(!normalizedShape.isEmpty,
               "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got normalized_shape = []")
    trapUnless(shape.count >= normalizedShape.count && shape.suffix(normalizedShape.count).elementsEqual(normalizedShape),
               "Given normalized_shape=\(normalizedShape), expected input with shape [*, \(normalizedShape.map(String.init).joined(separator: ", "))], but got input of size\(shape)")
    if let weight {
        trapUnless(weight.shape == normalizedShape,
                   "Expected weight to be of same shape as normalized_shape, but got weight of shape \(weight.shape) and normalized_shape = \(normalizedShape)")
    }
    if let bias {
        trapUnless(bias.shape == normalizedShape,
                   "Expected bias to be of same shape as normalized_shape, but got bias of shape \(bias.shape) and normalized_shape = \(normalizedShape)")
    }
    let inner = normalizedShape.reduce(1, *)
    let rows = inner == 0 ? 0 : input.count / inner
    let x = input.data
    let value = x.layerNormalized(rows: rows, inner: inner, weight: weight?.data, bias: bias?.data, eps: eps)
    let flags = Tensor.normalizationFlags(weight, bias)
    return Tensor.recordWide(value, NativeLayerNorm.self, inputs: input, weight, bias,
                             Saved(tensors: (x, weight?.data), scalar: eps, dim: normalizedShape.count, dim2: flags))
}

/// Batch normalization over every dimension but the channels (dimension 1)
/// (NativeBatchNormBackward0), PyTorch's `torch.nn.functional.batch_norm`, for an input
/// `[N, C]`, `[N, C, L]` or `[N, C, H, W]`.
///
/// - Training (`training: true`): each channel is normalized with the batch's mean and biased
///   variance, and `runningMean`/`runningVar` (where given, `[C]`) are updated in place:
///   `running = (1 − momentum) · running + momentum · batch`, with the *unbiased* batch
///   variance for `runningVar`, as PyTorch.
/// - Evaluation (`training: false`, the default, as PyTorch's): each channel is normalized with
///   `runningMean` and `runningVar`, which must be given.
///
/// Then multiplied by `weight` and shifted by `bias` (`[C]`) where given.
///
/// ```swift
/// let y = batchNorm(x, runningMean: mean, runningVar: variance, weight: gamma, bias: beta, training: true)
/// ```
///
/// Traps with PyTorch's messages for statistics, weight or bias of another size than the
/// channels, or for a training batch with one value per channel.
@_specialize(exported: true, where Scalar == Float)
@_specialize(exported: true, where Scalar == Double)
public func batchNorm<Scalar: TensorScalar>(
    _ input: Tensor<Scalar>, runningMean: Tensor<Scalar>?, runningVar: Tensor<Scalar>?,
    weight: Tensor<Scalar>? = nil, bias: Tensor<Scalar>? = nil, training: Bool = false, momentum: Double = 0.1,
    eps: Double = 1e-5
) -> Tensor<Scalar> {
    let shape = input.shape
    _ = Shape.normalize(dim: 1, rank: shape.count)   // PyTorch's message for an input without channels
    let (outer, groups) = (shape[0], shape[1])
    let inner = shape.dropFirst(2).reduce(1, *)
    func checkCount(_ name: String, _ t: Tensor<Scalar>?) {
        if let t { trapUnless(t.count == groups, "\(name) should contain \(groups) elements not \(t.count)") }
    }
    checkCount("running_mean", runningMean)
    checkCount("running_var", runningVar)
    checkCount("weight", weight)
    checkCount("bias", bias)
    let x = input.data
    var stats: [Int] = []
    // Each channel's mean, then its variance made 1/σ in place: on the stack for small counts,
    // no arrays (they were 6 of a training step's 39 mallocs).
    let value = withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * groups) { statistics in
        let mean = UnsafeMutableBufferPointer(rebasing: statistics[..<groups])
        let variance = UnsafeMutableBufferPointer(rebasing: statistics[groups...])
        if training {
            trapUnless(outer * inner > 1,
                       "Expected more than 1 value per channel when training, got input size torch.Size([\(shape.map(String.init).joined(separator: ", "))])")
            x.groupMoments(outer: outer, groups: groups, inner: inner, mean: mean, variance: variance)
            if let runningMean {
                updateRunningStatistic(runningMean, with: UnsafeBufferPointer(mean), unbiasedFrom: nil, momentum: momentum)
            }
            if let runningVar {
                updateRunningStatistic(runningVar, with: UnsafeBufferPointer(variance), unbiasedFrom: Double(outer * inner),
                                       momentum: momentum)
            }
        } else {
            guard let runningMean else { trap("running_mean must be defined in evaluation mode") }
            guard let runningVar else { trap("running_var must be defined in evaluation mode") }
            // Read where they lie (no arrays of them).
            runningMean.data.contiguous().withElements { m in runningVar.data.contiguous().withElements { v in
                for k in 0..<groups { (mean[k], variance[k]) = (Double(m[k]), Double(v[k])) }
            } }
            stats = statistics.map { Int(Int64(bitPattern: $0.bitPattern)) }
        }
        for k in 0..<groups { variance[k] = 1 / (variance[k] + eps).squareRoot() }
        return x.affineNormalized(outer: outer, groups: groups, inner: inner, mean: UnsafeBufferPointer(mean),
                                  invstd: UnsafeBufferPointer(variance), weight: weight?.data, bias: bias?.data)
    }
    let flags = Tensor.normalizationFlags(weight, bias)
    return Tensor.recordWide(value, NativeBatchNorm.self, inputs: input, weight, bias,
                             Saved(tensors: (x, weight?.data), indices: stats, scalar: eps, dim2: flags,
                                   keepDim: training))
}

/// `running = (1 − momentum) · running + momentum · batch`, in place (PyTorch's running
/// statistics, which are buffers: no gradient, a new version), with the batch's variance made
/// unbiased (`· n / (n − 1)`) where `unbiasedFrom` gives n. A contiguous buffer (a module's) is
/// written where it lies; anything else through `copy(from:)`.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
private func updateRunningStatistic<Scalar: TensorScalar>(
    _ running: Tensor<Scalar>, with batch: UnsafeBufferPointer<Double>, unbiasedFrom n: Double?, momentum: Double
) {
    @inline(__always) func updated(_ old: Scalar, _ k: Int) -> Scalar {
        let value = n.map { batch[k] * $0 / ($0 - 1) } ?? batch[k]
        return Scalar((1 - momentum) * Double(old) + momentum * value)
    }
    let data = running.data
    if data.isContiguous && !running.requiresGrad {
        data.storage.version += 1
        data.withMutableElements { p in for k in 0..<p.count { p[k] = updated(p[k], k) } }
        return
    }
    let old = running.scalars
    let values = DenseTensor<Scalar>(shape: running.shape, repeating: 0)
    values.withMutableElements { p in for k in 0..<p.count { p[k] = updated(old[k], k) } }
    withNoGrad { running.copy(from: Tensor(data: values)) }
}
