// + - * / between tensors (NumPy broadcasting) and with a scalar on either side, and negation.
// Derivatives of broadcast operands are summed back to the operand's shape.

// MARK: - a + b

enum Add: OpDefinition {
    static let name = "AddBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let operandCount = 2
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (c.first { c.grad.sum(toShape: c.shape0) }, c.second { c.grad.sum(toShape: c.shape1) })
    }
}

enum AddScalar: OpDefinition {
    static let name = "AddBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let operandCount = 2
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.grad, nil) }
}

extension Tensor where Scalar: TensorScalar {
    /// Elementwise sum, broadcasting (AddBackward0).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        recordKeepingShapes(Tensor.withData(a, b) { $0.binary(.add, $1) }, Add.self, a, b)
    }
    /// `a + s` for every element (AddBackward0).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func + (a: Tensor, s: Scalar) -> Tensor {
        record(a.withData { $0.binary(.add, scalar: s) }, AddScalar.self, a)
    }
    /// `s + a` for every element (AddBackward0).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func + (s: Scalar, a: Tensor) -> Tensor {
        record(a.withData { $0.binary(scalar: s, .add) }, AddScalar.self, a)
    }
}

// MARK: - a - b

enum Sub: OpDefinition {
    static let name = "SubBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let operandCount = 2
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (c.first { c.grad.sum(toShape: c.shape0) }, c.second { c.grad.sum(toShape: c.shape1).unary(.neg) })
    }
}

enum SubScalar: OpDefinition {
    static let name = "SubBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let operandCount = 2
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.grad, nil) }
}

/// `s - a`: PyTorch records `rsub(a, s)`.
enum RsubScalar: OpDefinition {
    static let name = "RsubBackward1"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.grad.unary(.neg), nil) }
}

extension Tensor where Scalar: TensorScalar {
    /// Elementwise difference, broadcasting (SubBackward0).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        recordKeepingShapes(Tensor.withData(a, b) { $0.binary(.sub, $1) }, Sub.self, a, b)
    }
    /// `a - s` for every element (SubBackward0).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func - (a: Tensor, s: Scalar) -> Tensor {
        record(a.withData { $0.binary(.sub, scalar: s) }, SubScalar.self, a)
    }
    /// `s - a` for every element (RsubBackward1).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func - (s: Scalar, a: Tensor) -> Tensor {
        record(a.withData { $0.binary(scalar: s, .sub) }, RsubScalar.self, a)
    }
}

// MARK: - a * b

enum Mul: OpDefinition {
    static let name = "MulBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let operandCount = 2
    /// `x * x` is recorded with one edge (see `backward`); PyTorch lists `x` twice.
    static func operandSlots(_ node: Node) -> [Int?]? {
        node.inputs.1.kind == .none && node.saved.0 >= 0 ? [0, 0] : nil
    }
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        // `x * x` (one input edge and `x` saved, see `*`): both products are g·x and go to one
        // place, so their sum is formed in one pass. (A product with one input edge saves only
        // the other factor, never its own input.)
        if c.node.inputs.1.kind == .none && c.node.saved.0 >= 0 {
            guard c.needs.0 else { return (nil, nil) }
            let (partial, x) = (c.takePartial0(), c.saved0)
            return (BackwardContext.adding(partial, to: c.gradBinary(.selfProductBackward, x)), nil)
        }
        // Mul adds what its inputs received so far itself, `partial + g·other` in one pass
        // instead of a product and then a sum: a whole pass over the data saved whenever a
        // factor is also used elsewhere (`a * b + a`).
        return (c.first { product(c, c.saved1, shape: c.inputShape0, partial: c.takePartial0()) },
                c.second { product(c, c.saved0, shape: c.inputShape1, partial: c.takePartial1()) })
    }

    /// `partial + g · other`, summed to `shape` when broadcast; one pass when nothing broadcasts.
    @inline(__always)
    private static func product<V>(_ c: BackwardContext<V>, _ other: V, shape: [Int], partial: V?) -> V {
        if let partial, c.grad.shape == other.shape, c.grad.shape == shape, partial.shape == shape {
            return c.grad.multiplied(by: other, adding: partial)
        }
        return BackwardContext.adding(partial, to: c.grad.binary(.mul, other).sum(toShape: shape))
    }
}

