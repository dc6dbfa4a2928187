// Elementwise functions of one tensor. Where the derivative is cheaper from the output
// (exp, sqrt, sigmoid, tanh, relu), the node saves the output, as PyTorch does.

// MARK: - pow

enum Pow: OpDefinition {
    static let name = "PowBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (c.saved0.powBackward(grad: c.grad, exponent: c.scalar), nil)   // p · x^(p-1) · g
    }
}

extension Tensor where Scalar: TensorScalar {
    /// `self ** exponent`, elementwise (PowBackward0).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func pow(_ exponent: Scalar) -> Tensor {
        Tensor.record(withData { $0.pow(exponent) }, Pow.self, self, nil, Saved(tensors: (data, nil), scalar: Double(exponent)))
    }
}

// MARK: - exp, log, sqrt

enum Exp: OpDefinition {
    static let name = "ExpBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let savesOutput = true
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.gradBinary(.mul, c.saved0), nil) }  // g · eˣ
}

enum Log: OpDefinition {
    static let name = "LogBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.gradBinary(.div, c.saved0), nil) }  // g / x
}

enum Sqrt: OpDefinition {
    static let name = "SqrtBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let savesOutput = true
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.gradBinary(.sqrtBackward, c.saved0), nil) }  // g / 2√x
}

extension Tensor where Scalar: TensorScalar {
    /// `eˣ`, elementwise (ExpBackward0).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func exp() -> Tensor {
        let y = withData { $0.unary(.exp) }
        return Tensor.record(y, Exp.self, self, nil, Saved(tensors: (y, nil)))
    }
    /// The natural logarithm, elementwise (LogBackward0); `-inf` at 0 and NaN below, as PyTorch.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func log() -> Tensor {
        Tensor.record(withData { $0.unary(.log) }, Log.self, self, nil, Saved(tensors: (data, nil)))
    }
    /// The square root, elementwise (SqrtBackward0).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func sqrt() -> Tensor {
        let y = withData { $0.unary(.sqrt) }
        return Tensor.record(y, Sqrt.self, self, nil, Saved(tensors: (y, nil)))
    }
}

// MARK: - abs, relu

enum Abs: OpDefinition {
    static let name = "AbsBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.grad.binary(.absBackward, c.saved0), nil) }  // g · sign(x)
}

enum ReluOp: OpDefinition {
    static let name = "ReluBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let savesOutput = true
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.grad.binary(.reluBackward, c.saved0), nil) }  // y <= 0 ? 0 : g (g at NaN)
}

/// ReLU's derivative, recorded (the recorded interpretation's `reluBackward`): `g` where the
/// relu's output `y` is above 0 (or NaN), else 0, as PyTorch's `threshold_backward`, whose node
/// it is under `createGraph`. One fused kernel each way, where a comparison and a masked fill
/// took five passes and an index list (a Hessian-vector product of mlp-small spent a third of
/// its time there). Its own derivative is itself for `g`, and nothing for `y`, whose gradient
/// PyTorch defines as zeros.
enum ThresholdBackward: OpDefinition {
    static let name = "ThresholdBackwardBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let operandCount = 2
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (c.first { c.grad.binary(.reluBackward, c.saved1) }, nil)
    }
}

extension Tensor where Scalar: TensorScalar {
    /// `g` where `y > 0` or NaN, else 0 (ThresholdBackwardBackward0), this tensor being `g`.
    func thresholdBackward(_ y: Tensor) -> Tensor {
        Tensor.record(withData { $0.binary(.reluBackward, y.data) }, ThresholdBackward.self, self, y,
                      Saved(tensors: (nil, y.data)))
    }
}

extension Tensor where Scalar: TensorScalar {
    /// `|x|`, elementwise (AbsBackward0). The derivative at 0 is 0, as in PyTorch.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func abs() -> Tensor {
        Tensor.record(withData { $0.unary(.abs) }, Abs.self, self, nil, Saved(tensors: (data, nil)))
    }
    /// `max(x, 0)`, elementwise (ReluBackward0). The derivative at 0 is 0, as in PyTorch.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func relu() -> Tensor {
        let y = withData { $0.unary(.relu) }
        return Tensor.record(y, ReluOp.self, self, nil, Saved(tensors: (y, nil)))
    }
}

// MARK: - sigmoid, tanh

enum SigmoidOp: OpDefinition {
    static let name = "SigmoidBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let savesOutput = true
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.gradBinary(.sigmoidBackward, c.saved0), nil) }  // g · y(1 - y)
}

enum TanhOp: OpDefinition {
    static let name = "TanhBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let savesOutput = true
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.gradBinary(.tanhBackward, c.saved0), nil) }  // g · (1 - y²)
}

extension Tensor where Scalar: TensorScalar {
    /// `1 / (1 + e⁻ˣ)`, elementwise (SigmoidBackward0).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func sigmoid() -> Tensor {
        let y = withData { $0.unary(.sigmoid) }
        return Tensor.record(y, SigmoidOp.self, self, nil, Saved(tensors: (y, nil)))
    }
    /// The hyperbolic tangent, elementwise (TanhBackward0).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func tanh() -> Tensor {
        let y = withData { $0.unary(.tanh) }
        return Tensor.record(y, TanhOp.self, self, nil, Saved(tensors: (y, nil)))
    }
}
