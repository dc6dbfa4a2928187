#include <string.h>
#include "CTensorCoreShims.h"
#include "exp_f32.h"

// Note [AVX2 implicit weight gradient]: the weight gradient of conv_weight_avx512.c (Note
// [Implicit weight gradient]) for CPUs with AVX2 and FMA only: the same GEMM over a block of
// images, A read in place from the zero-padded copy of the images, B = Gᵀ packed in panels of
// 16 output channels (8 when there are at most 8), and a tile of up to 6 rows × 2 vectors of 8
// (Note [AVX2 implicit convolution]: 12 accumulators in 16 ymm registers). Each output element
// is the same FMA chain over the block's positions in order, from zero, then `beta · C` added:
// the bits of the AVX-512 kernel, whose panels are twice as wide. Measured on a Zen 5 core
// (batch 32, 3×3): 1.9× im2col + OpenBLAS's Haswell sgemm at 16→32 on 32×32 (2.4 against 4.4 ms),
// 1.14–1.44× at 32→64 up to 256→256 channels (with a scalar im2col, 8–25 % of that time: the
// sgemm alone is still slower than this kernel at every size tried).

#if defined(__x86_64__)
#include <immintrin.h>

#define TC_CONVW2_MR 6

/// The panel width for `n` output channels: one vector up to 8, else two.
static inline long tc_convw2_panel(long n) { return n <= 8 ? 8 : 16; }

long _tensorcore_conv2d_weight_scratch_avx2(long images, long C, long H, long W, long pH, long pW, long oHW, long n) {
    const long panel = tc_convw2_panel(n);
    return images * C * (H + 2 * pH) * (W + 2 * pW) + images * oHW * ((n + panel - 1) / panel * panel);
}

/// The `C` channels of `images` images (`xImage` apart, each `H × W`) into `xpad`, zero-padded by
/// `pH`, `pW` on each side.
static void tc_convw2_pad(long images, long C, long H, long W, long pH, long pW, const float *x, long xImage,
                          float *xpad) {
    const long Hp = H + 2 * pH, Wp = W + 2 * pW;
    memset(xpad, 0, (size_t)(images * C * Hp * Wp) * sizeof(float));
    for (long n = 0; n < images; n++) {
        for (long ch = 0; ch < C; ch++) {
            const float *src = x + n * xImage + ch * H * W;
            float *dst = xpad + (n * C + ch) * Hp * Wp + pH * Wp + pW;
            for (long r = 0; r < H; r++) memcpy(dst + r * Wp, src + r * W, (size_t)W * sizeof(float));
        }
    }
}

/// Rows `s[0 ..< 8]` (row stride `lds`), 8 floats each, written as 8 rows of 8 at `o` (row
/// stride `ldo`): the 8×8 transpose in unpacks, shuffles and 128-bit permutes.
TC_TARGET_AVX2 static inline void tc_transpose8(const float *s, long lds, float *o, long ldo) {
    __m256 r[8], t[8];
    for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(s + i * lds);
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int g = 0; g < 2; g++) {
        r[4 * g + 0] = _mm256_shuffle_ps(t[4 * g + 0], t[4 * g + 2], _MM_SHUFFLE(1, 0, 1, 0));
        r[4 * g + 1] = _mm256_shuffle_ps(t[4 * g + 0], t[4 * g + 2], _MM_SHUFFLE(3, 2, 3, 2));
        r[4 * g + 2] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], _MM_SHUFFLE(1, 0, 1, 0));
        r[4 * g + 3] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    // Columns q and 4 + q of the 8 rows are the low and high halves of r[q] and r[4 + q].
    for (int q = 0; q < 4; q++) {
        _mm256_storeu_ps(o + q * ldo, _mm256_permute2f128_ps(r[q], r[4 + q], 0x20));
        _mm256_storeu_ps(o + (4 + q) * ldo, _mm256_permute2f128_ps(r[q], r[4 + q], 0x31));
    }
}

