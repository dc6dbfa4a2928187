import Arena
import TensorCore

// Elementwise functions beyond Elementary.swift (API.md Part two, "More operations"): one
// forward kernel each (`DenseTensor.pointwise`, TensorCore's DenseTensor+Pointwise.swift) and
// one fused derivative kernel (`pointwiseBackward`) for the plain sweep; the recorded
// interpretation of each derivative, at the bottom of this file, is PyTorch's formula in
// recorded public ops. A node keeps the value its derivative reads (the input, or the output
// for expm1, rsqrt and reciprocal, as PyTorch saves `result`) and up to two parameters (`scalar`
// and `scalar2`).

// MARK: - The definitions

/// An op computing one ``PointwiseOp``: its derivative is that function's, with the parameters
/// its node keeps.
protocol PointwiseDefinition: OpDefinition {
    /// The function the node computed, from the parameters it keeps.
    static func function(_ node: Node) -> PointwiseOp
}

extension PointwiseDefinition {
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        let op = function(c.node)
        let saved = c.saved0
        return (c.gradPointwise(op, saved), nil)
    }
}

extension BackwardContext {
    /// `op`'s derivative of `grad`, written over the gradient's buffer when the sweep owns it
    /// (as ``gradBinary(_:_:)``). Consuming, so that the gradient moves through unretained.
    @inline(__always)
    consuming func gradPointwise(_ op: PointwiseOp, _ saved: V) -> V {
        saved.pointwiseBackward(op, grad: grad, overwriting: ownsGrad)
    }
}

enum Log1P: PointwiseDefinition {
    static let name = "Log1PBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static func function(_ node: Node) -> PointwiseOp { .log1p }   // g / (x + 1)
}

enum Expm1: PointwiseDefinition {
    static let name = "Expm1Backward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let savesOutput = true
    static func function(_ node: Node) -> PointwiseOp { .expm1 }   // g · (y + 1)
}

enum Sin: PointwiseDefinition {
    static let name = "SinBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static func function(_ node: Node) -> PointwiseOp { .sin }   // g · cos x
}

enum Cos: PointwiseDefinition {
    static let name = "CosBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static func function(_ node: Node) -> PointwiseOp { .cos }   // g · −sin x
}

enum Rsqrt: PointwiseDefinition {
    static let name = "RsqrtBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let savesOutput = true
    static func function(_ node: Node) -> PointwiseOp { .rsqrt }   // −g/2 · y³
}

enum Reciprocal: PointwiseDefinition {
    static let name = "ReciprocalBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let savesOutput = true
    static func function(_ node: Node) -> PointwiseOp { .reciprocal }   // −g · y²
}

enum Erf: PointwiseDefinition {
    static let name = "ErfBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static func function(_ node: Node) -> PointwiseOp { .erf }   // 2/√π · e^(−x²) · g
}

enum Clamp: PointwiseDefinition {
    static let name = "ClampBackward1"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static func function(_ node: Node) -> PointwiseOp { .clamp(min: node.scalar, max: node.scalar2) }   // min ≤ x ≤ max ? g : 0
}

enum LeakyRelu: PointwiseDefinition {
    static let name = "LeakyReluBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static func function(_ node: Node) -> PointwiseOp { .leakyRelu(slope: node.scalar) }   // x > 0 ? g : g · slope
}

enum Gelu: PointwiseDefinition {
    static let name = "GeluBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static func function(_ node: Node) -> PointwiseOp { .gelu(tanh: node.scalar != 0) }   // g · (Φ(x) + x φ(x))
}

enum Silu: PointwiseDefinition {
    static let name = "SiluBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static func function(_ node: Node) -> PointwiseOp { .silu }   // g · s (1 + x (1 − s)), s = σ(x)
}

enum Softplus: PointwiseDefinition {
    static let name = "SoftplusBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static func function(_ node: Node) -> PointwiseOp { .softplus(beta: node.scalar, threshold: node.scalar2) }   // g · σ(βx) below the threshold
}

enum Elu: PointwiseDefinition {
    static let name = "EluBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static func function(_ node: Node) -> PointwiseOp { .elu(alpha: node.scalar) }   // x ≤ 0 ? g · α eˣ : g
}

