import Arena

/// Runs `body` on `inputs` without keeping its graph, and runs it again during backward to get
/// its gradients (PyTorch's `torch.utils.checkpoint.checkpoint`, its default reentrant variant):
/// memory for compute. Only the inputs are saved; the outputs' `gradFn` is
/// `CheckpointFunctionBackward`.
///
/// As PyTorch's reentrant checkpoint: `body` must compute the same thing twice (no randomness it
/// does not seed itself); the parameters it uses get their gradients during the outer backward;
/// nothing is recorded unless an input requires grad; and it can't be used under `grad(...)`,
/// `backward(inputs:)` or `createGraph` (it traps with PyTorch's message).
///
/// ```swift
/// var h = x
/// for block in blocks { h = checkpoint([h]) { [block(($0[0]))] }[0] }
/// try loss(h).backward()
/// ```
public func checkpoint<Scalar: TensorScalar>(
    _ inputs: [Tensor<Scalar>], _ body: @escaping ([Tensor<Scalar>]) -> [Tensor<Scalar>]
) -> [Tensor<Scalar>] {
    CheckpointFunction<Scalar>.apply(inputs, userInfo: ["body": body])
}

/// The custom function behind ``checkpoint(_:_:)``.
enum CheckpointFunction<S: TensorScalar>: AutogradFunction, NamedBackwardFunction {
    typealias Scalar = S
    static var backwardName: String { "CheckpointFunctionBackward" }
    static func forward(_ ctx: FunctionContext<S>, _ inputs: [Tensor<S>]) -> [Tensor<S>] {
        let body = ctx.userInfo["body"] as! ([Tensor<S>]) -> [Tensor<S>]
        ctx.saveForBackward(inputs)
        return body(inputs)
    }

    static func backward(_ ctx: FunctionContext<S>, _ gradOutputs: [Tensor<S>?]) -> [Tensor<S>?] {
        trapUnless(!GradMode.isEnabled && ThreadContext.current.targetedSweeps == 0,
                   "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() or passing an `inputs` parameter to .backward(). To resolve this error, you can either set use_reentrant=False, or call .backward() without passing the `inputs` argument.")
        let body = ctx.userInfo["body"] as! ([Tensor<S>]) -> [Tensor<S>]
        let saved: [Tensor<S>]
        do { saved = try ctx.savedTensors } catch { trap("\(error)") }
        // The body again, on leaves holding the inputs' values, recorded this time; then one
        // sweep from its outputs, which also adds to the parameters' `grad`.
        let leaves = zip(saved, ctx.needsInputGrad).map { Tensor(data: $0.0.data, requiresGrad: $0.1) }
        let outputs = withGradEnabled(true) { body(leaves) }
        let roots = zip(outputs, gradOutputs).compactMap { o, g in o.requiresGrad ? (o, g!.data) : nil }
        do { try Tensor<S>.backward(roots: roots, retainGraph: false) } catch { trap("\(error)") }
        return leaves.map { $0.requiresGrad ? ($0.grad ?? Tensor.zeros($0.shape)) : nil }
    }
}
