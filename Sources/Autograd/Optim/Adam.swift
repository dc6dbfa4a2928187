import Arena
import RealModule

/// Adam with PyTorch's defaults and update rule (`torch.optim.Adam`):
///
///     d = g + λ·p                   (p = (1 − lr·λ)·p instead, with decoupledWeightDecay)
///     m = lerp(m, d, 1 − β₁)        v = β₂·v + (1 − β₂)·d²
///     v̂ = max(v̂, v)  (amsgrad)      v̂ = v  (otherwise)
///     p = p − (lr / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + ε)
///
/// ``AdamW`` is this optimizer with `decoupledWeightDecay: true` and PyTorch's AdamW defaults.
public final class Adam<Scalar: TensorScalar>: Optimizer {
    /// The tensors updated, in the order given (PyTorch's `param_groups[0]["params"]`).
    public let parameters: [Tensor<Scalar>]
    /// The learning rate. Settable between steps, for a schedule (PyTorch's
    /// `param_groups[0]["lr"]`); unlike
    /// ``init(_:lr:betas:eps:weightDecay:amsgrad:decoupledWeightDecay:)``, setting it does not
    /// check the value.
    public var lr: Scalar
    /// β₁, the decay rate of the running mean of gradients (PyTorch's `betas[0]`).
    public let beta1: Scalar
    /// β₂, the decay rate of the running mean of squared gradients (PyTorch's `betas[1]`).
    public let beta2: Scalar
    /// ε, added to the denominator after the square root so that a zero second moment does not
    /// divide by zero.
    public let eps: Scalar
    /// λ, the L2 penalty added to the gradient (`d = g + λ·p`, as `torch.optim.Adam` does), or,
    /// with ``decoupledWeightDecay``, the decay applied to the parameter itself (`p = (1 − lr·λ)·p`).
    public let weightDecay: Scalar
    /// Whether the denominator uses the largest second moment so far (AMSGrad, PyTorch's
    /// `amsgrad`).
    public let amsgrad: Bool
    /// Whether ``weightDecay`` decays the parameter directly, as AdamW does, instead of adding
    /// `λ·p` to the gradient (PyTorch's `decoupled_weight_decay`).
    public let decoupledWeightDecay: Bool
    /// Calls to ``step()`` so far. Each parameter also counts its own updates, as PyTorch's
    /// per-parameter `step` does, and its bias correction uses that count.
    public private(set) var stepCount = 0
    /// Per parameter: the moment buffers (`maxV` with AMSGrad only) and how many updates it has had.
    private var moments: [(m: DenseTensor<Scalar>, v: DenseTensor<Scalar>, maxV: DenseTensor<Scalar>?, steps: Int)?]
    /// β₁ and β₂ as the decimals the user wrote, in Double (Python floats in torch.optim).
    private let betasAsWritten: (Double, Double)
    /// λ as written, in Double: AdamW's factor `1 − lr·λ` is a product of Python floats.
    private let weightDecayAsWritten: Double

    /// An optimizer for `parameters`, with `torch.optim.Adam`'s defaults.
    ///
    /// ```swift
    /// let optimizer = Adam(model.parameters, lr: 1e-3)
    /// ```
    ///
    /// Moment buffers are made at a parameter's first step with a gradient. An invalid value traps
    /// with PyTorch's `ValueError` message (a programmer error, like an index out of range).
    ///
    /// - Parameters:
    ///   - parameters: The tensors to update; normally `model.parameters`.
    ///   - lr: The learning rate, `>= 0`. PyTorch's default, `1e-3`.
    ///   - betas: (β₁, β₂), each in `[0, 1)`. PyTorch's default, `(0.9, 0.999)`.
    ///   - eps: ε, `>= 0`. PyTorch's default, `1e-8`.
    ///   - weightDecay: λ, the L2 penalty (or the decoupled decay), `>= 0`. PyTorch's default, `0`.
    ///   - amsgrad: Use the running maximum of the second moment (AMSGrad). PyTorch's default,
    ///     `false`.
    ///   - decoupledWeightDecay: Decay the parameter by `lr·λ` instead of adding `λ·p` to the
    ///     gradient (AdamW). PyTorch's default, `false`.
    public init(
        _ parameters: [Tensor<Scalar>], lr: Scalar = 1e-3, betas: (Scalar, Scalar) = (0.9, 0.999),
        eps: Scalar = 1e-8, weightDecay: Scalar = 0, amsgrad: Bool = false,
        decoupledWeightDecay: Bool = false
    ) {
        trapUnless(lr >= 0, "Invalid learning rate: \(lr)")
        trapUnless(eps >= 0, "Invalid epsilon value: \(eps)")
        trapUnless(betas.0 >= 0 && betas.0 < 1, "Invalid beta parameter at index 0: \(betas.0)")
        trapUnless(betas.1 >= 0 && betas.1 < 1, "Invalid beta parameter at index 1: \(betas.1)")
        trapUnless(weightDecay >= 0, "Invalid weight_decay value: \(weightDecay)")
        self.parameters = parameters
        self.lr = lr
        self.beta1 = betas.0
        self.beta2 = betas.1
        self.eps = eps
        self.weightDecay = weightDecay
        self.amsgrad = amsgrad
        self.decoupledWeightDecay = decoupledWeightDecay
        self.moments = Array(repeating: nil, count: parameters.count)
        self.betasAsWritten = (Double(asWritten: betas.0), Double(asWritten: betas.1))
        self.weightDecayAsWritten = Double(asWritten: weightDecay)
    }

    /// Applies one Adam update, in place and without recording, to every parameter whose `grad` is
    /// not `nil` (PyTorch's `optimizer.step()`).
    ///
    /// The bias corrections `1 − βᵗ` are computed in `Double` from the betas as written (`0.9`, not
    /// `Float(0.9)` widened), as Python computes them, then rounded once to `Scalar`. `t` counts
    /// the updates of each parameter, as PyTorch's per-parameter `step`: a parameter that first
    /// gets a gradient at the fifth call is corrected with `t = 1`. With ``decoupledWeightDecay``,
    /// the factor `1 − lr·λ` is computed in Double too, then rounded. A NaN or infinite gradient
    /// is not checked for and reaches the parameter.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func step() {
        stepCount += 1
        let (b1, b2) = betasAsWritten
        for i in 0..<parameters.count {   // Note [Index loops in step]
            let p = parameters[i]
            guard let grad = p.grad else { continue }
            if moments[i] == nil {
                moments[i] = (DenseTensor(shape: p.shape, repeating: 0), DenseTensor(shape: p.shape, repeating: 0),
                              amsgrad ? DenseTensor(shape: p.shape, repeating: 0) : nil, 0)
            }
            moments[i]!.steps += 1
            let (m, v, maxV, steps) = moments[i]!
            let t = Double(steps)
            let correction1 = 1 - Double.pow(b1, t)
            let correction2 = 1 - Double.pow(b2, t)
            let lr = Double(lr)
            p.data.adamUpdate(grad: grad.data, m: m, v: v, maxV: maxV, weight1: Scalar(1 - b1), beta2: beta2,
                              weight2: Scalar(1 - b2), eps: eps,
                              weightDecay: decoupledWeightDecay ? 0 : weightDecay,
                              decay: decoupledWeightDecay ? Scalar(1 - lr * weightDecayAsWritten) : 1,
                              stepSize: Scalar(lr / correction1),
                              correction2Sqrt: Scalar(correction2.squareRoot()))
        }
    }
}