enum Sign: OpDefinition {
    static let name = "SignBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    /// `zeros_like(grad)`, as PyTorch: the input's gradient is zeros, not none.
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.grad.zerosLike(), nil) }
}

/// An op computing one ``BinaryPointwiseOp`` of two broadcasting tensors; the node keeps both
/// inputs.
protocol BinaryPointwiseDefinition: OpDefinition {
    static var function: BinaryPointwiseOp { get }
}

extension BinaryPointwiseDefinition {
    static var operandCount: Int { 2 }
}

extension BinaryPointwiseDefinition {
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        let a = c.saved0, b = c.saved1
        return (c.first { a.pointwiseBackward(function, input: 0, grad: c.grad, other: b).sum(toShape: a.shape) },
                c.second { a.pointwiseBackward(function, input: 1, grad: c.grad, other: b).sum(toShape: b.shape) })
    }
}

enum PowTensor: BinaryPointwiseDefinition {
    static let name = "PowBackward1"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static var function: BinaryPointwiseOp { .pow }
}

enum Maximum: BinaryPointwiseDefinition {
    static let name = "MaximumBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static var function: BinaryPointwiseOp { .maximum }
}

enum Minimum: BinaryPointwiseDefinition {
    static let name = "MinimumBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static var function: BinaryPointwiseOp { .minimum }
}

extension Node {
    /// A second parameter (clamp's max, softplus's threshold), kept in the bits of `dim` and
    /// `dim2`, which a pointwise op has no use for.
    var scalar2: Double {
        get { Double(bitPattern: UInt64(UInt32(bitPattern: dim)) << 32 | UInt64(UInt32(bitPattern: dim2))) }
        set {
            dim = Int32(bitPattern: UInt32(truncatingIfNeeded: newValue.bitPattern >> 32))
            dim2 = Int32(bitPattern: UInt32(truncatingIfNeeded: newValue.bitPattern))
        }
    }
}

// MARK: - The forwards

extension Tensor where Scalar: TensorScalar {
    /// `op` of every element, recorded as `definition` with the value its derivative reads and
    /// the parameters `p0`, `p1`.
    @inline(__always)
    func pointwise<Op: OpDefinition>(_ op: PointwiseOp, _ definition: Op.Type, _ p0: Double = 0, _ p1: Double = 0) -> Tensor {
        let y = withData { $0.pointwise(op) }
        let kept = op.derivativeReadsOutput ? y : data
        return Tensor.record(y, definition, self, nil) { node, segment in
            if definition != Sign.self { node.saved.0 = segment.save(kept) }
            node.scalar = p0
            node.scalar2 = p1
        }
    }

    /// `log(1 + x)`, elementwise (PyTorch's `log1p`, Log1PBackward0), accurate near 0;
    /// `-1` gives `-inf`, below it NaN.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func log1p() -> Tensor { pointwise(.log1p, Log1P.self) }

    /// `eˣ − 1`, elementwise (PyTorch's `expm1`, Expm1Backward0), accurate near 0; `-inf` gives `-1`.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func expm1() -> Tensor { pointwise(.expm1, Expm1.self) }

    /// The sine, elementwise (PyTorch's `sin`, SinBackward0); `±inf` gives NaN.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func sin() -> Tensor { pointwise(.sin, Sin.self) }

    /// The cosine, elementwise (PyTorch's `cos`, CosBackward0); `±inf` gives NaN.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func cos() -> Tensor { pointwise(.cos, Cos.self) }

    /// `-1`, `0` or `1` by the sign of each element (PyTorch's `sign`, SignBackward0): `±0` and
    /// NaN give 0, as in PyTorch. The gradient is zeros.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func sign() -> Tensor { pointwise(.sign, Sign.self) }

    /// `1 / √x`, elementwise (PyTorch's `rsqrt`, RsqrtBackward0): `±0` gives `±inf`, a negative
    /// input NaN.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func rsqrt() -> Tensor { pointwise(.rsqrt, Rsqrt.self) }

    /// `1 / x`, elementwise (PyTorch's `reciprocal`, ReciprocalBackward0): `±0` gives `±inf`.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func reciprocal() -> Tensor { pointwise(.reciprocal, Reciprocal.self) }

