#include "CTensorCoreShims.h"
#include "avx512.h"

// Note [Implicit weight gradient]: a convolution's weight gradient, transposed, is the GEMM
// `dWᵀ[(c, kh, kw), o] = Σ_{n, h, w} col_n[(c, kh, kw), (h, w)] · G_n[o, (h, w)]` over a block of
// images at once: k runs over the images' output positions in order. A is the column buffer,
// read in place from a zero-padded copy of the images (`xpad`, `Hp × Wp` per channel: row
// (c, kh, kw) at position (h, w) is `xpad[n, c, h·sH + kh·dH, w + kw·dW]`, no mask needed), one
// float broadcast per row; B is `Gᵀ`, packed here in panels of 32 output channels (16 when
// there are at most 16: one vector, no lane idle), `K × 32` floats each. The tile is the sgemm
// tile (Note [Own sgemm kernel]: up to 12 rows × 2 vectors). Each output element is one FMA
// chain over the block's positions, then `beta · C` added. A block rather than one image per
// call: the 4×4 maps of the digits CNN gave k = 16 per call, and the tile's stores, the copy,
// the packing and the rows' set-up per image cost as much as its FMAs.

#if defined(__x86_64__)

#define TC_CONVW_MR 12

/// The panel width for `n` output channels: one vector up to 16, else two.
static inline long tc_convw_panel(long n) { return n <= 16 ? 16 : 32; }

long _tensorcore_conv2d_weight_scratch(long images, long C, long H, long W, long pH, long pW, long oHW, long n) {
    const long panel = tc_convw_panel(n);
    return images * C * (H + 2 * pH) * (W + 2 * pW) + images * oHW * ((n + panel - 1) / panel * panel);
}

/// The `C` channels of `images` images (`xImage` apart, each `H × W`) into `xpad`, zero-padded by
/// `pH`, `pW` on each side: all of it zeroed, then the rows copied in (the masks worked out per
/// row took 8 % of the digits CNN's step).
TC_TARGET static void tc_convw_pad(long images, long C, long H, long W, long pH, long pW, const float *x, long xImage,
                                   float *xpad) {
    const long Hp = H + 2 * pH, Wp = W + 2 * pW, count = images * C * Hp * Wp;
    long i = 0;
    for (; i + 16 <= count; i += 16) _mm512_storeu_ps(xpad + i, _mm512_setzero_ps());
    _mm512_mask_storeu_ps(xpad + i, tc_mask(count - i), _mm512_setzero_ps());
    const long full = W / 16 * 16;
    const __mmask16 tail = tc_mask(W - full);
    for (long n = 0; n < images; n++) {
        for (long ch = 0; ch < C; ch++) {
            const float *src = x + n * xImage + ch * H * W;
            float *dst = xpad + (n * C + ch) * Hp * Wp + pH * Wp + pW;
            for (long r = 0; r < H; r++, src += W, dst += Wp) {
                long q = 0;
                for (; q < full; q += 16) _mm512_storeu_ps(dst + q, _mm512_loadu_ps(src + q));
                if (tail) _mm512_mask_storeu_ps(dst + q, tail, _mm512_maskz_loadu_ps(tail, src + q));
            }
        }
    }
}

/// `Gᵀ` of `images` images (`gImage` apart, each `n × oHW`) packed into panels of `panel`
/// columns, `K × panel` floats each (K = images · oHW), zero past column `n`.
TC_TARGET static void tc_convw_pack(long images, long n, long oHW, const float *g, long gImage, long panel, float *bt) {
    const long K = images * oHW;
    for (long j = 0; j < n; j += panel) {
        for (long half = 0; half < panel; half += 16) {
            const long nr = n - j - half;
            for (long img = 0; img < images; img++) {
                for (long p = 0; p < oHW; p += 16) {
                    const long nc = oHW - p < 16 ? oHW - p : 16;
                    float *dst = bt + j * K + (img * oHW + p) * panel + half;
                    if (nr <= 0) {
                        for (long q = 0; q < nc; q++) _mm512_storeu_ps(dst + q * panel, _mm512_setzero_ps());
                    } else {
                        tc_transpose16(g + img * gImage + (j + half) * oHW + p, oHW, dst, panel, nr < 16 ? nr : 16, nc, true);
                    }
                }
            }
        }
    }
}

TC_TARGET __attribute__((always_inline)) static inline void
tc_convw_tile(const int nv, const int mr, long images, long oH, long oW, const float *const *rows, long imageStride,
              long rowStride, const float *bt, float *c, long ldc, float beta, __mmask16 m0, __mmask16 m1) {
    __m512 acc0[TC_CONVW_MR], acc1[TC_CONVW_MR];
    _Pragma("clang loop unroll(full)")
    for (int r = 0; r < mr; r++) { acc0[r] = _mm512_setzero_ps(); acc1[r] = _mm512_setzero_ps(); }
    for (long n = 0; n < images; n++) {
        for (long h = 0; h < oH; h++) {
            const long base = n * imageStride + h * rowStride;
#pragma clang loop unroll(disable)
            for (long w = 0; w < oW; w++) {
                const __m512 b0 = _mm512_loadu_ps(bt), b1 = nv == 2 ? _mm512_loadu_ps(bt + 16) : b0;
                bt += 16 * nv;
                _Pragma("clang loop unroll(full)")
                for (int r = 0; r < mr; r++) {
                    const __m512 ar = _mm512_set1_ps(rows[r][base + w]);
                    acc0[r] = _mm512_fmadd_ps(ar, b0, acc0[r]);
                    if (nv == 2) acc1[r] = _mm512_fmadd_ps(ar, b1, acc1[r]);
                }
            }
        }
    }
    const __m512 vb = _mm512_set1_ps(beta);
    _Pragma("clang loop unroll(full)")
    for (int r = 0; r < mr; r++) {
        float *cr = c + r * ldc;
        __m512 o0 = acc0[r], o1 = acc1[r];
        if (beta != 0) {   // BLAS semantics: beta = 0 never reads C
            o0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, cr), o0);
            if (nv == 2) o1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, cr + 16), o1);
        }
        _mm512_mask_storeu_ps(cr, m0, o0);
        if (nv == 2) _mm512_mask_storeu_ps(cr + 16, m1, o1);
    }
}

