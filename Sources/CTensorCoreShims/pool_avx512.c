#include "CTensorCoreShims.h"
#include "avx512.h"

// Note [Vector max pooling]: 2×2 windows 2 apart, the common max pooling, 16 windows at a time:
// the two input rows of 16 windows (32 floats each) split into their even and odd columns
// (vpermt2ps), the four candidates taken in PyTorch's order, each replacing the best so far
// where `v > best || isnan(v)` (so ties keep the first maximum, and the last NaN wins), with its
// position in the plane beside it. No branch depends on the data; the scalar loop it replaces
// mispredicted about one window in two on random inputs.

#if defined(__x86_64__)

TC_TARGET void _tensorcore_maxpool2x2_f32(const float *x, long planes, long H, long W, float *out, long *indices) {
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

#endif
