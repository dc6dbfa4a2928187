import Arena

// Minima, arg-extrema, sums and means over several dimensions, products, variance and standard
// deviation, vector norms, log-sum-exp and cumulative sums (API.md "More operations").
//
// The derivatives follow PyTorch's derivatives.yaml and FunctionsManual.cpp. Where a derivative
// needs the forward's result (std, norm, logsumexp) it computes it again from the input: in the
// recorded interpretation that is the recorded op of the same meaning, so the result keeps its
// history and the derivative differentiates again.

// MARK: - min

enum MinAll: OpDefinition {
    static let name = "MinBackward1"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    /// `max()`'s: the gradient shared evenly by the elements equal to the minimum (in `scalar`).
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { MaxAll.backward(c) }
}

enum MinDim: OpDefinition {
    static let name = "MinBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    /// `max(dim:)`'s: the gradient placed at the chosen indices.
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { MaxDim.backward(c) }
}

extension Tensor where Scalar: TensorScalar {
    /// The smallest element, a 0-d tensor (PyTorch's `min()`; MinBackward1).
    ///
    /// NaN if any element is NaN. The gradient is shared evenly by the elements equal to the
    /// minimum, as PyTorch's. Traps with PyTorch's message on an empty tensor.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func min() -> Tensor {
        let m = withData { $0.min() }
        return Tensor.record(m, MinAll.self, self, nil, Saved(tensors: (data, nil), scalar: Double(m.scalar!)))
    }

    /// The smallest elements along `dim` (the values of PyTorch's `min(dim, keepdim)`;
    /// MinBackward0). Negative dims count from the end.
    ///
    /// On ties the first index is chosen and receives the gradient; a slice holding NaN gives
    /// NaN. Traps with PyTorch's message when `dim` has size 0.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func min(dim: Int, keepDim: Bool = false) -> Tensor {
        let (values, indices) = withData { $0.min(dim: dim, keepDim: keepDim) }
        return Tensor.record(values, MinDim.self, self, nil,
                             Saved(shapes: (shape, nil), indices: indices, dim: dim, keepDim: keepDim))
    }

    /// The position of the largest element in the row-major order, a 0-d `Tensor<Int>`
    /// (PyTorch's `argmax()`; not recorded). The first on ties; the first NaN if any.
    public func argmax() -> Tensor<Int> {
        Tensor<Int>(data: DenseTensor(withData { $0.extremumPosition(largest: true, name: "argmax") }))
    }

    /// The position of the smallest element in the row-major order (PyTorch's `argmin()`).
    /// The first on ties; the first NaN if any.
    public func argmin() -> Tensor<Int> {
        Tensor<Int>(data: DenseTensor(withData { $0.extremumPosition(largest: false, name: "argmin") }))
    }

    /// The index of the largest element along `dim` (PyTorch's `argmax(dim, keepdim)`; not
    /// recorded). The first on ties; the first NaN where a slice holds one.
    public func argmax(dim: Int, keepDim: Bool = false) -> Tensor<Int> { extremumIndices(dim: dim, keepDim: keepDim, largest: true) }

    /// The index of the smallest element along `dim` (PyTorch's `argmin(dim, keepdim)`).
    public func argmin(dim: Int, keepDim: Bool = false) -> Tensor<Int> { extremumIndices(dim: dim, keepDim: keepDim, largest: false) }

    private func extremumIndices(dim: Int, keepDim: Bool, largest: Bool) -> Tensor<Int> {
        let (values, indices) = withData {
            $0.extremum(dim: dim, keepDim: keepDim, largest: largest, name: largest ? "argmax" : "argmin")
        }
        return Tensor<Int>(data: try! DenseTensor(scalars: indices, shape: values.shape))
    }
}

// MARK: - sum and mean over several dimensions

