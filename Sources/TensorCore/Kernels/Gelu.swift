import CTensorCoreShims

/// Note [Vectorized GELU]: GELU over Float arrays, forward and derivative, runs the C kernels of
/// gelu_f32.c instead of libm's erff, expf and tanhf per element, which made a transformer MLP's
/// activation (`[8, 64, 512]`, forward and backward) 25× slower than PyTorch's vectorized kernel.
/// The exact form's forward needs erf alone and takes Eigen's and XLA's rational x·P(x²)/Q(x²)
/// (no exponential, 3.3e-7 absolute); its derivative needs e^(−x²/2) anyway for the density, so
/// it takes erf as PyTorch's `Vectorized<float>::erf` does (Abramowitz and Stegun 7.1.26, 1.5e-7
/// absolute) over that same exponential (Note [Vectorized exp]). The tanh form is computed as
/// `x · σ(2k)`, which equals `x/2 · (1 + tanh k)` and keeps its relative accuracy where
/// `1 + tanh k` cancels. GeluKernelTests holds them to the float64 formulas over [−12, 12]
/// (3e-7 of max(1, |x|) for the values; PyTorch's own float kernel: 1.1e-6), with PyTorch's NaN
/// at ±inf. Fused multiply-adds are written out as in the exp kernel, so every variant gives the
/// same bits; with them, forward and backward of the exact form take half the time they took
/// with separate products and sums and A&S in the forward too. Double keeps libm.
@usableFromInline
enum GeluKernel {
    /// `dst[i] = gelu(src[i])` for `i < n` (`approximate`: the tanh form).
    @inlinable @inline(__always)
    static func apply(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int, approximate: Bool,
                      variant: ExpKernel.Variant = ExpKernel.variant) {
        switch variant {
        case .avx512: _tensorcore_gelu_f32_avx512(dst, src, n, approximate)
        case .avx2: _tensorcore_gelu_f32_avx2(dst, src, n, approximate)
        case .baseline: _tensorcore_gelu_f32(dst, src, n, approximate)
        }
    }

    /// `dst[i] = gelu′(x[i]) · grad[i]` for `i < n` (`dst == grad` allowed).
    @inlinable @inline(__always)
    static func derivative(_ dst: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int,
                           approximate: Bool, variant: ExpKernel.Variant = ExpKernel.variant) {
        switch variant {
        case .avx512: _tensorcore_gelu_backward_f32_avx512(dst, grad, x, n, approximate)
        case .avx2: _tensorcore_gelu_backward_f32_avx2(dst, grad, x, n, approximate)
        case .baseline: _tensorcore_gelu_backward_f32(dst, grad, x, n, approximate)
        }
    }
}

/// `out[i] = gelu(a[i])`, split across cores for large counts: the Float kernel, else
/// ``pointwiseLoop(_:_:_:_:)`` with the generic formula.
@inline(__always)
func geluLoop<S: TensorScalar>(_ a: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>, _ n: Int, approximate: Bool) {
    guard S.self == Float.self else {
        return approximate ? pointwiseLoop(PF.GeluTanh<S>(), a, out, n) : pointwiseLoop(PF.Gelu<S>(), a, out, n)
    }
    let a = asFloat(a)
    let out = asFloat(out)
    Parallel.forEachBlock(n) { r in GeluKernel.apply(out + r.lowerBound, a + r.lowerBound, r.count, approximate: approximate) }
}

/// `out[i] = gelu′(x[i]) · g[i]`; `out` may be `g`.
@inline(__always)
func geluDerivativeLoop<S: TensorScalar>(
    _ g: UnsafePointer<S>, _ x: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>, _ n: Int, approximate: Bool
) {
    guard S.self == Float.self else {
        return approximate ? pointwiseDerivativeLoop(PF.GeluTanh<S>(), g, x, out, n) : pointwiseDerivativeLoop(PF.Gelu<S>(), g, x, out, n)
    }
    let g = asFloat(g), x = asFloat(x)
    let out = asFloat(out)
    Parallel.forEachBlock(n) { r in
        GeluKernel.derivative(out + r.lowerBound, grad: g + r.lowerBound, x + r.lowerBound, r.count, approximate: approximate)
    }
}
