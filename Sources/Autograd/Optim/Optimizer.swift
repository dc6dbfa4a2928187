/// Updates parameters from their gradients (PyTorch's `torch.optim.Optimizer`).
///
/// ```swift
/// let optimizer = SGD(model.parameters, lr: 0.1)
/// for (x, y) in batches {
///     optimizer.zeroGrad()
///     let loss = crossEntropy(logits: model(x), targets: y)
///     try loss.backward()
///     optimizer.step()
/// }
/// ```
public protocol Optimizer<Scalar>: AnyObject {
    /// The element type of the parameters it updates (`Float` or `Double`).
    associatedtype Scalar: TensorScalar
    /// The tensors this optimizer updates.
    var parameters: [Tensor<Scalar>] { get }
    /// Applies one update to every parameter that has a gradient (others are skipped, as in
    /// PyTorch). Runs without recording, in place.
    func step()
}

extension Optimizer {
    /// Sets every parameter's gradient to `nil` (PyTorch's `zero_grad(set_to_none=True)`).
    public func zeroGrad() {
        for p in parameters { p.zeroGrad() }
    }
}