/// The gradient of a reduction over the dimensions `c.indices` (normalized) put back as size 1
/// where `keepDim` dropped them, then expanded to the input's shape (`sum_backward`).
private func unreduced<V: GradientValue>(_ g: V, _ c: borrowing BackwardContext<V>) -> V {
    let kept = DenseTensor<V.Scalar>.reducedShape(c.shape0, dims: c.indices, keepDim: true)
    return (c.keepDim ? g : g.reshaped(kept)).broadcasted(to: c.shape0)
}

enum SumDims: OpDefinition {
    static let name = "SumBackward1"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (unreduced(c.grad, c), nil) }
}

enum MeanDims: OpDefinition {
    static let name = "MeanBackward1"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        let n = DenseTensor<V.Scalar>.reducedCount(c.shape0, dims: c.indices)
        return (unreduced(c.grad.binary(.div, scalar: V.Scalar(n)), c), nil)
    }
}

extension Tensor where Scalar: TensorScalar {
    /// The sum over `dims` (PyTorch's `sum(dim=[...], keepdim)`; SumBackward1). Negative dims
    /// count from the end; an empty list sums every dimension, as PyTorch's `dim=[]`. Traps with
    /// PyTorch's message on a repeated dimension.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func sum(dims: [Int], keepDim: Bool = false) -> Tensor {
        let axes = DenseTensor<Scalar>.reductionDims(dims, rank: rank)
        return Tensor.record(withData { $0.sum(dims: axes, keepDim: keepDim) }, SumDims.self, self, nil,
                             Saved(shapes: (shape, nil), indices: axes, keepDim: keepDim))
    }

    /// The mean over `dims` (PyTorch's `mean(dim=[...], keepdim)`; MeanBackward1); NaN where
    /// nothing is averaged (a dimension of size 0), as PyTorch.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func mean(dims: [Int], keepDim: Bool = false) -> Tensor {
        let axes = DenseTensor<Scalar>.reductionDims(dims, rank: rank)
        return Tensor.record(withData { $0.mean(dims: axes, keepDim: keepDim) }, MeanDims.self, self, nil,
                             Saved(shapes: (shape, nil), indices: axes, keepDim: keepDim))
    }
}

// MARK: - prod

enum Prod: OpDefinition {
    static let name = "ProdBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.saved0.prodBackward(grad: c.grad), nil) }
}

extension Tensor where Scalar: TensorScalar {
    /// The product of all elements, a 0-d tensor (PyTorch's `prod()`; ProdBackward0); 1 for an
    /// empty tensor.
    ///
    /// The gradient is PyTorch's `prod_backward`: `grad · result / x` where no element is zero;
    /// with one zero, the product of the others at the zero and 0 elsewhere; with several, zeros.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func prod() -> Tensor {
        Tensor.record(withData { $0.prod() }, Prod.self, self, nil, Saved(tensors: (data, nil)))
    }
}

extension DenseTensor where Scalar: TensorScalar {
    func prodBackward(grad: DenseTensor) -> DenseTensor { prodBackward(grad: grad.scalar!) }
}

extension Tensor where Scalar: TensorScalar {
    /// `prodBackward` recorded, differentiable again: each element's gradient is `grad` times
    /// the product of the others, formed without dividing by a zero. With the zeros `Z` and `P`
    /// the product of the rest: no zero, `grad · prod() / x`; one zero at `k`, `grad · P` there
    /// and `grad · P · x_k / x_j` elsewhere (0, but its derivative in `x_k` is not); two zeros
    /// `k`, `l`, `grad · P · x_l` at `k` and `grad · P · x_k` at `l`. With three or more, the
    /// gradient and its first derivatives are all zero.
    func prodBackward(grad: Tensor) -> Tensor {
        if rank == 0 { return grad }
        let zeros = data.contiguous().withElements { x in x.indices.filter { x[$0] == 0 } }
        let flat = reshaped([-1])
        func oneHot(_ k: Int) -> Tensor {
            var v = [Scalar](repeating: 0, count: count)
            v[k] = 1
            return Tensor(data: try! DenseTensor(scalars: v, shape: shape))
        }
        switch zeros.count {
        case 0: return grad * (prod() / self)
        case 1:
            let mask = self .== 0
            let others = maskedFill(mask, with: 1)
            return grad * others.prod() * (flat.select(dim: 0, index: zeros[0]) / others).maskedFill(mask, with: 1)
        case 2:
            let p = maskedFill(self .== 0, with: 1).prod()
            let (k, l) = (zeros[0], zeros[1])
            return grad * p * (oneHot(k) * flat.select(dim: 0, index: l) + oneHot(l) * flat.select(dim: 0, index: k))
        default: return zerosLike()
        }
    }
}

