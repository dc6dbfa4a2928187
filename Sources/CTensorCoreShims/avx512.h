// What the AVX-512 kernels (sgemm_avx512.c, transpose_avx512.c) share. Private to this target.
#ifndef TENSORCORE_AVX512_H
#define TENSORCORE_AVX512_H
#if defined(__x86_64__)
#include <immintrin.h>

// Each kernel function carries its own target, so the target builds without -mavx512f and the
// library picks the kernels at run time (`_tensorcore_avx512_available`).
#define TC_TARGET __attribute__((target("avx512f,avx2,fma")))

/// A lane mask for the first `count` of 16 lanes (none when `count` ≤ 0, all from 16).
static inline __mmask16 tc_mask(long count) {
    return count >= 16 ? (__mmask16)0xffff : count <= 0 ? (__mmask16)0 : (__mmask16)((1u << count) - 1);
}

#endif
#endif
