import Arena

/// Adam with decoupled weight decay, with PyTorch's defaults and update rule
/// (`torch.optim.AdamW`): each step first shrinks the parameter, `p = (1 − lr·λ)·p`, then applies
/// ``Adam``'s update with the plain gradient (no `λ·p` added to it).
///
/// ```swift
/// let optimizer = AdamW(model.parameters, lr: 1e-3, weightDecay: 0.01)
/// ```
///
/// It is ``Adam`` with `decoupledWeightDecay: true`, as PyTorch 2.11's `AdamW` is its `Adam`
/// subclass; only the default of `weightDecay` differs (`0.01`).
public final class AdamW<Scalar: TensorScalar>: Optimizer {
    private let adam: Adam<Scalar>

    /// The tensors updated, in the order given (PyTorch's `param_groups[0]["params"]`).
    public var parameters: [Tensor<Scalar>] { adam.parameters }
    /// The learning rate. Settable between steps, for a schedule (PyTorch's
    /// `param_groups[0]["lr"]`); setting it does not check the value.
    public var lr: Scalar {
        get { adam.lr }
        set { adam.lr = newValue }
    }
    /// β₁, the decay rate of the running mean of gradients (PyTorch's `betas[0]`).
    public var beta1: Scalar { adam.beta1 }
    /// β₂, the decay rate of the running mean of squared gradients (PyTorch's `betas[1]`).
    public var beta2: Scalar { adam.beta2 }
    /// ε, added to the denominator after the square root.
    public var eps: Scalar { adam.eps }
    /// λ, the decoupled weight decay: each step multiplies the parameter by `1 − lr·λ`.
    public var weightDecay: Scalar { adam.weightDecay }
    /// Whether the denominator uses the largest second moment so far (AMSGrad).
    public var amsgrad: Bool { adam.amsgrad }
    /// Calls to ``step()`` so far.
    public var stepCount: Int { adam.stepCount }

    /// An optimizer for `parameters`, with `torch.optim.AdamW`'s defaults.
    ///
    /// An invalid value traps with PyTorch's `ValueError` message, as ``Adam`` does.
    ///
    /// - Parameters:
    ///   - parameters: The tensors to update; normally `model.parameters`.
    ///   - lr: The learning rate, `>= 0`. PyTorch's default, `1e-3`.
    ///   - betas: (β₁, β₂), each in `[0, 1)`. PyTorch's default, `(0.9, 0.999)`.
    ///   - eps: ε, `>= 0`. PyTorch's default, `1e-8`.
    ///   - weightDecay: λ, the decoupled decay, `>= 0`. PyTorch's default, `1e-2`.
    ///   - amsgrad: Use the running maximum of the second moment. PyTorch's default, `false`.
    public init(
        _ parameters: [Tensor<Scalar>], lr: Scalar = 1e-3, betas: (Scalar, Scalar) = (0.9, 0.999),
        eps: Scalar = 1e-8, weightDecay: Scalar = 1e-2, amsgrad: Bool = false
    ) {
        adam = Adam(parameters, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay,
                    amsgrad: amsgrad, decoupledWeightDecay: true)
    }

    /// Applies one AdamW update, in place and without recording, to every parameter whose `grad`
    /// is not `nil` (PyTorch's `optimizer.step()`); see ``Adam/step()`` for the arithmetic.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func step() { adam.step() }
}