// MARK: - variance and standard deviation

/// PyTorch's `var_backward`: `2 / (N − correction) · grad · (x − mean)` over the dims `dims`
/// (normalized). Over all elements (`mode` 0) with `N − correction ≤ 0`, `grad · ∞` where `x`
/// is off the mean and NaN where it is on it; for dims given as `[]` (`mode` 2), PyTorch's
/// `_safe_size` counts N as 1 in the factor (the mean is still over all elements).
private func varianceBackward<V: GradientValue>(grad: V, input x: V, dims: [Int], correction: Int, keepDim: Bool, mode: Int) -> V {
    let n = DenseTensor<V.Scalar>.reducedCount(x.shape, dims: dims)
    var mean = x
    for d in dims { mean = mean.sum(dim: d, keepDim: true) }
    let centered = x.binary(.sub, mean.binary(.div, scalar: V.Scalar(n)))
    let g = keepDim || x.rank == 0 ? grad : grad.reshaped(DenseTensor<V.Scalar>.reducedShape(x.shape, dims: dims, keepDim: true))
    if mode == 0 && n - correction <= 0 {
        return centered.unary(.abs).binary(.mul, scalar: .infinity).binary(.mul, g)
    }
    return centered.binary(.mul, g).binary(.mul, scalar: 2 / V.Scalar((mode == 2 ? 1 : n) - correction))
}

/// The standard deviation over `dims` (normalized) as the derivative's formula sees it, for
/// `std`'s derivative: `sqrt(Σ (x − mean)² / max(N − correction, 0))`.
private func standardDeviation<V: GradientValue>(_ x: V, dims: [Int], correction: Int, keepDim: Bool) -> V {
    let n = DenseTensor<V.Scalar>.reducedCount(x.shape, dims: dims)
    var mean = x
    for d in dims { mean = mean.sum(dim: d, keepDim: true) }
    let centered = x.binary(.sub, mean.binary(.div, scalar: V.Scalar(n)))
    var squares = centered.binary(.mul, centered)
    for d in dims { squares = squares.sum(dim: d, keepDim: true) }
    if !keepDim { squares = squares.reshaped(DenseTensor<V.Scalar>.reducedShape(x.shape, dims: dims, keepDim: false)) }
    return squares.binary(.div, scalar: V.Scalar(Swift.max(n - correction, 0))).unary(.sqrt)
}

/// Variance and standard deviation keep the dims in `indices`, the correction in `scalar`,
/// `keepDim`, and in `dim2` how the dims were given: all of them (`nil`, 0), a list (1), an
/// empty list (2).
enum Var: OpDefinition {
    static let name = "VarBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (varianceBackward(grad: c.grad, input: c.saved0, dims: c.indices, correction: Int(c.node.scalar),
                          keepDim: c.keepDim, mode: c.dim2), nil)
    }
}

enum Std: OpDefinition {
    static let name = "StdBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    /// PyTorch's `std_backward`: `var_backward` of `grad / (2 · result)`, 0 where the result is 0.
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        let x = c.saved0
        let correction = Int(c.node.scalar)
        let result = standardDeviation(x, dims: c.indices, correction: correction, keepDim: c.keepDim)
        let g = c.grad.binary(.div, result.binary(.mul, scalar: 2)).binary(.reluBackward, result)
        return (varianceBackward(grad: g, input: x, dims: c.indices, correction: correction,
                                 keepDim: c.keepDim, mode: c.dim2), nil)
    }
}

