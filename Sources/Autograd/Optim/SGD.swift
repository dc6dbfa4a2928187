/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight
/// decay, with PyTorch's update rule (`torch.optim.SGD`):
///
///     d = g + λ·p
///     b = d                         (first step)      b = μ·b + (1 − τ)·d   (later steps)
///     d = d + μ·b  (nesterov)       d = b             (otherwise, when μ ≠ 0)
///     p = p − lr·d
public final class SGD<Scalar: TensorScalar>: Optimizer {
    public let parameters: [Tensor<Scalar>]
    public var lr: Scalar
    public let momentum: Scalar
    public let dampening: Scalar
    public let weightDecay: Scalar
    public let nesterov: Bool
    private var buffers: [DenseTensor<Scalar>?]

    public init(
        _ parameters: [Tensor<Scalar>], lr: Scalar, momentum: Scalar = 0, dampening: Scalar = 0,
        weightDecay: Scalar = 0, nesterov: Bool = false
    ) {
        precondition(lr >= 0, "Invalid learning rate: \(lr)")
        precondition(momentum >= 0, "Invalid momentum value: \(momentum)")
        precondition(weightDecay >= 0, "Invalid weight_decay value: \(weightDecay)")
        precondition(!nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum requires a momentum and zero dampening")
        self.parameters = parameters
        self.lr = lr
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        self.buffers = Array(repeating: nil, count: parameters.count)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func step() {
        for (i, p) in parameters.enumerated() {
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
