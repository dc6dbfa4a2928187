import Arena
import RealModule

/// Elementwise functions of one tensor beyond ``UnaryOp``, some with parameters, each with its
/// fused derivative kernel (``DenseTensor/pointwiseBackward(_:grad:)``). Every formula is
/// PyTorch's CPU kernel's (`aten/src/ATen/native/cpu`), computed in the element type, so that
/// values and gradients at the edges (0, ±inf, NaN, the kinks) are PyTorch's:
///
/// - `log1p`: `log(1 + x)` (libm): `-1` gives `-inf`, below it NaN.
/// - `expm1`: `eˣ − 1` (libm): `-inf` gives `-1`.
/// - `sin`, `cos`: libm (PyTorch's vectorized kernels may differ in the last bit).
/// - `sign`: `(0 < x) − (x < 0)`: `sign(±0) = 0` and `sign(NaN) = 0`, as PyTorch.
/// - `rsqrt`: `1 / √x`: `±0` gives `±inf`, a negative input NaN.
/// - `reciprocal`: `1 / x`.
/// - `erf`: the error function (libm).
/// - `clamp(min:max:)`: `min(max(x, min), max)` with NaN kept; an absent bound is `∓inf`; where
///   `min > max`, every element is `max`, as in PyTorch.
/// - `leakyRelu(slope:)`: `x > 0 ? x : x · slope`.
/// - `gelu(tanh:)`: `x/2 · (1 + erf(x/√2))`, or with `tanh`, `x/2 · (1 + tanh(√(2/π)(x + 0.044715 x³)))`
///   (`Float`: vectorized, Note [Vectorized GELU]; `+inf` gives `inf`).
/// - `silu`: `x / (1 + e⁻ˣ)`: `-inf` gives NaN, as PyTorch.
/// - `softplus(beta:threshold:)`: `x` where `x · beta > threshold`, else `log1p(e^(x·beta)) / beta`.
/// - `elu(alpha:)`: `x` above 0, else `alpha · (eˣ − 1)`.
public enum PointwiseOp: Sendable, Hashable {
    case log1p, expm1, sin, cos, sign, rsqrt, reciprocal, erf
    case clamp(min: Double, max: Double)
    case leakyRelu(slope: Double)
    case gelu(tanh: Bool)
    case silu
    case softplus(beta: Double, threshold: Double)
    case elu(alpha: Double)

    /// Whether the derivative reads the function's output (`expm1`, `rsqrt`, `reciprocal`, as
    /// PyTorch saves `result` for them) rather than its input.
    public var derivativeReadsOutput: Bool {
        switch self {
        case .expm1, .rsqrt, .reciprocal: true
        default: false
        }
    }

    /// Whether the derivative may write over the gradient's buffer: it computes every element
    /// by arithmetic. Not where it chooses between the gradient and something else (clamp,
    /// leakyRelu, softplus, elu): LLVM turns `g[i] = c ? g[i] : h` into a conditional store, a
    /// scalar loop with a branch per element (Note [In-place loops], and `gradBinary`'s note).
    public var derivativeOverwritesGradient: Bool {
        switch self {
        case .log1p, .expm1, .sin, .cos, .sign, .rsqrt, .reciprocal, .erf, .gelu, .silu: true
        case .clamp, .leakyRelu, .softplus, .elu: false
        }
    }
}

/// Elementwise functions of two tensors that broadcast (NumPy rules), beyond ``BinaryOp``.
///
/// - `pow`: `aᵇ` (C's `pow`, whose cases PyTorch follows: `0⁰ = 1`, a negative base with a
///   non-integral exponent NaN).
/// - `maximum`, `minimum`: NaN if either is NaN, as `torch.maximum`/`torch.minimum`.
public enum BinaryPointwiseOp: Sendable, Hashable {
    case pow, maximum, minimum
}

// MARK: - Forward

