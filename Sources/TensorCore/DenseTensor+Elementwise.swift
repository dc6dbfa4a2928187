import RealModule

/// Elementwise functions of one tensor.
public enum UnaryOp: Sendable {
    /// One elementwise function; every case maps NaN to NaN, and each has this domain:
    ///
    /// - `neg`: `-x`. Exact.
    /// - `exp`: `eˣ` (libm, within about 1 ulp). Overflows to `inf` above about 88.7 (`Float`) or
    ///   709.8 (`Double`); `exp(-inf) = 0`.
    /// - `log`: the natural logarithm (libm, within about 1 ulp). `log(0) = -inf`, `log(inf) = inf`,
    ///   and a negative input gives NaN, as in PyTorch.
    /// - `sqrt`: `√x`, correctly rounded (IEEE). A negative input gives NaN; `sqrt(-0) = -0`.
    /// - `abs`: `|x|`. Exact.
    /// - `relu`: `max(x, 0)`. NaN stays NaN, as PyTorch's `relu` keeps it.
    /// - `sigmoid`: `1 / (1 + e⁻ˣ)`. Never NaN for a non-NaN input: exactly 0 once `e⁻ˣ` overflows
    ///   (below about −88.7 for `Float`, −709.8 for `Double`) and rounded to 1 above about 17
    ///   (`Float`) or 37 (`Double`).
    /// - `tanh`: the hyperbolic tangent (libm). In `[-1, 1]`; `±inf` gives `±1`.
    case neg, exp, log, sqrt, abs, relu, sigmoid, tanh
}

/// Elementwise functions of two tensors that broadcast (NumPy rules). The `…Backward` cases are
/// the fused derivative kernels: `(grad, saved)` to the input's gradient, both of one shape.
public enum BinaryOp: Sendable {
    /// `a + b`, `a - b`, `a * b`, `a / b`: one IEEE operation per element, correctly rounded, with
    /// IEEE special values as in PyTorch: `x / 0` is `±inf`, `0 / 0` and `inf - inf` are NaN, and
    /// NaN propagates. Nothing traps.
    case add, sub, mul, div
    /// `grad * (x > 0)`, with `x` the relu's input.
    case reluBackward
    /// `grad * y * (1 - y)`, with `y` the sigmoid's output.
    case sigmoidBackward
    /// `grad * (1 - y²)`, with `y` the tanh's output.
    case tanhBackward
    /// `grad * sign(x)`, with `x` the abs's input (sign(0) = 0, as PyTorch).
    case absBackward
    /// `grad / (2 y)`, with `y` the sqrt's output.
    case sqrtBackward
}