extension Tensor where Scalar: TensorScalar {
    /// How `variance`/`std` were given their dims, for the derivative (`Var`).
    private static func dimsMode(_ dims: [Int]?) -> Int { dims == nil ? 0 : dims!.isEmpty ? 2 : 1 }

    /// The variance over `dims` (all when `nil`) with `correction` (PyTorch's `var(dim,
    /// correction=, keepdim=)`; VarBackward0): the squared deviations from the mean summed and
    /// divided by `max(N − correction, 0)`. Correction 1 (the default) is Bessel's; 0 is the
    /// population variance; where `N − correction ≤ 0` the result is `inf` (NaN for a constant
    /// slice), as PyTorch's. `dims: []` reduces every dimension too, but its gradient is
    /// PyTorch's for that spelling, which counts N as 1 in the factor `2 / (N − correction)`.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func variance(dims: [Int]? = nil, correction: Int = 1, keepDim: Bool = false) -> Tensor {
        let axes = DenseTensor<Scalar>.reductionDims(dims ?? [], rank: rank)
        return Tensor.record(withData { $0.variance(dims: axes, correction: correction, keepDim: keepDim) }, Var.self, self, nil,
                             Saved(tensors: (data, nil), indices: axes, scalar: Double(correction), dim2: Self.dimsMode(dims), keepDim: keepDim))
    }

    /// The standard deviation over `dims` (all when `nil`), the square root of
    /// ``variance(dims:correction:keepDim:)`` (PyTorch's `std`; StdBackward0). Its gradient is 0
    /// where the result is 0, as PyTorch's.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func std(dims: [Int]? = nil, correction: Int = 1, keepDim: Bool = false) -> Tensor {
        let axes = DenseTensor<Scalar>.reductionDims(dims ?? [], rank: rank)
        let value = withData { $0.variance(dims: axes, correction: correction, keepDim: keepDim).unary(.sqrt) }
        return Tensor.record(value, Std.self, self, nil,
                             Saved(tensors: (data, nil), indices: axes, scalar: Double(correction), dim2: Self.dimsMode(dims), keepDim: keepDim))
    }
}

// MARK: - norm

/// The vector norm keeps `p` in `scalar` and 0 in `dim` for a finite `p`; for `p = ±∞` it keeps
/// the result in `scalar` and the sign of `p` in `dim`.
enum VectorNorm: OpDefinition {
    static let name = "LinalgVectorNormBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    /// PyTorch's `linalg_vector_norm_backward` over all elements.
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        let x = c.saved0
        let grad = c.grad
        if c.dim != 0 {
            // ±∞: the gradient shared by the elements whose |x| is the result, times sgn(x).
            return (x.unary(.abs).maxBackward(grad: grad, maximum: c.scalar).binary(.absBackward, x), nil)
        }
        let p = c.scalar
        if p == 0 { return (nil, nil) }   // PyTorch's is undefined: the input gets no gradient
        if p == 1 { return (grad.broadcasted(to: x.shape).binary(.absBackward, x), nil) }
        let result = (p == 2 ? x.binary(.mul, x) : x.unary(.abs).pow(p)).sum(toShape: []).pow(1 / p)
        if p == 2 {
            return (x.binary(.mul, grad.binary(.div, result).binary(.reluBackward, result)), nil)
        }
        if p < 1 {
            // sgn(x) · |x|^(p−1), 0 where x is 0, times grad · result^(1−p).
            let abs = x.unary(.abs)
            let scaled = abs.pow(p - 1).binary(.reluBackward, abs).binary(.absBackward, x)
            return (scaled.binary(.mul, grad.binary(.mul, result.pow(1 - p))), nil)
        }
        let scaled = p < 2 ? x.unary(.abs).pow(p - 1).binary(.absBackward, x) : x.binary(.mul, x.unary(.abs).pow(p - 2))
        return (scaled.binary(.mul, grad.binary(.div, result.pow(p - 1)).binary(.reluBackward, result)), nil)
    }
}

