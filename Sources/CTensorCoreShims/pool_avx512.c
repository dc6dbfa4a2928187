#include "CTensorCoreShims.h"
#include "avx512.h"

// Note [Vector max pooling]: 2×2 windows 2 apart, the common max pooling, 16 windows at a time:
// the two input rows of 16 windows (32 floats each) split into their even and odd columns
// (vpermt2ps), the four candidates taken in PyTorch's order, each replacing the best so far
// where `v > best || isnan(v)` (so ties keep the first maximum, and the last NaN wins), with its
// position in the plane beside it. No branch depends on the data; the scalar loop it replaces
// mispredicted about one window in two on random inputs.

bool _tensorcore_maxpool2x2_flat(long H, long W) {
    const long plane = (H / 2) * (W / 2);
    return H % 2 == 0 && (W == 2 || W == 4 || W == 8 || W == 16) && plane > 0 && (plane % 16 == 0 || 16 % plane == 0);
}

#if defined(__x86_64__)

// Note [Flat max pooling]: planes up to 16 wide (W = 2, 4, 8 or 16, H even) give each output
// row only 1 to 8 windows, a vector's 16 lanes mostly idle in the row-by-row loop. But the
// planes' pairs of input rows, taken in order over all planes, are 2·W consecutive floats each,
// giving the next W/2 outputs: so 64 consecutive input floats (four vectors) give the next 16
// outputs, lanes 0–7 from the first 32 floats and lanes 8–15 from the last 32, each candidate
// gathered by one fixed permutation of each half. A lane's position in its plane is a fixed
// pattern plus the block's first row pair in the plane, which needs the blocks not to straddle
// planes: a plane's outputs a multiple of 16, or 16 a multiple of them. The candidates' order
// and the comparisons are Note [Vector max pooling]'s. The gradient goes back the same way:
// each of the 64 input floats takes its window's gradient where the window's index points at
// it, else zero (written whole, no zero fill and scatter).


/// Per output lane L of a block: `e[L]`, its window's first float among the block's 64, and
/// `pos[L]`, that float's position in its plane when the block starts a plane.
static inline void tc_pool_flat_lanes(long H, long W, int *e, int *pos) {
    const long oH = H / 2, oW = W / 2;
    for (int L = 0; L < 16; L++) {
        const int rp = (int)(L / oW), ow = (int)(L % oW);
        e[L] = rp * 2 * (int)W + 2 * ow;
        pos[L] = 2 * (int)(rp % oH) * (int)W + 2 * ow;
    }
}

TC_TARGET static void tc_maxpool2x2_flat(const float *x, long planes, long H, long W, float *out, long *indices) {
    // the next block's first row pair: 16 / oW row pairs on (a multiple of oH when blocks hold whole planes)
    const long oH = H / 2, oW = W / 2, total = planes * oH * oW, step = 16 / oW % oH;
    int e[16], pos[16];
    tc_pool_flat_lanes(H, W, e, pos);
    const __m512i first = _mm512_loadu_si512(e), lanePos = _mm512_loadu_si512(pos), low5 = _mm512_set1_epi32(31);
    const int offset[4] = {0, 1, (int)W, (int)W + 1};
    __m512i idx[4];
    for (int c = 0; c < 4; c++) idx[c] = _mm512_and_si512(_mm512_add_epi32(first, _mm512_set1_epi32(offset[c])), low5);
    long row = 0;   // the block's first row pair in its plane
    for (long o = 0; o < total; o += 16, x += 64) {
        const long n = total - o < 16 ? total - o : 16, f = 4 * n;
        const __m512 z0 = _mm512_maskz_loadu_ps(tc_mask(f), x), z1 = _mm512_maskz_loadu_ps(tc_mask(f - 16), x + 16);
        const __m512 z2 = _mm512_maskz_loadu_ps(tc_mask(f - 32), x + 32), z3 = _mm512_maskz_loadu_ps(tc_mask(f - 48), x + 48);
        const __m512i base = _mm512_add_epi32(lanePos, _mm512_set1_epi32((int)(2 * row * W)));
        __m512 cand[4];
        for (int c = 0; c < 4; c++) {
            cand[c] = _mm512_mask_blend_ps((__mmask16)0xff00, _mm512_permutex2var_ps(z0, idx[c], z1),
                                           _mm512_permutex2var_ps(z2, idx[c], z3));
        }
        __m512 best = cand[0];
        __m512i at = base;
        for (int c = 1; c < 4; c++) {
            const __mmask16 take = _mm512_cmp_ps_mask(cand[c], best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(cand[c], cand[c], _CMP_UNORD_Q);
            best = _mm512_mask_mov_ps(best, take, cand[c]);
            at = _mm512_mask_mov_epi32(at, take, _mm512_add_epi32(base, _mm512_set1_epi32(offset[c])));
        }
        const __mmask16 mn = tc_mask(n);
        _mm512_mask_storeu_ps(out + o, mn, best);
        _mm512_mask_storeu_epi64(indices + o, (__mmask8)mn, _mm512_cvtepi32_epi64(_mm512_castsi512_si256(at)));
        _mm512_mask_storeu_epi64(indices + o + 8, (__mmask8)(mn >> 8), _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(at, 1)));
        row += step;
        if (row >= oH) row -= oH;
    }
}

