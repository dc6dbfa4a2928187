#include "CTensorCoreShims.h"
#include "conv_segments.h"
#include "exp_f32.h"

// Note [AVX2 implicit convolution]: the implicit GEMM of conv_avx512.c (Note [Implicit
// convolution], Note [Flat output vectors]) for CPUs with AVX2 and FMA only (an AMD Zen 3),
// which otherwise ran im2col and OpenBLAS's Haswell sgemm. The same GEMM over k = (c, kh, kw),
// with 8-lane vectors and a tile of 6 rows × 2 vectors: 12 accumulators, the two B vectors and
// the broadcast row value fill 15 of the 16 ymm registers (a masked load reuses its mask's
// register). AVX2 has no mask registers: each tap's lane mask is a vector whose lanes are all
// ones or all zeros, widened from the layout's bit masks once per pair of vectors, for all the
// row tiles and channels that reuse them. Where all 8 floats a tap's vector spans lie inside the
// block's input, in every channel (all but the first and last rows of a block, as a rule), B is
// a plain load ANDed with the mask: a masked lane's float, whatever it is, becomes +0, as the
// AVX-512 kernel's zero-masked load gives. Elsewhere `vmaskmovps` loads only the set lanes (a
// masked lane reads no memory: a tap hanging over the buffer's edge faults on nothing); it was
// 12 % slower on the 16→32 layer, hence the two kinds of tile. The layout is conv_segments.h's,
// as for AVX-512 with vectors of 8, so every output element is the same FMA chain over k in the
// same order, from zero, then `beta · out` and the bias added alike: the bits are those of the
// AVX-512 kernel. Measured on a Zen 5 core (one 16→32 forward, batch 32, 32×32): 124 GFLOP/s,
// against 137 for register-only ymm FMAs and 105 with masked loads throughout; OpenBLAS's
// Haswell sgemm alone (im2col not counted) takes as long or longer at 16→32 up to 256→256
// channels, and 13 % less at 3→16 (whose im2col then costs more than the difference).

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
    bool inside;    // every tap's 8 floats inside the block's input, in every channel
} tc_conv2_pair;

/// The vector mask of bit mask `bits` (lane l set where bit l is).
TC_TARGET_AVX2 static inline __m256i tc_conv2_mask(uint16_t bits) {
    const __m256i lane = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(bits), lane), lane);
}

/// B: the 8 floats at `p` under `mask`, by a plain load (`inside`) or a masked one.
TC_TARGET_AVX2 __attribute__((always_inline)) static inline __m256 tc_conv2_load(const bool inside, const float *p,
                                                                                 const __m256i *mask) {
    return inside ? _mm256_and_ps(_mm256_loadu_ps(p), _mm256_castsi256_ps(_mm256_load_si256(mask)))
                  : _mm256_maskload_ps(p, _mm256_load_si256(mask));
}

TC_TARGET_AVX2 __attribute__((always_inline)) static inline void
tc_conv2_tile(const bool inside, const int mr, long C, long kk, long HW, const float *a, long lda, const float *x,
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
            const __m256 b0 = tc_conv2_load(inside, xc + off0[j], mk0 + j);
            const __m256 b1 = tc_conv2_load(inside, xc + off1[j], mk1 + j);
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

#define TC_CONV2_TILE(IN, MR)                                                                                 \
    TC_TARGET_AVX2 static void tc_conv2_tile_##IN##_##MR(long C, long kk, long HW, const float *a, long lda,     \
        const float *x, const tc_conv2_pair *p, long row, long ldc, const float *bias, float beta) {          \
        tc_conv2_tile(IN, MR, C, kk, HW, a, lda, x, p, row, ldc, bias, beta);                                  \
    }
#define TC_CONV2_TILES(IN)                                                                                    \
    TC_CONV2_TILE(IN, 1) TC_CONV2_TILE(IN, 2) TC_CONV2_TILE(IN, 3) TC_CONV2_TILE(IN, 4) TC_CONV2_TILE(IN, 5)    \
    TC_CONV2_TILE(IN, 6)
TC_CONV2_TILES(0)
TC_CONV2_TILES(1)

static const tc_conv2_tile_fn tc_conv2_tiles[2][TC_CONV2_MR + 1] = {
    {0, tc_conv2_tile_0_1, tc_conv2_tile_0_2, tc_conv2_tile_0_3, tc_conv2_tile_0_4, tc_conv2_tile_0_5, tc_conv2_tile_0_6},
    {0, tc_conv2_tile_1_1, tc_conv2_tile_1_2, tc_conv2_tile_1_3, tc_conv2_tile_1_4, tc_conv2_tile_1_5, tc_conv2_tile_1_6},
};

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
    // The floats of the block's input from x on: all channels of every image but the last, whose
    // C channels end it (x is one group's first channel).
    const long extent = (images - 1) * xImage + C * HW, lastChannel = (C - 1) * HW;
    // Rows in tiles of at most 6, as even as can be (as the AVX-512 kernel's).
    const long tiles = (m + TC_CONV2_MR - 1) / TC_CONV2_MR;
    for (long s = 0; s < total; s += 2) {
        pair.inside = true;
        for (long v = 0; v < 2; v++) {
            uint16_t valid;
            tc_conv_segment(8, s + v, total, segs, flat, H, W, kH, kW, sH, pH, pW, dH, dW, oH, oW, xImage, out,
                            outImage, tOff, tMask, pair.off[v], bits, &pair.c[v], &valid);
            for (long j = 0; j < kk; j++) {
                pair.mask[v][j] = tc_conv2_mask(bits[j]);
                pair.inside &= pair.off[v][j] >= 0 && pair.off[v][j] + lastChannel + 8 <= extent;
            }
            pair.lanes[v] = tc_conv2_mask(valid);
            pair.full[v] = valid == 0xff;
        }
        long i = 0;
        for (long t = 0; t < tiles; t++) {
            const long mr = m / tiles + (t < m % tiles ? 1 : 0);
            tc_conv2_tiles[pair.inside][mr](C, kk, HW, a + i * lda, lda, x, &pair, i, ldc, bias ? bias + i : NULL, beta);
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
