import Arena

/// The gradients of `outputs` with respect to `inputs`, returned rather than accumulated
/// (PyTorch's `torch.autograd.grad`). No leaf's ``Tensor/grad`` is written; a non-leaf that
/// asked for its gradient (``Tensor/retainGrad()``) still gets it, as in PyTorch.
///
/// - Parameters:
///   - outputs: The differentiated tensors; each one-element unless its gradient is given.
///   - inputs: The tensors to differentiate with respect to: leaves or results with history,
///     each requiring grad.
///   - gradOutputs: Each output's gradient (`nil`, or a `nil` entry: `1` for a one-element output).
///   - retainGraph: Keep the graph for another backward; by default as `createGraph`.
///   - createGraph: Record the derivatives' own operations, so that the returned gradients have
///     history and can be differentiated again (gradient penalties, Hessian-vector products).
///   - allowUnused: Return `nil` for an input the outputs do not depend on, instead of throwing.
/// - Returns: One gradient per input, `nil` only for an unused input with `allowUnused`.
/// - Throws: ``AutogradError``: also ``AutogradError/inputDoesNotRequireGrad`` and
///   ``AutogradError/unusedInput``, PyTorch's messages.
///
/// ```swift
/// let x = Tensor<Double>([1, 2], requiresGrad: true)
/// let y = (x * x * x).sum()
/// let dx = try grad(outputs: [y], inputs: [x], createGraph: true)[0]!   // 3x² = [3, 12]
/// let d2x = try grad(outputs: [dx.sum()], inputs: [x])[0]!             // 6x = [6, 12]
/// ```
@_specialize(exported: true, where Scalar == Float)
@_specialize(exported: true, where Scalar == Double)
public func grad<Scalar: TensorScalar>(
    outputs: [Tensor<Scalar>], inputs: [Tensor<Scalar>], gradOutputs: [Tensor<Scalar>?]? = nil,
    retainGraph: Bool? = nil, createGraph: Bool = false, allowUnused: Bool = false
) throws(AutogradError) -> [Tensor<Scalar>?] {
    for input in inputs where !input.requiresGrad { throw .inputDoesNotRequireGrad }
    let roots = try Tensor<Scalar>.seeds(outputs, gradOutputs)
    var results = [Tensor<Scalar>?](repeating: nil, count: inputs.count)
    func add(_ g: Tensor<Scalar>, at k: Int) { results[k] = results[k].map { $0 + g } ?? g }
    // An output that is itself an input (a leaf, or a result asked about directly).
    for (output, seed) in roots where output.history == nil {
        for (k, input) in inputs.enumerated() where input === output { add(seed, at: k) }
    }
    let histories = roots.filter { $0.0.history != nil }
    if let graph = try Tensor<Scalar>.graph(of: histories.map(\.0)) {
        if createGraph {
            // Across conversions too: the recorded sweep follows gradients into the other graph.
            let found = try Tensor<Scalar>.recordedSweep(roots: histories, inputs: inputs, everyLeaf: false).inputs
            for (k, g) in found.enumerated() { if let g { add(g, at: k) } }
        } else {
            let targets = SweepTargets(inputs, accumulates: false)
            try Tensor<Scalar>.denseSweep(graph, histories, retainGraph: retainGraph ?? false, targets: targets)
            for (k, g) in targets.results.enumerated() { if let g { add(Tensor(data: g), at: k) } }
        }
    }
    if !allowUnused && results.contains(where: { $0 == nil }) { throw .unusedInput }
    return results
}

extension Tensor where Scalar: TensorScalar {
    /// Computes the gradient of this tensor with respect to every leaf that requires grad and
    /// accumulates it into their ``grad`` (PyTorch's `tensor.backward()`).
    ///
    /// - Parameters:
    ///   - gradient: The gradient of the final result with respect to this tensor, of this
    ///     tensor's shape; may be omitted for a one-element tensor (it is then 1).
    ///   - retainGraph: Keep the graph so that another backward can run through it. By default
    ///     (as `createGraph`) the graph is freed, and a second backward through it throws
    ///     ``AutogradError/graphFreed``.
    ///   - createGraph: Record the derivatives' operations: each `grad` then has history and
    ///     can be differentiated again. As in PyTorch, a leaf then holds, through its `grad`, the
    ///     graph that holds the leaf: the graph stays until `grad` is set to `nil` (or use
    ///     ``grad(outputs:inputs:gradOutputs:retainGraph:createGraph:allowUnused:)``, which
    ///     returns the gradients instead).
    ///   - inputs: Accumulate only into these tensors' `grad` (leaves, or results, which then get
    ///     theirs as if retained); by default every leaf that requires grad.
    /// - Throws: ``AutogradError``; nothing is written to any gradient when it throws.
    ///
    /// ```swift
    /// let x = Tensor<Float>([1, 2, 3], requiresGrad: true)
    /// try (x * x).sum().backward()
    /// x.grad!.scalars   // [2, 4, 6]
    /// ```
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func backward(
        gradient: Tensor? = nil, retainGraph: Bool? = nil, createGraph: Bool = false, inputs: [Tensor]? = nil
    ) throws(AutogradError) {
        if createGraph || inputs != nil {
            return try backward(toward: inputs, gradient: gradient, retainGraph: retainGraph ?? createGraph,
                                createGraph: createGraph)
        }
        try plainBackward(gradient: gradient, retainGraph: retainGraph ?? false)
    }