extension DenseTensor where Scalar: TensorScalar {
    /// `op` applied to every element; a strided input is read in memory order (or made
    /// contiguous first), the result laid out alike.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func pointwise(_ op: PointwiseOp) -> DenseTensor {
        guard isNonOverlappingAndDense else { return contiguous().pointwise(op) }
        let out = uninitializedLikeLayout()
        let n = count
        guard n > 0 else { return out }
        let a = UnsafePointer(start), o = out.start
        switch op {
        case .log1p: pointwiseLoop(PF.Log1p<Scalar>(), a, o, n)
        case .expm1: pointwiseLoop(PF.Expm1<Scalar>(), a, o, n)
        case .sin: pointwiseLoop(PF.Sin<Scalar>(), a, o, n)
        case .cos: pointwiseLoop(PF.Cos<Scalar>(), a, o, n)
        case .sign: pointwiseLoop(PF.Sign<Scalar>(), a, o, n)
        case .rsqrt: pointwiseLoop(PF.Rsqrt<Scalar>(), a, o, n)
        case .reciprocal: pointwiseLoop(PF.Reciprocal<Scalar>(), a, o, n)
        case .erf: pointwiseLoop(PF.Erf<Scalar>(), a, o, n)
        case let .clamp(lo, hi): pointwiseLoop(PF.Clamp<Scalar>(lo, hi), a, o, n)
        case let .leakyRelu(slope): pointwiseLoop(PF.LeakyRelu<Scalar>(slope), a, o, n)
        case let .gelu(tanh): geluLoop(a, o, n, approximate: tanh)   // Note [Vectorized GELU]
        case .silu: exponentialPointwiseLoop(PF.Silu<Scalar>(), a, o, n)
        case let .softplus(beta, threshold): exponentialPointwiseLoop(PF.Softplus<Scalar>(beta, threshold), a, o, n)
        case let .elu(alpha): pointwiseLoop(PF.Elu<Scalar>(alpha), a, o, n)
        }
        return out
    }

    /// `op(self, other)` with NumPy broadcasting; traps with PyTorch's message if the shapes
    /// don't broadcast. Strided operands go through the broadcasting driver's strided loops.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func pointwise(_ op: BinaryPointwiseOp, _ other: DenseTensor) -> DenseTensor {
        let outShape = shape == other.shape ? shape : Shape.broadcast(shape, other.shape)
        let out = DenseTensor(uninitializedShape: outShape)
        switch op {
        case .pow: zip(Fn.PowTensor.self, other, outShape: outShape, into: out.start, inMemoryOrder: false)
        case .maximum: zip(Fn.Maximum.self, other, outShape: outShape, into: out.start, inMemoryOrder: false)
        case .minimum: zip(Fn.Minimum.self, other, outShape: outShape, into: out.start, inMemoryOrder: false)
        }
        return out
    }
}

// MARK: - Derivatives

extension DenseTensor where Scalar: TensorScalar {
    /// The gradient of `op`'s input from the gradient of its output, in one pass: `self` is the
    /// value the derivative reads (the output where ``PointwiseOp/derivativeReadsOutput``, else
    /// the input), of `grad`'s shape. PyTorch's derivatives.yaml formulas, computed as its
    /// kernels do: at a clamp's bounds the gradient passes (`min ≤ x ≤ max`; NaN gets 0),
    /// `leakyRelu` at 0 and NaN takes the slope, `sign`'s derivative is 0 everywhere.
    @inlinable
    public func pointwiseBackward(_ op: PointwiseOp, grad: DenseTensor) -> DenseTensor {
        pointwiseBackward(op, grad: grad, overwriting: false)
    }

