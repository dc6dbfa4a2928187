// exp over Float arrays without a libm call per element (Note [Vectorized exp] in
// Sources/TensorCore/Kernels/Exp.swift): Cephes' expf, written so that the compiler vectorizes
// the loop, and compiled three times (baseline SSE2, AVX2, AVX-512) from one body.
#include "CTensorCoreShims.h"
#include <string.h>

static inline float tc_exp_bits_to_f32(uint32_t u) { float f; memcpy(&f, &u, sizeof f); return f; }
static inline uint32_t tc_exp_f32_to_bits(float f) { uint32_t u; memcpy(&u, &f, sizeof u); return u; }

// exp(x), within 1 ulp of glibc's expf over every float (subnormal results too; 0.008 ulp on
// average), with inf, 0, NaN and overflow as expf gives them. Only IEEE additions,
// multiplications and selects, with contraction off: no fused multiply-add, so each ISA's loop
// gives the same bits, and a test passing on one machine passes on another.
static inline __attribute__((always_inline)) float tc_exp(float x) {
#pragma clang fp contract(off)
    const float hi = 88.72283935546875f, lo = -103.972084045410f;
    float xc = x > hi ? hi : (x < lo ? lo : x);
    // n = round(x / ln 2) by the 1.5·2^23 trick: its integer is the low bits of t.
    const float magic = 12582912.0f;
    float t = xc * 1.44269504088896341f + magic;
    float n = t - magic;
    int32_t ni = (int32_t)(tc_exp_f32_to_bits(t) - tc_exp_f32_to_bits(magic));
    // r = x - n ln 2, with ln 2 in two parts (the first exact in n·C1 for |n| < 2^15).
    float r = xc - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float y = ((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r + 4.1665795894e-2f) * r
               + 1.6666665459e-1f) * r + 5.0000001201e-1f;
    y = y * (r * r) + r + 1.0f;
    // 2^n in two normal halves, so that n down to -150 (subnormal results) rounds once, at the end.
    int32_t n1 = ni >> 1, n2 = ni - n1;
    float e = y * tc_exp_bits_to_f32((uint32_t)(n1 + 127) << 23) * tc_exp_bits_to_f32((uint32_t)(n2 + 127) << 23);
    e = x > hi ? __builtin_inff() : e;
    e = x < lo ? 0.0f : e;
    return x != x ? x : e;
}

// In place through one pointer: two pointers that alias would send the vectorized loop to its
// scalar fallback (Note [In-place loops]).
#define TC_EXP_BODY                                                              \
    if (dst == src) {                                                            \
        for (size_t i = 0; i < n; i++) dst[i] = tc_exp(dst[i] - shift);          \
    } else {                                                                     \
        for (size_t i = 0; i < n; i++) dst[i] = tc_exp(src[i] - shift);          \
    }

void _tensorcore_exp_f32(float *dst, const float *src, size_t n, float shift) { TC_EXP_BODY }

#if defined(__x86_64__)
__attribute__((target("avx2")))
void _tensorcore_exp_f32_avx2(float *dst, const float *src, size_t n, float shift) { TC_EXP_BODY }

__attribute__((target("avx512f,avx2")))
void _tensorcore_exp_f32_avx512(float *dst, const float *src, size_t n, float shift) { TC_EXP_BODY }

bool _tensorcore_avx2_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}
#else
void _tensorcore_exp_f32_avx2(float *dst, const float *src, size_t n, float shift) { TC_EXP_BODY }
void _tensorcore_exp_f32_avx512(float *dst, const float *src, size_t n, float shift) { TC_EXP_BODY }
bool _tensorcore_avx2_available(void) { return false; }
#endif