/// `Gᵀ` of `images` images (`gImage` apart, each `n × oHW`) packed into panels of `panel`
/// columns, `K × panel` floats each (K = images · oHW), zero past column `n`: 8×8 blocks
/// transposed in registers, the edges (fewer than 8 channels or positions) element by element.
TC_TARGET_AVX2 static void tc_convw2_pack(long images, long n, long oHW, const float *g, long gImage, long panel,
                                          float *bt) {
    const long K = images * oHW;
    for (long j = 0; j < n; j += panel) {
        for (long half = 0; half < panel; half += 8) {
            const long nr = n - j - half;
            for (long img = 0; img < images; img++) {
                const float *src = g + img * gImage + (j + half) * oHW;
                float *dst = bt + j * K + img * oHW * panel + half;
                long p = 0;
                if (nr >= 8) {
                    for (; p + 8 <= oHW; p += 8) tc_transpose8(src + p, oHW, dst + p * panel, panel);
                }
                for (; p < oHW; p++) {
                    for (long q = 0; q < 8; q++) dst[p * panel + q] = q < nr ? src[q * oHW + p] : 0;
                }
            }
        }
    }
}

/// The vector mask of the first `count` of 8 lanes, read from a table: one load, no register
/// besides its own (the epilogue below has 12 accumulators live).
TC_TARGET_AVX2 static inline __m256i tc_convw2_lanes(long count) {
    static const int32_t lanes[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    const long k = count < 0 ? 0 : count > 8 ? 8 : count;
    return _mm256_loadu_si256((const __m256i *)(lanes + 8 - k));
}

// The columns' masks are made after the loop from their count (`cols`): passed as vectors, they
// would be two more ymm values kept across it, on the stack.
TC_TARGET_AVX2 __attribute__((always_inline)) static inline void
tc_convw2_tile(const int nv, const int mr, long images, long oH, long oW, const float *const *rows, long imageStride,
               long rowStride, const float *bt, float *c, long ldc, float beta, long cols) {
    __m256 acc0[TC_CONVW2_MR], acc1[TC_CONVW2_MR];
    _Pragma("clang loop unroll(full)")
    for (int r = 0; r < mr; r++) { acc0[r] = _mm256_setzero_ps(); acc1[r] = _mm256_setzero_ps(); }
    for (long n = 0; n < images; n++) {
        for (long h = 0; h < oH; h++) {
            const long base = n * imageStride + h * rowStride;
#pragma clang loop unroll(disable)
            for (long w = 0; w < oW; w++) {
                const __m256 b0 = _mm256_loadu_ps(bt), b1 = nv == 2 ? _mm256_loadu_ps(bt + 8) : b0;
                bt += 8 * nv;
                _Pragma("clang loop unroll(full)")
                for (int r = 0; r < mr; r++) {
                    const __m256 ar = _mm256_broadcast_ss(rows[r] + base + w);
                    acc0[r] = _mm256_fmadd_ps(ar, b0, acc0[r]);
                    if (nv == 2) acc1[r] = _mm256_fmadd_ps(ar, b1, acc1[r]);
                }
            }
        }
    }
    const __m256 vb = _mm256_set1_ps(beta);
    const __m256i m0 = tc_convw2_lanes(cols), m1 = tc_convw2_lanes(cols - 8);
    _Pragma("clang loop unroll(full)")
    for (int r = 0; r < mr; r++) {
        float *cr = c + r * ldc;
        __m256 o0 = acc0[r], o1 = acc1[r];
        if (beta != 0) {   // BLAS semantics: beta = 0 never reads C
            o0 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(cr, m0), o0);
            if (nv == 2) o1 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(cr + 8, m1), o1);
        }
        _mm256_maskstore_ps(cr, m0, o0);
        if (nv == 2) _mm256_maskstore_ps(cr + 8, m1, o1);
    }
}