    /// The error function, elementwise (PyTorch's `erf`, ErfBackward0); `±inf` gives `±1`.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func erf() -> Tensor { pointwise(.erf, Erf.self) }

    /// `x²`, elementwise (PyTorch's `square`, which is `pow(x, 2)`: PowBackward0).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func square() -> Tensor { pow(2) }

    /// Each element limited to `[min, max]` (PyTorch's `clamp`, ClampBackward1); either bound may
    /// be `nil`, not both (that traps with PyTorch's message). NaN stays NaN; where `min > max`,
    /// every element is `max`, as in PyTorch. The gradient passes where `min ≤ x ≤ max` (at the
    /// bounds too), and is 0 elsewhere and at NaN.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func clamped(min: Scalar? = nil, max: Scalar? = nil) -> Tensor {
        trapUnless(min != nil || max != nil, "torch.clamp: At least one of 'min' or 'max' must not be None")
        let lo = min.map(Double.init) ?? -.infinity, hi = max.map(Double.init) ?? .infinity
        return pointwise(.clamp(min: lo, max: hi), Clamp.self, lo, hi)
    }

    /// `x > 0 ? x : x · negativeSlope`, elementwise (PyTorch's `leaky_relu`, LeakyReluBackward0;
    /// default slope 0.01). The derivative at 0 (and at NaN) is the slope, as in PyTorch.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func leakyRelu(negativeSlope: Scalar = 0.01) -> Tensor {
        pointwise(.leakyRelu(slope: Double(negativeSlope)), LeakyRelu.self, Double(negativeSlope))
    }

    /// The Gaussian error linear unit, `x · Φ(x)`, elementwise (PyTorch's `gelu`, GeluBackward0);
    /// `approximate: true` is PyTorch's `approximate='tanh'`,
    /// `x/2 · (1 + tanh(√(2/π) (x + 0.044715 x³)))`. `-inf` gives NaN (`-inf · 0`), as in PyTorch.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func gelu(approximate: Bool = false) -> Tensor {
        pointwise(.gelu(tanh: approximate), Gelu.self, approximate ? 1 : 0)
    }

    /// `x · σ(x)`, elementwise (PyTorch's `silu`, SiluBackward0); `-inf` gives NaN, as in PyTorch.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func silu() -> Tensor { pointwise(.silu, Silu.self) }

    /// `log(1 + e^(βx)) / β`, elementwise, and `x` itself where `βx > threshold` (PyTorch's
    /// `softplus`, SoftplusBackward0; defaults β = 1, threshold = 20).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func softplus(beta: Scalar = 1, threshold: Scalar = 20) -> Tensor {
        pointwise(.softplus(beta: Double(beta), threshold: Double(threshold)), Softplus.self, Double(beta), Double(threshold))
    }

    /// `x` above 0, `α (eˣ − 1)` at and below it, elementwise (PyTorch's `elu`, EluBackward0;
    /// default α = 1). The derivative at 0 is α, as in PyTorch; `-inf` gives `-α`.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func elu(alpha: Scalar = 1) -> Tensor {
        pointwise(.elu(alpha: Double(alpha)), Elu.self, Double(alpha))
    }

    /// `self ** exponent`, elementwise with broadcasting (PyTorch's `pow(Tensor, Tensor)`,
    /// PowBackward1). C's `pow` cases: `0⁰ = 1`, a negative base with a non-integral exponent
    /// gives NaN. The base's gradient is 0 where the exponent is 0; the exponent's is 0 where the
    /// base is 0 and the exponent ≥ 0, as in PyTorch. Traps with PyTorch's message when the
    /// shapes don't broadcast.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func pow(_ exponent: Tensor) -> Tensor { Tensor.pointwise(.pow, PowTensor.self, self, exponent) }

    /// The larger of `a` and `b` at each position, with broadcasting (PyTorch's `torch.maximum`,
    /// MaximumBackward0); NaN where either is NaN. At a tie each gets half the gradient; where
    /// either is NaN, both get all of it, as in PyTorch.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor { pointwise(.maximum, Maximum.self, a, b) }

    /// The smaller of `a` and `b` at each position, with broadcasting (PyTorch's `torch.minimum`,
    /// MinimumBackward0); NaN where either is NaN. Ties split the gradient as ``maximum(_:_:)``.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func minimum(_ a: Tensor, _ b: Tensor) -> Tensor { pointwise(.minimum, Minimum.self, a, b) }

    @inline(__always)
    static func pointwise<Op: OpDefinition>(_ op: BinaryPointwiseOp, _ definition: Op.Type, _ a: Tensor, _ b: Tensor) -> Tensor {
        let value = withData(a, b) { $0.pointwise(op, $1) }
        return record(value, definition, a, b, Saved(tensors: (a.data, b.data)))
    }
}

