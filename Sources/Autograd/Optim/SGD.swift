import Arena

/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight
/// decay, with PyTorch's update rule (`torch.optim.SGD`):
///
///     d = g + λ·p
///     b = d                         (first step)      b = μ·b + (1 − τ)·d   (later steps)
///     d = d + μ·b  (nesterov)       d = b             (otherwise, when μ ≠ 0)
///     p = p − lr·d
public final class SGD<Scalar: TensorScalar>: Optimizer {
    /// The tensors updated, in the order given (PyTorch's `param_groups[0]["params"]`).
    public let parameters: [Tensor<Scalar>]
    /// The learning rate. Settable between steps, for a schedule (PyTorch's
    /// `param_groups[0]["lr"]`); unlike ``init(_:lr:momentum:dampening:weightDecay:nesterov:)``,
    /// setting it does not check the value.
    public var lr: Scalar
    /// μ, the momentum factor; `0` means plain SGD, with no momentum buffers.
    public let momentum: Scalar
    /// τ, the dampening of the momentum: later steps add `(1 − τ)·d` to the buffer (the first step
    /// stores `d` itself, as PyTorch does).
    public let dampening: Scalar
    /// λ, the L2 penalty added to the gradient: `d = g + λ·p`.
    public let weightDecay: Scalar
    /// Whether to use Nesterov momentum, `d = d + μ·b`, instead of `d = b`.
    public let nesterov: Bool
    private var buffers: [DenseTensor<Scalar>?]

    /// An optimizer for `parameters`, with `torch.optim.SGD`'s defaults except `lr`, which must be
    /// given (recent PyTorch releases default it to `1e-3`).
    ///
    /// ```swift
    /// let optimizer = SGD(model.parameters, lr: 0.1, momentum: 0.9)
    /// ```
    ///
    /// Momentum buffers are made at a parameter's first step with a gradient. An invalid value traps
    /// with PyTorch's `ValueError` message (a programmer error, like an index out of range).
    ///
    /// - Parameters:
    ///   - parameters: The tensors to update; normally `model.parameters`.
    ///   - lr: The learning rate, `>= 0`.
    ///   - momentum: μ, `>= 0`. PyTorch's default, `0`.
    ///   - dampening: τ. PyTorch's default, `0` (not checked, as in PyTorch).
    ///   - weightDecay: λ, the L2 penalty, `>= 0`. PyTorch's default, `0`.
    ///   - nesterov: Nesterov momentum; needs `momentum > 0` and `dampening == 0`. PyTorch's
    ///     default, `false`.
    public init(
        _ parameters: [Tensor<Scalar>], lr: Scalar, momentum: Scalar = 0, dampening: Scalar = 0,
        weightDecay: Scalar = 0, nesterov: Bool = false
    ) {
        trapUnless(lr >= 0, "Invalid learning rate: \(lr)")
        trapUnless(momentum >= 0, "Invalid momentum value: \(momentum)")
        trapUnless(weightDecay >= 0, "Invalid weight_decay value: \(weightDecay)")
        trapUnless(!nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum requires a momentum and zero dampening")
        self.parameters = parameters
        self.lr = lr
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        self.buffers = Array(repeating: nil, count: parameters.count)
    }

    /// Applies one SGD update, in place and without recording, to every parameter whose `grad` is
    /// not `nil` (PyTorch's `optimizer.step()`); see the type's formula. A NaN or infinite gradient
    /// is not checked for and reaches the parameter.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func step() {
        for i in 0..<parameters.count {   // Note [Index loops in step]
            let p = parameters[i]
            guard let grad = p.grad else { continue }
            var isFirst = false
            if momentum != 0 && buffers[i] == nil {
                buffers[i] = DenseTensor(shape: p.shape, repeating: 0)
                isFirst = true
            }
            p.data.sgdUpdate(grad: grad.data, momentumBuffer: buffers[i], isFirstStep: isFirst,
                             lr: lr, momentum: momentum, dampening: dampening,
                             weightDecay: weightDecay, nesterov: nesterov)
        }
    }
}