TC_TARGET void _tensorcore_maxpool2x2_backward_f32(const float *gy, const long *indices, long planes, long H, long W,
                                                   float *dx) {
    // the next block's first row pair: 16 / oW row pairs on (a multiple of oH when blocks hold whole planes)
    const long oH = H / 2, oW = W / 2, total = planes * oH * oW, step = 16 / oW % oH;
    int e[16], pos[16];
    tc_pool_flat_lanes(H, W, e, pos);
    // For each float of the block's 64: the output lane whose window holds it and its position
    // in the plane (when the block starts a plane).
    int lane[64], at[64];
    for (int L = 0; L < 16; L++) {
        const int offset[4] = {0, 1, (int)W, (int)W + 1};
        for (int c = 0; c < 4; c++) {
            lane[e[L] + offset[c]] = L;
            at[e[L] + offset[c]] = pos[L] + offset[c];
        }
    }
    __m512i lanes[4], positions[4];
    for (int k = 0; k < 4; k++) {
        lanes[k] = _mm512_loadu_si512(lane + 16 * k);
        positions[k] = _mm512_loadu_si512(at + 16 * k);
    }
    long row = 0;
    for (long o = 0; o < total; o += 16, dx += 64) {
        const long n = total - o < 16 ? total - o : 16, f = 4 * n;
        const __mmask16 mn = tc_mask(n);
        const __m512 g = _mm512_maskz_loadu_ps(mn, gy + o);
        const __m256i lo = _mm512_cvtepi64_epi32(_mm512_maskz_loadu_epi64((__mmask8)mn, indices + o));
        const __m256i hi = _mm512_cvtepi64_epi32(_mm512_maskz_loadu_epi64((__mmask8)(mn >> 8), indices + o + 8));
        const __m512i index = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
        const __m512i base = _mm512_set1_epi32((int)(2 * row * W));
        for (int k = 0; k < 4; k++) {
            const __mmask16 hit = _mm512_cmpeq_epi32_mask(_mm512_permutexvar_epi32(lanes[k], index),
                                                          _mm512_add_epi32(positions[k], base));
            // + 0: the scatter onto zeros it replaces turns a −0 gradient into +0
            const __m512 v = _mm512_add_ps(_mm512_maskz_permutexvar_ps(hit, lanes[k], g), _mm512_setzero_ps());
            _mm512_mask_storeu_ps(dx + 16 * k, tc_mask(f - 16 * k), v);
        }
        row += step;
        if (row >= oH) row -= oH;
    }
}

TC_TARGET void _tensorcore_maxpool2x2_f32(const float *x, long planes, long H, long W, float *out, long *indices) {
    if (_tensorcore_maxpool2x2_flat(H, W)) return tc_maxpool2x2_flat(x, planes, H, W, out, indices);
    const long oH = H / 2, oW = W / 2;
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    for (long p = 0; p < planes; p++) {
        const float *plane = x + p * H * W;
        for (long oh = 0; oh < oH; oh++) {
            const float *top = plane + 2 * oh * W, *bottom = top + W;
            float *o = out + (p * oH + oh) * oW;
            long *at = indices + (p * oH + oh) * oW;
            for (long ow = 0; ow < oW; ow += 16) {
                const long n = oW - ow < 16 ? oW - ow : 16;
                const __mmask16 m0 = tc_mask(2 * n), m1 = tc_mask(2 * n - 16), mn = tc_mask(n);
                const __m512 t0 = _mm512_maskz_loadu_ps(m0, top + 2 * ow), t1 = _mm512_maskz_loadu_ps(m1, top + 2 * ow + 16);
                const __m512 b0 = _mm512_maskz_loadu_ps(m0, bottom + 2 * ow), b1 = _mm512_maskz_loadu_ps(m1, bottom + 2 * ow + 16);
                const __m512i base = _mm512_add_epi32(_mm512_set1_epi32((int)(2 * oh * W + 2 * ow)), even);
                __m512 best = _mm512_permutex2var_ps(t0, even, t1);
                __m512i pos = base;
                const __m512 cand[3] = {_mm512_permutex2var_ps(t0, odd, t1), _mm512_permutex2var_ps(b0, even, b1),
                                        _mm512_permutex2var_ps(b0, odd, b1)};
                const int offset[3] = {1, (int)W, (int)W + 1};
                for (int c = 0; c < 3; c++) {
                    const __mmask16 take = _mm512_cmp_ps_mask(cand[c], best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(cand[c], cand[c], _CMP_UNORD_Q);
                    best = _mm512_mask_mov_ps(best, take, cand[c]);
                    pos = _mm512_mask_mov_epi32(pos, take, _mm512_add_epi32(base, _mm512_set1_epi32(offset[c])));
                }
                _mm512_mask_storeu_ps(o + ow, mn, best);
                _mm512_mask_storeu_epi64(at + ow, (__mmask8)mn, _mm512_cvtepi32_epi64(_mm512_castsi512_si256(pos)));
                _mm512_mask_storeu_epi64(at + ow + 8, (__mmask8)(mn >> 8), _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(pos, 1)));
            }
        }
    }
}

#else

void _tensorcore_maxpool2x2_f32(const float *x, long planes, long H, long W, float *out, long *indices) {
    __builtin_trap();
}
void _tensorcore_maxpool2x2_backward_f32(const float *gy, const long *indices, long planes, long H, long W, float *dx) {
    __builtin_trap();
}

#endif
