// Cephes' expf as an inline function, shared by the vectorized kernels of exp_f32.c and
// gelu_f32.c (Note [Vectorized exp] in Sources/TensorCore/Kernels/Exp.swift). Private to this target.
#ifndef TENSORCORE_EXP_H
#define TENSORCORE_EXP_H
#include <stdint.h>
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

// exp(x) for the GELU kernels, shorter than tc_exp: one scaling by 2^n, so results below
// 2^-126 (x < -87.34) are 0 rather than subnormal, and from x ≈ 88.38 (where 2^n overflows)
// inf rather than the largest floats; within 1 ulp elsewhere. NaN in, NaN out (the arithmetic
// carries it). The GELU formulas only add such values to 1 or multiply them into tiny ones.
static inline __attribute__((always_inline)) float tc_exp_normal(float x) {
#pragma clang fp contract(off)
    const float hi = 88.72283935546875f, lo = -87.33654475f;
    float xc = x > hi ? hi : (x < lo ? lo : x);
    const float magic = 12582912.0f;
    float t = xc * 1.44269504088896341f + magic;
    float n = t - magic;
    int32_t ni = (int32_t)(tc_exp_f32_to_bits(t) - tc_exp_f32_to_bits(magic));
    float r = xc - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float y = ((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r + 4.1665795894e-2f) * r
               + 1.6666665459e-1f) * r + 5.0000001201e-1f;
    y = y * (r * r) + r + 1.0f;
    float e = y * tc_exp_bits_to_f32((uint32_t)(ni + 127) << 23);
    return x < lo ? 0.0f : e;
}

#endif