extension DenseTensor {
    /// Applies `op` to every element.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func unary(_ op: UnaryOp) -> DenseTensor {
        let out = DenseTensor(uninitializedShape: shape)
        let n = count
        storage.read { a in out.storage.update { o in
            let a = a.baseAddress!, o = o.baseAddress!
            switch op {
            case .neg: mapLoop(a, o, n, { -$0 }, { -$0 })
            // Scalar loops where a SIMD form would need lane masks (see `zipScalarLoop`).
            case .abs: mapScalarLoop(a, o, n) { Swift.abs($0) }
            case .relu:
                // NaN passes through, as PyTorch's clamp_min keeps it.
                mapScalarLoop(a, o, n) { $0 < 0 ? 0 : $0 }
            case .sqrt: mapLoop(a, o, n, { $0.squareRoot() }, { $0.squareRoot() })
            case .exp: mapScalarLoop(a, o, n) { Scalar.exp($0) }
            case .log: mapScalarLoop(a, o, n) { Scalar.log($0) }
            case .tanh: mapScalarLoop(a, o, n) { Scalar.tanh($0) }
            case .sigmoid: mapScalarLoop(a, o, n) { 1 / (1 + Scalar.exp(-$0)) }
            }
        } }
        return out
    }

    /// `self ** exponent`, elementwise.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func pow(_ exponent: Scalar) -> DenseTensor {
        let out = DenseTensor(uninitializedShape: shape)
        let n = count
        storage.read { a in out.storage.update { o in
            let a = a.baseAddress!, o = o.baseAddress!
            if exponent == 2 {
                mapLoop(a, o, n, { $0 * $0 }, { $0 * $0 })
            } else if exponent == 1 {
                mapLoop(a, o, n, { $0 }, { $0 })
            } else if exponent == 0.5 {
                mapLoop(a, o, n, { $0.squareRoot() }, { $0.squareRoot() })
            } else {
                mapScalarLoop(a, o, n) { Self.power($0, exponent) }
            }
        } }
        return out
    }

    /// `grad * exponent * self ** (exponent - 1)`, PyTorch's pow derivative (zero when exponent is 0).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func powBackward(grad: DenseTensor, exponent: Scalar) -> DenseTensor {
        if exponent == 0 { return DenseTensor(shape: shape, repeating: 0) }
        let out = DenseTensor(uninitializedShape: shape)
        let n = count
        storage.read { x in grad.storage.read { g in out.storage.update { o in
            let x = x.baseAddress!, g = g.baseAddress!, o = o.baseAddress!
            if exponent == 2 {
                zipLoop(x, g, o, n, { 2 * $0 * $1 }, { 2 * $0 * $1 })
            } else {
                for i in 0..<n { o[i] = g[i] * exponent * Self.power(x[i], exponent - 1) }
            }
        } } }
        return out
    }

    /// C's `pow`, whose special cases (negative bases with integral exponents) PyTorch follows.
    @inlinable @inline(__always)
    static func power(_ x: Scalar, _ p: Scalar) -> Scalar {
        if let i = Int(exactly: p), Swift.abs(i) < 1 << 20 { return Scalar.pow(x, i) }
        return Scalar.pow(x, p)
    }

    /// `op(self, other)` with NumPy broadcasting; traps with PyTorch's message if shapes don't broadcast.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func binary(_ op: BinaryOp, _ other: DenseTensor) -> DenseTensor {
        switch op {
        case .add: return zip(other, { $0 + $1 }, { $0 + $1 })
        case .sub: return zip(other, { $0 - $1 }, { $0 - $1 })
        case .mul: return zip(other, { $0 * $1 }, { $0 * $1 })
        case .div: return zip(other, { $0 / $1 }, { $0 / $1 })
        case .reluBackward:
            return zipMasked(other) { g, x in x > 0 ? g : 0 }
        case .sigmoidBackward: return zip(other, { g, y in g * y * (1 - y) }, { g, y in g * y * (1 - y) })
        case .tanhBackward: return zip(other, { g, y in g * (1 - y * y) }, { g, y in g * (1 - y * y) })
        case .absBackward:
            return zipMasked(other) { g, x in x > 0 ? g : (x < 0 ? -g : (x.isNaN ? x : 0)) }
        case .sqrtBackward: return zip(other, { g, y in g / (2 * y) }, { g, y in g / (2 * y) })
        }
    }

    /// `op(self, scalar)`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func binary(_ op: BinaryOp, scalar: Scalar) -> DenseTensor {
        switch op {
        case .add: return zip(scalar: scalar, onLeft: false, { $0 + $1 }, { $0 + $1 })
        case .sub: return zip(scalar: scalar, onLeft: false, { $0 - $1 }, { $0 - $1 })
        case .mul: return zip(scalar: scalar, onLeft: false, { $0 * $1 }, { $0 * $1 })
        case .div: return zip(scalar: scalar, onLeft: false, { $0 / $1 }, { $0 / $1 })
        default: return binary(op, DenseTensor(scalar))
        }
    }

    /// `op(scalar, self)`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func binary(scalar: Scalar, _ op: BinaryOp) -> DenseTensor {
        switch op {
        case .add: return zip(scalar: scalar, onLeft: true, { $0 + $1 }, { $0 + $1 })
        case .sub: return zip(scalar: scalar, onLeft: true, { $0 - $1 }, { $0 - $1 })
        case .mul: return zip(scalar: scalar, onLeft: true, { $0 * $1 }, { $0 * $1 })
        case .div: return zip(scalar: scalar, onLeft: true, { $0 / $1 }, { $0 / $1 })
        default: return DenseTensor(scalar).binary(op, self)
        }
    }

    /// `f(self, s)` or `f(s, self)` elementwise: the result has `self`'s shape, no broadcast.
    @inlinable @inline(__always)
    func zip(
        scalar s: Scalar, onLeft: Bool,
        _ vector: (SIMD16<Scalar>, SIMD16<Scalar>) -> SIMD16<Scalar>,
        _ scalar: (Scalar, Scalar) -> Scalar
    ) -> DenseTensor {
        let out = DenseTensor(uninitializedShape: shape)
        let n = count
        storage.read { a in out.storage.update { o in
            guard n > 0 else { return }
            if onLeft {
                zipLoop(scalar: s, a.baseAddress!, o.baseAddress!, n, vector, scalar)
            } else {
                zipLoop(a.baseAddress!, scalar: s, o.baseAddress!, n, vector, scalar)
            }
        } }
        return out
    }

    /// `f(self, other)` for two tensors of one shape, as a plain loop (see `zipScalarLoop`).
    @inlinable @inline(__always)
    func zipMasked(_ other: DenseTensor, _ scalar: (Scalar, Scalar) -> Scalar) -> DenseTensor {
        precondition(shape == other.shape, "derivative kernel: shapes \(shape) and \(other.shape) differ")
        let out = DenseTensor(uninitializedShape: shape)
        let n = count
        storage.read { a in other.storage.read { b in out.storage.update { o in
            guard n > 0 else { return }
            zipScalarLoop(a.baseAddress!, b.baseAddress!, o.baseAddress!, n, scalar)
        } } }
        return out
    }

    /// The broadcasting driver: picks the contiguous, scalar-operand or strided loop.
    @inlinable @inline(__always)
    func zip(
        _ other: DenseTensor,
        _ vector: (SIMD16<Scalar>, SIMD16<Scalar>) -> SIMD16<Scalar>,
        _ scalar: (Scalar, Scalar) -> Scalar
    ) -> DenseTensor {
        let outShape = Shape.broadcast(shape, other.shape)
        let out = DenseTensor(uninitializedShape: outShape)
        let n = out.count
        storage.read { a in other.storage.read { b in out.storage.update { o in
            guard n > 0 else { return }
            let a = a.baseAddress!, b = b.baseAddress!, o = o.baseAddress!
            if shape == other.shape {
                zipLoop(a, b, o, n, vector, scalar)
            } else if other.count == 1 && count == n {
                zipLoop(a, scalar: b[0], o, n, vector, scalar)
            } else if count == 1 && other.count == n {
                zipLoop(scalar: a[0], b, o, n, vector, scalar)
            } else {
                let sa = broadcastStrides(shape, to: outShape)
                let sb = broadcastStrides(other.shape, to: outShape)
                let inner = outShape.last!
                let ia = sa.last!, ib = sb.last!
                forEachRow(shape: outShape, stridesA: sa, stridesB: sb) { offA, offB, offO in
                    switch (ia, ib) {
                    case (1, 1): zipLoop(a + offA, b + offB, o + offO, inner, vector, scalar)
                    case (1, _): zipLoop(a + offA, scalar: b[offB], o + offO, inner, vector, scalar)
                    case (_, 1): zipLoop(scalar: a[offA], b + offB, o + offO, inner, vector, scalar)
                    default:
                        let v = scalar(a[offA], b[offB])
                        (o + offO).update(repeating: v, count: inner)
                    }
                }
            }
        } } }
        return out
    }
}
