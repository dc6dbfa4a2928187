// GELU and its derivative over Float arrays without a libm call per element (Note [Vectorized
// GELU] in Sources/TensorCore/Kernels/Gelu.swift), each loop written so that the compiler
// vectorizes it, and compiled three times (baseline SSE2, AVX2, AVX-512) from one body, as
// exp_f32.c. Contraction is off, so every variant gives the same bits.
#include "CTensorCoreShims.h"
#include "exp_f32.h"

// The exponentials are tc_exp_normal's (exp_f32.h): a fifth fewer operations than tc_exp, whose
// subnormal results GELU never needs.

// erf(x) as PyTorch's Vectorized<float>::erf computes it (Abramowitz & Stegun 7.1.26, absolute
// error below 1.5e-7): sign(x) · (1 − t·r(t)·e^(−x²)), t = 1 / (1 + p|x|). `e` is e^(−x²).
static inline __attribute__((always_inline)) float tc_erf_from_exp(float x, float e) {
#pragma clang fp contract(off)
    float a = x < 0 ? -x : x;
    float t = 1.0f / (0.3275911f * a + 1.0f);
    float r = (((1.061405429f * t + -1.453152027f) * t + 1.421413741f) * t + -0.284496736f) * t + 0.254829592f;
    float y = 1.0f - r * t * e;
    return x < 0 ? -y : y;
}

static const float tc_sqrt1_2 = 0.70710678118654752440f;            // 1/√2 (PyTorch's kAlpha)
static const float tc_gelu_beta = 0.39894228040143267794f;          // 1/√(2π) (kBeta of the pdf)
static const float tc_sqrt_2_pi = 0.79788456080286535588f;          // √(2/π) (tanh's kBeta)
static const float tc_kappa = 0.044715f;

// x · Φ(x), Φ(x) = (1 + erf(x/√2)) / 2.
static inline __attribute__((always_inline)) float tc_gelu(float x) {
#pragma clang fp contract(off)
    float u = x * tc_sqrt1_2;
    return x * 0.5f * (1.0f + tc_erf_from_exp(u, tc_exp_normal(-(u * u))));
}

// g · (Φ(x) + x φ(x)); φ(x) = e^(−x²/2)/√(2π) shares its exponential with erf(x/√2).
static inline __attribute__((always_inline)) float tc_gelu_backward(float g, float x) {
#pragma clang fp contract(off)
    float u = x * tc_sqrt1_2;
    float e = tc_exp_normal(-(u * u));
    float cdf = 0.5f * (1.0f + tc_erf_from_exp(u, e));
    return g * (cdf + x * (tc_gelu_beta * e));
}

// The tanh form, x/2 · (1 + tanh(k)), k = √(2/π)(x + 0.044715x³), as x · σ(2k) = x / (1 + e^(−2k)):
// 1 + tanh(k) = 2σ(2k) exactly, and σ keeps its relative accuracy where 1 + tanh(k) cancels.
static inline __attribute__((always_inline)) float tc_gelu_tanh(float x) {
#pragma clang fp contract(off)
    float k = tc_sqrt_2_pi * (x + tc_kappa * (x * x * x));
    return x / (1.0f + tc_exp_normal(-2.0f * k));
}

// g · (½(1 + tanh k) + ½x (1 − tanh² k) k′), with ½(1 + tanh k) = s = σ(2k) and
// 1 − tanh² k = 4s(1 − s): g · (s + 2x s(1 − s) k′), k′ = √(2/π)(1 + 3·0.044715x²).
static inline __attribute__((always_inline)) float tc_gelu_tanh_backward(float g, float x) {
#pragma clang fp contract(off)
    float x2 = x * x;
    float k = tc_sqrt_2_pi * (x + tc_kappa * (x2 * x));
    float s = 1.0f / (1.0f + tc_exp_normal(-2.0f * k));
    float dk = tc_sqrt_2_pi * (1.0f + 3.0f * tc_kappa * x2);
    return g * (s + 0.5f * x * (4.0f * s * (1.0f - s)) * dk);
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

#if defined(__x86_64__)
#define TC_GELU_TARGET_AVX2 __attribute__((target("avx2")))
#define TC_GELU_TARGET_AVX512 __attribute__((target("avx512f,avx2")))
#else
#define TC_GELU_TARGET_AVX2
#define TC_GELU_TARGET_AVX512
#endif

TC_GELU_TARGET_AVX2 void _tensorcore_gelu_f32_avx2(float *dst, const float *src, size_t n, bool approximate) { TC_GELU_BODY }
TC_GELU_TARGET_AVX2 void _tensorcore_gelu_backward_f32_avx2(float *dst, const float *grad, const float *x, size_t n,
                                                            bool approximate) {
    TC_GELU_BACKWARD_BODY
}
TC_GELU_TARGET_AVX512 void _tensorcore_gelu_f32_avx512(float *dst, const float *src, size_t n, bool approximate) { TC_GELU_BODY }
TC_GELU_TARGET_AVX512 void _tensorcore_gelu_backward_f32_avx512(float *dst, const float *grad, const float *x, size_t n,
                                                                bool approximate) {
    TC_GELU_BACKWARD_BODY
}
