import Arena

/// A differentiable operation with a derivative of one's own (PyTorch's `torch.autograd.Function`).
///
/// `forward` computes the outputs from the inputs, with grad mode off, and may save what the
/// derivative needs in the context; `backward` gets one gradient per output (zeros for an output
/// that received none, as PyTorch's `materialize_grads`) and returns one per input (`nil` for
/// none). A `backward` written with library ops can be differentiated again: under
/// `createGraph` it runs with grad mode on, recorded like any op. The outputs' `gradFn` is named
/// after the type: `MyFnBackward`.
///
/// ```swift
/// enum MulAdd: AutogradFunction {
///     static func forward(_ ctx: FunctionContext<Double>, _ inputs: [Tensor<Double>]) -> [Tensor<Double>] {
///         ctx.saveForBackward(inputs)
///         return [inputs[0] * inputs[1] + inputs[0]]
///     }
///     static func backward(_ ctx: FunctionContext<Double>, _ gradOutputs: [Tensor<Double>?]) -> [Tensor<Double>?] {
///         let xs = try! ctx.savedTensors
///         let g = gradOutputs[0]!
///         return [g * (xs[1] + 1), g * xs[0]]
///     }
/// }
/// let z = MulAdd.apply(x, y)[0]   // z.gradFn?.name == "MulAddBackward"
/// ```
public protocol AutogradFunction {
    associatedtype Scalar: TensorScalar
    static func forward(_ ctx: FunctionContext<Scalar>, _ inputs: [Tensor<Scalar>]) -> [Tensor<Scalar>]
    static func backward(_ ctx: FunctionContext<Scalar>, _ gradOutputs: [Tensor<Scalar>?]) -> [Tensor<Scalar>?]
}

extension AutogradFunction {
    /// Runs `forward` on `inputs` and, where grad mode is on and an input requires grad, records
    /// one node whose derivative is `backward` (PyTorch's `Function.apply`).
    public static func apply(_ inputs: Tensor<Scalar>...) -> [Tensor<Scalar>] { apply(inputs) }

    /// ``apply(_:)-(Tensor<Scalar>...)`` with the inputs as an array.
    public static func apply(_ inputs: [Tensor<Scalar>]) -> [Tensor<Scalar>] { apply(inputs, userInfo: [:]) }

    /// `apply` with the context's `userInfo` filled before `forward` runs (for the library's own
    /// functions, which get no other arguments through the static `forward`).
    static func apply(_ inputs: [Tensor<Scalar>], userInfo: [String: Any]) -> [Tensor<Scalar>] {
        let name = (Self.self as? any NamedBackwardFunction.Type)?.backwardName ?? "\(Self.self)Backward"
        let ctx = FunctionContext<Scalar>(name: name, inputs: inputs, backward: backward)
        ctx.userInfo = userInfo
        let recording = GradMode.isEnabled && inputs.contains { $0.requiresGrad }
        if recording {
            for (k, input) in inputs.enumerated() where ctx.needsInputGrad[k] && input.viewBase != nil {
                input.refreshViewHistory()
            }
        }
        let results = withGradEnabled(false) { forward(ctx, inputs) }
        guard recording else { return results }
        return ctx.record(results, inputs: inputs)
    }
}

/// What a custom function's `forward` hands its `backward` (PyTorch's `ctx`).
public final class FunctionContext<Scalar: TensorScalar> {
    /// Whether each input needs a gradient: readable in `forward` (the inputs' `requiresGrad`)
    /// and in `backward` (whether the graph still wants it).
    public internal(set) var needsInputGrad: [Bool]
    /// Anything else `backward` needs (sizes, flags, non-tensor values).
    public var userInfo: [String: Any] = [:]

    let name: String
    let backwardFunction: (FunctionContext, [Tensor<Scalar>?]) -> [Tensor<Scalar>?]
    private let inputShapes: [[Int]]
    private var inputIDs: [ObjectIdentifier]
    private var outputShapes: [[Int]] = []
    private var nonDifferentiable: Set<ObjectIdentifier> = []
    private var dirty: Set<ObjectIdentifier> = []

    /// A value saved by `saveForBackward`: input `k`'s, output `j`'s (kept as values only, as
    /// PyTorch's SavedVariable does, so that the graph holding this context is not held by it),
    /// or another tensor.
    private enum SavedValue {
        case input(Int, DenseTensor<Scalar>)
        case output(Int, DenseTensor<Scalar>)
        case other(Tensor<Scalar>)
    }
    private var pendingSaves: [Tensor<Scalar>] = []
    private var saved: [(value: SavedValue, version: Int)] = []
    /// Where `savedTensors` rebuilds values with history, during a recorded backward.
    private var recordedNode: (segment: Segment<Scalar>, base: UInt32)?

