import Arena

/// The values a derivative formula computes with, and the operations it may use on them.
///
/// Note [Two interpretations of a derivative]: each op's derivative is written once, as a
/// formula generic over `GradientValue` (`self: grad * other`, in the spirit of PyTorch's
/// derivatives.yaml), and runs in one of two interpretations:
///
/// - **`DenseTensor`**, the plain backward sweep: every operation is a kernel call, the fused
///   ones (`multiplied(by:adding:)`, `binary(.reluBackward, …)`, `powBackward`) are one pass,
///   and a gradient the sweep owns is written over in place (`overwriting:`). Nothing is
///   recorded. This is today's speed and today's buffer reuse.
/// - **`Tensor`**, the recorded sweep (`Graph.recordedGradients`): every operation is the
///   public op of the same meaning, recorded as it runs, so that the gradients it returns have
///   history and can be differentiated again. A fused operation is its composition of recorded
///   ops (`reluBackward` is a `maskedFill`, `sigmoidBackward` is `g · (y · (1 − y))`); a saved
///   value is rebuilt from the node's edges as the tensor it was (an input's value with the
///   input's history, a saved output with the node's own).
///
/// Where `DenseTensor` has an operation, the requirement takes its name, so that most of its
/// conformance is already written; an operation that exists only for derivatives (a slice's
/// gradient placed into zeros, cross-entropy's gradient) is declared, with both meanings, in the
/// family file of the ops that use it. ToCopy's derivative sends its gradient to another graph
/// in either interpretation (Note [Conversions between graphs]).
protocol GradientValue {
    associatedtype Scalar: TensorScalar
    var shape: [Int] { get }
    var rank: Int { get }
    /// Zeros of `shape`, needing no gradient.
    static func zeros(shaped shape: [Int]) -> Self
    /// The value the node saved at `position` (input `input`'s, or the node's output's): the
    /// dense interpretation reads it; the recorded one rebuilds the tensor it was.
    static func saved(at position: Int32, input: Int, _ c: borrowing BackwardContext<Self>) -> Self

    // Elementwise (the `BinaryOp`s include the fused derivative kernels: `.reluBackward`, …).
    func unary(_ op: UnaryOp) -> Self
    func binary(_ op: BinaryOp, _ other: Self) -> Self
    func binary(_ op: BinaryOp, scalar: Scalar) -> Self
    /// `binary(op, other)`, over this value's buffer when `overwriting` (only the dense
    /// interpretation reuses buffers; the recorded one ignores the flag).
    consuming func binary(_ op: BinaryOp, _ other: Self, overwriting: Bool) -> Self
    consuming func binary(_ op: BinaryOp, scalar: Scalar, overwriting: Bool) -> Self
    /// `addend + self · other`, one shape.
    func multiplied(by other: Self, adding addend: Self) -> Self
    /// `self · (k · g / n)` for a 0-d `g` (a loss's gradient scaled by the loss's).
    func multiplied(byZeroDim g: Self, times k: Scalar, dividedBy n: Scalar) -> Self
    /// `grad · p · self^(p−1)`, zeros for `p == 0` (PyTorch's `pow_backward`).
    func powBackward(grad: Self, exponent: Scalar) -> Self
    /// Cross-entropy's derivative from the log-probabilities `self`: `(softmax − onehot) · g / N`.
    func crossEntropyGradient(targets: [Int], grad: Self) -> Self
    /// Softmax's derivative from its output `self`, `y ⊙ (g − Σ g ⊙ y)` along `dim`, over
    /// `grad`'s buffer when `overwriting` allows (Softmax.swift).
    func softmaxBackward(grad: consuming Self, dim: Int, overwriting: Bool) -> Self
    /// Embedding's derivative from the gradient rows `self` (`[positions.count, width]`): zeros
    /// of `weightShape` with row `k` of `self` added to row `positions[k]`, the `padding` row
    /// (if not −1) left zero (Embedding.swift).
    func embeddingGradient(positions: [Int], weightShape: [Int], padding: Int) -> Self
    /// A ``PointwiseOp``'s derivative, `self` being the value its node kept (input or output),
    /// of `grad`'s shape, over `grad`'s buffer when `overwriting` allows (Pointwise.swift).
    func pointwiseBackward(_ op: PointwiseOp, grad: consuming Self, overwriting: Bool) -> Self
    /// A ``BinaryPointwiseOp``'s derivative for input `input` (`self` input 0's value, `other`
    /// input 1's), at `grad`'s broadcast shape (Pointwise.swift).
    func pointwiseBackward(_ op: BinaryPointwiseOp, input: Int, grad: Self, other: Self) -> Self

