/// Every recorded operation. The node stores one of these (one byte); the op's definition, in
/// its family file, gives its name and derivative. A test walks `allCases` and requires a
/// golden or gradcheck case for each, so an op cannot be added half-way.
enum OpKind: UInt8, CaseIterable, Sendable {
    case add, addScalar, sub, subScalar, rsubScalar, mul, mulScalar, div, divScalar, scalarDiv, neg
    case pow, exp, log, sqrt, abs, relu, sigmoid, tanh
    case sum, sumDim, mean, meanDim, max, maxDim
    case reshape, t, transpose, unsqueeze, expand
    case mm, mv, softmax, logSoftmax, crossEntropy, mseLoss, linear, linearBias

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
        }
    }

    var name: String { definition.name }

    /// Whether the derivative adds its inputs' partial gradients itself (`BackwardContext.partials`).
    /// The product's does: `partial + g·b` in one pass instead of a product and then a sum, a
    /// whole pass over the data saved whenever a factor is also used elsewhere (`a * b + a`).
    var fusesAccumulation: Bool { self == .mul }

    /// Runs the op's derivative. A switch rather than a call through `definition`: the sweep is
    /// specialized for the scalar type, and so is each derivative called from here, whereas a
    /// call through the existential would look up generic metadata at every node.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    func backward<S: TensorScalar>(_ c: BackwardContext<S>) -> InputGrads<S> {
        switch self {
        case .add: Add.backward(c)
        case .addScalar: AddScalar.backward(c)
        case .sub: Sub.backward(c)
        case .subScalar: SubScalar.backward(c)
        case .rsubScalar: RsubScalar.backward(c)
        case .mul: Mul.backward(c)
        case .mulScalar: MulScalar.backward(c)
        case .div: Div.backward(c)
        case .divScalar: DivScalar.backward(c)
        case .scalarDiv: ScalarDiv.backward(c)
        case .neg: Neg.backward(c)
        case .pow: Pow.backward(c)
        case .exp: Exp.backward(c)
        case .log: Log.backward(c)
        case .sqrt: Sqrt.backward(c)
        case .abs: Abs.backward(c)
        case .relu: ReluOp.backward(c)
        case .sigmoid: SigmoidOp.backward(c)
        case .tanh: TanhOp.backward(c)
        case .sum: Sum.backward(c)
        case .sumDim: SumDim.backward(c)
        case .mean: Mean.backward(c)
        case .meanDim: MeanDim.backward(c)
        case .max: MaxAll.backward(c)
        case .maxDim: MaxDim.backward(c)
        case .reshape: Reshape.backward(c)
        case .t: T.backward(c)
        case .transpose: Transpose.backward(c)
        case .unsqueeze: Unsqueeze.backward(c)
        case .expand: Expand.backward(c)
        case .mm: Mm.backward(c)
        case .mv: Mv.backward(c)
        case .softmax: SoftmaxOp.backward(c)
        case .logSoftmax: LogSoftmaxOp.backward(c)
        case .crossEntropy: CrossEntropy.backward(c)
        case .mseLoss: MseLoss.backward(c)
        case .linear: LinearOp.backward(c)
        case .linearBias: LinearBias.backward(c)
        }
    }
}
