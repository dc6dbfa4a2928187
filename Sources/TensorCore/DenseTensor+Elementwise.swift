import Arena
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
    /// `x <= 0 ? 0 : grad`, with `x` the relu's output (or input): PyTorch's
    /// `threshold_backward(grad, result, 0)`, which passes the gradient where `x` is NaN.
    case reluBackward
    /// `grad * y * (1 - y)`, with `y` the sigmoid's output.
    case sigmoidBackward
    /// `grad * (1 - y²)`, with `y` the tanh's output.
    case tanhBackward
    /// `grad * sign(x)`, with `x` the abs's input (sgn(0) = sgn(NaN) = 0, as PyTorch).
    case absBackward
    /// `grad / (2 y)`, with `y` the sqrt's output.
    case sqrtBackward
    /// `t + t` with `t = grad · x`: the derivative of `x * x` as PyTorch forms it (one product
    /// per operand, summed), bit for bit, in one pass.
    case selfProductBackward

    /// Whether a loop with one operand a single value exists (`binary(_:scalar:)`); the
    /// others broadcast a 0-d tensor.
    @inlinable var hasScalarKernel: Bool {
        switch self {
        case .add, .sub, .mul, .div: true
        default: false
        }
    }
}

extension DenseTensor where Scalar: TensorScalar {
    /// Applies `op` to every element.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    @inlinable
    public func unary(_ op: UnaryOp) -> DenseTensor {
        // A transposed or permuted operand is walked in memory order, its result laid out alike.
        guard isNonOverlappingAndDense else { return contiguous().unary(op) }
        let out = uninitializedLikeLayout()
        let n = count
        guard n > 0 else { return out }
        let a = UnsafePointer(start), o = out.start
        switch op {
        case .neg: mapLoop(Fn.Neg.self, a, o, n)
        case .abs: mapLoop(Fn.Abs.self, a, o, n)
        case .relu: mapLoop(Fn.Relu.self, a, o, n)
        case .sqrt: mapLoop(Fn.Sqrt.self, a, o, n)
        case .exp: expLoop(a, o, n)
        case .log: mapLoop(Fn.Log.self, a, o, n)
        case .tanh: mapLoop(Fn.Tanh.self, a, o, n)
        case .sigmoid: mapLoop(Fn.Sigmoid.self, a, o, n)
        }
        return out
    }