    /// `backward(createGraph:inputs:)`: the recorded sweep, or the plain one limited to `inputs`.
    private func backward(toward inputs: [Tensor]?, gradient: Tensor?, retainGraph: Bool, createGraph: Bool) throws(AutogradError) {
        if let inputs {
            guard !inputs.isEmpty else { throw .emptyInputs }
            for input in inputs where !input.requiresGrad { throw .inputDoesNotRequireGrad }
        }
        let roots = try Tensor.seeds([self], gradient.map { [$0] })
        guard let history else {
            // A leaf's gradient is its seed.
            if inputs?.contains(where: { $0 === self }) ?? true {
                createGraph ? accumulateRecordedGrad(roots[0].1) : accumulateGrad(roots[0].1.data.copied())
            }
            return
        }
        guard let graph = history.segment.graph else { throw .graphFreed }
        if createGraph {
            let found = try Tensor.recordedSweep(roots: roots, inputs: inputs ?? [], everyLeaf: inputs == nil)
            if let inputs {
                for (input, g) in zip(inputs, found.inputs) {
                    guard let g, input.isLeaf || !input.retainsGrad else { continue }
                    input.receiveRecordedGrad(g)
                }
            } else {
                for (leaf, g) in found.leaves {
                    leaf.receiveRecordedGrad(g)
                }
            }
        } else {
            try Tensor.denseSweep(graph, roots, retainGraph: retainGraph, targets: SweepTargets(inputs!, accumulates: true))
        }
    }

    /// Each output with its gradient (the given one, or `1` for a one-element output), checked
    /// as PyTorch checks them.
    static func seeds(_ outputs: [Tensor], _ gradOutputs: [Tensor?]?) throws(AutogradError) -> [(Tensor, Tensor)] {
        var roots: [(Tensor, Tensor)] = []
        for (i, output) in outputs.enumerated() {
            guard output.requiresGrad else { throw .doesNotRequireGrad }
            let given = gradOutputs.flatMap { i < $0.count ? $0[i] : nil }
            if let given {
                guard given.shape == output.shape else {
                    throw .gradientShapeMismatch(gradient: given.shape, output: output.shape)
                }
                roots.append((output, given))
            } else {
                guard output.count == 1 else { throw .nonScalarOutput }
                roots.append((output, Tensor(data: DenseTensor(shape: output.shape, repeating: 1))))
            }
        }
        return roots
    }

    /// The one graph `outputs` were recorded in; `nil` for none.
    static func graph(of outputs: [Tensor]) throws(AutogradError) -> Graph<Scalar>? {
        guard let first = outputs.first?.history else { return nil }
        guard let graph = first.segment.graph else { throw .graphFreed }
        for output in outputs.dropFirst() where output.history!.segment.graph !== graph {
            trap("grad(): the outputs were recorded on different threads; differentiate each thread's outputs on its own thread")
        }
        return graph
    }

    /// The plain sweep from several outputs at once, into `targets`.
    static func denseSweep(
        _ graph: Graph<Scalar>, _ roots: [(Tensor, Tensor)], retainGraph: Bool, targets: SweepTargets<Scalar>
    ) throws(AutogradError) {
        let histories = roots.map { ($0.0.history!, $0.1.data) }
        let context = ThreadContext.current
        context.targetedSweeps += 1
        defer { context.targetedSweeps -= 1 }
        try graph.backward(from: histories[0].0, seed: histories[0].1, callerGradient: histories[0].1,
                           retainGraph: retainGraph, extraRoots: Array(histories.dropFirst()), targets: targets)
        if context.hasCrossings { try followCrossings(context, retainGraph: retainGraph, targets: targets) }
    }
}
