/// Errors thrown by `backward`, worded as PyTorch words them.
///
/// A thrown backward leaves every gradient and the graph as they were before the call.
public enum AutogradError: Error, Equatable, CustomStringConvertible {
    /// A backward through a graph that was already freed by an earlier backward.
    ///
    /// Unlike PyTorch, this is thrown even when the graph saved no tensor (`c = b + 1`, then
    /// `c.backward()` twice): PyTorch frees only the saved tensors and can walk such a graph
    /// again, whereas here backward frees the whole graph's memory (nodes included) in O(1), so
    /// that a training loop's graph memory does not grow. Pass `retainGraph: true` to walk it again.
    case graphFreed
    /// `backward()` without `gradient:` on a tensor with more than one element.
    case nonScalarOutput
    /// `backward()` on a tensor that has no history and does not require grad.
    case doesNotRequireGrad
    /// A `gradient:` whose shape differs from the output's.
    case gradientShapeMismatch(gradient: [Int], output: [Int])
    /// A value saved for a derivative was modified in place after it was saved. `tensor` is its
    /// type and shape as PyTorch prints them (`[torch.FloatTensor [2, 3]]`); `outputOf` the
    /// `grad_fn` of the tensor that value belongs to, `nil` for a leaf or a constant.
    case savedTensorModified(tensor: String, outputOf: String?, version: Int, expected: Int)
    /// A value saved for a derivative belongs to a non-leaf that was then detached in place
    /// (``Tensor/detach()``, PyTorch's `detach_()`): its node no longer leads anywhere.
    case savedTensorDetached
    /// `grad(inputs:)` or `backward(inputs:)` with an input that does not require grad.
    case inputDoesNotRequireGrad
    /// `grad(inputs:)` with an input the outputs do not depend on, without `allowUnused`.
    case unusedInput
    /// `backward(inputs: [])`.
    case emptyInputs
    /// Inside ``withAnomalyDetection(_:)``: the derivative of `function` (its `grad_fn` name)
    /// returned NaN in the gradient for its input `output` (PyTorch counts a node's outputs).
    case anomaly(function: String, output: Int)

    /// PyTorch's `RuntimeError` message for the same failure, word for word, so logs and tests can
    /// be compared with PyTorch's (shapes are spelled `torch.Size([2, 3])`).
    public var description: String {
        switch self {
        case .graphFreed:
            return "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward."
        case .nonScalarOutput:
            return "grad can be implicitly created only for scalar outputs"
        case .doesNotRequireGrad:
            return "element 0 of tensors does not require grad and does not have a grad_fn"
        case let .gradientShapeMismatch(gradient, output):
            return "Mismatch in shape: grad_output[0] has a shape of \(torchSize(gradient)) and output[0] has a shape of \(torchSize(output))."
        case let .savedTensorModified(tensor, outputOf, version, expected):
            // PyTorch's hint without anomaly mode, which this library does not have.
            let producer = outputOf.map { ", which is output 0 of \($0)," } ?? ""
            return "one of the variables needed for gradient computation has been modified by an inplace operation: \(tensor)\(producer) is at version \(version); expected version \(expected) instead. Hint: enable anomaly detection to find the operation that failed to compute its gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False)."
        case .savedTensorDetached:
            // PyTorch's text, missing space after the first sentence included (torch 2.11).
            return "Trying to use a saved tensor that has been detached in-place, i.e. with .detach_().This is not supported, please use out-of-place `.detach()` instead"
        case .inputDoesNotRequireGrad:
            return "One of the differentiated Tensors does not require grad"
        case .unusedInput:
            return "One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior."
        case .emptyInputs:
            return "`inputs` argument to `backward()` cannot be empty."
        case let .anomaly(function, output):
            return "Function '\(function)' returned nan values in its \(output)th output."
        }
    }
}

/// PyTorch's spelling of a shape: `torch.Size([2, 3])`.
func torchSize(_ shape: [Int]) -> String {
    "torch.Size([\(shape.map(String.init).joined(separator: ", "))])"
}
