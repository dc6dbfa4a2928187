// Cephes' expf as an inline function, shared by the vectorized kernels of exp_f32.c and
// gelu_f32.c (Note [Vectorized exp] in Sources/TensorCore/Kernels/Exp.swift). Private to this target.
#ifndef TENSORCORE_EXP_H
#define TENSORCORE_EXP_H
#include <stdint.h>
#include <string.h>

static inline float tc_exp_bits_to_f32(uint32_t u) { float f; memcpy(&f, &u, sizeof f); return f; }
static inline uint32_t tc_exp_f32_to_bits(float f) { uint32_t u; memcpy(&u, &f, sizeof u); return u; }

// Fused multiply-add, one rounding, written out wherever the kernels want one: the AVX2 and
// AVX-512 builds (target "fma") give one vfmadd, the baseline build calls libm's fmaf, which is
// correctly rounded too. Every build thus gives the same bits, and the vector ones a third fewer
// operations than with separate multiplies and adds (Note [Vectorized exp]). Contraction stays
// off everywhere else, so the compiler fuses nothing on one target that it leaves on another.
#define TC_FMA(a, b, c) __builtin_fmaf((a), (b), (c))

// The targets of the vector builds. Every CPU with AVX2 that the library dispatches to has FMA
// as well (_tensorcore_avx2_available checks both).
#if defined(__x86_64__)
#define TC_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define TC_TARGET_AVX512 __attribute__((target("avx512f,avx2,fma")))
#else
#define TC_TARGET_AVX2
#define TC_TARGET_AVX512
// tc_exp_normal for x ≤ 0 (or NaN), which needs no clamp from above: GELU's e^(−x²/2).
static inline __attribute__((always_inline)) float tc_exp_nonpositive(float x) {
#pragma clang fp contract(off)
    const float lo = -87.33654475f;
    int32_t ni;
    float y = tc_exp_reduced(x < lo ? lo : x, &ni);
    float e = y * tc_exp_bits_to_f32((uint32_t)(ni + 127) << 23);
    return x < lo ? 0.0f : e;
}

#endif

// e^r and n such that x = n ln 2 + r (|r| ≤ ln 2 / 2), for x already clamped to [-104, 88.8]:
// Cephes' range reduction and polynomial, shared by tc_exp and tc_exp_normal.
static inline __attribute__((always_inline)) float tc_exp_reduced(float xc, int32_t *n_out) {
#pragma clang fp contract(off)
    // n = round(x / ln 2) by the 1.5·2^23 trick: its integer is the low bits of t.
    const float magic = 12582912.0f;
    float t = TC_FMA(xc, 1.44269504088896341f, magic);
    float n = t - magic;
    *n_out = (int32_t)(tc_exp_f32_to_bits(t) - tc_exp_f32_to_bits(magic));
    // r = x - n ln 2, with ln 2 in two parts (the first exact in n·C1 for |n| < 2^15).
    float r = TC_FMA(n, -0.693359375f, xc);
    r = TC_FMA(n, 2.12194440e-4f, r);
    float y = TC_FMA(TC_FMA(TC_FMA(TC_FMA(TC_FMA(1.9875691500e-4f, r, 1.3981999507e-3f), r, 8.3334519073e-3f), r,
                                   4.1665795894e-2f), r, 1.6666665459e-1f), r, 5.0000001201e-1f);
    return TC_FMA(y, r * r, r) + 1.0f;
}

// exp(x), within 1 ulp of glibc's expf over every float (subnormal results too), with inf, 0,
// NaN and overflow as expf gives them. Only IEEE operations, each fused multiply-add written as
// TC_FMA: each ISA's loop gives the same bits, and a test passing on one machine passes on another.
static inline __attribute__((always_inline)) float tc_exp(float x) {
#pragma clang fp contract(off)
    const float hi = 88.72283935546875f, lo = -103.972084045410f;
    int32_t ni;
    float y = tc_exp_reduced(x > hi ? hi : (x < lo ? lo : x), &ni);
    // 2^n in two normal halves, so that n down to -150 (subnormal results) rounds once, at the end.
    int32_t n1 = ni >> 1, n2 = ni - n1;
    float e = y * tc_exp_bits_to_f32((uint32_t)(n1 + 127) << 23) * tc_exp_bits_to_f32((uint32_t)(n2 + 127) << 23);
    e = x > hi ? __builtin_inff() : e;
    e = x < lo ? 0.0f : e;
    return x != x ? x : e;
}

// exp(x) for the GELU and softmax kernels, shorter than tc_exp: one scaling by 2^n, so results
// below 2^-126 (x < -87.34) are 0 rather than subnormal, and from x ≈ 88.38 (where 2^n
// overflows) inf rather than the largest floats; within 1 ulp elsewhere. NaN in, NaN out (the
// arithmetic carries it). Those kernels only add such values to 1, or to a sum of at least 1,
// or multiply them into tiny ones. `xc` is x clamped from below to tc_exp_normal_lo, and from
// above to hi unless x cannot exceed it.
static const float tc_exp_normal_lo = -87.33654475f;
static inline __attribute__((always_inline)) float tc_exp_normal_clamped(float x, float xc) {
#pragma clang fp contract(off)
    int32_t ni;
    float y = tc_exp_reduced(xc, &ni);
    float e = y * tc_exp_bits_to_f32((uint32_t)(ni + 127) << 23);
    return x < tc_exp_normal_lo ? 0.0f : e;
}

static inline __attribute__((always_inline)) float tc_exp_normal(float x) {
    const float hi = 88.72283935546875f;
    return tc_exp_normal_clamped(x, x > hi ? hi : (x < tc_exp_normal_lo ? tc_exp_normal_lo : x));
}

// tc_exp_normal for x ≤ 0 (or NaN), which needs no clamp from above: GELU's e^(−x²/2).
static inline __attribute__((always_inline)) float tc_exp_nonpositive(float x) {
    return tc_exp_normal_clamped(x, x < tc_exp_normal_lo ? tc_exp_normal_lo : x);
}

#endif
