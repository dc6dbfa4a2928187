// What Swift has no intrinsic for: CPU feature queries (to pick OpenBLAS's kernel set) and
// streaming (non-temporal) stores.
#ifndef CTENSORCORESHIMS_H
#define CTENSORCORESHIMS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/// `p[0..<n] = v` with non-temporal stores: the lines are written without being read first
/// (no read-for-ownership) and bypass the caches. For fills much larger than the cache.
void _tensorcore_fill_streaming_f32(float *_Nonnull p, float v, size_t n);
void _tensorcore_fill_streaming_f64(double *_Nonnull p, double v, size_t n);
/// `dst[0..<n] = src[0..<n]` with non-temporal stores (the buffers must not overlap).
void _tensorcore_copy_streaming_f32(float *_Nonnull dst, const float *_Nonnull src, size_t n);
void _tensorcore_copy_streaming_f64(double *_Nonnull dst, const double *_Nonnull src, size_t n);
/// The same copies without the closing fence, for a kernel that streams its output in many
/// small pieces and fences once with `_tensorcore_store_fence` when it is done.
void _tensorcore_copy_streaming_unfenced_f32(float *_Nonnull dst, const float *_Nonnull src, size_t n);
void _tensorcore_copy_streaming_unfenced_f64(double *_Nonnull dst, const double *_Nonnull src, size_t n);
/// Orders the streaming stores before it with every later store (they are weakly ordered).
void _tensorcore_store_fence(void);

/// `dst[i] = exp(src[i] - shift)` for `i < n`, within 1 ulp of libm's expf, the same bits from
/// every variant (`dst == src` allowed; no other overlap). The `_avx2` variant only when
/// `_tensorcore_avx2_available()`, the `_avx512` one only when `_tensorcore_avx512_available()`.
void _tensorcore_exp_f32(float *_Nonnull dst, const float *_Nonnull src, size_t n, float shift);
void _tensorcore_exp_f32_avx2(float *_Nonnull dst, const float *_Nonnull src, size_t n, float shift);
void _tensorcore_exp_f32_avx512(float *_Nonnull dst, const float *_Nonnull src, size_t n, float shift);
bool _tensorcore_avx2_available(void);

/// Rows `rowLo..<rowHi` of `n` (≥ 16) elements each: `dst = softmax(src)` along each row, or
/// (`log`) `log_softmax` (`dst` must not overlap `src`). Variants as `_tensorcore_exp_f32`'s.
void _tensorcore_softmax_rows_f32(float *_Nonnull dst, const float *_Nonnull src, long n, long rowLo, long rowHi, bool log);
void _tensorcore_softmax_rows_f32_avx2(float *_Nonnull dst, const float *_Nonnull src, long n, long rowLo, long rowHi, bool log);
void _tensorcore_softmax_rows_f32_avx512(float *_Nonnull dst, const float *_Nonnull src, long n, long rowLo, long rowHi, bool log);

/// Layer normalization of rows `rowLo..<rowHi` of `n` elements: `y = (x − μ)·σ⁻¹·w + b` per row
/// (`w`, `b`: `n` elements, or NULL), σ² the biased variance plus `eps`. The backward writes the
/// input's gradient into `dx` and adds the rows' terms of the weight's and bias's into `dw` and
/// `db` (each may be NULL). Variants as `_tensorcore_exp_f32`'s; the same bits from every variant.
void _tensorcore_layer_norm_rows_f32(float *_Nonnull y, const float *_Nonnull x, const float *_Nullable w,
                                     const float *_Nullable b, long n, long rowLo, long rowHi, float eps);
void _tensorcore_layer_norm_rows_f32_avx2(float *_Nonnull y, const float *_Nonnull x, const float *_Nullable w,
                                          const float *_Nullable b, long n, long rowLo, long rowHi, float eps);
void _tensorcore_layer_norm_rows_f32_avx512(float *_Nonnull y, const float *_Nonnull x, const float *_Nullable w,
                                            const float *_Nullable b, long n, long rowLo, long rowHi, float eps);
void _tensorcore_layer_norm_backward_rows_f32(float *_Nullable dx, float *_Nullable dw, float *_Nullable db,
                                              const float *_Nonnull x, const float *_Nonnull g, const float *_Nullable w,
                                              long n, long rowLo, long rowHi, float eps);
void _tensorcore_layer_norm_backward_rows_f32_avx2(float *_Nullable dx, float *_Nullable dw, float *_Nullable db,
                                                   const float *_Nonnull x, const float *_Nonnull g,
                                                   const float *_Nullable w, long n, long rowLo, long rowHi, float eps);