    /// ``pointwiseBackward(_:grad:)``, written over `grad`'s buffer when `overwriting` (the
    /// caller holds the only reference to it, as the backward sweep may) and the derivative
    /// allows it (``PointwiseOp/derivativeOverwritesGradient``), else into a new buffer.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func pointwiseBackward(_ op: PointwiseOp, grad: consuming DenseTensor, overwriting: Bool) -> DenseTensor {
        trapUnless(shape == grad.shape, "pointwiseBackward needs one shape, got \(shape) and \(grad.shape)")
        guard isContiguous, grad.isContiguous else {
            // A gradient made contiguous here is a copy no one else holds.
            let fresh = !grad.isContiguous
            return contiguous().pointwiseBackward(op, grad: grad.contiguous(), overwriting: overwriting || fresh)
        }
        let out = overwriting && op.derivativeOverwritesGradient && grad.storage !== storage ? grad : uninitializedLike()
        let n = count
        guard n > 0 else { return out }
        let v = UnsafePointer(start), g = UnsafePointer(grad.start), o = out.start
        switch op {
        case .log1p: pointwiseDerivativeLoop(PF.Log1p<Scalar>(), g, v, o, n)
        case .expm1: pointwiseDerivativeLoop(PF.Expm1<Scalar>(), g, v, o, n)
        case .sin: pointwiseDerivativeLoop(PF.Sin<Scalar>(), g, v, o, n)
        case .cos: pointwiseDerivativeLoop(PF.Cos<Scalar>(), g, v, o, n)
        case .sign: o.update(repeating: 0, count: n)
        case .rsqrt: pointwiseDerivativeLoop(PF.Rsqrt<Scalar>(), g, v, o, n)
        case .reciprocal: pointwiseDerivativeLoop(PF.Reciprocal<Scalar>(), g, v, o, n)
        case .erf: pointwiseDerivativeLoop(PF.Erf<Scalar>(), g, v, o, n)
        case let .clamp(lo, hi): pointwiseDerivativeLoop(PF.Clamp<Scalar>(lo, hi), g, v, o, n)
        case let .leakyRelu(slope): pointwiseDerivativeLoop(PF.LeakyRelu<Scalar>(slope), g, v, o, n)
        case let .gelu(tanh): geluDerivativeLoop(g, v, o, n, approximate: tanh)
        case .silu: exponentialPointwiseDerivativeLoop(PF.Silu<Scalar>(), g, v, o, n)
        case let .softplus(beta, threshold): exponentialPointwiseDerivativeLoop(PF.Softplus<Scalar>(beta, threshold), g, v, o, n)
        case let .elu(alpha): exponentialPointwiseDerivativeLoop(PF.Elu<Scalar>(alpha), g, v, o, n)
        }
        return out
    }

    /// The gradient for input `input` (0: `self`, 1: `other`) of `op(self, other)`, at the
    /// broadcast shape of `grad` (the caller sums it to the input's shape), in one pass:
    ///
    /// - `pow`: `e == 0 ? 0 : g · (e · xᵉ⁻¹)` for the base; `(x == 0 && e ≥ 0) ? g · 0 : g · (xᵉ · log x)`
    ///   for the exponent (PyTorch's `pow_backward_self`/`pow_backward_exponent`).
    /// - `maximum` (`minimum` alike, mirrored): `g` where the input is the larger, `g / 2` at a tie, 0
    ///   where it is the smaller; both get `g` where either is NaN (no comparison holds).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func pointwiseBackward(_ op: BinaryPointwiseOp, input: Int, grad: DenseTensor, other: DenseTensor) -> DenseTensor {
        let a = broadcasted(to: grad.shape).contiguous(), b = other.broadcasted(to: grad.shape).contiguous()
        let g = grad.contiguous()
        let out = g.uninitializedLike()
        let n = g.count
        guard n > 0 else { return out }
        let pa = UnsafePointer(a.start), pb = UnsafePointer(b.start), pg = UnsafePointer(g.start), o = out.start
        // The first input of maximum's derivative is zero where it is below the other, and so on:
        // the derivative of maximum for `self` is minimum's for `other`, with the operands swapped.
        switch (op, input) {
        case (.pow, 0): ternaryLoop(Fn.PowBackwardBase.self, pg, pa, pb, o, n)
        case (.pow, _): ternaryLoop(Fn.PowBackwardExponent.self, pg, pa, pb, o, n)
        case (.maximum, 0), (.minimum, 1): ternaryLoop(Fn.ExtremumBackward.self, pg, pa, pb, o, n)
        case (.maximum, _), (.minimum, _): ternaryLoop(Fn.ExtremumBackward.self, pg, pb, pa, o, n)
        }
        return out
    }
}

// MARK: - Element functions

/// An elementwise function with parameters and its derivative (see Note [Kernel functions]: a
/// value of a concrete type, so that the loop specializes and inlines it).
@usableFromInline protocol PointwiseFunction {
    associatedtype S: TensorScalar
    func value(_ x: S) -> S
    /// The input's gradient from the output's, `v` being the value the derivative reads
    /// (``PointwiseOp/derivativeReadsOutput``).
    func derivative(_ g: S, _ v: S) -> S
}

