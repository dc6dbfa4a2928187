// exp over Float arrays without a libm call per element (Note [Vectorized exp] in
// Sources/TensorCore/Kernels/Exp.swift): Cephes' expf, written so that the compiler vectorizes
// the loop, and compiled three times (baseline SSE2, AVX2 with FMA, AVX-512) from one body.
#include "CTensorCoreShims.h"
#include "exp_f32.h"

// In place through one pointer: two pointers that alias would send the vectorized loop to its
// scalar fallback (Note [In-place loops]).
#define TC_EXP_BODY                                                              \
    if (dst == src) {                                                            \
        for (size_t i = 0; i < n; i++) dst[i] = tc_exp(dst[i] - shift);          \
    } else {                                                                     \
        for (size_t i = 0; i < n; i++) dst[i] = tc_exp(src[i] - shift);          \
    }

void _tensorcore_exp_f32(float *dst, const float *src, size_t n, float shift) { TC_EXP_BODY }

TC_TARGET_AVX2 void _tensorcore_exp_f32_avx2(float *dst, const float *src, size_t n, float shift) { TC_EXP_BODY }
TC_TARGET_AVX512 void _tensorcore_exp_f32_avx512(float *dst, const float *src, size_t n, float shift) { TC_EXP_BODY }

#if defined(__x86_64__)
bool _tensorcore_avx2_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#else
bool _tensorcore_avx2_available(void) { return false; }
#endif
