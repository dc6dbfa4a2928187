import Arena

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

/// Runs `body` in inference mode (PyTorch's `with torch.inference_mode():`): nothing is
/// recorded (``GradMode/isEnabled`` is `false` inside), and every tensor made inside is an
/// inference tensor (``Tensor/isInference``), which can never be saved for backward later: an
/// op that would save one traps with PyTorch's message. Use it for evaluation whose results
/// never meet autograd; `withNoGrad` otherwise.
///
/// ```swift
/// let logits = withInferenceMode { model(batch) }   // logits.isInference == true
/// ```
public func withInferenceMode<R>(_ body: () throws -> R) rethrows -> R {
    BufferCache.inferenceDepth += 1
    defer { BufferCache.inferenceDepth -= 1 }
    return try withGradEnabled(false, body)
}

/// Runs `body` with anomaly detection on this thread (PyTorch's `torch.autograd.detect_anomaly`):
/// each backward checks every derivative's gradients and throws
/// ``AutogradError/anomaly(function:output:)`` at the first NaN, naming the node ("Function
/// 'DivBackward0' returned nan values in its 1th output."). It costs a pass over every gradient:
/// for debugging.
///
/// ```swift
/// try withAnomalyDetection { try loss.backward() }
/// ```
public func withAnomalyDetection<R>(_ body: () throws -> R) rethrows -> R {
    let context = ThreadContext.current
    let previous = (context.floatGraph.detectsAnomalies, context.doubleGraph.detectsAnomalies)
    context.floatGraph.detectsAnomalies = true
    context.doubleGraph.detectsAnomalies = true
    defer { (context.floatGraph.detectsAnomalies, context.doubleGraph.detectsAnomalies) = previous }
    return try body()
}