typedef void (*tc_convw2_tile_fn)(long, long, long, const float *const *, long, long, const float *, float *, long,
                                  float, long);

#define TC_CONVW2_TILE(NV, MR)                                                                              \
    TC_TARGET_AVX2 static void tc_convw2_tile_##NV##_##MR(long images, long oH, long oW, const float *const *rows, \
        long imageStride, long rowStride, const float *bt, float *c, long ldc, float beta, long cols) {       \
        tc_convw2_tile(NV, MR, images, oH, oW, rows, imageStride, rowStride, bt, c, ldc, beta, cols);          \
    }
#define TC_CONVW2_TILES(NV)                                                                                 \
    TC_CONVW2_TILE(NV, 1) TC_CONVW2_TILE(NV, 2) TC_CONVW2_TILE(NV, 3) TC_CONVW2_TILE(NV, 4)                 \
    TC_CONVW2_TILE(NV, 5) TC_CONVW2_TILE(NV, 6)
TC_CONVW2_TILES(1)
TC_CONVW2_TILES(2)

static const tc_convw2_tile_fn tc_convw2_tiles[2][TC_CONVW2_MR + 1] = {
    {0, tc_convw2_tile_1_1, tc_convw2_tile_1_2, tc_convw2_tile_1_3, tc_convw2_tile_1_4, tc_convw2_tile_1_5,
     tc_convw2_tile_1_6},
    {0, tc_convw2_tile_2_1, tc_convw2_tile_2_2, tc_convw2_tile_2_3, tc_convw2_tile_2_4, tc_convw2_tile_2_5,
     tc_convw2_tile_2_6},
};

TC_TARGET_AVX2 void _tensorcore_conv2d_weight_implicit_avx2(long n, long C, long H, long W, long kH, long kW, long sH,
                                                            long pH, long pW, long dH, long dW, long oH, long oW,
                                                            const float *x, long xImage, const float *g, long gImage,
                                                            long images, float *scratch, float beta, float *c,
                                                            long ldc) {
    const long Hp = H + 2 * pH, Wp = W + 2 * pW, oHW = oH * oW, K = images * oHW, m = C * kH * kW;
    const long panel = tc_convw2_panel(n);
    float *xpad = scratch, *bt = scratch + images * C * Hp * Wp;
    tc_convw2_pad(images, C, H, W, pH, pW, x, xImage, xpad);
    tc_convw2_pack(images, n, oHW, g, gImage, panel, bt);
    // Rows in tiles of at most 6, as even as can be (as _tensorcore_conv2d_implicit_avx2's).
    const long tiles = (m + TC_CONVW2_MR - 1) / TC_CONVW2_MR;
    const float *rows[TC_CONVW2_MR];
    for (long j = 0; j < n; j += panel) {
        long i = 0, ch = 0, kh = 0, kw = 0;
        for (long t = 0; t < tiles; t++) {
            const long mr = m / tiles + (t < m % tiles ? 1 : 0);
            for (long r = 0; r < mr; r++) {
                rows[r] = xpad + ch * Hp * Wp + kh * dH * Wp + kw * dW;
                if (++kw == kW) { kw = 0; if (++kh == kH) { kh = 0; ch++; } }
            }
            tc_convw2_tiles[panel / 8 - 1][mr](images, oH, oW, rows, C * Hp * Wp, sH * Wp, bt + j * K,
                                               c + i * ldc + j, ldc, beta, n - j);
            i += mr;
        }
    }
}

#else

long _tensorcore_conv2d_weight_scratch_avx2(long images, long C, long H, long W, long pH, long pW, long oHW, long n) {
    return 0;
}
void _tensorcore_conv2d_weight_implicit_avx2(long n, long C, long H, long W, long kH, long kW, long sH, long pH,
                                             long pW, long dH, long dW, long oH, long oW, const float *x, long xImage,
                                             const float *g, long gImage, long images, float *scratch, float beta,
                                             float *c, long ldc) {
    __builtin_trap();
}

#endif
