import Arena

/// Multiplies the learning rate by `gamma` every `stepSize` steps (PyTorch's
/// `torch.optim.lr_scheduler.StepLR`): `lr = baseLR · gamma^⌊epoch / stepSize⌋`, computed as
/// PyTorch computes it, by one multiplication at each multiple of `stepSize`.
///
/// ```swift
/// let optimizer = SGD(model.parameters, lr: 0.05)
/// let schedule = StepLR(optimizer, stepSize: 30, gamma: 0.1)   // 0.05 for epochs 0..<30, 0.005 for 30..<60, …
/// ```
public final class StepLR<Scalar: TensorScalar>: LRScheduler {
    private var state: ScheduleState<Scalar>
    /// Steps between two decays.
    public let stepSize: Int
    /// The factor of each decay.
    public let gamma: Double

    /// The optimizer whose learning rate this schedule sets.
    public var optimizer: any Optimizer<Scalar> { state.optimizer }
    /// Steps taken: `0` after `init`.
    public var lastEpoch: Int { state.lastEpoch }
    /// The learning rate set last, in `Double`.
    public var lastLR: Double { state.lastLR }

    /// A schedule starting from the optimizer's current learning rate.
    ///
    /// - Parameters:
    ///   - optimizer: The optimizer whose ``Optimizer/lr`` to set.
    ///   - stepSize: Steps between two decays, `> 0` (traps otherwise).
    ///   - gamma: The factor of each decay. PyTorch's default, `0.1`.
    public init(_ optimizer: any Optimizer<Scalar>, stepSize: Int, gamma: Double = 0.1) {
        trapUnless(stepSize > 0, "StepLR: step_size must be positive, got \(stepSize)")
        self.state = ScheduleState(optimizer)
        self.stepSize = stepSize
        self.gamma = gamma
    }

    /// Moves to the next epoch; at a multiple of ``stepSize``, multiplies the rate by ``gamma``.
    public func step() {
        let (stepSize, gamma) = (stepSize, gamma)
        state.advance { epoch, lr in epoch % stepSize == 0 ? lr * gamma : lr }
    }
}
