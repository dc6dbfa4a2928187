#include "CTensorCoreShims.h"
#include "conv_segments.h"
#include "exp_f32.h"

// Note [AVX2 implicit convolution]: the implicit GEMM of conv_avx512.c (Note [Implicit
// convolution], Note [Flat output vectors]) for CPUs with AVX2 and FMA only (an AMD Zen 3),
// which otherwise ran im2col and OpenBLAS's Haswell sgemm. The same GEMM over k = (c, kh, kw),
// with 8-lane vectors and a tile of 6 rows × 2 vectors: 12 accumulators, the two B vectors and
// the broadcast row value fill 15 of the 16 ymm registers (the masked loads reuse their mask's
// register). AVX2 has no mask registers: each tap's lane mask is a vector whose lanes are all
// ones or all zeros, `vmaskmovps` loads only the lanes it sets and zeroes the rest (a masked
// lane reads no memory, so a tap hanging over the image's edge faults on nothing), and the masks
// of one pair of vectors are widened from the layout's bit masks once per pair, for all the
// row tiles and channels that reuse them. The layout is conv_segments.h's, as for AVX-512 with
// vectors of 8, so every output element is the same FMA chain over k in the same order, from
// zero, then `beta · out` and the bias added alike: the bits are those of the AVX-512 kernel.

#if defined(__x86_64__)
#include <immintrin.h>

#define TC_CONV2_MR 6
#define TC_CONV2_TABLE 2048   // taps × segments of one image worked out once (segments are 8 wide)

/// Where a pair of output vectors reads and writes: per tap the input offsets and lane masks
/// (all bits of a lane set or none), and the output rows' pointers and lanes.
typedef struct {
    long off[2][TC_CONV_MAX_TAPS];
    __m256i mask[2][TC_CONV_MAX_TAPS];
    float *c[2];
    __m256i lanes[2];
    bool full[2];   // all 8 lanes: a plain store (AMD's masked stores are slow)
} tc_conv2_pair;

/// The vector mask of bit mask `bits` (lane l set where bit l is).
TC_TARGET_AVX2 static inline __m256i tc_conv2_mask(uint16_t bits) {
    const __m256i lane = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(bits), lane), lane);
}

TC_TARGET_AVX2 __attribute__((always_inline)) static inline void
tc_conv2_tile(const int mr, long C, long kk, long HW, const float *a, long lda, const float *x,
              const tc_conv2_pair *p, long row, long ldc, const float *bias, float beta) {
    __m256 acc0[TC_CONV2_MR], acc1[TC_CONV2_MR];
    _Pragma("clang loop unroll(full)")
    for (int r = 0; r < mr; r++) { acc0[r] = _mm256_setzero_ps(); acc1[r] = _mm256_setzero_ps(); }
    const long *off0 = p->off[0], *off1 = p->off[1];
    const __m256i *mk0 = p->mask[0], *mk1 = p->mask[1];
    for (long c = 0; c < C; c++) {
        const float *xc = x + c * HW, *ac = a + c * kk;
#pragma clang loop unroll(disable)
        for (long j = 0; j < kk; j++) {
            const __m256 b0 = _mm256_maskload_ps(xc + off0[j], _mm256_load_si256(mk0 + j));
            const __m256 b1 = _mm256_maskload_ps(xc + off1[j], _mm256_load_si256(mk1 + j));
            _Pragma("clang loop unroll(full)")
            for (int r = 0; r < mr; r++) {
                const __m256 ar = _mm256_broadcast_ss(ac + r * lda + j);
                acc0[r] = _mm256_fmadd_ps(ar, b0, acc0[r]);
                acc1[r] = _mm256_fmadd_ps(ar, b1, acc1[r]);
            }
        }
    }
    const __m256 vb = _mm256_set1_ps(beta);
    float *c0 = p->c[0] + row * ldc, *c1 = p->c[1] + row * ldc;
    _Pragma("clang loop unroll(full)")
    for (int r = 0; r < mr; r++) {
        __m256 o0 = acc0[r], o1 = acc1[r];
        if (beta != 0) {   // BLAS semantics: beta = 0 never reads the output
            o0 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(c0 + r * ldc, p->lanes[0]), o0);
            o1 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(c1 + r * ldc, p->lanes[1]), o1);
        }
        if (bias) {   // the bits of `1 · bias + acc`, the output filled with the bias and beta = 1
            const __m256 vr = _mm256_set1_ps(bias[r]);
            o0 = _mm256_add_ps(o0, vr);
            o1 = _mm256_add_ps(o1, vr);
        }
        if (p->full[0]) _mm256_storeu_ps(c0 + r * ldc, o0); else _mm256_maskstore_ps(c0 + r * ldc, p->lanes[0], o0);
        if (p->full[1]) _mm256_storeu_ps(c1 + r * ldc, o1); else _mm256_maskstore_ps(c1 + r * ldc, p->lanes[1], o1);
    }
}