enum MulScalar: OpDefinition {
    static let name = "MulBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let operandCount = 2
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.gradBinary(.mul, scalar: c.scalar), nil) }
}

extension Tensor where Scalar: TensorScalar {
    /// Elementwise product, broadcasting (MulBackward0).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        if a === b {   // both edges lead to `a`: recorded with one input, the derivative sums both
            return record(a.withData { $0.binary(.mul, $0) }, Mul.self, a) { node, segment in node.saved.0 = segment.save(a.data) }
        }
        return record(Tensor.withData(a, b) { $0.binary(.mul, $1) }, Mul.self, product: a, b)
    }
    /// `a * s` for every element (MulBackward0).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func * (a: Tensor, s: Scalar) -> Tensor {
        record(a.withData { $0.binary(.mul, scalar: s) }, MulScalar.self, a, scalar: Double(s))
    }
    /// `s * a` for every element (MulBackward0).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func * (s: Scalar, a: Tensor) -> Tensor {
        record(a.withData { $0.binary(scalar: s, .mul) }, MulScalar.self, a, scalar: Double(s))
    }
}

// MARK: - a / b

enum Div: OpDefinition {
    static let name = "DivBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let operandCount = 2
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        // d(a/b)/db = -a / b², computed as PyTorch computes it, -g · ((a / b) / b): forming b²
        // first underflows or overflows where the result does not (Float a = b = 1e-30 gave
        // -inf for -1e30; b = 1e20 gave 0 for -1e-20). `a` is saved only for that one.
        let b = c.saved1
        return (c.first { c.grad.binary(.div, b).sum(toShape: c.inputShape0) },
                c.second { c.grad.binary(.mul, c.saved0.binary(.div, b).binary(.div, b)).unary(.neg).sum(toShape: b.shape) })
    }
}

enum DivScalar: OpDefinition {
    static let name = "DivBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let operandCount = 2
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.gradBinary(.div, scalar: c.scalar), nil) }
}

/// `s / a`: PyTorch computes `reciprocal(a) * s`, so the node it shows is the multiplication.
enum ScalarDiv: OpDefinition {
    static let name = "MulBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let operandCount = 2
    static let savesInputValues = false   // it saves the reciprocal
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        // d(s · r)/da with r = 1/a: -(g s) r²; `saved0` is r (recorded: `1 / a` again, below).
        let r = c.saved0
        return (c.grad.binary(.mul, scalar: c.scalar).binary(.mul, r.binary(.mul, r)).unary(.neg), nil)
    }

    /// The reciprocal as the node that made it, `1 / a` (this op with `s = 1`, saving it again).
    static func recordedSaved<S: TensorScalar>(_ value: DenseTensor<S>, input: Int, _ c: borrowing BackwardContext<Tensor<S>>) -> Tensor<S>? {
        Tensor.record(value, ScalarDiv.self, c.input(0, value: value), nil, Saved(tensors: (value, nil), scalar: 1))
    }
}

extension Tensor where Scalar: TensorScalar {
    /// Elementwise quotient, broadcasting (DivBackward0).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func / (a: Tensor, b: Tensor) -> Tensor {
        // Both derivatives divide by b; only b's reads a.
        record(Tensor.withData(a, b) { $0.binary(.div, $1) }, Div.self, a, b, .inputs(a, keeping: b.requiresGrad, b, keeping: true))
    }
    /// `a / s` for every element (DivBackward0).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func / (a: Tensor, s: Scalar) -> Tensor {
        record(a.withData { $0.binary(.div, scalar: s) }, DivScalar.self, a, scalar: Double(s))
    }
    /// `s / a` for every element (MulBackward0, as PyTorch computes `reciprocal(a) * s`).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func / (s: Scalar, a: Tensor) -> Tensor {
        let reciprocal = a.withData { $0.binary(scalar: 1, .div) }
        return record(reciprocal.binary(.mul, scalar: s), ScalarDiv.self, a, nil,
                      Saved(tensors: (reciprocal, nil), scalar: Double(s)))
    }
}

// MARK: - -a

enum Neg: OpDefinition {
    static let name = "NegBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.grad.unary(.neg), nil) }
}

extension Tensor where Scalar: TensorScalar {
    /// Elementwise negation (NegBackward0).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static prefix func - (a: Tensor) -> Tensor {
        record(a.withData { $0.unary(.neg) }, Neg.self, a)
    }
}