void _tensorcore_layer_norm_backward_rows_f32_avx512(float *_Nullable dx, float *_Nullable dw, float *_Nullable db,
                                                     const float *_Nonnull x, const float *_Nonnull g,
                                                     const float *_Nullable w, long n, long rowLo, long rowHi, float eps);

/// GELU (`approximate`: its tanh form) of `src` into `dst` for `i < n`, and its derivative
/// `dst[i] = gelu'(x[i]) · grad[i]` (`dst == grad` allowed; no other overlap): erf as PyTorch's
/// vectorized kernel computes it, exp within 1 ulp, the same bits from every variant. The
/// `_avx2`/`_avx512` variants only where `_tensorcore_avx2_available()`/`_tensorcore_avx512_available()`.
void _tensorcore_gelu_f32(float *_Nonnull dst, const float *_Nonnull src, size_t n, bool approximate);
void _tensorcore_gelu_f32_avx2(float *_Nonnull dst, const float *_Nonnull src, size_t n, bool approximate);
void _tensorcore_gelu_f32_avx512(float *_Nonnull dst, const float *_Nonnull src, size_t n, bool approximate);
void _tensorcore_gelu_backward_f32(float *_Nonnull dst, const float *_Nonnull grad, const float *_Nonnull x, size_t n, bool approximate);
void _tensorcore_gelu_backward_f32_avx2(float *_Nonnull dst, const float *_Nonnull grad, const float *_Nonnull x, size_t n, bool approximate);
void _tensorcore_gelu_backward_f32_avx512(float *_Nonnull dst, const float *_Nonnull grad, const float *_Nonnull x, size_t n, bool approximate);

/// Whether this CPU runs the AVX-512 kernels `_tensorcore_sgemm*` and `_tensorcore_transpose_f32`
/// (AVX-512F and FMA; false off x86-64).
bool _tensorcore_avx512_available(void);
/// Rows `rowLo..<rowHi` of the `rows`×`cols` matrix at `s` written transposed into `o` (`cols`×`rows`).
/// Only when `_tensorcore_avx512_available()`.
void _tensorcore_transpose_f32(const float *_Nonnull s, float *_Nonnull o, long rows, long cols, long rowLo, long rowHi);
/// Whether the kernel was compiled with optimization (a debug build's -O0 copy is many times
/// slower than OpenBLAS, so it is off by default there).
bool _tensorcore_sgemm_optimized(void);
/// Floats `_tensorcore_sgemm_pack_bt` writes for a k×n Bᵀ.
long _tensorcore_sgemm_packed_count(long k, long n);
/// Packs Bᵀ (k×n; B is n×k with row stride `ldb`) into
/// `dst`, which holds `_tensorcore_sgemm_packed_count(k, n)` floats.
void _tensorcore_sgemm_pack_bt(long k, long n, const float *_Nonnull b, long ldb, float *_Nonnull dst);
/// `C = alpha · op(A) · op(B) + beta · C`, row-major, op(A) m×k, op(B) k×n. `b` is either op(B) = B
/// itself (row stride `ldb`) or, when `bPacked`, Bᵀ as `_tensorcore_sgemm_pack_bt` wrote it (ldb unused).
/// `beta == 0` never reads C. Only when `_tensorcore_avx512_available()`; k ≥ 1.
void _tensorcore_sgemm(bool transA, long m, long n, long k, float alpha, const float *_Nonnull a, long lda,
                       const float *_Nonnull b, long ldb, bool bPacked, float beta, float *_Nonnull c, long ldc);

/// The most kernel taps (kH · kW) `_tensorcore_conv2d_implicit` takes.
#define TC_CONV_MAX_TAPS 64
/// A block of `images` images of a convolution with stride 1 along the width, as a GEMM over
/// its never-formed column buffer (Note [Implicit convolution]): `out[i, p] = beta · out[i, p] +
/// Σ_k a[i, k] · col[k, p]` for the `m` rows of `a` (row stride `lda`, k = (c, kh, kw) over `C`
/// channels of `x`, each `H`×`W`) and the `oH · oW` output positions (row stride of `out`:
/// `ldc`), image i's input at `x + i · xImage` and output at `out + i · outImage`; then, unless
/// `bias` is NULL, `bias[i]` added to row i (with `beta == 0`: the bits of an output filled with
/// the bias and `beta == 1`). `beta == 0` never reads `out`. Only when
/// `_tensorcore_avx512_available()`; `kH · kW ≤ TC_CONV_MAX_TAPS`.
void _tensorcore_conv2d_implicit(long m, long C, long H, long W, long kH, long kW, long sH, long pH, long pW,
                                 long dH, long dW, long oH, long oW, const float *_Nonnull a, long lda,
                                 const float *_Nonnull x, long images, long xImage, const float *_Nullable bias,
                                 float beta, float *_Nonnull out, long ldc, long outImage);