    init(name: String, inputs: [Tensor<Scalar>], backward: @escaping (FunctionContext, [Tensor<Scalar>?]) -> [Tensor<Scalar>?]) {
        self.name = name
        self.backwardFunction = backward
        self.inputShapes = inputs.map(\.shape)
        self.inputIDs = inputs.map { ObjectIdentifier($0) }
        self.needsInputGrad = inputs.map { $0.requiresGrad && GradMode.isEnabled }
    }

    /// Keeps `tensors` (inputs, outputs or others) for `backward`, which reads them back through
    /// ``savedTensors``. Each is checked there against in-place changes since this call.
    public func saveForBackward(_ tensors: [Tensor<Scalar>]) {
        pendingSaves = tensors
    }

    /// The tensors given to ``saveForBackward(_:)``, as `backward` may use them: under
    /// `createGraph` an input or output comes back with its history, so that a `backward` made of
    /// library ops is differentiable again.
    ///
    /// - Throws: ``AutogradError/savedTensorModified(tensor:outputOf:version:expected:)`` when
    ///   one was changed in place since it was saved, as PyTorch raises.
    public var savedTensors: [Tensor<Scalar>] {
        get throws(AutogradError) {
            guard !saved.isEmpty || pendingSaves.isEmpty else { return pendingSaves }   // read in forward
            try checkSavedVersions()
            return saved.map { rebuilt($0.value) }
        }
    }

    /// Marks outputs that have no derivative (indices, masks): they do not require grad, and
    /// their gradients reach `backward` as zeros.
    public func markNonDifferentiable(_ tensors: [Tensor<Scalar>]) {
        nonDifferentiable.formUnion(tensors.map { ObjectIdentifier($0) })
    }

    /// Marks inputs that `forward` changed in place and returns as outputs: each becomes the
    /// output of this function's node (PyTorch's `mark_dirty`).
    public func markDirty(_ tensors: [Tensor<Scalar>]) {
        dirty.formUnion(tensors.map { ObjectIdentifier($0) })
    }

    // MARK: - Recording

    /// The outputs of `forward` recorded as one node with this context as its derivative.
    func record(_ results: [Tensor<Scalar>], inputs: [Tensor<Scalar>]) -> [Tensor<Scalar>] {
        for input in inputs where dirty.contains(ObjectIdentifier(input)) {
            // PyTorch's wording for `mark_dirty` ("has been used"; an in-place op "is being used").
            trapUnless(!(input.isLeaf && input.requiresGrad), "a leaf Variable that requires grad has been used in an in-place operation.")
            withGradEnabled(true) { input.checkInPlaceAllowed() }
        }
        outputShapes = results.map(\.shape)
        let differentiable = results.indices.filter { !nonDifferentiable.contains(ObjectIdentifier(results[$0])) }
        let recorded = Tensor<Scalar>.recordWide(differentiable.map { results[$0].data }, CustomFunctionOp.self, inputs: inputs)
        var outputs = results.map { Tensor<Scalar>(data: $0.data) }
        for (j, k) in differentiable.enumerated() { outputs[k] = recorded[j] }
        if let history = recorded.first?.history {
            history.withSegment { segment in
                segment.nodes[Int(history.index)].pointee.dim = Int32(segment.customFunctions.count)
                segment.customFunctions.append(self)
            }
        }
        // Saved values, by what they are (after recording: an output is known by its object).
        let outputIDs = results.map { ObjectIdentifier($0) }
        saved = pendingSaves.map { t in
            if t.isInference { trap(Segment<Scalar>.inferenceSaveMessage) }
            let id = ObjectIdentifier(t)
            let value: SavedValue
            if let j = outputIDs.firstIndex(of: id) {
                value = .output(j, t.data)
            } else if let k = inputIDs.firstIndex(of: id) {
                value = .input(k, t.data)
            } else {
                value = .other(t.history == nil ? t : t.detached())
            }
            return (value, t.version)
        }
        pendingSaves = []
        inputIDs = []
        // An input changed in place and returned becomes the node's output (`markDirty`).
        for (k, result) in results.enumerated() {
            guard let input = inputs.first(where: { $0 === result }), dirty.contains(ObjectIdentifier(input)) else { continue }
            input.adoptHistory(of: outputs[k], inPlace: true)
            outputs[k] = input
        }
        return outputs
    }

    var savedBytes: Int {
        saved.reduce(0) { total, entry in
            switch entry.value {
            case let .input(_, v), let .output(_, v): total + v.count * MemoryLayout<Scalar>.stride
            case let .other(t): total + t.count * MemoryLayout<Scalar>.stride
            }
        }
    }

    // MARK: - Backward