/// The functions of ``PointwiseOp``, each with its derivative.
@usableFromInline enum PF {
    struct Log1p<S: TensorScalar>: PointwiseFunction {
        func value(_ x: S) -> S { S.log(onePlus: x) }
        func derivative(_ g: S, _ x: S) -> S { g / (x + 1) }
    }
    struct Expm1<S: TensorScalar>: PointwiseFunction {
        func value(_ x: S) -> S { S.expMinusOne(x) }
        func derivative(_ g: S, _ y: S) -> S { g * (y + 1) }
    }
    struct Sin<S: TensorScalar>: PointwiseFunction {
        func value(_ x: S) -> S { S.sin(x) }
        func derivative(_ g: S, _ x: S) -> S { g * S.cos(x) }
    }
    struct Cos<S: TensorScalar>: PointwiseFunction {
        func value(_ x: S) -> S { S.cos(x) }
        func derivative(_ g: S, _ x: S) -> S { g * -S.sin(x) }
    }
    struct Sign<S: TensorScalar>: PointwiseFunction {
        func value(_ x: S) -> S { x > 0 ? 1 : (x < 0 ? -1 : 0) }
        func derivative(_ g: S, _ x: S) -> S { 0 }
    }
    struct Rsqrt<S: TensorScalar>: PointwiseFunction {
        func value(_ x: S) -> S { 1 / x.squareRoot() }
        func derivative(_ g: S, _ y: S) -> S { (-0.5 * g) * (y * y * y) }
    }
    struct Reciprocal<S: TensorScalar>: PointwiseFunction {
        func value(_ x: S) -> S { 1 / x }
        func derivative(_ g: S, _ y: S) -> S { -g * (y * y) }
    }
    struct Erf<S: TensorScalar>: PointwiseFunction {
        func value(_ x: S) -> S { S.erf(x) }
        func derivative(_ g: S, _ x: S) -> S { S(2 / Double.pi.squareRoot()) * S.exp(-(x * x)) * g }
    }
    struct Clamp<S: TensorScalar>: PointwiseFunction {
        let lo: S, hi: S
        init(_ lo: Double, _ hi: Double) { (self.lo, self.hi) = (S(lo), S(hi)) }
        func value(_ x: S) -> S {
            if x.isNaN { return x }
            let m = x < lo ? lo : x
            return hi < m ? hi : m
        }
        func derivative(_ g: S, _ x: S) -> S { x >= lo && x <= hi ? g : 0 }
    }
    struct LeakyRelu<S: TensorScalar>: PointwiseFunction {
        let slope: S
        init(_ slope: Double) { self.slope = S(slope) }
        func value(_ x: S) -> S { x > 0 ? x : x * slope }
        func derivative(_ g: S, _ x: S) -> S { x > 0 ? g : g * slope }
    }
    struct Gelu<S: TensorScalar>: PointwiseFunction {
        func value(_ x: S) -> S { x * 0.5 * (1 + S.erf(x * S(0.5.squareRoot()))) }
        func derivative(_ g: S, _ x: S) -> S {
            let kBeta = S(2 / Double.pi.squareRoot() * 0.5.squareRoot() * 0.5)
            let cdf = 0.5 * (1 + S.erf(x * S(0.5.squareRoot())))
            let pdf = kBeta * S.exp(x * x * -0.5)
            return g * (cdf + x * pdf)
        }
    }
    struct GeluTanh<S: TensorScalar>: PointwiseFunction {
        static var kBeta: S { S(2.0.squareRoot() * (2 / Double.pi.squareRoot()) * 0.5) }
        static var kKappa: S { S(0.044715) }
        func value(_ x: S) -> S {
            let inner = Self.kBeta * (x + Self.kKappa * (x * x * x))
            return 0.5 * x * (1 + S.tanh(inner))
        }
        func derivative(_ g: S, _ x: S) -> S {
            let xSquared = x * x
            let inner = Self.kBeta * (x + Self.kKappa * (xSquared * x))
            let t = S.tanh(inner)
            let left = 0.5 * x
            let leftDerivative = 0.5 * (1 + t)
            let innerDerivative = Self.kBeta * (1 + 3 * Self.kKappa * xSquared)
            return g * (leftDerivative + left * (1 - t * t) * innerDerivative)
        }
    }
    struct Silu<S: TensorScalar>: ExponentialPointwiseFunction {
        var exponentScale: S { -1 }
        func value(_ x: S, exp e: S) -> S { x / (1 + e) }
        func derivative(_ g: S, _ x: S, exp e: S) -> S {
            let s = 1 / (1 + e)
            return g * s * (1 + x * (1 - s))
        }
    }
    struct Softplus<S: TensorScalar>: ExponentialPointwiseFunction {
        let beta: S, threshold: S
        init(_ beta: Double, _ threshold: Double) { (self.beta, self.threshold) = (S(beta), S(threshold)) }
        var exponentScale: S { beta }
        func value(_ x: S, exp z: S) -> S { x * beta > threshold ? x : S.log(onePlus: z) / beta }
        func derivative(_ g: S, _ x: S, exp z: S) -> S { x * beta > threshold ? g : g * z / (z + 1) }
    }
    struct Elu<S: TensorScalar>: ExponentialPointwiseFunction {
        let alpha: S
        init(_ alpha: Double) { self.alpha = S(alpha) }
        var exponentScale: S { 1 }
        /// `expm1`, as PyTorch's kernel, not `eˣ − 1` (which loses the digits near 0): the
        /// forward reads no exponential.
        func value(_ x: S) -> S { x <= 0 ? S.expMinusOne(x) * alpha : x }
        func value(_ x: S, exp e: S) -> S { value(x) }
        func derivative(_ g: S, _ x: S, exp e: S) -> S { x <= 0 ? g * alpha * e : g }
    }
}

