/// Whether operations on this thread record a graph (PyTorch's `torch.is_grad_enabled()`).
///
/// Grad mode is per thread, as in PyTorch: a `withNoGrad` block on one thread does not stop
/// another thread's recording.
public enum GradMode {
    /// `true` unless inside `withNoGrad` or `withGradEnabled(false)` on this thread.
    public static var isEnabled: Bool {
        get { ThreadContext.current.gradEnabled }
        set { ThreadContext.current.gradEnabled = newValue }
    }
}

/// Runs `body` with graph recording off on this thread (PyTorch's `with torch.no_grad():`).
///
/// Operations inside record no node and return tensors that do not require grad, which is what
/// evaluation and optimizer updates want. Factories asked for `requiresGrad: true` still give
/// tensors that require grad.
///
/// ```swift
/// let prediction = withNoGrad { model(x) }   // no graph memory is touched
/// ```
@inlinable
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
    try withGradEnabled(false, body)
}

/// Runs `body` with graph recording set to `enabled` on this thread, then restores the previous
/// mode (PyTorch's `torch.enable_grad()` and `torch.set_grad_enabled(b)`).
@inlinable
public func withGradEnabled<R>(_ enabled: Bool, _ body: () throws -> R) rethrows -> R {
    let previous = GradMode.isEnabled
    GradMode.isEnabled = enabled
    defer { GradMode.isEnabled = previous }
    return try body()
}
