// What the AVX-512 kernels (sgemm_avx512.c, transpose_avx512.c) share: the lane mask and the
// 16×16 transpose. Private to this target.
#ifndef TENSORCORE_AVX512_H
#define TENSORCORE_AVX512_H
#if defined(__x86_64__)
#include <immintrin.h>
#include <stdbool.h>

// Each kernel function carries its own target, so the target builds without -mavx512f and the
// library picks the kernels at run time (`_tensorcore_avx512_available`).
#define TC_TARGET __attribute__((target("avx512f,avx2,fma")))

/// A lane mask for the first `count` of 16 lanes (none when `count` ≤ 0, all from 16).
static inline __mmask16 tc_mask(long count) {
    return count >= 16 ? (__mmask16)0xffff : count <= 0 ? (__mmask16)0 : (__mmask16)((1u << count) - 1);
}

// Rows `nr` (≤ 16) of the block at s (row stride lds), `nc` (≤ 16) columns each, written as `nc`
// rows of `nr` at o (row stride ldo), or (`pad`) of 16, zero past `nr` (Note [AVX-512 transpose]).
TC_TARGET static inline void tc_transpose16(const float *s, long lds, float *o, long ldo, long nr, long nc, bool pad) {
    const __mmask16 colMask = tc_mask(nc), rowMask = pad ? (__mmask16)0xffff : tc_mask(nr);
    __m512 r[16], t[16];
    for (int i = 0; i < 16; i++) r[i] = i < nr ? _mm512_maskz_loadu_ps(colMask, s + i * lds) : _mm512_setzero_ps();
    // Within each 128-bit lane L: pairs of rows interleaved, then four rows gathered, so that
    // r[4g + q] lane L holds rows 4g..4g+3 of column 4L + q.
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int g = 0; g < 4; g++) {
        r[4 * g + 0] = _mm512_shuffle_ps(t[4 * g + 0], t[4 * g + 2], _MM_SHUFFLE(1, 0, 1, 0));
        r[4 * g + 1] = _mm512_shuffle_ps(t[4 * g + 0], t[4 * g + 2], _MM_SHUFFLE(3, 2, 3, 2));
        r[4 * g + 2] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], _MM_SHUFFLE(1, 0, 1, 0));
        r[4 * g + 3] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    // Output row 4L + q is lane L of r[q], r[4 + q], r[8 + q], r[12 + q].
    for (int q = 0; q < 4; q++) {
        __m512 a = _mm512_shuffle_f32x4(r[q], r[4 + q], 0x88), b = _mm512_shuffle_f32x4(r[q], r[4 + q], 0xDD);
        __m512 c = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0x88), d = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0xDD);
        const __m512 rows[4] = {_mm512_shuffle_f32x4(a, c, 0x88), _mm512_shuffle_f32x4(b, d, 0x88),
                                _mm512_shuffle_f32x4(a, c, 0xDD), _mm512_shuffle_f32x4(b, d, 0xDD)};
        for (int L = 0; L < 4; L++) {
            const long row = 4 * L + q;
            if (row < nc) _mm512_mask_storeu_ps(o + row * ldo, rowMask, rows[L]);
        }
    }
}

#endif
#endif
