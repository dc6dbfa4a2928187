// GELU and its derivative over Float arrays without a libm call per element (Note [Vectorized
// GELU] in Sources/TensorCore/Kernels/Gelu.swift), each loop written so that the compiler
// vectorizes it, and compiled three times (baseline SSE2, AVX2 with FMA, AVX-512) from one body,
// as exp_f32.c. Contraction is off and each fused multiply-add written out (TC_FMA), so every
// variant gives the same bits.
#include "CTensorCoreShims.h"
#include "exp_f32.h"

// The exponentials are tc_exp_normal's (exp_f32.h): a fifth fewer operations than tc_exp, whose
// subnormal results GELU never needs.

static const float tc_sqrt1_2 = 0.70710678118654752440f;            // 1/√2 (PyTorch's kAlpha)
static const float tc_gelu_beta = 0.39894228040143267794f;          // 1/√(2π) (kBeta of the pdf)
static const float tc_sqrt_2_pi = 0.79788456080286535588f;          // √(2/π) (tanh's kBeta)
static const float tc_kappa = 0.044715f;

// erf(x) without an exponential, for the forward, which needs nothing else: Eigen's and XLA's
// rational x·P(x²)/Q(x²) on x clamped to [−4, 4] (beyond, erf is ±1 in float), absolute error
// 3.3e-7 against 5.3e-7 for PyTorch's form (below) over tc_exp_normal, in half the operations.
static inline __attribute__((always_inline)) float tc_erf_rational(float a) {
#pragma clang fp contract(off)
    float x = a > 4.0f ? 4.0f : (a < -4.0f ? -4.0f : a);
    float x2 = x * x;
    float p = TC_FMA(x2, -2.72614225801306e-10f, 2.77068142495902e-08f);
    p = TC_FMA(x2, p, -2.10102402082508e-06f);
    p = TC_FMA(x2, p, -5.69250639462346e-05f);
    p = TC_FMA(x2, p, -7.34990630326855e-04f);
    p = TC_FMA(x2, p, -2.95459980854025e-03f);
    p = TC_FMA(x2, p, -1.60960333262415e-02f);
    float q = TC_FMA(x2, -1.45660718464996e-05f, -2.13374055278905e-04f);
    q = TC_FMA(x2, q, -1.68282697438203e-03f);
    q = TC_FMA(x2, q, -7.37332916720468e-03f);
    q = TC_FMA(x2, q, -1.42647390514189e-02f);
    // From |x| = 3.67 the quotient overshoots ±1 by up to 3e-7: harmless where GELU adds it to
    // 1, but below −1 it would give 1 + erf, and GELU, the wrong sign.
    float y = x * p / q;
    return y < -1.0f ? -1.0f : y;
}

// x · Φ(x), Φ(x) = (1 + erf(x/√2)) / 2.
static inline __attribute__((always_inline)) float tc_gelu(float x) {
#pragma clang fp contract(off)
    return x * 0.5f * (1.0f + tc_erf_rational(x * tc_sqrt1_2));
}

// g · (Φ(x) + x φ(x)); φ(x) = e^(−x²/2)/√(2π) shares its exponential with erf(x/√2), which
// takes PyTorch's Vectorized<float>::erf form (Abramowitz & Stegun 7.1.26, absolute error below
// 1.5e-7): erf(u) = sign(u) · (1 − t·r(t)·e^(−u²)), t = 1 / (1 + p|u|). Φ = ½(1 + erf(u)) taken
// apart: ½ t·r·e for u < 0, 1 − ½ t·r·e otherwise, with the ½ in r's coefficients (exact), a
// few operations fewer than through erf.
static inline __attribute__((always_inline)) float tc_gelu_backward(float g, float x) {
#pragma clang fp contract(off)
    float u = x * tc_sqrt1_2;
    float e = tc_exp_nonpositive(-(u * u));
    float t = 1.0f / TC_FMA(0.3275911f, u < 0 ? -u : u, 1.0f);
    float half_r = TC_FMA(TC_FMA(TC_FMA(TC_FMA(0.5307027145f, t, -0.7265760135f), t, 0.7107068705f), t, -0.142248368f), t,
                          0.127414796f);
    float w = (e * t) * half_r;
    float cdf = u < 0 ? w : 1.0f - w;
    return g * TC_FMA(x, tc_gelu_beta * e, cdf);
}

