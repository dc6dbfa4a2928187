#include "CTensorCoreShims.h"
#include "avx512.h"
#include "conv_segments.h"

// Note [Implicit convolution]: a convolution whose stride along the width is 1 is a GEMM,
// `out[m, oH·oW] = A[m, C·kH·kW] · col`, whose column buffer never needs to exist: row
// (c, kh, kw) of `col`, at the 16 output positions (h, w0..w0+15) of one output row, is 16
// consecutive floats of the input, `x[c, h·sH + kh·dH − pH, w0 + kw·dW − pW ...]`, with the
// lanes that fall in the padding masked to zero. So the sgemm tile (Note [Own sgemm kernel]:
// 12 rows × 2 vectors, 24 accumulators) runs over k = (c, kh, kw) with its two vectors of B
// loaded straight from the input, each at an offset and under a mask that depend only on
// (kh, kw) and on where the vector's 16 outputs lie, worked out once per pair of vectors (or
// once per image in a table). A vector covers 16 outputs of one output row (an output row of
// 32 takes two, two rows of 16 share a pair), or, where an input row is as long as an output
// row, 16 consecutive outputs across rows (Note [Flat output vectors]). Im2col and the
// 144 × 1024 floats it writes and reads back for each image of a 16-channel 3×3 convolution
// are gone (and for the input's gradient, a transposed convolution, so is col2im: Swift's
// caller flips the weight). Every output element is one FMA chain over k in order, from zero,
// then `beta · out` or the row's bias added: padded positions contribute `a · 0`, as the
// column buffer's zeros do.

#if defined(__x86_64__)

#define TC_CONV_MR 12
#define TC_CONV_TABLE 1024   // taps × segments of one image worked out once

TC_TARGET __attribute__((always_inline)) static inline void
tc_conv_tile(const int mr, long C, long kk, long HW, const float *a, long lda, const float *x,
             const long *off0, const long *off1, const __mmask16 *mk0, const __mmask16 *mk1,
             float *c0, float *c1, __mmask16 s0, __mmask16 s1, long ldc, const float *bias, float beta) {
    __m512 acc0[TC_CONV_MR], acc1[TC_CONV_MR];
    _Pragma("clang loop unroll(full)")
    for (int r = 0; r < mr; r++) { acc0[r] = _mm512_setzero_ps(); acc1[r] = _mm512_setzero_ps(); }
    for (long c = 0; c < C; c++) {
        const float *xc = x + c * HW, *ac = a + c * kk;
#pragma clang loop unroll(disable)
        for (long j = 0; j < kk; j++) {
            __m512 b0 = _mm512_maskz_loadu_ps(mk0[j], xc + off0[j]);
            __m512 b1 = _mm512_maskz_loadu_ps(mk1[j], xc + off1[j]);
            _Pragma("clang loop unroll(full)")
            for (int r = 0; r < mr; r++) {
                __m512 ar = _mm512_set1_ps(ac[r * lda + j]);
                acc0[r] = _mm512_fmadd_ps(ar, b0, acc0[r]);
                acc1[r] = _mm512_fmadd_ps(ar, b1, acc1[r]);
            }
        }
    }
    __m512 vb = _mm512_set1_ps(beta);
    _Pragma("clang loop unroll(full)")
    for (int r = 0; r < mr; r++) {
        __m512 o0 = acc0[r], o1 = acc1[r];
        if (beta != 0) {   // BLAS semantics: beta = 0 never reads the output
            o0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(s0, c0 + r * ldc), o0);
            o1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(s1, c1 + r * ldc), o1);
        }
        if (bias) {   // the bits of `1 · bias + acc`, the output filled with the bias and beta = 1
            const __m512 vr = _mm512_set1_ps(bias[r]);
            o0 = _mm512_add_ps(o0, vr);
            o1 = _mm512_add_ps(o1, vr);
        }
        _mm512_mask_storeu_ps(c0 + r * ldc, s0, o0);
        _mm512_mask_storeu_ps(c1 + r * ldc, s1, o1);
    }
}

typedef void (*tc_conv_tile_fn)(long, long, long, const float *, long, const float *, const long *, const long *,
                                const __mmask16 *, const __mmask16 *, float *, float *, __mmask16, __mmask16,
                                long, const float *, float);

#define TC_CONV_TILE(MR)                                                                               \
    TC_TARGET static void tc_conv_tile_##MR(long C, long kk, long HW, const float *a, long lda,          \
        const float *x, const long *off0, const long *off1, const __mmask16 *mk0, const __mmask16 *mk1, \
        float *c0, float *c1, __mmask16 s0, __mmask16 s1, long ldc, const float *bias, float beta) {    \
        tc_conv_tile(MR, C, kk, HW, a, lda, x, off0, off1, mk0, mk1, c0, c1, s0, s1, ldc, bias, beta); \
    }