typedef void (*tc_conv2_tile_fn)(long, long, long, const float *, long, const float *, const tc_conv2_pair *, long,
                                 long, const float *, float);

#define TC_CONV2_TILE(MR)                                                                                     \
    TC_TARGET_AVX2 static void tc_conv2_tile_##MR(long C, long kk, long HW, const float *a, long lda,           \
        const float *x, const tc_conv2_pair *p, long row, long ldc, const float *bias, float beta) {          \
        tc_conv2_tile(MR, C, kk, HW, a, lda, x, p, row, ldc, bias, beta);                                      \
    }
TC_CONV2_TILE(1) TC_CONV2_TILE(2) TC_CONV2_TILE(3) TC_CONV2_TILE(4) TC_CONV2_TILE(5) TC_CONV2_TILE(6)

static const tc_conv2_tile_fn tc_conv2_tiles[TC_CONV2_MR + 1] = {0,
    tc_conv2_tile_1, tc_conv2_tile_2, tc_conv2_tile_3, tc_conv2_tile_4, tc_conv2_tile_5, tc_conv2_tile_6};

TC_TARGET_AVX2 void _tensorcore_conv2d_implicit_avx2(long m, long C, long H, long W, long kH, long kW, long sH,
                                                     long pH, long pW, long dH, long dW, long oH, long oW,
                                                     const float *a, long lda, const float *x, long images,
                                                     long xImage, const float *bias, float beta, float *out,
                                                     long ldc, long outImage) {
    const long kk = kH * kW, HW = H * W;
    const bool flat = sH == 1 && W == oW;
    const long segs = tc_conv_segments(8, flat, oH, oW), total = images * segs;
    // With several images, one image's segments worked out once, up to a table of 20 KB (twice
    // the AVX-512 kernel's entries: its segments are half as wide).
    long tableOff[TC_CONV2_TABLE];
    uint16_t tableMask[TC_CONV2_TABLE];
    const bool tabled = images > 1 && segs * kk <= TC_CONV2_TABLE;
    for (long l = 0; tabled && l < segs; l++) {
        float *c;
        uint16_t valid;
        tc_conv_segment(8, l, segs, segs, flat, H, W, kH, kW, sH, pH, pW, dH, dW, oH, oW, xImage, out, outImage,
                        NULL, NULL, tableOff + l * kk, tableMask + l * kk, &c, &valid);
    }
    const long *tOff = tabled ? tableOff : NULL;
    const uint16_t *tMask = tabled ? tableMask : NULL;
    tc_conv2_pair pair __attribute__((aligned(32)));
    uint16_t bits[TC_CONV_MAX_TAPS];
    // Rows in tiles of at most 6, as even as can be (as the AVX-512 kernel's).
    const long tiles = (m + TC_CONV2_MR - 1) / TC_CONV2_MR;
    for (long s = 0; s < total; s += 2) {
        for (long v = 0; v < 2; v++) {
            uint16_t valid;
            tc_conv_segment(8, s + v, total, segs, flat, H, W, kH, kW, sH, pH, pW, dH, dW, oH, oW, xImage, out,
                            outImage, tOff, tMask, pair.off[v], bits, &pair.c[v], &valid);
            for (long j = 0; j < kk; j++) pair.mask[v][j] = tc_conv2_mask(bits[j]);
            pair.lanes[v] = tc_conv2_mask(valid);
            pair.full[v] = valid == 0xff;
        }
        long i = 0;
        for (long t = 0; t < tiles; t++) {
            const long mr = m / tiles + (t < m % tiles ? 1 : 0);
            tc_conv2_tiles[mr](C, kk, HW, a + i * lda, lda, x, &pair, i, ldc, bias ? bias + i : NULL, beta);
            i += mr;
        }
    }
}

#else

void _tensorcore_conv2d_implicit_avx2(long m, long C, long H, long W, long kH, long kW, long sH, long pH, long pW,
                                      long dH, long dW, long oH, long oW, const float *a, long lda, const float *x,
                                      long images, long xImage, const float *bias, float beta, float *out, long ldc,
                                      long outImage) {
    __builtin_trap();
}
#endif
