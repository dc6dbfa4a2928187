import Arena

/// A learning-rate schedule: changes an optimizer's ``Optimizer/lr`` once per ``step()``
/// (PyTorch's `torch.optim.lr_scheduler.LRScheduler`).
///
/// Call ``step()`` after the optimizer's `step()`, usually once per epoch:
///
/// ```swift
/// let optimizer = SGD(model.parameters, lr: 0.1, momentum: 0.9)
/// let schedule = StepLR(optimizer, stepSize: 30, gamma: 0.1)
/// for epoch in 0..<100 {
///     for batch in batches { /* zeroGrad, backward, */ optimizer.step() }
///     schedule.step()
/// }
/// ```
///
/// A schedule computes learning rates in `Double`, by PyTorch's formulas, as Python does with its
/// floats; the optimizer receives each value rounded to its `Scalar`. The schedule keeps the
/// `Double` for its next step, so a `Float` optimizer follows the same sequence of values as
/// PyTorch's; an ``Optimizer/lr`` set by hand between steps is taken up instead, as PyTorch takes
/// up a changed `group["lr"]`.
public protocol LRScheduler<Scalar>: AnyObject {
    /// The element type of the optimizer's parameters.
    associatedtype Scalar: TensorScalar
    /// The optimizer whose learning rate this schedule sets.
    var optimizer: any Optimizer<Scalar> { get }
    /// Steps taken (PyTorch's `last_epoch`): `0` after `init`, then one more per ``step()``.
    var lastEpoch: Int { get }
    /// The learning rate this schedule set last, in `Double` (PyTorch's `get_last_lr()[0]`); at
    /// `init`, the optimizer's.
    var lastLR: Double { get }
    /// Moves to the next epoch and sets the optimizer's learning rate for it.
    func step()
}

/// What every schedule keeps: its optimizer, the learning rate it started from (PyTorch's
/// `base_lrs[0]`), the epoch and the last rate in `Double`.
struct ScheduleState<Scalar: TensorScalar> {
    let optimizer: any Optimizer<Scalar>
    let baseLR: Double
    private(set) var lastEpoch = 0
    private(set) var lastLR: Double

    init(_ optimizer: any Optimizer<Scalar>) {
        self.optimizer = optimizer
        self.baseLR = Double(asWritten: optimizer.lr)
        self.lastLR = baseLR
    }

    /// One step: `next(epoch, current)` gives the rate of the new epoch from the current one
    /// (PyTorch's `group["lr"]`: ours in Double, unless the optimizer's was changed by hand).
    mutating func advance(_ next: (_ epoch: Int, _ current: Double) -> Double) {
        let current = optimizer.lr == Scalar(lastLR) ? lastLR : Double(asWritten: optimizer.lr)
        lastEpoch += 1
        lastLR = next(lastEpoch, current)
        optimizer.lr = Scalar(lastLR)
    }
}
