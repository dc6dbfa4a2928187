import Arena
import RealModule

/// Anneals the learning rate from its starting value down to `etaMin` along a half cosine over
/// `tMax` steps, then back up over the next `tMax`, and so on (PyTorch's
/// `torch.optim.lr_scheduler.CosineAnnealingLR`, without restarts):
///
///     lr ≈ etaMin + (baseLR − etaMin) · (1 + cos(π · epoch / tMax)) / 2
///
/// ```swift
/// let optimizer = Adam(model.parameters, lr: 1e-3)
/// let schedule = CosineAnnealingLR(optimizer, tMax: 50, etaMin: 1e-5)
/// ```
///
/// Like PyTorch, it computes each rate from the previous one (the recursive form of
/// `get_lr()`), not from the closed form above; the two agree to rounding, and the values here
/// are PyTorch's to the last bits:
///
///     lr(e) = etaMin + (lr(e−1) − etaMin) · (1 + cos(π·e/tMax)) / (1 + cos(π·(e−1)/tMax))
///     lr(e) = lr(e−1) + (baseLR − etaMin) · (1 − cos(π/tMax)) / 2    when (e − 1 − tMax) is a multiple of 2·tMax
public final class CosineAnnealingLR<Scalar: TensorScalar>: LRScheduler {
    private var state: ScheduleState<Scalar>
    /// Steps from the starting rate down to ``etaMin`` (half a period).
    public let tMax: Int
    /// The lowest learning rate.
    public let etaMin: Double

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
    ///   - tMax: Steps of half a period, `> 0` (traps otherwise).
    ///   - etaMin: The lowest learning rate. PyTorch's default, `0`.
    public init(_ optimizer: any Optimizer<Scalar>, tMax: Int, etaMin: Double = 0) {
        trapUnless(tMax > 0, "CosineAnnealingLR: T_max must be positive, got \(tMax)")
        self.state = ScheduleState(optimizer)
        self.tMax = tMax
        self.etaMin = etaMin
    }

    /// Moves to the next epoch and sets the rate by PyTorch's recursive formula.
    public func step() {
        let (tMax, etaMin, baseLR) = (Double(tMax), etaMin, state.baseLR)
        let period = 2 * self.tMax, half = self.tMax
        state.advance { epoch, lr in
            if (epoch - 1 - half) % period == 0 {
                return lr + (baseLR - etaMin) * (1 - Double.cos(Double.pi / tMax)) / 2
            }
            return (1 + Double.cos(Double.pi * Double(epoch) / tMax))
                / (1 + Double.cos(Double.pi * Double(epoch - 1) / tMax))
                * (lr - etaMin) + etaMin
        }
    }
}