    // Reductions and their derivatives.
    /// Summed over the dimensions that broadcasting added or stretched, down to `shape`.
    func sum(toShape shape: [Int]) -> Self
    func sum(dim: Int, keepDim: Bool) -> Self
    /// A value of this value's shape read as if broadcast to `shape`.
    func broadcasted(to shape: [Int]) -> Self
    /// A reduction's output (or gradient) with the reduced dimension back as size 1 when
    /// `keepDim` dropped it.
    func withReducedDim(_ dim: Int, keepDim: Bool, inputRank: Int) -> Self
    /// A 0-d value divided by `divisor` at every position of `shape` (the mean's derivative).
    func spread(to shape: [Int], dividedBy divisor: Scalar) -> Self
    /// `grad` shared by the positions holding `maximum` (`self` is the input; ties evenly, as
    /// PyTorch's `evenly_distribute_backward`; NaN counts as equal to a NaN maximum).
    func maxBackward(grad: Self, maximum: Scalar) -> Self
    /// Zeros of `inputShape` with this value's elements at `indices` along `dim` (`max(dim:)`'s
    /// derivative; this value has the output's shape with the reduced dimension kept).
    func scatter(indices: [Int], dim: Int, into inputShape: [Int]) -> Self
    // Reductions+Statistics.swift: `pow`, `logSumExp` are the public ops (and kernels) of
    // those names; `reverseCumsum` is `cumsum`'s derivative (sums from the end backwards);
    // `prodBackward` is `prod()`'s derivative from the input `self`.
    func pow(_ exponent: Scalar) -> Self
    func logSumExp(dim: Int, keepDim: Bool) -> Self
    func reverseCumsum(dim: Int) -> Self
    func prodBackward(grad: Self) -> Self
    // Losses.swift: each element clamped to `[min, max]` (Huber's, smooth L1's and binary
    // cross-entropy's derivatives).
    func lossClamped(min: Scalar, max: Scalar) -> Self

    // Views, and the derivatives of views: the gradient placed into zeros of the input's shape.
    func reshaped(_ shape: [Int]) -> Self
    func transposed(_ d0: Int, _ d1: Int) -> Self
    func permuted(_ dims: [Int]) -> Self
    /// The view that undoes `permuted(dims)` (`dims` normalized): `permute_backwards`.
    func permuted(inverting dims: [Int]) -> Self
    func selected(dim: Int, index: Int) -> Self
    func narrowed(dim: Int, start: Int, length: Int, step: Int) -> Self
    /// Zeros of `shape` with this value at `index` along `dim` (`select`'s derivative).
    func placedSelection(in shape: [Int], dim: Int, index: Int) -> Self
    /// Zeros of `shape` with this value at every `step`-th position from `start` along `dim`
    /// (a slice's derivative).
    func placedSlice(in shape: [Int], dim: Int, start: Int, step: Int) -> Self
    /// This value (of a base's shape) with a view's region zero (CopySlices' derivative).
    func zeroed(in region: Region) -> Self
    /// The region's elements of this value (of a base's shape).
    func read(in region: Region) -> Self
    /// Zeros of `baseShape` with this value in the region (AsStrided's derivative).
    func placed(in region: Region, of baseShape: [Int]) -> Self
    /// The gradient of an input split into pieces of `sizes` along `dim`: the pieces' gradients
    /// joined, zeros where a piece received none.
    static func joined(_ grads: [Self?], sizes: [Int], dim: Int, inputShape: [Int]) -> Self
    /// The gradient of an input unbound along `dim`: the pieces' gradients stacked, zeros where
    /// a piece received none.
    static func stacked(_ grads: [Self?], dim: Int, inputShape: [Int]) -> Self
    /// This value's pieces of `sizes` along `dim` (`nil` where not `wanted`), for the inputs of
    /// a `cat`: views, or (`copied`) row-major copies made in one pass (Joining.swift).
    func pieces(sizes: [Int], dim: Int, wanted: [Bool], copied: Bool) -> [Self?]

    // Indexing, gathering and masking.
    /// Read as `[leading elements, rest...]` (the first `dims` dimensions flattened into one).
    func leadingFlattened(_ dims: Int) -> Self
    func indexSelected(dim: Int, positions: [Int]) -> Self
    func indexFilled(dim: Int, positions: [Int], value: Scalar) -> Self
    /// This value with `source`'s slices along `dim` added at `positions` (repeats add up).
    func indexAdded(dim: Int, positions: [Int], source: Self) -> Self
    func gathered(dim: Int, index: DenseTensor<Int>) -> Self
    func scatterAdded(dim: Int, index: DenseTensor<Int>, source: Self) -> Self
    /// This value with zeros at `positions` (row-major positions of its elements).
    func zeroed(atFlatPositions positions: [Int]) -> Self
    /// Zeros, but this value's elements at `positions` (row-major positions).
    func kept(atFlatPositions positions: [Int]) -> Self

