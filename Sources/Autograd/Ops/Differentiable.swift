import Arena

/// One differentiable operation's backward half: its PyTorch node name, its derivative and the
/// flags the graph needs. Each op's forward sits right beside its conformance, in the family
/// file (Ops/*.swift), and records with the definition's type (`record(value, Mul.self, a, b)`).
/// `Sendable` (every definition is a caseless enum) so that `OpTable`'s list of the types is.
protocol OpDefinition: Sendable {
    /// PyTorch's `grad_fn` class name, e.g. `"MulBackward0"`.
    static var name: String { get }
    /// The op's number in a node, read by every recording. Each definition declares it as
    /// `nonisolated(unsafe) static var kind = OpKind.unnumbered`, and `OpTable` writes the number
    /// while it initializes its list. Stored per type because a protocol extension cannot keep a
    /// value per type; a `var` with a constant initial value because Swift emits that already
    /// initialized, where a `static let` computed from the table would be initialized lazily,
    /// a `swift_once` call on every recording (2.5 % of a tracked scalar op, callgrind). Safe to
    /// read on any thread that records: a thread reads the table before its first recording
    /// (`ThreadContext`), so the writes happen before its reads.
    static var kind: OpKind { get set }
    /// The gradients for the node's inputs, given the gradient of its output: the op's
    /// derivative formula, in either interpretation (Note [Two interpretations of a
    /// derivative] in GradientValue.swift). An input whose `needs` flag is false gets `nil`
    /// and costs nothing.
    static func backward<V: GradientValue>(_ c: consuming BackwardContext<V>) -> Gradients<V>
    /// Whether the op saves its output (`saved0`) rather than its inputs (`saved0` is input 0's
    /// value, `saved1` input 1's). Only the error for a saved value changed in place reads it,
    /// to name the node that made that value, as PyTorch does.
    static var savesOutput: Bool { get }
    /// Whether the values the node saved are its inputs' own (at the positions of their edges),
    /// not its output or something it computed (a reciprocal, log-probabilities): only such a
    /// value belongs to the tensor behind the edge, for the check of a detached saved tensor.
    static var savesInputValues: Bool { get }
    /// Whether PyTorch returns a view here (the result aliases the input's storage there, even
    /// where ours is a copy, as for `t()`): a modified view is reported as `AsStridedBackward0`'s.
    static var isView: Bool { get }
    /// How many operands PyTorch's node lists in `next_functions`: 2 for a binary op, also when
    /// one operand is a number or needs no gradient (listed as `(nil, 0)`); 1 by default.
    static var operandCount: Int { get }
    /// For a node whose recorded inputs leave out absent optional operands: the input behind each
    /// of PyTorch's `next_functions` slots (`nil` for an operand left out). `nil` (the default):
    /// the slots are the inputs.
    static func operandSlots(_ node: Node) -> [Int?]?
    /// For an op that saves a value its forward computed (a reciprocal, log-probabilities, a
    /// difference) rather than an input's or its output: that value rebuilt, for the recorded
    /// interpretation, as the recorded op that makes it from the node's inputs (`c.input`), so
    /// that it has history. `nil` (the default): the saved values are inputs' or the output.
    static func recordedSaved<S: TensorScalar>(_ value: DenseTensor<S>, input: Int, _ c: borrowing BackwardContext<Tensor<S>>) -> Tensor<S>?
    /// `backward` for one element type, as the sweep calls it (`OpKind.backward`). Requirements
    /// that no definition writes: each conformance's witness is the default below with `Self`
    /// concrete, which the optimizer compiles into a direct call of the Float or Double
    /// specialization, so the witness table of the op in `OpTable.definitions` serves as the
    /// sweep's table of specialized derivatives. (Through the generic `backward` the call took
    /// its `@_specialize` entry instead, which copied the context: ~80 instructions a node.)
    static func floatBackward(_ c: consuming BackwardContext<DenseTensor<Float>>) -> InputGrads<Float>
    static func doubleBackward(_ c: consuming BackwardContext<DenseTensor<Double>>) -> InputGrads<Double>
}