    /// `self ** exponent`, elementwise.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func pow(_ exponent: Scalar) -> DenseTensor {
        guard isNonOverlappingAndDense else { return contiguous().pow(exponent) }
        let out = uninitializedLikeLayout()
        let n = count
        guard n > 0 else { return out }
        let a = UnsafePointer(start), o = out.start
        if exponent == 2 {
            mapLoop(Fn.Square.self, a, o, n)
        } else if exponent == 1 {
            mapLoop(Fn.Identity.self, a, o, n)
        } else if exponent == 0.5 {
            mapLoop(Fn.Sqrt.self, a, o, n)
        } else {
            Parallel.forEachBlock(n) { r in for i in r { o[i] = Self.power(a[i], exponent) } }
        }
        return out
    }

    /// `grad * exponent * self ** (exponent - 1)`, PyTorch's pow derivative (zero when exponent is 0).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func powBackward(grad: DenseTensor, exponent: Scalar) -> DenseTensor {
        if exponent == 0 { return DenseTensor(shape: shape, repeating: 0) }
        guard isContiguous, grad.isContiguous else {
            return contiguous().powBackward(grad: grad.contiguous(), exponent: exponent)
        }
        let out = uninitializedLike()
        let n = count
        guard n > 0 else { return out }
        let x = UnsafePointer(start), g = UnsafePointer(grad.start), o = out.start
        if exponent == 2 {
            zipLoop(Fn.SquareBackward.self, x, g, o, n)
        } else {
            for i in 0..<n { o[i] = g[i] * exponent * Self.power(x[i], exponent - 1) }
        }
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
    @inlinable
    public func binary(_ op: BinaryOp, _ other: DenseTensor) -> DenseTensor {
        // One comparison of the shapes: each is a loop over two arrays, on every op.
        let sameShape = shape == other.shape
        if sameShape && !(isContiguous && other.isContiguous) && strides == other.strides && isNonOverlappingAndDense {
            // Transposed or permuted alike: one walk in memory order, the result laid out alike.
            let out = uninitializedLikeLayout()
            zip(op, other, outShape: [count], into: out.start, inMemoryOrder: true)
            return out
        }
        if sameShape && rank == 2 && shape[0] > 1 && shape[1] > 1 && isContiguous != other.isContiguous,
           let result = binaryBesideTransposed(op, other) {
            return result
        }
        let outShape = sameShape ? shape : Shape.broadcast(shape, other.shape)
        let out = sameShape ? uninitializedLike() : DenseTensor(uninitializedShape: outShape)
        zip(op, other, outShape: outShape, into: out.start)
        return out
    }

    /// `op(self, other)` for two matrices of one shape, one of them transposed (`x + yᵀ`), or nil
    /// for any other pair: the transposed one made row-major first by the tiled transpose, then
    /// one contiguous pass. Walked in place, it gave a cache line per element (1000×1000: 1.2 ms,
    /// as PyTorch's 1.35; so 0.4 ms). Both sizes must be above 1: a row or a column has no
    /// transposed layout to speak of, and its `contiguous()` may keep the strides. Kept out of
    /// ``binary(_:_:)`` so that the common path stays small; specialized, since a generic call
    /// from there ran the unspecialized loop (x+y one-t: 12 ms instead of 0.3).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    @usableFromInline @inline(never)
    func binaryBesideTransposed(_ op: BinaryOp, _ other: DenseTensor) -> DenseTensor? {
        let left = strides == [1, shape[0]] ? contiguous() : self
        let right = other.strides == [1, shape[0]] ? other.contiguous() : other
        guard left.isContiguous && right.isContiguous else { return nil }
        let out = uninitializedLike()
        left.zip(op, right, outShape: shape, into: out.start)
        return out
    }

    /// `op(self, other)` written over `self`'s storage when `overwriting` is true and the result
    /// has `self`'s shape, else into a new buffer like ``binary(_:_:)``.
    ///
    /// For a caller that holds the only reference to this value (``holdsUniqueStorage()``), such
    /// as the backward sweep with a gradient no one else sees: the result reuses the buffer
    /// instead of taking a new one. `consuming`, so that the value moves through unretained
    /// (returning a borrowed `self` would copy it: an atomic retain and release). The storage's
    /// version is not bumped: nothing else reads it.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    @inlinable
    public consuming func binary(_ op: BinaryOp, _ other: DenseTensor, overwriting: Bool) -> DenseTensor {
        // `other` may share our storage only element for element (the loops read index i of
        // both before writing index i).
        guard overwriting, isContiguous,
              other.storage !== storage || (other.shape == shape && other.offset == offset && other.isContiguous),
              shape == other.shape || Shape.broadcast(shape, other.shape) == shape
        else { return binary(op, other) }
        zip(op, other, outShape: shape, into: start)
        return self
    }

    /// `addend + self * other` elementwise, all three of one shape, rounded as the two
    /// operations are (a product, then a sum; never a fused multiply-add): one pass where the
    /// product and the sum would take two, for a derivative that adds to a gradient already there.
    @inlinable
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func multiplied(by other: DenseTensor, adding addend: DenseTensor) -> DenseTensor {
        trapUnless(shape == other.shape && shape == addend.shape,
                   "multiplied(by:adding:) needs one shape, got \(shape), \(other.shape), \(addend.shape)")
        guard isContiguous, other.isContiguous, addend.isContiguous else {
            return contiguous().multiplied(by: other.contiguous(), adding: addend.contiguous())
        }
        let out = uninitializedLike()
        let n = count
        guard n > 0 else { return out }
        let a = UnsafePointer(start), b = UnsafePointer(other.start)
        let c = UnsafePointer(addend.start), o = out.start
        Parallel.forEachBlock(n) { r in
            for i in r { o[i] = c[i] + a[i] * b[i] }
        }
        return out
    }

    /// `op(self, scalar)`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    @inlinable
    public func binary(_ op: BinaryOp, scalar: Scalar) -> DenseTensor {
        guard op.hasScalarKernel else { return binary(op, DenseTensor(scalar)) }
        guard isNonOverlappingAndDense else { return contiguous().binary(op, scalar: scalar) }
        let out = uninitializedLikeLayout()
        zip(op, scalar: scalar, onLeft: false, into: out.start)
        return out
    }

    /// `op(self, scalar)`, written over `self`'s storage when `overwriting` is true; see
    /// ``binary(_:_:overwriting:)``.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    @inlinable
    public consuming func binary(_ op: BinaryOp, scalar: Scalar, overwriting: Bool) -> DenseTensor {
        guard overwriting, isContiguous, op.hasScalarKernel else { return binary(op, scalar: scalar) }
        zip(op, scalar: scalar, onLeft: false, into: start)
        return self
    }

    /// `op(scalar, self)`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    @inlinable
    public func binary(scalar: Scalar, _ op: BinaryOp) -> DenseTensor {
        guard op.hasScalarKernel else { return DenseTensor(scalar).binary(op, self) }
        guard isNonOverlappingAndDense else { return contiguous().binary(scalar: scalar, op) }
        let out = uninitializedLikeLayout()
        zip(op, scalar: scalar, onLeft: true, into: out.start)
        return out
    }

    /// `op(self, s)` or `op(s, self)` into `out` (this tensor's count of elements, in memory
    /// order: `self` is non-overlapping and dense, `out` laid out alike), for the four
    /// ops with a scalar kernel (`BinaryOp.hasScalarKernel`).
    @inlinable @inline(__always)
    func zip(_ op: BinaryOp, scalar s: Scalar, onLeft: Bool, into out: UnsafeMutablePointer<Scalar>) {
        switch op {
        case .add: zip(Fn.Add.self, scalar: s, onLeft: onLeft, into: out)
        case .sub: zip(Fn.Sub.self, scalar: s, onLeft: onLeft, into: out)
        case .mul: zip(Fn.Mul.self, scalar: s, onLeft: onLeft, into: out)
        case .div: zip(Fn.Div.self, scalar: s, onLeft: onLeft, into: out)
        default: trap("no scalar kernel for \(op)")
        }
    }

    /// `op(self, other)` into `out`, which holds `outShape` (the broadcast shape) row-major; or,
    /// `inMemoryOrder`, both operands' spans walked in memory order (one shape, one dense layout).
    @inlinable @inline(__always)
    func zip(_ op: BinaryOp, _ other: DenseTensor, outShape: [Int], into out: UnsafeMutablePointer<Scalar>, inMemoryOrder: Bool = false) {
        switch op {
        case .add: zip(Fn.Add.self, other, outShape: outShape, into: out, inMemoryOrder: inMemoryOrder)
        case .sub: zip(Fn.Sub.self, other, outShape: outShape, into: out, inMemoryOrder: inMemoryOrder)
        case .mul: zip(Fn.Mul.self, other, outShape: outShape, into: out, inMemoryOrder: inMemoryOrder)
        case .div: zip(Fn.Div.self, other, outShape: outShape, into: out, inMemoryOrder: inMemoryOrder)
        case .reluBackward: zip(Fn.ReluBackward.self, other, outShape: outShape, into: out, inMemoryOrder: inMemoryOrder)
        case .sigmoidBackward: zip(Fn.SigmoidBackward.self, other, outShape: outShape, into: out, inMemoryOrder: inMemoryOrder)
        case .tanhBackward: zip(Fn.TanhBackward.self, other, outShape: outShape, into: out, inMemoryOrder: inMemoryOrder)
        case .absBackward: zip(Fn.AbsBackward.self, other, outShape: outShape, into: out, inMemoryOrder: inMemoryOrder)
        case .sqrtBackward: zip(Fn.SqrtBackward.self, other, outShape: outShape, into: out, inMemoryOrder: inMemoryOrder)
        case .selfProductBackward: zip(Fn.SelfProductBackward.self, other, outShape: outShape, into: out, inMemoryOrder: inMemoryOrder)
        }
    }

    /// `F(self, s)` or `F(s, self)` elementwise into `o`: no broadcast.
    @inlinable @inline(__always)
    func zip<F: ElementFunction2>(_ f: F.Type, scalar s: Scalar, onLeft: Bool, into o: UnsafeMutablePointer<Scalar>) {
        let n = count
        guard n > 0 else { return }
        let a = UnsafePointer(start)
        if onLeft { zipLoop(f, scalar: s, a, o, n) } else { zipLoop(f, a, scalar: s, o, n) }
    }

    /// The broadcasting driver: picks the contiguous, scalar-operand or strided loop, writing `o`
    /// (which holds `outShape` row-major, or see `inMemoryOrder` above).
    @inlinable @inline(__always)
    func zip<F: ElementFunction2>(
        _ f: F.Type, _ other: DenseTensor, outShape: [Int], into o: UnsafeMutablePointer<Scalar>, inMemoryOrder: Bool
    ) {
        let n = inMemoryOrder ? count : Shape.count(outShape)
        guard n > 0 else { return }
        let a = UnsafePointer(start), b = UnsafePointer(other.start)
        let contiguous = isContiguous && other.isContiguous
        if inMemoryOrder || (contiguous && shape == other.shape) {
            zipLoop(f, a, b, o, n)
        } else if other.count == 1 && count == n && isContiguous {
            zipLoop(f, a, scalar: b[0], o, n)
        } else if count == 1 && other.count == n && other.isContiguous {
            zipLoop(f, scalar: a[0], b, o, n)
        } else if count == n && isContiguous && other.isContiguous && n < Parallel.minimumElements,
                  let inner = outShape.last, inner > 1, other.count == inner, other.shape.last == inner {
            // `other` is one row (all its other dimensions 1), broadcast down a dense `self`.
            zipRowsLoop(f, a, row: b, o, rows: n / inner, inner: inner)
        } else {
            let sa = operandStrides(to: outShape)
            let sb = other.operandStrides(to: outShape)
            let inner = outShape.last!
            let ia = sa.last!, ib = sb.last!
            if outShape.count == 2 && ia == 1 && ib == 1 {
                // Matrices of contiguous rows (narrowed views): one loop down the rows, split
                // across cores by rows, rather than a whole `zipLoop` call for each row.
                let rows = outShape[0], ra = sa[0], rb = sb[0]
                let threads = n >= Parallel.minimumElements ? Swift.min(Parallel.threads, rows) : 1
                let inPlace = UnsafePointer(o) == a && ra == inner
                Parallel.forEachPart(threads) { part in
                    for r in (rows * part / threads)..<(rows * (part + 1) / threads) {
                        let pb = b + r &* rb, po = o + r &* inner
                        if inPlace {   // Note [In-place loops]
                            for k in 0..<inner { po[k] = F.apply(po[k], pb[k]) }
                        } else {
                            let pa = a + r &* ra
                            for k in 0..<inner { po[k] = F.apply(pa[k], pb[k]) }
                        }
                    }
                }
                return
            }
            forEachRow(shape: outShape, stridesA: sa, stridesB: sb) { offA, offB, offO in
                switch (ia, ib) {
                case (1, 1): zipLoop(f, a + offA, b + offB, o + offO, inner)
                case (1, 0): zipLoop(f, a + offA, scalar: b[offB], o + offO, inner)
                case (0, 1): zipLoop(f, scalar: a[offA], b + offB, o + offO, inner)
                case (0, 0): (o + offO).update(repeating: F.apply(a[offA], b[offB]), count: inner)
                case (2, 2):   // `::2` slices: a constant stride, which LLVM vectorizes (wide loads, shuffles)
                    let pa = a + offA, pb = b + offB, po = o + offO
                    for k in 0..<inner { po[k] = F.apply(pa[2 &* k], pb[2 &* k]) }
                default:   // the general strided loop
                    for k in 0..<inner { o[offO &+ k] = F.apply(a[offA &+ k &* ia], b[offB &+ k &* ib]) }
                }
            }
        }
    }

}

extension DenseTensor {
    /// This tensor's strides read as if broadcast to `target` (0 on broadcast dimensions).
    @inlinable
    func operandStrides(to target: [Int]) -> [Int] {
        let own = strides
        let lead = target.count - rank
        var out = [Int](repeating: 0, count: target.count)
        for i in 0..<rank where shape[i] != 1 || target[lead + i] == 1 {
            out[lead + i] = shape[i] == 1 ? 0 : own[i]
        }
        return out
    }
}