/// The same, with the same bits, for CPUs with AVX2 and FMA (Note [AVX2 implicit convolution]):
/// only when `_tensorcore_avx2_available()`.
void _tensorcore_conv2d_implicit_avx2(long m, long C, long H, long W, long kH, long kW, long sH, long pH, long pW,
                                      long dH, long dW, long oH, long oW, const float *_Nonnull a, long lda,
                                      const float *_Nonnull x, long images, long xImage, const float *_Nullable bias,
                                      float beta, float *_Nonnull out, long ldc, long outImage);
/// Floats of scratch `_tensorcore_conv2d_weight_implicit` takes for `images` images of `C`
/// channels `H`×`W`, padded by `pH`, `pW`, with `oHW` output positions and `n` output channels.
long _tensorcore_conv2d_weight_scratch(long images, long C, long H, long W, long pH, long pW, long oHW, long n);
/// A convolution's weight gradient over a block of `images` images (and one group), transposed
/// (Note [Implicit weight gradient]): `c[r, o] = beta · c[r, o] + Σ_{i, p} col_i[r, p] · G_i[o, p]`
/// for the `C · kH · kW` rows r = (c, kh, kw) of the column buffer of image i (`C` channels of
/// `H`×`W` at `x + i · xImage`) and `n` output channels (`G_i`: `n × oH·oW` at `g + i · gImage`).
/// `scratch` holds `_tensorcore_conv2d_weight_scratch(...)` floats. Width stride 1. Only when
/// `_tensorcore_avx512_available()`.
void _tensorcore_conv2d_weight_implicit(long n, long C, long H, long W, long kH, long kW, long sH, long pH, long pW,
                                        long dH, long dW, long oH, long oW, const float *_Nonnull x, long xImage,
                                        const float *_Nonnull g, long gImage, long images, float *_Nonnull scratch,
                                        float beta, float *_Nonnull c, long ldc);
/// The same two, with the same bits, for CPUs with AVX2 and FMA (Note [AVX2 implicit weight
/// gradient]): only when `_tensorcore_avx2_available()`.
long _tensorcore_conv2d_weight_scratch_avx2(long images, long C, long H, long W, long pH, long pW, long oHW, long n);
void _tensorcore_conv2d_weight_implicit_avx2(long n, long C, long H, long W, long kH, long kW, long sH, long pH,
                                             long pW, long dH, long dW, long oH, long oW, const float *_Nonnull x,
                                             long xImage, const float *_Nonnull g, long gImage, long images,
                                             float *_Nonnull scratch, float beta, float *_Nonnull c, long ldc);
/// Max pooling of `planes` planes `H`×`W` in 2×2 windows 2 apart (Note [Vector max pooling]):
/// `out` `[planes, H/2, W/2]`, and in `indices` each maximum's position in its plane. Only when
/// `_tensorcore_avx512_available()`; planes smaller than 2³¹ elements.
void _tensorcore_maxpool2x2_f32(const float *_Nonnull x, long planes, long H, long W, float *_Nonnull out,
                                long *_Nonnull indices);
/// Whether planes `H`×`W` are small enough for flat blocks of 16 outputs (Note [Flat max pooling]).
bool _tensorcore_maxpool2x2_flat(long H, long W);
/// The gradient `dx` `[planes, H, W]` of that pooling's input from `gy` `[planes, H/2, W/2]` and
/// its `indices`, every element written (Note [Flat max pooling]). Only when
/// `_tensorcore_avx512_available()` and `_tensorcore_maxpool2x2_flat(H, W)`.
void _tensorcore_maxpool2x2_backward_f32(const float *_Nonnull gy, const long *_Nonnull indices, long planes, long H,
                                         long W, float *_Nonnull dx);

/// Sixteen correctly rounded square roots in one vector instruction where the target has one
/// (Swift's SIMD16<Float>.squareRoot() takes the lanes one at a time).
typedef float _tensorcore_float16 __attribute__((ext_vector_type(16)));
static inline _tensorcore_float16 _tensorcore_sqrt16(_tensorcore_float16 v) { return __builtin_elementwise_sqrt(v); }

#if defined(__x86_64__)
#include <cpuid.h>
static inline void _tensorcore_cpuid(uint32_t leaf, uint32_t sub, uint32_t *_Nonnull a, uint32_t *_Nonnull b, uint32_t *_Nonnull c, uint32_t *_Nonnull d) {
    __cpuid_count(leaf, sub, *a, *b, *c, *d);
}
/// XCR0: which register states the OS saves (bits 1-2 SSE/AVX, 5-7 AVX-512). Call only when
/// CPUID.1:ECX.OSXSAVE is set.
static inline uint64_t _tensorcore_xgetbv(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}
#endif
#endif