/// A function whose value or derivative reads `e^(k·x)` (silu's `e⁻ˣ`, softplus's `e^(βx)`,
/// elu's `eˣ`): its loops compute those exponentials a chunk at a time, for `Float` with the
/// vectorized kernel (Note [Vectorized exp] in Exp.swift), 1 ulp from `expf` like PyTorch's Sleef.
@usableFromInline protocol ExponentialPointwiseFunction: PointwiseFunction {
    /// `k` of `e^(k·x)`.
    var exponentScale: S { get }
    func value(_ x: S, exp e: S) -> S
    func derivative(_ g: S, _ x: S, exp e: S) -> S
}

extension ExponentialPointwiseFunction {
    func value(_ x: S) -> S { value(x, exp: S.exp(x * exponentScale)) }
    func derivative(_ g: S, _ x: S) -> S { derivative(g, x, exp: S.exp(x * exponentScale)) }
}

extension Fn {
    @usableFromInline enum PowTensor: ElementFunction2 {
        @inlinable @inline(__always) static func apply<S: TensorScalar>(_ a: S, _ b: S) -> S { DenseTensor<S>.power(a, b) }
    }
    /// NaN if either is NaN (`a > b` fails for a NaN `b`, which is then chosen).
    @usableFromInline enum Maximum: ElementFunction2 {
        @inlinable @inline(__always) static func apply<S: TensorScalar>(_ a: S, _ b: S) -> S { a > b || a.isNaN ? a : b }
    }
    @usableFromInline enum Minimum: ElementFunction2 {
        @inlinable @inline(__always) static func apply<S: TensorScalar>(_ a: S, _ b: S) -> S { a < b || a.isNaN ? a : b }
    }
    /// `(g, x, e)`: PyTorch's `pow_backward_self`, `where(e == 0, 0, g · (e · x^(e−1)))`.
    enum PowBackwardBase: ElementFunction3 {
        static func apply<S: TensorScalar>(_ g: S, _ x: S, _ e: S) -> S { e == 0 ? 0 : g * (e * DenseTensor<S>.power(x, e - 1)) }
    }
    /// `(g, x, e)`: PyTorch's `pow_backward_exponent`, `g · where(x == 0 && e ≥ 0, 0, xᵉ · log x)`.
    enum PowBackwardExponent: ElementFunction3 {
        static func apply<S: TensorScalar>(_ g: S, _ x: S, _ e: S) -> S {
            g * (x == 0 && e >= 0 ? 0 : DenseTensor<S>.power(x, e) * S.log(x))
        }
    }
    /// `(g, a, b)`: maximum's derivative for `a` (minimum's for `b` with `a` and `b` swapped):
    /// `where(a == b, g / 2, g).masked_fill_(a < b, 0)`.
    enum ExtremumBackward: ElementFunction3 {
        static func apply<S: TensorScalar>(_ g: S, _ a: S, _ b: S) -> S { a < b ? 0 : (a == b ? g / 2 : g) }
    }
}

/// An elementwise function of three values (a derivative's gradient and two operands).
protocol ElementFunction3 {
    static func apply<S: TensorScalar>(_ a: S, _ b: S, _ c: S) -> S
}