extension Tensor where Scalar: TensorScalar {
    /// The `p`-norm of all elements, `(Σ |x|^p)^(1/p)`, a 0-d tensor (PyTorch's `norm(p)` and
    /// `torch.linalg.vector_norm(x, ord=p)`; LinalgVectorNormBackward0). `p = 0` counts the
    /// non-zero elements, `p = ∞` is the largest `|x|`, `p = −∞` the smallest.
    ///
    /// The gradient is PyTorch's: for `p = 2`, `x / ‖x‖` and 0 at the zero vector; for `p = ±∞`,
    /// `sgn(x)` shared evenly by the elements whose `|x|` is the norm. Traps with PyTorch's
    /// message for `p = ±∞` on an empty tensor.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func norm(p: Scalar = 2) -> Tensor {
        let value: DenseTensor<Scalar> = withData { x in
            if p.isInfinite {
                trapUnless(x.count > 0, "linalg.vector_norm cannot compute the \(p > 0 ? "" : "-")inf norm on an empty tensor because the operation does not have an identity")
                let a = x.unary(.abs)
                return p > 0 ? a.max() : a.min()
            }
            if p == 0 { return DenseTensor(Scalar(x.contiguous().withElements { $0.reduce(0) { $0 + ($1 != 0 ? 1 : 0) } })) }
            if p == 1 { return x.unary(.abs).sum() }
            if p == 2 { return x.binary(.mul, x).sum().unary(.sqrt) }
            return x.unary(.abs).pow(p).sum().pow(1 / p)
        }
        let saved = p.isInfinite ? Saved(tensors: (data, nil), scalar: Double(value.scalar!), dim: p > 0 ? 1 : -1)
                                 : Saved(tensors: (data, nil), scalar: Double(p))
        return Tensor.record(value, VectorNorm.self, self, nil, saved)
    }
}

// MARK: - logsumexp

enum LogSumExp: OpDefinition {
    static let name = "LogsumexpBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    /// PyTorch's `logsumexp_backward`: `grad · exp(x − result)` (the result computed again).
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        let x = c.saved0
        let result = x.logSumExp(dim: c.dim, keepDim: true)
        let g = c.grad.withReducedDim(c.dim, keepDim: c.keepDim, inputRank: x.rank)
        return (x.binary(.sub, result).unary(.exp).binary(.mul, g), nil)
    }
}

extension Tensor where Scalar: TensorScalar {
    /// `log(Σ exp(x))` along `dim`, computed stably (PyTorch's `logsumexp(dim, keepdim)`;
    /// LogsumexpBackward0): the slice's maximum is taken out first. A slice of `−inf` gives
    /// `−inf` (gradient NaN, as PyTorch's), one holding `+inf` gives `+inf`.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func logSumExp(dim: Int, keepDim: Bool = false) -> Tensor {
        Tensor.record(withData { $0.logSumExp(dim: dim, keepDim: keepDim) }, LogSumExp.self, self, nil,
                      Saved(tensors: (data, nil), dim: dim, keepDim: keepDim))
    }
}

// MARK: - cumsum

enum Cumsum: OpDefinition {
    static let name = "CumsumBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    /// The gradient's sums from the end of the dimension backwards (PyTorch's `cumsum_backward`).
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.grad.reverseCumsum(dim: c.dim), nil) }
}

extension Tensor where Scalar: TensorScalar {
    /// The running sums along `dim` (PyTorch's `cumsum(dim)`; CumsumBackward0); negative dims
    /// count from the end.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func cumsum(dim: Int) -> Tensor {
        Tensor.record(withData { $0.cumsum(dim: dim) }, Cumsum.self, self, keepingShape: shape, dim: dim)
    }

    /// `reverseCumsum` recorded: `Σ_{j ≥ i} g_j = Σ g − cumsum(g) + g`.
    func reverseCumsum(dim: Int) -> Tensor { sum(dim: dim, keepDim: true) - cumsum(dim: dim) + self }
}

extension DenseTensor where Scalar: TensorScalar {
    func reverseCumsum(dim: Int) -> DenseTensor { cumsum(dim: dim, reversed: true) }
}