typedef void (*tc_convw_tile_fn)(long, long, long, const float *const *, long, long, const float *, float *, long, float,
                                 __mmask16, __mmask16);

#define TC_CONVW_TILE(NV, MR)                                                                               \
    TC_TARGET static void tc_convw_tile_##NV##_##MR(long images, long oH, long oW, const float *const *rows,  \
        long imageStride, long rowStride, const float *bt, float *c, long ldc, float beta, __mmask16 m0,      \
        __mmask16 m1) {                                                                                      \
        tc_convw_tile(NV, MR, images, oH, oW, rows, imageStride, rowStride, bt, c, ldc, beta, m0, m1);         \
    }
#define TC_CONVW_TILES(NV)                                                                                  \
    TC_CONVW_TILE(NV, 1) TC_CONVW_TILE(NV, 2) TC_CONVW_TILE(NV, 3) TC_CONVW_TILE(NV, 4) TC_CONVW_TILE(NV, 5)   \
    TC_CONVW_TILE(NV, 6) TC_CONVW_TILE(NV, 7) TC_CONVW_TILE(NV, 8) TC_CONVW_TILE(NV, 9) TC_CONVW_TILE(NV, 10)  \
    TC_CONVW_TILE(NV, 11) TC_CONVW_TILE(NV, 12)
TC_CONVW_TILES(1)
TC_CONVW_TILES(2)

static const tc_convw_tile_fn tc_convw_tiles[2][TC_CONVW_MR + 1] = {
    {0, tc_convw_tile_1_1, tc_convw_tile_1_2, tc_convw_tile_1_3, tc_convw_tile_1_4, tc_convw_tile_1_5, tc_convw_tile_1_6,
     tc_convw_tile_1_7, tc_convw_tile_1_8, tc_convw_tile_1_9, tc_convw_tile_1_10, tc_convw_tile_1_11, tc_convw_tile_1_12},
    {0, tc_convw_tile_2_1, tc_convw_tile_2_2, tc_convw_tile_2_3, tc_convw_tile_2_4, tc_convw_tile_2_5, tc_convw_tile_2_6,
     tc_convw_tile_2_7, tc_convw_tile_2_8, tc_convw_tile_2_9, tc_convw_tile_2_10, tc_convw_tile_2_11, tc_convw_tile_2_12},
};

void _tensorcore_conv2d_weight_implicit(long n, long C, long H, long W, long kH, long kW, long sH, long pH, long pW,
                                        long dH, long dW, long oH, long oW, const float *x, long xImage, const float *g,
                                        long gImage, long images, float *scratch, float beta, float *c, long ldc) {
    const long Hp = H + 2 * pH, Wp = W + 2 * pW, oHW = oH * oW, K = images * oHW, m = C * kH * kW;
    const long panel = tc_convw_panel(n);
    float *xpad = scratch, *bt = scratch + images * C * Hp * Wp;
    tc_convw_pad(images, C, H, W, pH, pW, x, xImage, xpad);
    tc_convw_pack(images, n, oHW, g, gImage, panel, bt);
    // Rows in tiles of at most 12, as even as can be (as _tensorcore_conv2d_implicit's).
    const long tiles = (m + TC_CONVW_MR - 1) / TC_CONVW_MR;
    const float *rows[TC_CONVW_MR];
    for (long j = 0; j < n; j += panel) {
        const __mmask16 m0 = tc_mask(n - j), m1 = tc_mask(n - j - 16);
        long i = 0, ch = 0, kh = 0, kw = 0;
        for (long t = 0; t < tiles; t++) {
            const long mr = m / tiles + (t < m % tiles ? 1 : 0);
            for (long r = 0; r < mr; r++) {
                rows[r] = xpad + ch * Hp * Wp + kh * dH * Wp + kw * dW;
                if (++kw == kW) { kw = 0; if (++kh == kH) { kh = 0; ch++; } }
            }
            tc_convw_tiles[panel / 16 - 1][mr](images, oH, oW, rows, C * Hp * Wp, sH * Wp, bt + j * K,
                                               c + i * ldc + j, ldc, beta, m0, m1);
            i += mr;
        }
    }
}

#else

long _tensorcore_conv2d_weight_scratch(long images, long C, long H, long W, long pH, long pW, long oHW, long n) {
    return 0;
}
void _tensorcore_conv2d_weight_implicit(long n, long C, long H, long W, long kH, long kW, long sH, long pH, long pW,
                                        long dH, long dW, long oH, long oW, const float *x, long xImage, const float *g,
                                        long gImage, long images, float *scratch, float beta, float *c, long ldc) {
    __builtin_trap();
}

#endif