    // Products.
    func matmul(_ other: Self, transposeA: Bool, transposeB: Bool) -> Self
    func matvec(_ vector: Self, transpose: Bool) -> Self
    func outer(_ other: Self) -> Self

    // Convolutions and pooling (Convolution.swift, Pooling.swift).
    /// The convolution of this input with `weight`, no bias.
    func convolved(weight: Self, geometry: ConvolutionGeometry) -> Self
    /// A convolution's input gradient from this gradient of its output (a transposed
    /// convolution). `inputShape` is the input's shape, which the result may share.
    func convolutionInputGradient(weight: Self, geometry: ConvolutionGeometry, inputShape: [Int]?) -> Self
    /// A convolution's weight gradient from this gradient of its output and the input.
    /// `weightShape` is the weight's shape, which the result may share.
    func convolutionWeightGradient(input: Self, geometry: ConvolutionGeometry, weightShape: [Int]?) -> Self
    /// A convolution's bias gradient: this gradient of its output summed over all but dimension 1.
    /// `shape` is the bias's, which the result may share.
    func convolutionBiasGradient(shape: [Int]?) -> Self
    /// A max pooling's input gradient from this gradient of its output (`positions`: the
    /// geometry, then each maximum's position in its plane).
    func maxPoolBackward(positions: [Int], inputShape: [Int]) -> Self
    func avgPooled(_ geometry: PoolGeometry) -> Self
    /// An average pooling's input gradient, of `inputShape`, from this gradient of its output.
    func avgPoolBackward(inputShape: [Int], _ geometry: PoolGeometry) -> Self
}

extension GradientValue {
    /// Zeros of this value's shape.
    func zerosLike() -> Self { Self.zeros(shaped: shape) }

    /// A reduction's gradient along `dim` spread back over the input's shape (PyTorch's
    /// `sum_backward`: the dimension put back if it was dropped, then expanded).
    func unreduced(dim: Int, keepDim: Bool, to inputShape: [Int]) -> Self {
        withReducedDim(dim, keepDim: keepDim, inputRank: inputShape.count).broadcasted(to: inputShape)
    }
}

// MARK: - the dense interpretation

extension DenseTensor: GradientValue where Scalar: TensorScalar {
    func spread(to shape: [Int], dividedBy divisor: Scalar) -> DenseTensor {
        // One fill of g / n, not a division then an expand (two buffers).
        DenseTensor(shape: shape, repeating: scalar! / divisor)
    }

    static func zeros(shaped shape: [Int]) -> DenseTensor { DenseTensor(shape: shape, repeating: 0) }
    func maxBackward(grad: DenseTensor, maximum: Scalar) -> DenseTensor { maxBackward(grad: grad.scalar!, maximum: maximum) }

    @inline(__always)
    static func saved(at position: Int32, input: Int, _ c: borrowing BackwardContext<DenseTensor>) -> DenseTensor {
        c.segment.with { $0.saved[Int(position)] }
    }
}

// MARK: - the recorded interpretation

extension Tensor: GradientValue where Scalar: TensorScalar {
    func unary(_ op: UnaryOp) -> Tensor {
        switch op {
        case .neg: -self
        case .exp: exp()
        case .log: log()
        case .sqrt: sqrt()
        case .abs: abs()
        case .relu: relu()
        case .sigmoid: sigmoid()
        case .tanh: tanh()
        }
    }

    /// `self ⊙ other` as recorded ops; for the derivative kernels, `self` is the gradient and
    /// `other` the value the kernel reads.
    func binary(_ op: BinaryOp, _ other: Tensor) -> Tensor {
        switch op {
        case .add: return self + other
        case .sub: return self - other
        case .mul: return self * other
        case .div: return self / other
        // PyTorch's threshold_backward: the gradient where the value is above 0 (or NaN).
        case .reluBackward: return thresholdBackward(other)
        case .sigmoidBackward: return self * (other * (1 - other))
        case .tanhBackward: return self * (1 - other * other)
        case .absBackward: return self * (Tensor(other .> 0) - Tensor(other .< 0))   // g · sgn(x), sgn(0) = sgn(NaN) = 0
        case .sqrtBackward: return self / (other * 2)
        case .selfProductBackward:
            let t = self * other
            return t + t
        }
    }

