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
    /// The learning rate (PyTorch's `param_groups[0]["lr"]`): settable between steps, which is
    /// how an ``LRScheduler`` changes it.
    var lr: Scalar { get set }
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

extension Double {
    /// `value` as the decimal it prints as, read back as a Double: `0.9` for `Float(0.9)`, not
    /// `0.8999999761581421`. torch.optim computes with hyperparameters as Python floats (the
    /// decimals the user wrote), so this is the Double it would use.
    init<Scalar: TensorScalar>(asWritten value: Scalar) {
        self = Double(String(describing: value)) ?? Double(value)
    }
}

// Note [Index loops in step]
// A `step()` called through `any Optimizer<Float>` (as the training demo calls it) runs the
// unspecialized generic body, not its `@_specialize`d copy. There `for (i, p) in
// parameters.enumerated()` reads each element through Collection's `_read` coroutine, whose
// frame jemalloc counted as one malloc per parameter per step, even under -O. Indexing the array
// directly (`for i in 0..<parameters.count { let p = parameters[i] ... }`) uses Array's own
// getter and allocates nothing (OptimizerTrajectoryTests.testStepsAfterTheFirstDoNotAllocate
// checks both paths).