    /// Throws if a saved value was changed in place since it was saved (checked by the sweeps
    /// before `backward` runs, and by ``savedTensors``).
    func checkSavedVersions() throws(AutogradError) {
        for (value, version) in saved {
            let data: DenseTensor<Scalar>
            var outputOf: String?
            switch value {
            case let .input(_, v): data = v
            case let .output(_, v): data = v; outputOf = name
            case let .other(t): data = t.data
            }
            guard data.storage.version != version else { continue }
            let type = Scalar.self == Double.self ? "torch.DoubleTensor" : "torch.FloatTensor"
            throw .savedTensorModified(tensor: "[\(type) [\(data.shape.map(String.init).joined(separator: ", "))]]",
                                       outputOf: outputOf, version: data.storage.version, expected: version)
        }
    }

    private func rebuilt(_ value: SavedValue) -> Tensor<Scalar> {
        switch value {
        case let .other(t):
            return t
        case let .input(k, v):
            guard let (segment, base) = recordedNode, let graph = segment.graph else { return Tensor(data: v) }
            let edge = Segment<Scalar>.input(k, of: segment.nodes[Int(base)])
            guard edge.kind != .none else { return Tensor(data: v) }
            let owner = graph.segment(edge.segment)
            if edge.kind == .leaf { return owner.leaves[Int(edge.index)] }
            return Tensor(data: v, history: History(segment: owner, generation: edge.generation, index: edge.index,
                                                    op: owner.nodes[Int(edge.index)].pointee.op))
        case let .output(j, v):
            guard let (segment, base) = recordedNode, j < Int(segment.nodes[Int(base)].pointee.outputCount) else {
                return Tensor(data: v)
            }
            return Tensor(data: v, history: History(segment: segment, generation: segment.generation,
                                                    index: base + UInt32(j), op: CustomFunctionOp.kind))
        }
    }

    /// The user's `backward` on the node's gradients, in either interpretation.
    func runBackward<V: GradientValue>(_ c: WideBackwardContext<V>) -> [V?] where V.Scalar == Scalar {
        let recorded = V.self == Tensor<Scalar>.self
        var grads: [Tensor<Scalar>?] = c.grads.map { g in
            g.map { recorded ? $0 as! Tensor<Scalar> : Tensor(data: $0 as! DenseTensor<Scalar>) }
        }
        // Non-differentiable outputs have no entries in the node: their gradients are zeros too.
        while grads.count < outputShapes.count { grads.append(nil) }
        let gradOutputs = zip(grads, outputShapes).map { g, shape in g ?? Tensor<Scalar>.zeros(shape) }
        needsInputGrad = c.needs
        recordedNode = recorded ? (c.segment.object, c.base) : nil
        defer { recordedNode = nil }
        let results = withGradEnabled(recorded) { backwardFunction(self, gradOutputs) }
        trapUnless(results.count == inputShapes.count,
                   "function \(name) returned an incorrect number of gradients (expected \(inputShapes.count), got \(results.count))")
        return results.enumerated().map { k, g -> V? in
            guard let g, c.needs[k] else { return nil }
            var fitted = g
            if g.shape != inputShapes[k] {
                trapUnless(Self.isExpandable(inputShapes[k], to: g.shape),
                           "Function \(name) returned an invalid gradient at index \(k) - got \(g.shape) but expected shape compatible with \(inputShapes[k])")
                fitted = recorded ? g.sum(toShape: inputShapes[k]) : Tensor(data: g.data.sum(toShape: inputShapes[k]))
            }
            return recorded ? (fitted as! V) : (fitted.data as! V)
        }
    }
}

extension FunctionContext {
    /// Whether `shape` expands to `target` (PyTorch's `is_expandable_to`): a gradient of a
    /// broadcast input's shape is summed down to it, as PyTorch's engine does.
    static func isExpandable(_ shape: [Int], to target: [Int]) -> Bool {
        guard target.count >= shape.count else { return false }
        let lead = target.count - shape.count
        return shape.indices.allSatisfy { shape[$0] == target[lead + $0] || shape[$0] == 1 }
    }
}

/// A library function built as a custom function whose node PyTorch names otherwise
/// (`CheckpointFunctionBackward`, where the type is generic).
protocol NamedBackwardFunction {
    static var backwardName: String { get }
}

/// A custom function's record in its segment (`Segment.customFunctions`).
protocol CustomFunctionRecord: AnyObject {
    var name: String { get }
    /// Bytes of the values it saved (``GraphStats/savedBytes``).
    var savedBytes: Int { get }
    func checkSavedVersions() throws(AutogradError)
}

extension FunctionContext: CustomFunctionRecord {}

/// The node of every custom function: its derivative is the context's (`node.dim` is its place
/// in the segment's `customFunctions`), and its name the function's.
enum CustomFunctionOp: WideOpDefinition {
    static let name = "CustomFunctionBackward"
    nonisolated(unsafe) static var kind = OpKind.unnumbered

    static func backward<V: GradientValue>(wide c: WideBackwardContext<V>) -> [V?] {
        let record = c.segment.with { $0.customFunctions[c.dim] }
        return (record as! FunctionContext<V.Scalar>).runBackward(c)
    }
}