TC_CONV_TILE(1) TC_CONV_TILE(2) TC_CONV_TILE(3) TC_CONV_TILE(4) TC_CONV_TILE(5) TC_CONV_TILE(6)
TC_CONV_TILE(7) TC_CONV_TILE(8) TC_CONV_TILE(9) TC_CONV_TILE(10) TC_CONV_TILE(11) TC_CONV_TILE(12)

static const tc_conv_tile_fn tc_conv_tiles[TC_CONV_MR + 1] = {0,
    tc_conv_tile_1, tc_conv_tile_2, tc_conv_tile_3, tc_conv_tile_4, tc_conv_tile_5, tc_conv_tile_6,
    tc_conv_tile_7, tc_conv_tile_8, tc_conv_tile_9, tc_conv_tile_10, tc_conv_tile_11, tc_conv_tile_12};

// Note [Flat output vectors]: with stride 1 and an input row as long as an output row (W = oW,
// a "same" padding), output position p = h·oW + w reads, at tap (kh, kw), the input at
// p + (kh·dH − pH)·W + kw·dW − pW: consecutive positions read consecutive floats even across
// the end of a row. So a vector takes 16 consecutive positions of the flattened output, rows
// and all, its lanes masked where the row or the column falls in the padding (where the next
// row's first float would otherwise be read). An 8×8 output fills 4 vectors instead of 8 half
// vectors, a 4×4 one a single vector instead of 4 quarter vectors, and with pairs of vectors
// taken across images (one call covers a block of images), no lane is idle. Every output
// element is still the same FMA chain over k, so the bits are those of the row layout.

void _tensorcore_conv2d_implicit(long m, long C, long H, long W, long kH, long kW, long sH, long pH, long pW,
                                 long dH, long dW, long oH, long oW, const float *a, long lda, const float *x,
                                 long images, long xImage, const float *bias, float beta, float *out, long ldc,
                                 long outImage) {
    const long kk = kH * kW, HW = H * W;
    const bool flat = sH == 1 && W == oW;
    const long segs = tc_conv_segments(16, flat, oH, oW), total = images * segs;
    long off0[TC_CONV_MAX_TAPS], off1[TC_CONV_MAX_TAPS];
    __mmask16 mk0[TC_CONV_MAX_TAPS], mk1[TC_CONV_MAX_TAPS];
    // With several images, one image's segments worked out once (they took 6 % of the digits
    // CNN's step worked out per pair), up to a table of 10 KB.
    long tableOff[TC_CONV_TABLE];
    __mmask16 tableMask[TC_CONV_TABLE];
    const bool tabled = images > 1 && segs * kk <= TC_CONV_TABLE;
    for (long l = 0; tabled && l < segs; l++) {
        float *c;
        __mmask16 lanes;
        tc_conv_segment(16, l, segs, segs, flat, H, W, kH, kW, sH, pH, pW, dH, dW, oH, oW, xImage, out, outImage,
                        NULL, NULL, tableOff + l * kk, tableMask + l * kk, &c, &lanes);
    }
    const long *tOff = tabled ? tableOff : NULL;
    const __mmask16 *tMask = tabled ? tableMask : NULL;
    // Rows in tiles of at most 12, as even as can be (16 rows: 8 + 8, whose 16 accumulators
    // still cover the FMA latency; 12 + 4 would not).
    const long tiles = (m + TC_CONV_MR - 1) / TC_CONV_MR;
    for (long s = 0; s < total; s += 2) {
        float *c0, *c1;
        __mmask16 s0, s1;
        tc_conv_segment(16, s, total, segs, flat, H, W, kH, kW, sH, pH, pW, dH, dW, oH, oW, xImage, out, outImage,
                        tOff, tMask, off0, mk0, &c0, &s0);
        tc_conv_segment(16, s + 1, total, segs, flat, H, W, kH, kW, sH, pH, pW, dH, dW, oH, oW, xImage, out, outImage,
                        tOff, tMask, off1, mk1, &c1, &s1);
        long i = 0;
        for (long t = 0; t < tiles; t++) {
            const long mr = m / tiles + (t < m % tiles ? 1 : 0);
            tc_conv_tiles[mr](C, kk, HW, a + i * lda, lda, x, off0, off1, mk0, mk1,
                              c0 + i * ldc, c1 + i * ldc, s0, s1, ldc, bias ? bias + i : NULL, beta);
            i += mr;
        }
    }
}

#else

void _tensorcore_conv2d_implicit(long m, long C, long H, long W, long kH, long kW, long sH, long pH, long pW,
                                 long dH, long dW, long oH, long oW, const float *a, long lda, const float *x,
                                 long images, long xImage, const float *bias, float beta, float *out, long ldc,
                                 long outImage) {
    __builtin_trap();
}
#endif