    func binary(_ op: BinaryOp, scalar: Scalar) -> Tensor {
        switch op {
        case .add: self + scalar
        case .sub: self - scalar
        case .mul: self * scalar
        case .div: self / scalar
        default: binary(op, Tensor(data: DenseTensor(scalar)))
        }
    }

    consuming func binary(_ op: BinaryOp, _ other: Tensor, overwriting: Bool) -> Tensor { binary(op, other) }
    consuming func binary(_ op: BinaryOp, scalar: Scalar, overwriting: Bool) -> Tensor { binary(op, scalar: scalar) }

    func multiplied(by other: Tensor, adding addend: Tensor) -> Tensor { addend + self * other }

    func powBackward(grad: Tensor, exponent: Scalar) -> Tensor {
        if exponent == 0 { return zerosLike() }
        return grad * (pow(exponent - 1) * exponent)
    }

    func sum(toShape target: [Int]) -> Tensor {
        guard shape != target else { return self }
        var summed = self
        let lead = rank - target.count
        for _ in 0..<lead { summed = summed.sum(dim: 0, keepDim: false) }
        for d in target.indices where target[d] == 1 && summed.shape[d] != 1 {
            summed = summed.sum(dim: d, keepDim: true)
        }
        return summed
    }

    func broadcasted(to shape: [Int]) -> Tensor { self.shape == shape ? self : expanded(to: shape) }

    func withReducedDim(_ dim: Int, keepDim: Bool, inputRank: Int) -> Tensor {
        keepDim || inputRank == 0 ? self : unsqueezed(dim: Shape.normalize(dim: dim, rank: inputRank))
    }

    func spread(to shape: [Int], dividedBy divisor: Scalar) -> Tensor { (self / divisor).broadcasted(to: shape) }

    static func zeros(shaped shape: [Int]) -> Tensor { Tensor(data: DenseTensor(shape: shape, repeating: 0)) }

    func matmul(_ other: Tensor, transposeA: Bool, transposeB: Bool) -> Tensor {
        (transposeA ? transposed() : self).matmul(transposeB ? other.transposed() : other)
    }

    func matvec(_ vector: Tensor, transpose: Bool) -> Tensor { (transpose ? transposed() : self).matmul(vector) }

    func outer(_ other: Tensor) -> Tensor { unsqueezed(dim: 1).matmul(other.unsqueezed(dim: 0)) }

    /// Note [Two interpretations of a derivative]: a saved output is the node's own output again
    /// (its history is the node); a saved input is the input's value with the input's history
    /// (the leaf itself, or the node behind the edge), or a constant where nothing behind it
    /// needs a gradient. A value the forward computed for its derivative (a reciprocal, the
    /// log-probabilities) is rebuilt by the op's `recordedSaved`.
    static func saved(at position: Int32, input: Int, _ c: borrowing BackwardContext<Tensor>) -> Tensor {
        let value = c.segment.with { $0.saved[Int(position)] }
        let node = c.node
        if let rebuilt = node.op.definition.recordedSaved(value, input: input, c) { return rebuilt }
        if node.op.definition.savesOutput {
            let segment = c.segment.object
            return Tensor(data: value, history: History(segment: segment, generation: segment.generation,
                                                        index: c.entry, op: node.op))
        }
        return c.input(input, value: value)
    }
}

extension BackwardContext {
    /// Input `k` of the node as a tensor of the recorded interpretation, holding `value`: the
    /// leaf itself, a tensor with the history of the node behind the edge, or a constant where
    /// nothing behind it needs a gradient. (Only history and `requiresGrad` of an input are read
    /// when an op is recorded on it, so a rebuilt value may pass any `value` of the input's.)
    func input<S: TensorScalar>(_ k: Int, value: DenseTensor<S>) -> Tensor<S> where V == Tensor<S> {
        Tensor.rebuiltInput(k == 0 ? node.inputs.0 : node.inputs.1, of: segment.object, value: value)
    }
}

extension Tensor where Scalar: TensorScalar {
    /// The input behind `edge` of a node of `segment` as a tensor of the recorded interpretation,
    /// holding `value` (``BackwardContext/input(_:value:)``; wide nodes use it too).
    static func rebuiltInput(_ edge: Edge, of segment: Segment<Scalar>, value: DenseTensor<Scalar>) -> Tensor {
        guard edge.kind != .none, let graph = segment.graph else { return Tensor(data: value) }
        let owner = graph.segment(edge.segment)
        trapUnless(owner.generation == edge.generation, "the graph behind a saved value was freed")
        if edge.kind == .leaf { return owner.leaves[Int(edge.index)] }
        return Tensor(data: value, history: History(segment: owner, generation: edge.generation, index: edge.index,
                                                    op: owner.nodes[Int(edge.index)].pointee.op))
    }
}
