import CTensorCoreShims

/// Note [Vectorized exp]: `exp` over Float arrays runs the C kernel `_tensorcore_exp_f32`
/// (Cephes' expf as a loop the compiler vectorizes) instead of calling libm's expf per element:
/// softmax and cross-entropy, forward and backward, called expf 1,280 times an mlp-small step,
/// 8 % of the step at 2.6 ns a call. The kernel is within 1 ulp of expf over every float (a
/// sweep of all of them; ExpKernelTests checks a million on each variant), gives expf's inf, 0
/// and NaN, and the same bits on every CPU: its fused multiply-adds are written out (exp_f32.h's
/// `TC_FMA`), one `vfmadd` in the AVX2 and AVX-512 builds and libm's correctly rounded `fmaf` in
/// the baseline one, and the compiler contracts nothing else, so every build rounds alike. The
/// fused form is a third fewer vector operations (softmax at transformer sizes 12 % faster than
/// with separate products and sums) and more accurate (0.004 ulp from expf on average, against
/// 0.008). PyTorch's own CPU kernels use a vectorized exp too (Sleef, 1 ulp). Double keeps
/// libm's exp.
@usableFromInline
enum ExpKernel {
    /// The variant this CPU runs: AVX-512 where the library's AVX-512 kernels run, AVX2 where
    /// the CPU has it (also under `TENSORCORE_ISA=avx2`), else the baseline build.
    @usableFromInline static let variant: Variant =
        avx512KernelsAvailable ? .avx512 : (_tensorcore_avx2_available() ? .avx2 : .baseline)

    @usableFromInline enum Variant: CaseIterable, Sendable { case baseline, avx2, avx512 }

    /// Whether this CPU can run `variant` (the baseline always).
    static func runs(_ variant: Variant) -> Bool {
        switch variant {
        case .baseline: true
        case .avx2: _tensorcore_avx2_available()
        case .avx512: _tensorcore_avx512_available()
        }
    }

    /// `dst[i] = exp(src[i] - shift)` for `i < n` (`dst == src` allowed).
    @inlinable @inline(__always)
    static func apply(
        _ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int, shift: Float = 0,
        variant: Variant = ExpKernel.variant
    ) {
        switch variant {
        case .avx512: _tensorcore_exp_f32_avx512(dst, src, n, shift)
        case .avx2: _tensorcore_exp_f32_avx2(dst, src, n, shift)
        case .baseline: _tensorcore_exp_f32(dst, src, n, shift)
        }
    }
}

/// `out[i] = exp(a[i])` for `i in 0..<n`: ``mapLoop(_:_:_:_:)`` with the Float kernel.
@inlinable @inline(__always)
func expLoop<S: TensorScalar>(_ a: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>, _ n: Int) {
    guard S.self == Float.self else { return mapLoop(Fn.Exp.self, a, out, n) }
    let a = asFloat(a)
    let out = asFloat(out)
    let streaming = n &* MemoryLayout<Float>.stride >= DenseTensor<Float>.streamingFillBytes
    Parallel.forEachBlock(n) { r in
        if streaming {
            DenseTensor<Float>.streamingStore(out, r) { o, c in ExpKernel.apply(o + c.lowerBound, a + c.lowerBound, c.count) }
        } else {
            ExpKernel.apply(out + r.lowerBound, a + r.lowerBound, r.count)
        }
    }
}

/// Softmax (or log-softmax) of Float rows of at least 16 elements (Note [Softmax rows]): the C
/// kernel of softmax_f32.c, for this CPU's variant.
@usableFromInline
enum SoftmaxRowsKernel {
    /// Rows `rows` of `n` elements: `dst = softmax(src)` (`log`: log-softmax) along each.
    @inlinable @inline(__always)
    static func apply(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, n: Int, rows: Range<Int>, log: Bool,
                      variant: ExpKernel.Variant = ExpKernel.variant) {
        switch variant {
        case .avx512: _tensorcore_softmax_rows_f32_avx512(dst, src, n, rows.lowerBound, rows.upperBound, log)
        case .avx2: _tensorcore_softmax_rows_f32_avx2(dst, src, n, rows.lowerBound, rows.upperBound, log)
        case .baseline: _tensorcore_softmax_rows_f32(dst, src, n, rows.lowerBound, rows.upperBound, log)
        }
    }
}