extension OpDefinition {
    static var savesOutput: Bool { false }
    static var savesInputValues: Bool { !savesOutput }
    static var isView: Bool { false }
    static var operandCount: Int { 1 }
    static func operandSlots(_ node: Node) -> [Int?]? { nil }
    static func recordedSaved<S: TensorScalar>(_ value: DenseTensor<S>, input: Int, _ c: borrowing BackwardContext<Tensor<S>>) -> Tensor<S>? {
        nil
    }
    static func floatBackward(_ c: consuming BackwardContext<DenseTensor<Float>>) -> InputGrads<Float> { backward(c) }
    static func doubleBackward(_ c: consuming BackwardContext<DenseTensor<Double>>) -> InputGrads<Double> { backward(c) }
}

/// A derivative's gradients for its inputs 0 and 1, `nil` for none.
typealias Gradients<V: GradientValue> = (V?, V?)
/// The dense sweep's.
typealias InputGrads<Scalar: TensorScalar> = Gradients<DenseTensor<Scalar>>

/// What a derivative can see: the output's gradient and what the node saved, as values of
/// the interpretation it runs in (`DenseTensor` in the plain sweep, `Tensor` in the recorded one).
struct BackwardContext<V: GradientValue> {
    typealias Scalar = V.Scalar
    /// The gradient of the loss with respect to the node's output.
    let grad: V
    /// The node's record, read in place in the segment's arena (which never moves a record):
    /// the context held a copy, 64 bytes moved twice a node.
    let record: UnsafePointer<Node>
    var node: Node { record.pointee }
    /// Borrowed for each read: an `unowned(unsafe)` field still retained it around every use.
    let segment: UnownedRef<Segment<Scalar>>
    /// Whether the sweep holds the only reference to `grad`'s storage (no other edge, retained
    /// gradient or caller's tensor shares it), so that a derivative may write over it.
    let ownsGrad: Bool
    /// The node's entry in its segment (the recorded interpretation rebuilds a saved output
    /// with it as its history).
    let entry: UInt32

    /// Whether input 0 / input 1 needs a gradient.
    var needs: (Bool, Bool) { (node.inputs.0.kind != .none, node.inputs.1.kind != .none) }
    /// What input 0 / input 1 has received so far in the dense sweep, taken out of the sweep's
    /// table: the derivative must return it added to its own (`partial + g·b` in one pass, where
    /// the sweep would add a second pass). `nil` when nothing arrived yet, and always in the
    /// recorded sweep, which adds as usual. Input 1's is `nil` when both edges lead to one place.
    ///
    /// Taken on demand, not handed in with the context: two optional gradients in the context
    /// made its destruction, at the end of every derivative, go through the type's value
    /// witnesses (Swift outlines the destruction of a struct with several reference-counted
    /// fields that way): ~250 instructions a seed step.
    func takePartial0() -> V? { takePartial(node.inputs.0) }
    func takePartial1() -> V? { node.inputs.1 == node.inputs.0 ? nil : takePartial(node.inputs.1) }

    @inline(__always)
    private func takePartial(_ edge: Edge) -> V? {
        guard V.self == DenseTensor<Scalar>.self else { return nil }
        return segment.with { $0.owner.takePartial(edge) }.map { $0 as! V }
    }
    var saved0: V { V.saved(at: node.saved.0, input: 0, self) }
    var saved1: V { V.saved(at: node.saved.1, input: 1, self) }
    var shape0: [Int] { segment.with { $0.shapes[Int(node.shapes.0)] } }
    /// The shape of input 0 / input 1 of a product (`Tensor.record(_:_:product:_:)`): its saved value's, or
    /// the shape kept in its place.
    var inputShape0: [Int] { node.saved.0 >= 0 ? saved0.shape : shape0 }
    var inputShape1: [Int] { node.saved.1 >= 0 ? saved1.shape : shape1 }
    var shape1: [Int] { segment.with { $0.shapes[Int(node.shapes.1)] } }
    var indices: [Int] { segment.with { $0.indices[Int(node.indices)] } }
    var scalar: Scalar { Scalar(node.scalar) }
    var dim: Int { Int(node.dim) }
    var dim2: Int { Int(node.dim2) }
    var keepDim: Bool { node.keepDim }
    /// A product's operands' layouts (`Mm.layoutBits`).
    var inputLayout0: MatrixLayout { node.dim & 1 != 0 ? .columnMajor : .rowMajor }
    var inputLayout1: MatrixLayout { node.dim & 2 != 0 ? .columnMajor : .rowMajor }