// The tanh form, x/2 · (1 + tanh(k)), k = √(2/π)(x + 0.044715x³), as x · σ(2k) = x / (1 + e^(−2k)):
// 1 + tanh(k) = 2σ(2k) exactly, and σ keeps its relative accuracy where 1 + tanh(k) cancels.
static inline __attribute__((always_inline)) float tc_gelu_tanh(float x) {
#pragma clang fp contract(off)
    float k = tc_sqrt_2_pi * TC_FMA(tc_kappa * (x * x), x, x);
    return x / (1.0f + tc_exp_normal(-2.0f * k));
}

// g · (½(1 + tanh k) + ½x (1 − tanh² k) k′), with ½(1 + tanh k) = s = σ(2k) and
// 1 − tanh² k = 4s(1 − s): g · (s + 2x s(1 − s) k′), k′ = √(2/π)(1 + 3·0.044715x²).
static inline __attribute__((always_inline)) float tc_gelu_tanh_backward(float g, float x) {
#pragma clang fp contract(off)
    float x2 = x * x;
    float k = tc_sqrt_2_pi * TC_FMA(tc_kappa * x2, x, x);
    float s = 1.0f / (1.0f + tc_exp_normal(-2.0f * k));
    float dk = tc_sqrt_2_pi * TC_FMA(3.0f * tc_kappa, x2, 1.0f);
    return g * TC_FMA(0.5f * x * (4.0f * s * (1.0f - s)), dk, s);
}

// In place through one pointer (Note [In-place loops]).
#define TC_GELU_BODY                                                                         \
    if (approximate) {                                                                       \
        for (size_t i = 0; i < n; i++) dst[i] = tc_gelu_tanh(src[i]);                        \
    } else {                                                                                 \
        for (size_t i = 0; i < n; i++) dst[i] = tc_gelu(src[i]);                             \
    }
#define TC_GELU_BACKWARD_BODY                                                                \
    if (dst == grad) {                                                                       \
        if (approximate) {                                                                   \
            for (size_t i = 0; i < n; i++) dst[i] = tc_gelu_tanh_backward(dst[i], x[i]);     \
        } else {                                                                             \
            for (size_t i = 0; i < n; i++) dst[i] = tc_gelu_backward(dst[i], x[i]);          \
        }                                                                                    \
    } else {                                                                                 \
        if (approximate) {                                                                   \
            for (size_t i = 0; i < n; i++) dst[i] = tc_gelu_tanh_backward(grad[i], x[i]);    \
        } else {                                                                             \
            for (size_t i = 0; i < n; i++) dst[i] = tc_gelu_backward(grad[i], x[i]);         \
        }                                                                                    \
    }

void _tensorcore_gelu_f32(float *dst, const float *src, size_t n, bool approximate) { TC_GELU_BODY }
void _tensorcore_gelu_backward_f32(float *dst, const float *grad, const float *x, size_t n, bool approximate) {
    TC_GELU_BACKWARD_BODY
}

TC_TARGET_AVX2 void _tensorcore_gelu_f32_avx2(float *dst, const float *src, size_t n, bool approximate) { TC_GELU_BODY }
TC_TARGET_AVX2 void _tensorcore_gelu_backward_f32_avx2(float *dst, const float *grad, const float *x, size_t n,
                                                            bool approximate) {
    TC_GELU_BACKWARD_BODY
}
TC_TARGET_AVX512 void _tensorcore_gelu_f32_avx512(float *dst, const float *src, size_t n, bool approximate) { TC_GELU_BODY }
TC_TARGET_AVX512 void _tensorcore_gelu_backward_f32_avx512(float *dst, const float *grad, const float *x, size_t n,
                                                                bool approximate) {
    TC_GELU_BACKWARD_BODY
}
