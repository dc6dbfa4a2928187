import CTensorCoreShims

/// Layer normalization of Float rows, forward and backward (Note [Layer norm rows]): the C
/// kernels of layernorm_f32.c, for this CPU's variant. Swift's SIMD16 loops they replace run at
/// SSE2's width in every build (only the C targets get AVX2 and AVX-512 builds).
@usableFromInline
enum LayerNormRowsKernel {
    /// Rows `rows` of `n` elements: `y = (x − μ)·σ⁻¹·w + b` along each (`w`, `b` where given).
    @inlinable @inline(__always)
    static func apply(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, weight w: UnsafePointer<Float>?,
                      bias b: UnsafePointer<Float>?, n: Int, rows: Range<Int>, eps: Float,
                      variant: ExpKernel.Variant = ExpKernel.variant) {
        let (lo, hi) = (rows.lowerBound, rows.upperBound)
        switch variant {
        case .avx512: _tensorcore_layer_norm_rows_f32_avx512(y, x, w, b, n, lo, hi, eps)
        case .avx2: _tensorcore_layer_norm_rows_f32_avx2(y, x, w, b, n, lo, hi, eps)
        case .baseline: _tensorcore_layer_norm_rows_f32(y, x, w, b, n, lo, hi, eps)
        }
    }

    /// Rows `rows`: the input's gradient into `dx`, the rows' terms of the weight's and bias's
    /// gradients added into `dw` and `db` (each where given).
    @inlinable @inline(__always)
    static func gradients(dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?, db: UnsafeMutablePointer<Float>?,
                          _ x: UnsafePointer<Float>, grad g: UnsafePointer<Float>, weight w: UnsafePointer<Float>?,
                          n: Int, rows: Range<Int>, eps: Float, variant: ExpKernel.Variant = ExpKernel.variant) {
        let (lo, hi) = (rows.lowerBound, rows.upperBound)
        switch variant {
        case .avx512: _tensorcore_layer_norm_backward_rows_f32_avx512(dx, dw, db, x, g, w, n, lo, hi, eps)
        case .avx2: _tensorcore_layer_norm_backward_rows_f32_avx2(dx, dw, db, x, g, w, n, lo, hi, eps)
        case .baseline: _tensorcore_layer_norm_backward_rows_f32(dx, dw, db, x, g, w, n, lo, hi, eps)
        }
    }
}