    /// `partial + new` (the order the sweep adds in), or `new` when nothing came before.
    @inline(__always)
    static func adding(_ partial: V?, to new: V) -> V {
        guard let partial else { return new }
        return partial.binary(.add, new)
    }

    /// `grad ⊙ other` (`other` broadcast to the gradient's shape), written over the gradient's
    /// buffer when the sweep owns it: a chain of elementwise derivatives then reuses one buffer
    /// instead of taking a new one per node. Only for a derivative that reads `grad` once, and
    /// not for one that keeps some of the gradient's elements as they are (ReLU's, abs's): LLVM
    /// turns `g[i] = x[i] <= 0 ? 0 : g[i]` into a conditional store, a scalar loop with a branch
    /// per element, 8× slower than writing a new buffer (the mlp-large step, `perf annotate`).
    /// Consuming, so that the gradient moves through to the result unretained.
    @inline(__always)
    consuming func gradBinary(_ op: BinaryOp, _ other: V) -> V {
        grad.binary(op, other, overwriting: ownsGrad)
    }

    /// `grad ⊙ scalar`, over the gradient's buffer when the sweep owns it (see the other overload).
    @inline(__always)
    consuming func gradBinary(_ op: BinaryOp, scalar: Scalar) -> V {
        grad.binary(op, scalar: scalar, overwriting: ownsGrad)
    }

    /// `f()` when input 0 needs a gradient, else `nil`.
    @inline(__always)
    func first(_ f: () -> V) -> V? { needs.0 ? f() : nil }
    /// `f()` when input 1 needs a gradient, else `nil`.
    @inline(__always)
    func second(_ f: () -> V) -> V? { needs.1 ? f() : nil }
}

/// The derivative of an op with more than two inputs or more than one output (Note [Nodes with
/// any number of inputs and outputs]): one gradient per input from one per output.
protocol WideOpDefinition: OpDefinition {
    /// A gradient for each input (`nil` where `c.needs` is false or it is zero), given a gradient
    /// for each output (`nil` where none arrived: the derivative reads it as zeros).
    static func backward<V: GradientValue>(wide c: WideBackwardContext<V>) -> [V?]
}

extension WideOpDefinition {
    /// Not used: the sweep calls ``backward(wide:)`` for a wide node.
    static func backward<V: GradientValue>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        trap("\(name) is a node with any number of inputs and outputs; the sweep calls backward(wide:)")
    }
}

/// What a wide node's derivative can see.
struct WideBackwardContext<V: GradientValue> {
    /// The gradient of each output, `nil` where none arrived.
    let grads: [V?]
    let node: Node
    /// Whether each input needs a gradient.
    let needs: [Bool]
    /// Whether every input that needs a gradient is a leaf, which makes a strided gradient
    /// row-major anyway (AccumulateGrad): a derivative may then hand over copies it makes more
    /// cheaply together. Always false in the recorded sweep.
    var intoLeaves = false
    let segment: UnownedRef<Segment<V.Scalar>>
    /// The node's first entry in its segment (output 0's).
    var base: UInt32 = 0

    var indices: [Int] { segment.with { $0.indices[Int(node.indices)] } }
    var shape0: [Int] { segment.with { $0.shapes[Int(node.shapes.0)] } }
    var dim: Int { Int(node.dim) }

    /// An empty list with room for `count` gradients, for the derivative to fill and return: in
    /// the plain sweep the graph's spare one (`Graph.sweepWideResults`, taken out, given back by
    /// the sweep), so that a wide node's backward makes no list of its own.
    func gradientList(count: Int) -> [V?] {
        guard V.self == DenseTensor<V.Scalar>.self else {
            var list: [V?] = []
            list.reserveCapacity(count)
            return list
        }
        var list = segment.with { segment in
            let graph = segment.owner
            defer { graph.sweepWideResults = [] }
            return graph.sweepWideResults
        }
        list.removeAll(keepingCapacity: true)
        list.reserveCapacity(count)
        return unsafeBitCast(list, to: [V?].self)   // V is DenseTensor<V.Scalar>, checked above
    }
}