// MARK: - Loops

/// `out[i] = f(a[i])`, split across cores for large counts.
@inline(__always)
func pointwiseLoop<F: PointwiseFunction>(_ f: F, _ a: UnsafePointer<F.S>, _ out: UnsafeMutablePointer<F.S>, _ n: Int) {
    Parallel.forEachBlock(n) { r in for i in r { out[i] = f.value(a[i]) } }
}

/// `out[i] = f′(g[i], v[i])`; `out` may be `g`.
@inline(__always)
func pointwiseDerivativeLoop<F: PointwiseFunction>(
    _ f: F, _ g: UnsafePointer<F.S>, _ v: UnsafePointer<F.S>, _ out: UnsafeMutablePointer<F.S>, _ n: Int
) {
    let inPlace = UnsafePointer(out) == g
    Parallel.forEachBlock(n) { r in
        if inPlace {   // Note [In-place loops]
            for i in r { out[i] = f.derivative(out[i], v[i]) }
        } else {
            for i in r { out[i] = f.derivative(g[i], v[i]) }
        }
    }
}

/// `out[i] = F(a[i], b[i], c[i])`.
@inline(__always)
func ternaryLoop<S: TensorScalar, F: ElementFunction3>(
    _: F.Type, _ a: UnsafePointer<S>, _ b: UnsafePointer<S>, _ c: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>, _ n: Int
) {
    Parallel.forEachBlock(n) { r in for i in r { out[i] = F.apply(a[i], b[i], c[i]) } }
}

/// `out[i] = f(a[i])` with `e^(k·a[i])` computed a chunk at a time (``forEachExponentialChunk``).
@inline(__always)
func exponentialPointwiseLoop<F: ExponentialPointwiseFunction>(_ f: F, _ a: UnsafePointer<F.S>, _ out: UnsafeMutablePointer<F.S>, _ n: Int) {
    Parallel.forEachBlock(n) { r in
        forEachExponentialChunk(of: a, scale: f.exponentScale, in: r) { c, e in
            for i in c { out[i] = f.value(a[i], exp: e[i &- c.lowerBound]) }
        }
    }
}

/// `out[i] = f′(g[i], v[i])` with `e^(k·v[i])` computed a chunk at a time; `out` may be `g`.
@inline(__always)
func exponentialPointwiseDerivativeLoop<F: ExponentialPointwiseFunction>(
    _ f: F, _ g: UnsafePointer<F.S>, _ v: UnsafePointer<F.S>, _ out: UnsafeMutablePointer<F.S>, _ n: Int
) {
    let inPlace = UnsafePointer(out) == g
    Parallel.forEachBlock(n) { r in
        forEachExponentialChunk(of: v, scale: f.exponentScale, in: r) { c, e in
            let base = c.lowerBound
            if inPlace {   // Note [In-place loops]
                for i in c { out[i] = f.derivative(out[i], v[i], exp: e[i &- base]) }
            } else {
                for i in c { out[i] = f.derivative(g[i], v[i], exp: e[i &- base]) }
            }
        }
    }
}

/// Calls `body(chunk, e)` for consecutive chunks of `range` (512 elements at most), `e[k]`
/// being `exp(a[chunk.lowerBound + k] · scale)` in a stack buffer: for `Float`, the vectorized
/// kernel's (Note [Vectorized exp]); for `Double`, libm's.
@inline(__always)
func forEachExponentialChunk<S: TensorScalar>(
    of a: UnsafePointer<S>, scale: S, in range: Range<Int>, _ body: (Range<Int>, UnsafePointer<S>) -> Void
) {
    let chunk = 512
    withUnsafeTemporaryAllocation(of: S.self, capacity: chunk) { buffer in
        let e = buffer.baseAddress!
        var start = range.lowerBound
        while start < range.upperBound {
            let end = Swift.min(start &+ chunk, range.upperBound), count = end &- start
            for k in 0..<count { e[k] = a[start &+ k] * scale }
            if S.self == Float.self {
                let p = asFloat(e)
                ExpKernel.apply(p, UnsafePointer(p), count)
            } else {
                for k in 0..<count { e[k] = S.exp(e[k]) }
            }
            body(start..<end, UnsafePointer(e))
            start = end
        }
    }
}
