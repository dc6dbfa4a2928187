/// Every recorded operation. The node stores one of these (one byte); the op's definition, in
/// its family file, gives its name and derivative. A test walks `allCases` and requires a
/// golden or gradcheck case for each, so an op cannot be added half-way.
enum OpKind: UInt8, CaseIterable, Sendable {
    case add, addScalar, sub, subScalar, rsubScalar, mul, mulScalar, div, divScalar, scalarDiv, neg
    case pow, exp, log, sqrt, abs, relu, sigmoid, tanh
    case sum, sumDim, mean, meanDim, max, maxDim
    case reshape, t, transpose, unsqueeze, expand
    case mm, mv, softmax, logSoftmax, crossEntropy, mseLoss, linear, linearBias
    case fill, zero, copy
    case cat, stack, split, splitWithSizes, unbind
    case copySlices, asStrided
    case permute, squeeze, squeezeDim, reshapeAlias, unsafeView, select, slice, clone
    case alias, fillTensor
    case toCopy
    case indexSelect, gather, scatterAdd, maskedFill, `where`, index, indexPut

    /// The op's definition (the one switch over op kinds: everything else goes through here).
    var definition: any OpDefinition.Type {
        switch self {
        case .add: Add.self
        case .addScalar: AddScalar.self
        case .sub: Sub.self
        case .subScalar: SubScalar.self
        case .rsubScalar: RsubScalar.self
        case .mul: Mul.self
        case .mulScalar: MulScalar.self
        case .div: Div.self
        case .divScalar: DivScalar.self
        case .scalarDiv: ScalarDiv.self
        case .neg: Neg.self
        case .pow: Pow.self
        case .exp: Exp.self
        case .log: Log.self
        case .sqrt: Sqrt.self
        case .abs: Abs.self
        case .relu: ReluOp.self
        case .sigmoid: SigmoidOp.self
        case .tanh: TanhOp.self
        case .sum: Sum.self
        case .sumDim: SumDim.self
        case .mean: Mean.self
        case .meanDim: MeanDim.self
        case .max: MaxAll.self
        case .maxDim: MaxDim.self
        case .reshape: Reshape.self
        case .t: T.self
        case .transpose: Transpose.self
        case .unsqueeze: Unsqueeze.self
        case .expand: Expand.self
        case .mm: Mm.self
        case .mv: Mv.self
        case .softmax: SoftmaxOp.self
        case .logSoftmax: LogSoftmaxOp.self
        case .crossEntropy: CrossEntropy.self
        case .mseLoss: MseLoss.self
        case .linear: LinearOp.self
        case .linearBias: LinearBias.self
        case .fill: Fill.self
        case .zero: Zero.self
        case .copy: Copy.self
        case .cat: Cat.self
        case .stack: Stack.self
        case .split: Split.self
        case .splitWithSizes: SplitWithSizes.self
        case .unbind: Unbind.self
        case .copySlices: CopySlices.self
        case .asStrided: AsStrided.self
        case .permute: Permute.self
        case .squeeze: Squeeze.self
        case .squeezeDim: SqueezeDim.self
        case .reshapeAlias: ReshapeAlias.self
        case .unsafeView: UnsafeView.self
        case .select: Select.self
        case .slice: Slice.self
        case .clone: Clone.self
        case .alias: Alias.self
        case .fillTensor: FillTensor.self
        case .toCopy: ToCopy.self
        case .indexSelect: IndexSelect.self
        case .gather: Gather.self
        case .scatterAdd: ScatterAdd.self
        case .maskedFill: MaskedFill.self
        case .where: Where.self
        case .index: IndexOp.self
        case .indexPut: IndexPut.self
        }
    }

    var name: String { definition.name }

    /// The `grad_fn` PyTorch reports for an output of this op once its storage was changed in
    /// place: a view's is regenerated as `AsStridedBackward0` (PyTorch 2.11, checked by the
    /// errors fixture).
    var reportedName: String { definition.isView ? "AsStridedBackward0" : name }

    /// Whether the values the node saved are its inputs' own (at the positions of their edges),
    /// not its output or something it computed (a reciprocal, log-probabilities): only such a
    /// value belongs to the tensor behind the edge, for the check of a detached saved tensor.
    /// (mseLoss keeps its input's difference to the target where PyTorch keeps the input itself:
    /// counted as the input's, so that it fails where PyTorch's does.)
    var savesInputValues: Bool { !definition.savesOutput && self != .scalarDiv && self != .crossEntropy }

