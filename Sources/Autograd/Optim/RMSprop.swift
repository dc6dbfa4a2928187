import Arena

/// RMSprop with PyTorch's defaults and update rule (`torch.optim.RMSprop`): the gradient is
/// divided by the root of a running mean of its square.
///
///     d = g + λ·p
///     s = α·s + (1 − α)·d²
///     a = lerp(a, d, 1 − α),  r = √(s − a²) + ε    (centered)      r = √s + ε   (otherwise)
///     b = μ·b + d / r,        p = p − lr·b         (momentum > 0)  p = p − lr·d / r  (otherwise)
///
/// ```swift
/// let optimizer = RMSprop(model.parameters, lr: 1e-2, momentum: 0.9, centered: true)
/// ```
public final class RMSprop<Scalar: TensorScalar>: Optimizer {
    /// The tensors updated, in the order given (PyTorch's `param_groups[0]["params"]`).
    public let parameters: [Tensor<Scalar>]
    /// The learning rate. Settable between steps, for a schedule (PyTorch's
    /// `param_groups[0]["lr"]`); unlike ``init(_:lr:alpha:eps:weightDecay:momentum:centered:)``,
    /// setting it does not check the value.
    public var lr: Scalar
    /// α, the smoothing constant of the running means.
    public let alpha: Scalar
    /// ε, added to the denominator after the square root.
    public let eps: Scalar
    /// λ, the L2 penalty added to the gradient: `d = g + λ·p`.
    public let weightDecay: Scalar
    /// μ, the momentum factor; `0` means no momentum buffers.
    public let momentum: Scalar
    /// Whether the second moment is centered by the running mean of gradients (an estimate of
    /// their variance instead of their mean square).
    public let centered: Bool
    /// Calls to ``step()`` so far.
    public private(set) var stepCount = 0
    /// Per parameter: the running mean of squares, and of gradients (centered) and the momentum
    /// buffer (momentum > 0) where used.
    private var state: [(squareAvg: DenseTensor<Scalar>, gradAvg: DenseTensor<Scalar>?, momentumBuffer: DenseTensor<Scalar>?)?]
    /// 1 − α computed from α as written, in Double, as Python computes it.
    private let weight: Scalar

    /// An optimizer for `parameters`, with `torch.optim.RMSprop`'s defaults.
    ///
    /// State buffers are made at a parameter's first step with a gradient. An invalid value traps
    /// with PyTorch's `ValueError` message (a programmer error, like an index out of range).
    ///
    /// - Parameters:
    ///   - parameters: The tensors to update; normally `model.parameters`.
    ///   - lr: The learning rate, `>= 0`. PyTorch's default, `1e-2`.
    ///   - alpha: α, `>= 0`. PyTorch's default, `0.99`.
    ///   - eps: ε, `>= 0`. PyTorch's default, `1e-8`.
    ///   - weightDecay: λ, the L2 penalty, `>= 0`. PyTorch's default, `0`.
    ///   - momentum: μ, `>= 0`. PyTorch's default, `0`.
    ///   - centered: Divide by the root of the gradients' variance estimate. PyTorch's default,
    ///     `false`.
    public init(
        _ parameters: [Tensor<Scalar>], lr: Scalar = 1e-2, alpha: Scalar = 0.99, eps: Scalar = 1e-8,
        weightDecay: Scalar = 0, momentum: Scalar = 0, centered: Bool = false
    ) {
        trapUnless(lr >= 0, "Invalid learning rate: \(lr)")
        trapUnless(eps >= 0, "Invalid epsilon value: \(eps)")
        trapUnless(momentum >= 0, "Invalid momentum value: \(momentum)")
        trapUnless(weightDecay >= 0, "Invalid weight_decay value: \(weightDecay)")
        trapUnless(alpha >= 0, "Invalid alpha value: \(alpha)")
        self.parameters = parameters
        self.lr = lr
        self.alpha = alpha
        self.eps = eps
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.centered = centered
        self.weight = Scalar(1 - Double(asWritten: alpha))
        self.state = Array(repeating: nil, count: parameters.count)
    }

    /// Applies one RMSprop update, in place and without recording, to every parameter whose
    /// `grad` is not `nil` (PyTorch's `optimizer.step()`); see the type's formula. A NaN or
    /// infinite gradient is not checked for and reaches the parameter.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func step() {
        stepCount += 1
        for i in 0..<parameters.count {   // Note [Index loops in step]
            let p = parameters[i]
            guard let grad = p.grad else { continue }
            if state[i] == nil {
                state[i] = (DenseTensor(shape: p.shape, repeating: 0),
                            centered ? DenseTensor(shape: p.shape, repeating: 0) : nil,
                            momentum > 0 ? DenseTensor(shape: p.shape, repeating: 0) : nil)
            }
            let (squareAvg, gradAvg, momentumBuffer) = state[i]!
            p.data.rmspropUpdate(grad: grad.data, squareAvg: squareAvg, gradAvg: gradAvg,
                                 momentumBuffer: momentumBuffer, lr: lr, alpha: alpha, weight: weight,
                                 eps: eps, weightDecay: weightDecay, momentum: momentum)
        }
    }
}