// MARK: - The recorded interpretation

extension Tensor where Scalar: TensorScalar {
    /// `pointwiseBackward` as recorded ops (Note [Two interpretations of a derivative]):
    /// derivatives.yaml's formulas. Where PyTorch's kernel divides overflowing values
    /// (softplus's `z / (z + 1)`) or multiplies a branch `where` drops by `inf` (elu's `eˣ` above
    /// 0), the recorded form is one that is equal where it is used and finite elsewhere
    /// (`σ(βx)`, `e^min(x, 0)`), so that its own derivative has no `0 · inf`.
    func pointwiseBackward(_ op: PointwiseOp, grad: consuming Tensor, overwriting: Bool) -> Tensor {
        let x = self   // the output for expm1, rsqrt and reciprocal
        switch op {
        case .log1p: return grad / (x + 1)
        case .expm1: return grad * (x + 1)
        case .sin: return grad * x.cos()
        case .cos: return grad * -x.sin()
        case .sign: return grad.zerosLike()
        case .rsqrt: return (grad * -0.5) * x.pow(3)
        case .reciprocal: return -grad * (x * x)
        case .erf: return (-x.pow(2)).exp() * Scalar(2 / Double.pi.squareRoot()) * grad
        case let .clamp(lo, hi): return grad.maskedFill(.!((x .>= Scalar(lo)) .& (x .<= Scalar(hi))), with: 0)
        case let .leakyRelu(slope): return Tensor.where(x .> 0, grad, grad * Scalar(slope))
        case .gelu(tanh: false):
            let cdf = ((x * Scalar(0.5.squareRoot())).erf() + 1) * 0.5
            let pdf = (x * x * -0.5).exp() * Scalar(2 / Double.pi.squareRoot() * 0.5.squareRoot() * 0.5)
            return grad * (cdf + x * pdf)
        case .gelu(tanh: true):
            let kBeta = Scalar(2.0.squareRoot() * (2 / Double.pi.squareRoot()) * 0.5), kKappa = Scalar(0.044715)
            let squared = x * x
            let t = ((x + squared * x * kKappa) * kBeta).tanh()
            let innerDerivative = (squared * (3 * kKappa) + 1) * kBeta
            return grad * ((t + 1) * 0.5 + x * 0.5 * (1 - t * t) * innerDerivative)
        case .silu:
            let s = x.sigmoid()
            return grad * s * (x * (1 - s) + 1)
        case let .softplus(beta, threshold):
            let scaled = x * Scalar(beta)
            return Tensor.where(scaled .> Scalar(threshold), grad, grad * scaled.sigmoid())
        case let .elu(alpha):
            return Tensor.where(x .<= 0, grad * Scalar(alpha) * x.clamped(max: 0).exp(), grad)
        }
    }

    /// The binary functions' derivatives as recorded ops (derivatives.yaml's formulas), at the
    /// gradient's shape; `self` is input 0's value, `other` input 1's.
    func pointwiseBackward(_ op: BinaryPointwiseOp, input: Int, grad: Tensor, other: Tensor) -> Tensor {
        let (a, b) = (self, other)
        let zero = Tensor(data: DenseTensor(Scalar(0)))
        switch (op, input) {
        case (.pow, 0): return Tensor.where(b .== 0, zero, grad * (b * a.pow(b - 1)))
        case (.pow, _): return grad * Tensor.where((a .== 0) .& (b .>= 0), zero, a.pow(b) * a.log())
        case (.maximum, 0), (.minimum, 1): return Tensor.where(a .== b, grad / 2, grad).maskedFill(a .< b, with: 0)
        case (.maximum, _), (.minimum, _): return Tensor.where(a .== b, grad / 2, grad).maskedFill(a .> b, with: 0)
        }
    }
}