    /// Whether the derivative adds its inputs' partial gradients itself (`BackwardContext.partials`).
    /// The product's does: `partial + g·b` in one pass instead of a product and then a sum, a
    /// whole pass over the data saved whenever a factor is also used elsewhere (`a * b + a`).
    var fusesAccumulation: Bool { self == .mul }

    /// Runs the op's derivative. A switch rather than a call through `definition`: the sweep is
    /// specialized for the scalar type, and so is each derivative called from here, whereas a
    /// call through the existential would look up generic metadata at every node.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    func backward<S: TensorScalar>(_ c: consuming BackwardContext<DenseTensor<S>>) -> InputGrads<S> {
        switch self {
        case .add: Add.backward(consume c)
        case .addScalar: AddScalar.backward(consume c)
        case .sub: Sub.backward(consume c)
        case .subScalar: SubScalar.backward(consume c)
        case .rsubScalar: RsubScalar.backward(consume c)
        case .mul: Mul.backward(consume c)
        case .mulScalar: MulScalar.backward(consume c)
        case .div: Div.backward(consume c)
        case .divScalar: DivScalar.backward(consume c)
        case .scalarDiv: ScalarDiv.backward(consume c)
        case .neg: Neg.backward(consume c)
        case .pow: Pow.backward(consume c)
        case .exp: Exp.backward(consume c)
        case .log: Log.backward(consume c)
        case .sqrt: Sqrt.backward(consume c)
        case .abs: Abs.backward(consume c)
        case .relu: ReluOp.backward(consume c)
        case .sigmoid: SigmoidOp.backward(consume c)
        case .tanh: TanhOp.backward(consume c)
        case .sum: Sum.backward(consume c)
        case .sumDim: SumDim.backward(consume c)
        case .mean: Mean.backward(consume c)
        case .meanDim: MeanDim.backward(consume c)
        case .max: MaxAll.backward(consume c)
        case .maxDim: MaxDim.backward(consume c)
        case .reshape: Reshape.backward(consume c)
        case .t: T.backward(consume c)
        case .transpose: Transpose.backward(consume c)
        case .unsqueeze: Unsqueeze.backward(consume c)
        case .expand: Expand.backward(consume c)
        case .mm: Mm.backward(consume c)
        case .mv: Mv.backward(consume c)
        case .softmax: SoftmaxOp.backward(consume c)
        case .logSoftmax: LogSoftmaxOp.backward(consume c)
        case .crossEntropy: CrossEntropy.backward(consume c)
        case .mseLoss: MseLoss.backward(consume c)
        case .linear: LinearOp.backward(consume c)
        case .linearBias: LinearBias.backward(consume c)
        case .fill: Fill.backward(consume c)
        case .zero: Zero.backward(consume c)
        case .copy: Copy.backward(consume c)
        case .cat: Cat.backward(consume c)
        case .stack: Stack.backward(consume c)
        case .split: Split.backward(consume c)
        case .splitWithSizes: SplitWithSizes.backward(consume c)
        case .unbind: Unbind.backward(consume c)
        case .copySlices: CopySlices.backward(consume c)
        case .asStrided: AsStrided.backward(consume c)
        case .permute: Permute.backward(consume c)
        case .squeeze: Squeeze.backward(consume c)
        case .squeezeDim: SqueezeDim.backward(consume c)
        case .reshapeAlias: ReshapeAlias.backward(consume c)
        case .unsafeView: UnsafeView.backward(consume c)
        case .select: Select.backward(consume c)
        case .slice: Slice.backward(consume c)
        case .clone: Clone.backward(consume c)
        case .alias: Alias.backward(consume c)
        case .fillTensor: FillTensor.backward(consume c)
        case .toCopy: ToCopy.backward(consume c)
        case .indexSelect: IndexSelect.backward(consume c)
        case .gather: Gather.backward(consume c)
        case .scatterAdd: ScatterAdd.backward(consume c)
        case .maskedFill: MaskedFill.backward(consume c)
        case .where: Where.backward(consume c)
        case .index: IndexOp.backward(consume c)
        case .indexPut: IndexPut.backward(consume c)
        }
    }
}
