import Arena

/// The one list of recorded ops. A node stores an op as its position here (``OpKind``, one byte);
/// all else about the op (its `grad_fn` name, forward, derivative, flags) is its definition's,
/// in its family file under `Ops/`. The order is only a numbering that lives as long as the
/// process: no number is written anywhere else.
///
/// A definition missing here keeps `OpKind.unnumbered`, and its node traps when its derivative or
/// name is looked up; one listed here that no test records fails `OpTableTests`.
enum OpTable {
    static let definitions: [any OpDefinition.Type] = numbering([
        // Arithmetic.swift
        Add.self, AddScalar.self, Sub.self, SubScalar.self, RsubScalar.self, Mul.self, MulScalar.self,
        Div.self, DivScalar.self, ScalarDiv.self, Neg.self,
        // Elementary.swift
        Pow.self, Exp.self, Log.self, Sqrt.self, Abs.self, ReluOp.self, ThresholdBackward.self, SigmoidOp.self, TanhOp.self,
        // Reduction.swift
        Sum.self, SumDim.self, Mean.self, MeanDim.self, MaxAll.self, MaxDim.self,
        // ShapeOps.swift
        Reshape.self, T.self, Transpose.self, Unsqueeze.self, Expand.self,
        // MatMul.swift, Softmax.swift, Loss.swift, LinearOp.swift
        Mm.self, Mv.self, SoftmaxOp.self, LogSoftmaxOp.self, CrossEntropy.self, MseLoss.self,
        LinearOp.self, LinearBias.self, LinearMm.self,
        // Overwrite.swift
        Fill.self, Zero.self, Copy.self,
        // Joining.swift
        Cat.self, Stack.self, Split.self, SplitWithSizes.self, Unbind.self,
        // CopySlices.swift
        CopySlices.self, AsStrided.self,
        // ViewOps.swift
        Permute.self, Squeeze.self, SqueezeDim.self, ReshapeAlias.self, UnsafeView.self, Select.self,
        Slice.self, Clone.self,
        // Subscripts.swift
        Alias.self, FillTensor.self,
        // Conversion.swift
        ToCopy.self,
        // Gathering.swift, Masking.swift, AdvancedIndexing.swift
        IndexSelect.self, Gather.self, ScatterAdd.self, MaskedFill.self, Where.self, IndexOp.self,
        IndexPut.self,
        // Pointwise.swift
        Log1P.self, Expm1.self, Sin.self, Cos.self, Sign.self, Rsqrt.self, Reciprocal.self, Erf.self, Clamp.self,
        LeakyRelu.self, Gelu.self, Silu.self, Softplus.self, Elu.self, PowTensor.self, Maximum.self, Minimum.self,
        // Reductions+Statistics.swift
        MinAll.self, MinDim.self, SumDims.self, MeanDims.self, Prod.self, Var.self, Std.self, VectorNorm.self,
        LogSumExp.self, Cumsum.self,
        // Losses.swift
        NllLoss.self, BinaryCrossEntropy.self, BinaryCrossEntropyWithLogits.self, HuberLoss.self, SmoothL1Loss.self,
        // CustomFunction.swift
        CustomFunctionOp.self,
        // Products.swift, Embedding.swift, Normalization.swift (products-norm)
        Dot.self, Bmm.self, SqueezeInPlace.self, EmbeddingOp.self, NativeLayerNorm.self, NativeBatchNorm.self,
        // Convolution.swift, Pooling.swift
        Convolution.self, ConvolutionBias.self, ConvolutionInputGradient.self, ConvolutionWeightGradient.self,
        MaxPool2D.self, AvgPool2D.self, AvgPool2DBackward.self,
        // Attention.swift
        SafeSoftmax.self, ScaledDotProductAttention.self,
    ])

    /// Writes each definition's `kind`, its position in `list`.
    private static func numbering(_ list: [any OpDefinition.Type]) -> [any OpDefinition.Type] {
        trapUnless(list.count < Int(OpKind.unnumbered.index), "OpTable.definitions has \(list.count) ops: a node stores the op in one byte")
        for (i, definition) in list.enumerated() {
            trapUnless(definition.kind == .unnumbered, "\(definition) is listed twice in OpTable.definitions")
            definition.kind = OpKind(index: i)
        }
        return list
    }
}

/// A recorded op as a node stores it: its position in ``OpTable/definitions``.
struct OpKind: Hashable, Sendable, CaseIterable, CustomStringConvertible {
    let index: UInt8

    /// The kind of `definition`, for code that may run before any thread has recorded (tests):
    /// it reads the table first, which numbers the ops.
    init(_ definition: any OpDefinition.Type) {
        _ = OpTable.definitions
        trapUnless(definition.kind != .unnumbered, "\(definition) is not in OpTable.definitions: add it there (Ops/OpTable.swift)")
        self = definition.kind
    }

    fileprivate init(index: Int) { self.index = UInt8(index) }

    /// A definition's `kind` before the table numbered it, and ever after when it is not listed.
    static let unnumbered = OpKind(index: 255)

    static var allCases: [OpKind] { OpTable.definitions.indices.map(OpKind.init(index:)) }

    var definition: any OpDefinition.Type { definition(in: OpTable.definitions) }

    /// The definition, `definitions` being `OpTable.definitions` read by the caller: the sweep
    /// reads the global once, not at every node (each read of it is a `swift_once` call on Linux).
    @inline(__always)
    func definition(in definitions: [any OpDefinition.Type]) -> any OpDefinition.Type {
        trapUnless(Int(index) < definitions.count,
                   "a node records an op that is not in OpTable.definitions: add its definition there (Ops/OpTable.swift)")
        return definitions[Int(index)]
    }

    var name: String { definition.name }

    /// The definition's type name (`Mul`), for test messages.
    var description: String { "\(definition)" }

    /// The `grad_fn` PyTorch reports for an output of this op once its storage was changed in
    /// place: a view's is regenerated as `AsStridedBackward0` (PyTorch 2.11, checked by the
    /// errors fixture).
    var reportedName: String { definition.isView ? "AsStridedBackward0" : name }

    /// Runs the op's derivative, through the definition's witness for the element type
    /// (`OpDefinition.floatBackward`): an indirect call straight into the specialized derivative,
    /// where a closure stored in an array would be reabstracted and retained around each call.
    /// The casts are no-ops in the sweep's Float and Double specializations.
    @inline(__always)
    func backward<S: TensorScalar>(
        _ c: consuming BackwardContext<DenseTensor<S>>, definitions: [any OpDefinition.Type]
    ) -> InputGrads<S> {
        let definition = definition(in: definitions)
        if S.self == Float.self {
            return definition.floatBackward(c as! BackwardContext<DenseTensor<Float>>) as! InputGrads<S>
        }
        if S.self == Double.self {
            return definition.doubleBackward(c as! BackwardContext<DenseTensor<Double>>) as! InputGrads<S>
        }
        return definition.backward(c)
    }
}
